import {
  AIOConsumer,
  ConsumerClosedError,
  HandlerError,
  InvalidStateError,
  type AIOKafkaError,
  type ConsumerMessage,
} from '../../../src';
import type { AIOConsumerOptions } from '../../../src/consumer/options';
import { nativeError, textError } from '../../helpers/fake-native-producer';
import { ASSIGN, drive, FakeNativeConsumer, REVOKE, sleep, until } from '../../helpers/fake-native-consumer';

/*
 * AIOConsumer against a fake native consumer (the connectWith seam): interleavings a broker
 * cannot produce on demand. Jest fake timers: `until` and `drive` advance the clock; no assertion
 * on durations.
 */

const msg = FakeNativeConsumer.message;
const P0 = { topic: 't', partition: 0 };
const P1 = { topic: 't', partition: 1 };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const open: AIOConsumer[] = [];
beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(async () => {
  await drive(Promise.all(open.splice(0).map((c) => c.close({ timeoutMs: 50 }))));
  jest.useRealTimers();
});

async function connect(
  fake: FakeNativeConsumer,
  options: Partial<AIOConsumerOptions> = {},
): Promise<{ consumer: AIOConsumer; errors: AIOKafkaError[] }> {
  const consumer = await drive(
    AIOConsumer.connectWith(
      { 'group.id': 'g' },
      { topics: ['t'], commitIntervalMs: 600_000, revokeTimeoutMs: 50, closeTimeoutMs: 100, ...options },
      { createNative: fake.factory },
    ),
  );
  open.push(consumer);
  const errors: AIOKafkaError[] = [];
  consumer.on('error', (e) => errors.push(e));
  return { consumer, errors };
}

describe('rebalances', () => {
  test('a batch fetched before a revocation never lands in the next assignment: every offset is processed', async () => {
    // The interleaving of /tmp/rv/s1-stale-batch.js: one native consume() stays in flight through
    // revoke -> assign of the same partition, then returns messages fetched before the revocation.
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer } = await connect(fake);
    const processed = new Set<number>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = consumer.run({
      orderBy: 'partition',
      handler: async (m) => {
        if (m.offset === 0) await gate;
        processed.add(m.offset);
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    await until('first consume', () => fake.pending !== undefined);
    // Batch 1: 0..20; 0 runs (blocked), 1..20 wait in the buffer.
    fake.pending!.answer(range(0, 20).map((o) => msg(0, o)));
    await until('second consume', () => fake.pending !== undefined);
    const inFlight = fake.pending!;
    // The revocation arrives while that call runs (and has fetched 21..30 already).
    fake.rebalance(REVOKE, [P0]);
    await until('the commit on revocation', () => fake.commits.length === 1);
    expect(fake.commits[0]).toEqual([{ topic: 't', partition: 0, offset: 0 }]);
    fake.serveCallbacks(); // the call in flight serves the commit's answer
    // The group re-forms and gives the partition straight back.
    fake.rebalance(ASSIGN, [P0]);
    await until('the re-assignment', () => fake.logged('assign').length === 2, 300).catch(() => {});
    inFlight.answer(range(21, 30).map((o) => msg(0, o)));
    await until('the re-assignment', () => fake.logged('assign').length === 2);
    const assigned = fake.logged('assign')[1] as Array<{ offset?: number }>;
    // librdkafka now fetches again from the assigned offset, or else the committed one (0).
    const resume = assigned[0]!.offset ?? 0;
    await until('a consume after the re-assignment', () => fake.pending !== undefined && fake.pending !== inFlight);
    fake.pending!.answer(range(resume, 30).map((o) => msg(0, o)));
    fake.auto = true;
    if (fake.pending !== undefined) fake.pending.answer([]);
    release();
    await until('offsets 0..30 processed', () => range(0, 30).every((o) => processed.has(o)), 2_000);
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 31 }]);
    await drive(consumer.close());
    await drive(run);
  });

  test('the commit on revocation commits finished offsets, drops waiting messages and leaves a running one uncommitted', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const started: string[] = [];
    const run = consumer.run({
      concurrency: 2,
      orderBy: 'partition',
      handler: (m) => {
        started.push(`${m.partition}@${m.offset}`);
        // p1@2 never finishes: p1@3 and p1@4 wait behind it in the partition's lane.
        return m.partition === 1 && m.offset === 2 ? new Promise(() => {}) : undefined;
      },
    });
    const rebalances: string[] = [];
    consumer.on('rebalance', (e) => rebalances.push(e.type));
    fake.rebalance(ASSIGN, [P0, P1]);
    fake.queue.push(...range(0, 4).map((o) => msg(0, o)), ...range(0, 4).map((o) => msg(1, o)));
    await until('p0 done and p1@2 running', () => started.includes('0@4') && started.includes('1@2'));
    expect(consumer.buffered).toBe(2);
    fake.rebalance(REVOKE, [P0, P1]);
    await until('revoked', () => rebalances.includes('revoke'));
    expect(fake.commits).toEqual([
      [
        { topic: 't', partition: 0, offset: 5 },
        { topic: 't', partition: 1, offset: 2 },
      ],
    ]);
    // Committed before the partitions were released.
    const names = fake.log.map(([name]) => name);
    expect(names.indexOf('commit')).toBeLessThan(names.indexOf('unassign'));
    expect(consumer.buffered).toBe(0);
    await jest.advanceTimersByTimeAsync(20);
    expect(started).not.toContain('1@3');
    expect(started).not.toContain('1@4');
    await drive(consumer.close({ timeoutMs: 10 }));
    await drive(run);
  });

  test('a partition given back after a successful commit on revocation resumes at the committed offset, and nothing is committed before a message arrives', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 4).map((o) => msg(0, o)));
    await until('5 handled', () => handled === 5);
    fake.rebalance(REVOKE, [P0]);
    await until('unassigned', () => fake.logged('unassign').length === 1);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: 5 }]]);
    // Meanwhile another member may have committed further: no stale resume point, no rewind.
    fake.rebalance(ASSIGN, [P0]);
    await until('re-assigned', () => fake.logged('assign').length === 2);
    expect(fake.logged('assign')[1]).toEqual([{ topic: 't', partition: 0 }]);
    await drive(consumer.commit());
    expect(fake.commits).toHaveLength(1);
    await drive(consumer.close());
    await drive(run);
  });

  test('after a refused commit on revocation only the very next eager assign resumes where this member finished', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer, errors } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 4).map((o) => msg(0, o)));
    await until('5 handled', () => handled === 5);
    fake.commitError = nativeError(27); // ERR_REBALANCE_IN_PROGRESS
    fake.rebalance(REVOKE, [P0]);
    fake.rebalance(ASSIGN, [P0]);
    await until('re-assigned', () => fake.logged('assign').length === 2);
    expect(fake.logged('assign')[1]).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    expect(errors.map((e) => e.code)).toContain('ERR_REBALANCE_IN_PROGRESS');
    // The resume point is the commit the revocation owed: committed even with nothing received.
    fake.commitError = null;
    await drive(consumer.commit());
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: 5 }], [{ topic: 't', partition: 0, offset: 5 }]]);
    // A later assignment does not reuse it.
    fake.rebalance(REVOKE, [P0]);
    fake.rebalance(ASSIGN, [P1]);
    fake.rebalance(REVOKE, [P1]);
    fake.rebalance(ASSIGN, [P0]);
    await until('assigned again', () => fake.logged('assign').length === 4);
    expect(fake.logged('assign')[3]).toEqual([{ topic: 't', partition: 0 }]);
    await drive(consumer.close());
    await drive(run);
  });

  test('cooperative: a failing incrementalUnassign is reported and never turns into unassign(); an empty assign pauses nothing', async () => {
    const fake = new FakeNativeConsumer();
    fake.protocol = 'COOPERATIVE';
    const { consumer, errors } = await connect(fake, { maxBufferedMessages: 1 });
    const run = consumer.run({ handler: () => new Promise(() => {}) });
    fake.rebalance(ASSIGN, [P0, P1]);
    fake.queue.push(msg(0, 0), msg(0, 1), msg(0, 2));
    await until('paused', () => consumer.paused);
    fake.rebalance(ASSIGN, []);
    fake.incrementalUnassignError = nativeError(-186);
    fake.rebalance(REVOKE, [P1]);
    await until('revoked', () => errors.some((e) => e.message.includes('unassign')) || errors.length > 0);
    expect(fake.logged('unassign')).toEqual([]);
    expect(fake.logged('pause')).not.toContain(0);
    expect(consumer.assignment).toEqual([P0]);
    await drive(consumer.close({ timeoutMs: 10 }));
    await drive(run);
  });
});

describe('close', () => {
  test('close at its limit still sends the final commit once; a revocation after the limit just releases (one deadline, issue 17)', async () => {
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer, errors } = await connect(fake);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    const run = consumer.run({
      handler: async (m) => {
        if (m.offset === 2) await gate;
        handled++;
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    await until('first consume', () => fake.pending !== undefined);
    fake.pending!.answer(range(0, 2).map((o) => msg(0, o)));
    await until('0 and 1 handled', () => handled === 2);
    await until('a consume in flight', () => fake.pending !== undefined);
    let closed = false;
    // close does not wait for offset 2 past its limit: the final commit is {p0: 2}, sent at the limit.
    const closing = consumer.close({ timeoutMs: 10 }).then(() => (closed = true));
    await until('the final commit', () => fake.commits.length === 1);
    expect(fake.commits[0]).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
    await until('close returned', () => closed, 100);
    release();
    await until('2 handled', () => handled === 3);
    // Past close's limit the consumer is disconnecting: a revocation releases, it commits nothing.
    fake.rebalance(REVOKE, [P0]);
    fake.auto = true;
    fake.pending?.answer([]);
    await drive(closing);
    await drive(run);
    await drive(sleep(10));
    expect(fake.commits).toHaveLength(1);
    expect(fake.logged('disconnect')).toHaveLength(1);
    expect(errors.filter((e) => e.code === 'AIO_OPERATION_TIMEOUT')).toEqual([]);
  });
});

describe('iteration', () => {
  test('a fatal client error makes the waiting next() reject with it, and every later one', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0), msg(0, 1));
    const fatal = Object.assign(nativeError(-150, 'fatal error'), { isFatal: true });
    const seen: number[] = [];
    const loop = (async () => {
      for await (const m of consumer) {
        seen.push(m.offset);
        if (seen.length === 2) fake.emit('event.error', fatal);
      }
    })();
    await expect(drive(loop)).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(seen).toEqual([0, 1]);
  });

  test('librdkafka’s FATAL log line ends the consumption: node-rdkafka’s error event alone does not say fatal', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0), msg(0, 1));
    const seen: number[] = [];
    const loop = (async () => {
      for await (const m of consumer) {
        seen.push(m.offset);
        if (seen.length === 1) fake.emit('event.log', { severity: 0, fac: 'FATAL', message: 'Fatal error: Broker: Static consumer fenced by other consumer with same group.instance.id' });
      }
    })();
    await expect(drive(loop)).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true, message: expect.stringMatching(/fenced/) });
  });

  test('one fatal error is reported once: the FATAL line, not librdkafka’s echo of it; the consumer is closed after it (issue 17)', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer, errors } = await connect(fake);
    const text = 'Fatal error: Broker: Static consumer fenced by other consumer with same group.instance.id';
    fake.emit('event.log', { severity: 0, fac: 'FATAL', message: text });
    // librdkafka then reports the same error as a plain client error (code -1, lower-cased text).
    fake.emit('event.error', textError('Broker: Static consumer fenced by other consumer with same group.instance.id'));
    await drive(sleep(1));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(consumer.closed).toBe(true);
    expect(() => consumer.pause([P0])).toThrow(ConsumerClosedError);
    // A later, unrelated error is still reported.
    fake.emit('event.error', textError('Local: All broker connections are down'));
    await drive(sleep(1));
    expect(errors).toHaveLength(2);
  });

  test('iterator.throw(err) ends the iteration and rejects with err', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const it = consumer[Symbol.asyncIterator]();
    const mine = new Error('mine');
    await expect(drive(it.throw!(mine))).rejects.toBe(mine);
    await expect(drive(it.next())).resolves.toEqual({ done: true, value: undefined });
  });

  test('overlapping next() calls are served in call order, one message each', async () => {
    // (Before they were served in order, this hung.)
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0), msg(0, 1), msg(0, 2));
    const it = consumer[Symbol.asyncIterator]();
    const [a, b] = await drive(Promise.all([it.next(), it.next()]));
    expect([(a.value as ConsumerMessage).offset, (b.value as ConsumerMessage).offset]).toEqual([0, 1]);
    // The second call finished the first message; the one in hand (1) is not committed.
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
    await drive(it.return!());
  }, 10_000);
});

describe('run() scheduling', () => {
  async function runWith(orderBy: 'key' | 'partition' | 'none', concurrency: number, messages: ReturnType<typeof msg>[]) {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const active = new Map<string, number>();
    let concurrent = 0;
    let maxConcurrent = 0;
    let violations = 0;
    const order: string[] = [];
    const run = consumer.run({
      concurrency,
      orderBy,
      handler: async (m) => {
        const lane = orderBy === 'key' ? m.key!.toString() : orderBy === 'partition' ? String(m.partition) : `${m.partition}@${m.offset}`;
        if ((active.get(lane) ?? 0) > 0) violations++;
        active.set(lane, 1);
        maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        order.push(`${m.partition}@${m.offset}`);
        await sleep(3);
        concurrent--;
        active.set(lane, 0);
      },
    });
    fake.rebalance(ASSIGN, [P0, P1]);
    fake.queue.push(...messages);
    await until('all handled', () => order.length === messages.length);
    await drive(consumer.close());
    await drive(run);
    return { maxConcurrent, violations, order };
  }

  test('concurrency bounds the running handlers when there are more keys than slots', async () => {
    const messages = range(0, 39).map((o) => msg(o % 2, o, `k${o}`));
    const { maxConcurrent, violations } = await runWith('key', 3, messages);
    expect(violations).toBe(0);
    expect(maxConcurrent).toBe(3);
  });

  test("orderBy 'partition': one handler per partition, in offset order", async () => {
    const messages = range(0, 19).map((o) => msg(o % 2, o, 'same'));
    const { maxConcurrent, violations, order } = await runWith('partition', 5, messages);
    expect(violations).toBe(0);
    expect(maxConcurrent).toBe(2);
    for (const p of [0, 1]) {
      const offsets = order.filter((w) => w.startsWith(`${p}@`)).map((w) => Number(w.split('@')[1]));
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    }
  });

  test("orderBy 'none': messages of one key and partition run concurrently, up to concurrency", async () => {
    const messages = range(0, 19).map((o) => msg(0, o, 'same'));
    const { maxConcurrent, violations } = await runWith('none', 4, messages);
    expect(violations).toBe(0);
    expect(maxConcurrent).toBe(4);
  });
});

/** A gate a handler can wait on. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Tracks whether `promise` settled, without waiting for it. */
function watch(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe('no limit means no limit (Infinity or above 2^31-1 arms no timer)', () => {
  test('close({ timeoutMs: Infinity }) waits for a running handler, and its message is committed', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const g = gate();
    let started = false;
    const run = consumer.run({
      handler: async () => {
        started = true;
        await g.opened;
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0));
    await until('the handler runs', () => started);
    const closing = consumer.close({ timeoutMs: Infinity });
    const closed = watch(closing);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(closed.settled).toBe(false);
    expect(fake.logged('disconnect')).toEqual([]);
    expect(fake.commits).toEqual([]);
    g.open();
    await drive(closing);
    await drive(run);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: 1 }]]);
  });

  test('revokeTimeoutMs: 2**31 makes a revocation wait for the running handler', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { revokeTimeoutMs: 2 ** 31 });
    const g = gate();
    let started = false;
    const run = consumer.run({
      handler: async () => {
        started = true;
        await g.opened;
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0));
    await until('the handler runs', () => started);
    fake.rebalance(REVOKE, [P0]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(fake.logged('unassign')).toEqual([]);
    expect(fake.commits).toEqual([]);
    g.open();
    await until('unassigned', () => fake.logged('unassign').length === 1);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: 1 }]]);
    await drive(consumer.close());
    await drive(run);
  });

  test('connectTimeoutMs: 2**31 makes connect wait for the cluster', async () => {
    const fake = new FakeNativeConsumer();
    fake.holdConnect = true;
    const connecting = AIOConsumer.connectWith(
      { 'group.id': 'g' },
      { topics: ['t'], connectTimeoutMs: 2 ** 31 },
      { createNative: fake.factory },
    );
    const connected = watch(connecting);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(connected.settled).toBe(false);
    fake.answerConnect();
    const consumer = await drive(connecting);
    open.push(consumer);
    expect(consumer.closed).toBe(false);
  });

  test('commitIntervalMs: 2**31 means no periodic commit', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { commitIntervalMs: 2 ** 31 });
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0), msg(0, 1), msg(0, 2));
    await until('3 handled', () => handled === 3);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(fake.commits).toEqual([]);
    await drive(consumer.close());
    await drive(run);
    // Only the final commit.
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: 3 }]]);
  });
});

describe('nothing blocks the event loop', () => {
  test('close with a revocation queued while nothing polls never calls commitSync: the commit is sent asynchronously', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const fake = new FakeNativeConsumer();
      const { consumer } = await connect(fake, { revokeTimeoutMs: 10_000 });
      const g = gate();
      const run = consumer.run({
        orderBy: 'none',
        concurrency: 2,
        handler: async (m) => {
          if (m.offset === 1) throw new Error('boom');
          await g.opened;
        },
      });
      fake.rebalance(ASSIGN, [P0]);
      fake.queue.push(msg(0, 0), msg(0, 1));
      // run() stops on offset 1; offset 0 still runs when the consumption ends and the loop stops.
      await expect(drive(run)).rejects.toBeInstanceOf(HandlerError);
      // A revocation now waits for offset 0, then commits {p0: 1} while nothing polls.
      fake.rebalance(REVOKE, [P0]);
      await jest.advanceTimersByTimeAsync(1);
      const closing = consumer.close();
      await jest.advanceTimersByTimeAsync(10);
      g.open();
      await drive(closing);
      expect(fake.logged('commitSync')).toEqual([]);
      expect(fake.logged('commit').at(-1)).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
      const names = fake.log.map(([name]) => name);
      expect(names.lastIndexOf('commit')).toBeLessThan(names.indexOf('disconnect'));
      expect(stderr.mock.calls.map(([line]) => String(line)).join('')).toMatch(/unconfirmed/);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('state errors', () => {
  test('commit() while nothing consumes throws InvalidStateError', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    await expect(consumer.commit()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(consumer.commit()).rejects.toMatchObject({ code: 'AIO_INVALID_STATE' });
  });

  test('a second run() or iteration on an open consumer rejects InvalidStateError; after close ConsumerClosedError', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const run = consumer.run({ handler: () => {} });
    await expect(consumer.run({ handler: () => {} })).rejects.toBeInstanceOf(InvalidStateError);
    await expect(consumer[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(InvalidStateError);
    await drive(consumer.close());
    await drive(run);
    await expect(consumer.run({ handler: () => {} })).rejects.toBeInstanceOf(ConsumerClosedError);
    await expect(consumer[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(ConsumerClosedError);

    const other = (await connect(new FakeNativeConsumer())).consumer;
    const it = other[Symbol.asyncIterator]();
    void it.next();
    await expect(other.run({ handler: () => {} })).rejects.toBeInstanceOf(InvalidStateError);
    await drive(it.return!());
  });

  // Review of d64f993: commit() checked only the disconnect, so after a fatal error it said
  // "nothing is consuming" (or, before the run wound up, sent a commit to a failed librdkafka).
  test('commit() after a fatal error rejects ConsumerClosedError, the fatal error its cause, and sends nothing', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    consumer.on('error', () => {});
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    const ran = run.catch((e: unknown) => e);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0));
    await until('handled', () => handled === 1);
    fake.emit('event.log', { severity: 0, fac: 'FATAL', message: 'Fatal error: Broker: something fatal' });
    const commitsBefore = fake.commits.length;
    const committing = consumer.commit().then(() => 'ok', (e: unknown) => e);
    expect(fake.commits.length).toBe(commitsBefore);
    const outcome = await drive(committing);
    expect(outcome).toBeInstanceOf(ConsumerClosedError);
    expect((outcome as Error).cause).toMatchObject({ fatal: true });
    await drive(ran);
    await drive(consumer.close({ timeoutMs: 100 }));
  });

  test('a commit refused with ERR_REBALANCE_IN_PROGRESS surfaces retriable', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0));
    await until('handled', () => handled === 1);
    fake.commitError = nativeError(27);
    await expect(drive(consumer.commit())).rejects.toMatchObject({ code: 'ERR_REBALANCE_IN_PROGRESS', retriable: true });
    fake.commitError = null;
    await drive(consumer.close());
    await drive(run);
  });
});

describe('error reporting', () => {
  test('a listener throwing an object with a string code is reported as AIO_UNKNOWN, with its context', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer, errors } = await connect(fake);
    const thrown = { code: 'EBOOM', message: 'listener broke' };
    consumer.on('rebalance', () => {
      throw thrown;
    });
    const run = consumer.run({ handler: () => {} });
    fake.rebalance(ASSIGN, [P0]);
    await until('reported', () => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'AIO_UNKNOWN', cause: thrown });
    expect(errors[0]!.message).toMatch(/rebalance/);
    await drive(consumer.close());
    await drive(run);
  });
});

describe('issue 9: a clean close commits everything that finished', () => {
  test('a partition given straight back after a refused commit on revocation, then idle: close commits where this member finished', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ concurrency: 4, handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0, P1]);
    fake.queue.push(...range(0, 4).map((o) => msg(0, o)), ...range(0, 2).map((o) => msg(1, o)));
    await until('8 handled', () => handled === 8);
    // A member joins: the commit on revocation is refused, the group gives both partitions back.
    fake.commitError = nativeError(27); // ERR_REBALANCE_IN_PROGRESS
    fake.rebalance(REVOKE, [P0, P1]);
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('re-assigned', () => fake.logged('assign').length === 2);
    fake.commitError = null;
    // Nothing more arrives: both partitions are at their end.
    await drive(consumer.close());
    await drive(run);
    const last = new Map<number, number>();
    for (const commit of fake.commits.slice(1)) for (const o of commit) last.set(o.partition, o.offset);
    expect(Object.fromEntries(last)).toEqual({ 0: 5, 1: 3 });
  });

  test('a refused final commit is retried while the loop still polls, until confirmed', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer, errors } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 9).map((o) => msg(0, o)));
    await until('10 handled', () => handled === 10);
    // The coordinator moved: the final commit is refused, the next one goes through.
    fake.commitError = nativeError(16); // ERR_NOT_COORDINATOR
    const closing = consumer.close();
    await until('the final commit', () => fake.commits.length === 1);
    await jest.advanceTimersByTimeAsync(5); // its refusal is answered by the next consume()
    fake.commitError = null;
    await drive(closing);
    await drive(run);
    expect(fake.commits.length).toBeGreaterThanOrEqual(2);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 10 }]);
    expect(errors.filter((e) => e.message.includes('final commit'))).toEqual([]);
  });

  test('a revocation and assignment that arrive during the final commit are committed after the last step', async () => {
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer } = await connect(fake);
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    await until('first consume', () => fake.pending !== undefined);
    fake.pending!.answer(range(0, 5).map((o) => msg(0, o)));
    await until('6 handled', () => handled === 6);
    await until('a consume in flight', () => fake.pending !== undefined);
    // The final commit is refused; meanwhile the group rebalances and the revocation's commit is refused too.
    fake.commitError = nativeError(27);
    const closing = consumer.close();
    await until('the final commit', () => fake.commits.length === 1);
    fake.rebalance(REVOKE, [P0]);
    fake.rebalance(ASSIGN, [P0]);
    await until('the commit on revocation', () => fake.commits.length === 2);
    fake.pending!.answer([]); // answers both: refused
    await until('re-assigned', () => fake.logged('assign').length === 2);
    expect(fake.logged('assign')[1]).toEqual([{ topic: 't', partition: 0, offset: 6 }]);
    fake.commitError = null;
    fake.auto = true;
    fake.pending?.answer([]);
    await drive(closing);
    await drive(run);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 6 }]);
  });
});

describe('logger, log and stats (issue 9 / 12)', () => {
  test('librdkafka’s log lines reach the logger and the log event; statistics are parsed and emitted', async () => {
    const lines: Array<[string, string]> = [];
    const at = (level: string) => (_fields: Record<string, unknown>, message: string) => void lines.push([level, message]);
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } });
    const logs: unknown[] = [];
    const stats: unknown[] = [];
    consumer.on('log', (l) => logs.push(l));
    consumer.on('stats', (s) => stats.push(s));
    fake.emit('event.log', { severity: 4, fac: 'HEARTBEAT', message: 'slow' });
    fake.emit('event.stats', { message: '{"name":"c#1","type":"consumer"}' });
    expect(lines).toEqual([['warn', 'slow']]);
    expect(logs).toEqual([{ severity: 4, facility: 'HEARTBEAT', message: 'slow' }]);
    expect(stats).toEqual([{ name: 'c#1', type: 'consumer' }]);
  });

  test('a logger without the four methods is refused', async () => {
    const fake = new FakeNativeConsumer();
    await expect(
      AIOConsumer.connectWith({ 'group.id': 'g' }, { topics: ['t'], logger: console.log as never }, { createNative: fake.factory }),
    ).rejects.toThrow(/option logger/);
  });
});
