import {
  AIOConsumer,
  AIOProducer,
  ConsumerClosedError,
  HandlerError,
  InvalidStateError,
  type AIOConsumerOptions,
  type AIOKafkaError,
  type ConsumerMessage,
} from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { until } from '../helpers/until';

/*
 * AIOConsumer against a broker over TCP: the embedded mock cluster (topics auto-created with 4
 * partitions), or a real cluster when KAFKA_BROKERS is set. On the embedded cluster a group joins at
 * once (the kit sets the mock's initial rebalance delay to 0); a real broker waits
 * group.initial.rebalance.delay.ms (3 s by default), so each test joins as few consumers as it can.
 */

let broker: TestBroker;
let producer: AIOProducer;
const open: AIOConsumer[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close({ timeoutMs: 500 })));
});

afterAll(async () => {
  await producer?.close();
  await broker?.stop();
});

/** A consumer in `group` on `topic`, closed after the test. */
async function connect(group: string, topic: string, options: Partial<AIOConsumerOptions> = {}): Promise<AIOConsumer> {
  const consumer = await AIOConsumer.connect(
    {
      'bootstrap.servers': broker.bootstrapServers,
      'group.id': group,
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': 3000,
      'heartbeat.interval.ms': 300,
      'fetch.wait.max.ms': 50,
    },
    { topics: [topic], commitIntervalMs: 200, revokeTimeoutMs: 2000, ...options },
  );
  open.push(consumer);
  // Errors are expected in some tests (commits refused during a rebalance): collect, never crash.
  consumer.on('error', () => {});
  return consumer;
}

/** Produces `m<from>` … `m<from+count-1>`, keyed by `key(i)`, optionally to one partition. */
async function produce(
  topic: string,
  count: number,
  { from = 0, key = (i: number) => `k${i}`, partition }: { from?: number; key?: (i: number) => string; partition?: number } = {},
): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, n) => producer.produce(topic, `m${from + n}`, { key: key(from + n), partition })),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const valueOf = (m: ConsumerMessage): string => m.value!.toString();
const where = (m: ConsumerMessage): string => `${m.partition}@${m.offset}`;

test('a group of two sees every message exactly once while one member joins and one leaves', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  const processed: Array<{ by: string; value: string }> = [];
  const handlerFor = (by: string) => async (m: ConsumerMessage) => {
    await sleep(2);
    processed.push({ by, value: valueOf(m) });
  };

  await produce(topic, 40);
  const a = await connect(group, topic);
  const runA = a.run({ concurrency: 8, handler: handlerFor('a') });
  await until('a processed the first 40', () => processed.length >= 40);
  // The mock cluster refuses commits from the moment a member joins until the group is stable
  // again (a real broker accepts the commit made on revocation), so a commits before b joins.
  // The revocation of b's partitions when a leaves relies on nothing but the consumer itself.
  await a.commit();

  // b joins: the group rebalances, a gives up part of its partitions.
  const b = await connect(group, topic);
  const runB = b.run({ concurrency: 8, handler: handlerFor('b') });
  await until('both members own partitions', () => a.assignment.length > 0 && b.assignment.length > 0);
  await produce(topic, 40, { from: 40 });
  await until('80 processed', () => processed.length >= 80);

  // a leaves: b takes every partition over.
  await a.close();
  await runA;
  await until('b owns every partition', () => b.assignment.length === 4);
  await produce(topic, 40, { from: 80 });
  await until('120 processed', () => processed.length >= 120);
  await sleep(500); // room for a duplicate to show up

  const counts = new Map<string, number>();
  for (const { value } of processed) counts.set(value, (counts.get(value) ?? 0) + 1);
  expect(counts.size).toBe(120);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  // Both members did part of the work after b joined.
  expect(processed.slice(40, 80).some((p) => p.by === 'a')).toBe(true);
  expect(processed.slice(40, 80).some((p) => p.by === 'b')).toBe(true);
  expect(processed.slice(80).every((p) => p.by === 'b')).toBe(true);
  await b.close();
  await runB;
});

test('after a crash (close with handlers that never finish) a restart re-delivers only what was not committed', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await produce(topic, 40);

  const first = await connect(group, topic);
  const finished: ConsumerMessage[] = [];
  const hung: ConsumerMessage[] = [];
  const run = first.run({
    concurrency: 10,
    orderBy: 'none',
    handler: (m) => {
      // m3, m13, m23, m33 never finish.
      if (valueOf(m).endsWith('3')) {
        hung.push(m);
        return new Promise(() => {});
      }
      finished.push(m);
      return undefined;
    },
  });
  await until('36 finished and 4 hung', () => finished.length === 36 && hung.length === 4);
  await first.close({ timeoutMs: 300 });
  await run; // close ends run() even though handlers still hang

  // Committed per partition: everything below the lowest hung offset of that partition.
  const firstHung = new Map<number, number>();
  for (const m of hung) firstHung.set(m.partition, Math.min(firstHung.get(m.partition) ?? Infinity, m.offset));
  const expected = [...finished, ...hung]
    .filter((m) => firstHung.has(m.partition) && m.offset >= firstHung.get(m.partition)!)
    .map(where)
    .sort();

  const second = await connect(group, topic);
  const redelivered: ConsumerMessage[] = [];
  const rerun = second.run({ concurrency: 10, handler: (m) => void redelivered.push(m) });
  await until('the expected re-deliveries', () => redelivered.length >= expected.length);
  await sleep(500);
  expect(redelivered.map(where).sort()).toEqual(expected);
  // Every message that never finished came back.
  for (const m of hung) expect(redelivered.map(where)).toContain(where(m));
  await second.close();
  await rerun;
});

test("orderBy 'key': one key never runs concurrently and keeps offset order; different keys do run concurrently", async () => {
  const topic = randomTopic();
  await produce(topic, 200, { key: (i) => `key-${i % 5}` });
  const consumer = await connect(randomTopic('group'), topic);
  const active = new Map<string, number>();
  const lastOffset = new Map<string, number>();
  let concurrent = 0;
  let maxConcurrent = 0;
  let violations = 0;
  let done = 0;
  const run = consumer.run({
    concurrency: 20,
    handler: async (m) => {
      const key = m.key!.toString();
      if ((active.get(key) ?? 0) > 0) violations++;
      if ((lastOffset.get(key) ?? -1) >= m.offset) violations++;
      lastOffset.set(key, m.offset);
      active.set(key, 1);
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await sleep(1 + (m.offset % 4));
      concurrent--;
      active.set(key, 0);
      done++;
    },
  });
  await until('200 processed', () => done >= 200);
  expect(violations).toBe(0);
  expect(maxConcurrent).toBeGreaterThan(1);
  expect(maxConcurrent).toBeLessThanOrEqual(5);
  await consumer.close();
  await run;
});

describe('handler errors', () => {
  test("'stop' (default): run() rejects with a HandlerError keeping the cause; the failed offset is not committed", async () => {
    const topic = randomTopic();
    const group = randomTopic('group');
    await produce(topic, 10, { partition: 0 });
    const consumer = await connect(group, topic);
    const boom = new Error('boom');
    const seen: string[] = [];
    const err = await consumer
      .run({
        handler: (m) => {
          seen.push(valueOf(m));
          if (valueOf(m) === 'm5') throw boom;
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HandlerError);
    expect((err as HandlerError).code).toBe('AIO_HANDLER_FAILED');
    expect((err as HandlerError).cause).toBe(boom);
    expect((err as HandlerError).offset).toBe(5);
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    // The consumption is over: a second run on the open consumer is refused.
    await expect(consumer.run({ handler: () => {} })).rejects.toBeInstanceOf(InvalidStateError);
    await consumer.close();

    const again = await connect(group, topic);
    const redelivered: string[] = [];
    const run = again.run({ handler: (m) => void redelivered.push(valueOf(m)) });
    await until('the rest re-delivered', () => redelivered.length >= 5);
    expect(redelivered).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
    await again.close();
    await run;
  });

  test("'skip': the failure is reported as handlerError, the message is committed and processing goes on", async () => {
    const topic = randomTopic();
    const group = randomTopic('group');
    await produce(topic, 10, { partition: 0 });
    const consumer = await connect(group, topic);
    const skipped: HandlerError[] = [];
    consumer.on('handlerError', (e) => skipped.push(e));
    let done = 0;
    const run = consumer.run({
      onError: 'skip',
      handler: (m) => {
        done++;
        if (valueOf(m) === 'm3' || valueOf(m) === 'm7') return Promise.reject(new Error(`bad ${valueOf(m)}`));
        return undefined;
      },
    });
    await until('10 handled', () => done >= 10);
    expect(skipped.map((e) => e.offset)).toEqual([3, 7]);
    expect((skipped[0]!.cause as Error).message).toBe('bad m3');
    await consumer.close();
    await run;

    // Everything, the skipped ones included, was committed: a restart sees only what comes next.
    await produce(topic, 1, { from: 10, partition: 0 });
    const again = await connect(group, topic);
    const next: string[] = [];
    const rerun = again.run({ handler: (m) => void next.push(valueOf(m)) });
    await until('the new message', () => next.length >= 1);
    await sleep(300);
    expect(next).toEqual(['m10']);
    await again.close();
    await rerun;
  });

  test('a custom onError decides per failure; a throwing policy counts as stop', async () => {
    const topic = randomTopic();
    await produce(topic, 10, { partition: 0 });
    const consumer = await connect(randomTopic('group'), topic);
    consumer.on('handlerError', () => {});
    const reported: AIOKafkaError[] = [];
    consumer.on('error', (e) => reported.push(e));
    const decisions: Array<[number, string]> = [];
    const err = await consumer
      .run({
        onError: (e, m) => {
          if (!(e.cause instanceof TypeError)) {
            decisions.push([m.offset, 'throw']);
            throw new Error('policy failed');
          }
          decisions.push([m.offset, 'skip']);
          return Promise.resolve('skip' as const);
        },
        handler: (m) => {
          if (valueOf(m) === 'm2') throw new TypeError('not json');
          if (valueOf(m) === 'm6') throw new Error('database down');
        },
      })
      .catch((e: unknown) => e);
    expect(decisions).toEqual([
      [2, 'skip'],
      [6, 'throw'],
    ]);
    // The throwing policy counted as 'stop': run() rejects with the handler's failure.
    expect((err as HandlerError).offset).toBe(6);
    expect(((err as HandlerError).cause as Error).message).toBe('database down');
    expect(reported.some((e) => (e.cause as Error | undefined)?.message === 'policy failed')).toBe(true);
  });
});

test('backpressure: a full buffer pauses the partitions and a drained one resumes them; nothing is lost', async () => {
  const topic = randomTopic();
  await produce(topic, 120);
  const consumer = await connect(randomTopic('group'), topic, { maxBufferedMessages: 10, batchSize: 5 });
  let pauses = 0;
  let resumes = 0;
  consumer.on('pause', (partitions) => {
    pauses++;
    expect(partitions.length).toBeGreaterThan(0);
  });
  consumer.on('resume', () => resumes++);
  const values = new Set<string>();
  let maxBuffered = 0;
  let handled = 0;
  const run = consumer.run({
    concurrency: 2,
    handler: async (m) => {
      maxBuffered = Math.max(maxBuffered, consumer.buffered);
      await sleep(2);
      values.add(valueOf(m));
      handled++;
    },
  });
  await until('120 processed', () => values.size >= 120);
  expect(handled).toBe(120);
  expect(pauses).toBeGreaterThan(0);
  expect(resumes).toBeGreaterThan(0);
  // One consume call asks for no more than there is room for.
  expect(maxBuffered).toBeLessThanOrEqual(10);
  await consumer.close();
  await run;
  expect(consumer.paused).toBe(false);
});

test('for await hands out messages in order; break ends it cleanly and leaves the message in hand uncommitted', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await produce(topic, 10, { partition: 0 });
  const consumer = await connect(group, topic);
  const seen: string[] = [];
  for await (const m of consumer) {
    seen.push(valueOf(m));
    if (seen.length === 5) break;
  }
  expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  // The iteration is over; another one is refused, and close still works (twice).
  await expect(consumer[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(InvalidStateError);
  await consumer.close();
  await consumer.close();
  expect(consumer.closed).toBe(true);

  // m4 was in hand when the loop broke: it was not committed and comes back first.
  const again = await connect(group, topic);
  const next: string[] = [];
  for await (const m of again) {
    next.push(valueOf(m));
    if (next.length === 6) break;
  }
  expect(next).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
});

test('close ends a waiting iteration and a running run(); both are refused once closed', async () => {
  const topic = randomTopic();
  await produce(topic, 1);
  const [iterating, running] = await Promise.all([
    connect(randomTopic('group'), topic),
    connect(randomTopic('group'), topic),
  ]);
  const errors: AIOKafkaError[] = [];
  for (const c of [iterating, running]) c.on('error', (e) => errors.push(e));
  const iterated: string[] = [];
  const loop = (async () => {
    for await (const m of iterating) iterated.push(valueOf(m));
  })();
  const handled: string[] = [];
  const run = running.run({ handler: (m) => void handled.push(valueOf(m)) });
  await until('the one message, by both', () => iterated.length === 1 && handled.length === 1);
  await Promise.all([iterating.close(), running.close()]);
  await loop; // the waiting next() ended with done: true
  await run; // run() resolved: close ended it
  await expect(running.run({ handler: () => {} })).rejects.toBeInstanceOf(ConsumerClosedError);
  await expect(iterating[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(ConsumerClosedError);
  expect(errors.filter((e) => e.fatal)).toEqual([]);
});

test('rejects a config that would let librdkafka commit on its own, and never changes the caller config', async () => {
  const config = { 'bootstrap.servers': broker.bootstrapServers, 'group.id': 'g', 'enable.auto.commit': true };
  const before = { ...config };
  await expect(AIOConsumer.connect(config, { topics: ['t'] })).rejects.toMatchObject({ code: 'ERR__INVALID_ARG' });
  // Refused by the compiler too; checked at run time for JavaScript callers.
  await expect(AIOConsumer.connect({ 'bootstrap.servers': 'x' } as never, { topics: ['t'] })).rejects.toMatchObject({
    code: 'ERR__INVALID_ARG',
  });
  expect(config).toEqual(before);
});
