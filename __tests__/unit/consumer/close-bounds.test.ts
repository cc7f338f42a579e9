import { AIOConsumer, ConsumerClosedError } from '../../../src';
import { lendNative } from '../../../src/core/lease';
import type { AIOConsumerOptions } from '../../../src/consumer/options';
import { ASSIGN, drive, FakeNativeConsumer, REVOKE, sleep, until } from '../../helpers/fake-native-consumer';

/*
 * close({ timeoutMs }) returns by its limit whatever still runs (issue 17): one deadline for the
 * handlers, the final commit, a rebalance step, the consume call and the leases; what is left
 * is answered at the limit and the disconnect waits for the native work in the background. Jest's
 * fake clock: the times below are fake time, read from Date.now(), never wall-clock.
 */

const P0 = { topic: 't', partition: 0 };
const msg = FakeNativeConsumer.message;

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

/** Codes of the `error` events of the consumers connected by {@link connect}. */
let errors: string[] = [];

async function connect(fake: FakeNativeConsumer, options: Partial<AIOConsumerOptions> = {}): Promise<AIOConsumer> {
  const consumer = await drive(
    AIOConsumer.connectWith(
      { 'group.id': 'g' },
      { topics: ['t'], commitIntervalMs: 600_000, revokeTimeoutMs: 50, closeTimeoutMs: 30_000, ...options },
      { createNative: fake.factory },
    ),
  );
  errors = [];
  consumer.on('error', (err) => errors.push(err.code));
  return consumer;
}

/** Assigns P0 and runs a handler that takes `ms` on its one message; resolves once it runs. */
async function handlerRunning(fake: FakeNativeConsumer, consumer: AIOConsumer, ms: number): Promise<void> {
  fake.rebalance(ASSIGN, [P0]);
  fake.queue.push(msg(0, 0));
  let started = false;
  void consumer.run({
    handler: async () => {
      started = true;
      await sleep(ms);
    },
  });
  await until('handler running', () => started);
}

/** How long (fake ms) `close` took to settle. */
async function timed(close: Promise<void>): Promise<number> {
  const started = Date.now();
  await drive(close, 120_000);
  return Date.now() - started;
}

test('a final commit the coordinator never answers: close returns at its limit, not after the commit timeout', async () => {
  const fake = new FakeNativeConsumer();
  const consumer = await connect(fake);
  fake.rebalance(ASSIGN, [P0]);
  fake.queue.push(msg(0, 0), msg(0, 1));
  const done: number[] = [];
  const run = consumer.run({ handler: async (m) => void done.push(m.offset) });
  await until('handled', () => done.length === 2);
  fake.holdCommitAnswers = true;
  const took = await timed(consumer.close({ timeoutMs: 500 }));
  expect(took).toBeLessThanOrEqual(520);
  await drive(run);
  expect(fake.logged('disconnect')).toHaveLength(1);
  // Sent and not confirmed within close's limit: a warning, not a failed final commit.
  expect(errors).toEqual([]);
});

test('a revocation waiting for a running handler: close returns at its limit; the disconnect waits for the step, in the background', async () => {
  const fake = new FakeNativeConsumer();
  const consumer = await connect(fake, { revokeTimeoutMs: 60_000 });
  await handlerRunning(fake, consumer, 20_000);
  fake.rebalance(REVOKE, [P0]); // waits up to revokeTimeoutMs for the handler
  await drive(sleep(5));
  const took = await timed(consumer.close({ timeoutMs: 500 }));
  expect(took).toBeLessThanOrEqual(520);
  // The revocation still runs (it unassigns natively when done): no disconnect under it.
  expect(fake.logged('disconnect')).toHaveLength(0);
  await drive(sleep(25_000));
  expect(fake.logged('disconnect')).toHaveLength(1);
  await expect(consumer.commit()).rejects.toBeInstanceOf(ConsumerClosedError);
});

test('one deadline: a lease still out after the handlers took most of the limit holds close only to the limit', async () => {
  const fake = new FakeNativeConsumer();
  const consumer = await connect(fake);
  await handlerRunning(fake, consumer, 400);
  const lease = consumer[lendNative]()!; // a transactional producer's sendOffsets, reading the client
  const took = await timed(consumer.close({ timeoutMs: 500 }));
  expect(took).toBeLessThanOrEqual(520);
  expect(fake.logged('disconnect')).toHaveLength(0);
  lease.release();
  await drive(sleep(5));
  expect(fake.logged('disconnect')).toHaveLength(1);
});

test('an iteration whose body never finishes: close returns at its limit, the message stays uncommitted, the next next() ends the loop', async () => {
  const fake = new FakeNativeConsumer();
  const consumer = await connect(fake);
  fake.rebalance(ASSIGN, [P0]);
  fake.queue.push(msg(0, 0), msg(0, 1));
  const it = consumer[Symbol.asyncIterator]();
  const first = await drive(it.next());
  expect(first.done).toBe(false);
  // The loop body hangs on the message in hand; close comes from elsewhere (a signal handler).
  const took = await timed(consumer.close({ timeoutMs: 500 }));
  expect(took).toBeLessThanOrEqual(520);
  await expect(drive(it.next())).resolves.toEqual({ done: true, value: undefined });
  expect(fake.commits.flat().filter((c) => c.partition === 0 && c.offset > 0)).toEqual([]);
});
