import {
  AIOConsumer,
  ConsumerClosedError,
  HandlerError,
  InvalidArgumentError,
  InvalidStateError,
  SerializationError,
  deserializers,
  getHeader,
  getHeaders,
  type AIOKafkaError,
  type ConsumerMessage,
} from '../../../src';
import type { AIOConsumerOptions } from '../../../src/consumer/options';
import { nativeError } from '../../helpers/fake-native-producer';
import { ASSIGN, drive, FakeNativeConsumer, REVOKE, until } from '../../helpers/fake-native-consumer';

/*
 * Issue 11 against a fake native consumer: seek, user pause/resume beside backpressure, batch
 * runs, deserializers, lag, health and markProcessed, in interleavings a broker cannot produce on
 * demand. Jest fake timers; no assertion on durations.
 */

const msg = FakeNativeConsumer.message;
const P0 = { topic: 't', partition: 0 };
const P1 = { topic: 't', partition: 1 };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const open: Array<AIOConsumer<unknown, unknown>> = [];
beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(async () => {
  await drive(Promise.all(open.splice(0).map((c) => c.close({ timeoutMs: 50 }))));
  jest.useRealTimers();
});

async function connect<K = Buffer | null, V = Buffer | null>(
  fake: FakeNativeConsumer,
  options: Partial<AIOConsumerOptions<K, V>> = {},
): Promise<{ consumer: AIOConsumer<K, V>; errors: AIOKafkaError[] }> {
  const consumer = await drive(
    AIOConsumer.connectWith<K, V>(
      { 'group.id': 'g' },
      { topics: ['t'], commitIntervalMs: 600_000, revokeTimeoutMs: 50, closeTimeoutMs: 100, ...options },
      { createNative: fake.factory },
    ),
  );
  open.push(consumer as AIOConsumer<unknown, unknown>);
  const errors: AIOKafkaError[] = [];
  consumer.on('error', (e) => errors.push(e));
  return { consumer, errors };
}

describe('user pause and resume', () => {
  test('a paused partition is not fetched and its buffered messages are not handed out until resume; others go on', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const handled: string[] = [];
    const run = consumer.run({ concurrency: 4, handler: (m) => void handled.push(`${m.partition}@${m.offset}`) });
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned', () => consumer.assignment.length === 2);
    consumer.pause([P0]);
    expect(fake.paused).toEqual(new Set(['t:0']));
    expect(consumer.pausedPartitions).toEqual([P0]);
    // Fetched before the pause took effect: they wait in the buffer.
    fake.queue.push(msg(0, 0), msg(0, 1), msg(1, 0), msg(1, 1));
    await until('p1 handled', () => handled.length === 2);
    await jest.advanceTimersByTimeAsync(50);
    expect(handled).toEqual(['1@0', '1@1']);
    expect(consumer.buffered).toBe(2);
    // Nothing of p0 was finished: the commit point stays below its first waiting message.
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 1, offset: 2 },
    ]);
    consumer.resume([P0]);
    expect(fake.paused.size).toBe(0);
    await until('p0 handled in order', () => handled.length === 4);
    expect(handled.slice(2)).toEqual(['0@0', '0@1']);
    await drive(consumer.close());
    await drive(run);
  });

  test('backpressure lifting leaves a user-paused partition paused, and a user resume under backpressure waits for it to lift', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { maxBufferedMessages: 4 });
    const gates: Array<() => void> = [];
    const run = consumer.run({ concurrency: 1, orderBy: 'none', handler: () => new Promise<void>((r) => gates.push(r)) });
    const events: string[] = [];
    consumer.on('pause', (ps) => events.push(`pause ${ps.length}`));
    consumer.on('resume', (ps) => events.push(`resume ${ps.map((p) => p.partition).join(',')}`));
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned', () => consumer.assignment.length === 2);
    consumer.pause([P0]);
    fake.queue.push(...range(0, 5).map((o) => msg(1, o)));
    await until('backpressure', () => consumer.paused);
    expect(fake.paused).toEqual(new Set(['t:0', 't:1']));
    // Drain to half: backpressure lifts, p0 stays paused.
    while (!events.includes('resume 1')) {
      gates.shift()?.();
      await jest.advanceTimersByTimeAsync(2);
    }
    expect(fake.paused).toEqual(new Set(['t:0']));
    expect(consumer.paused).toBe(false);
    // Backpressure again (p1 only has messages), then the user resumes p0 under it.
    fake.queue.push(...range(6, 12).map((o) => msg(1, o)));
    await until('backpressure again', () => consumer.paused);
    consumer.resume([P0]);
    expect(fake.paused).toEqual(new Set(['t:0', 't:1'])); // still held by backpressure
    while (consumer.paused) {
      gates.shift()?.();
      await jest.advanceTimersByTimeAsync(2);
    }
    expect(fake.paused.size).toBe(0);
    for (const gate of gates.splice(0)) gate();
    await drive(consumer.close());
    await drive(run);
    expect(events[0]).toBe('pause 2');
  });

  test('a user pause survives a rebalance: the partition is paused again when it is given back', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const run = consumer.run({ handler: () => {} });
    consumer.pause([P1]); // not assigned yet
    expect(fake.logged('pause')).toEqual([]);
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned and p1 paused', () => fake.paused.has('t:1'));
    expect(fake.paused.has('t:0')).toBe(false);
    await drive(consumer.close());
    await drive(run);
  });

  // librdkafka's pause flag outlives the assignment (the fake keeps it too): issue 17, item 4.
  test('a partition resumed while unassigned is resumed natively when it is given back', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const run = consumer.run({ handler: () => {} });
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned', () => consumer.assignment.length === 2);
    consumer.pause([P0]);
    fake.rebalance(REVOKE, [P0, P1]);
    await until('revoked', () => consumer.assignment.length === 0);
    consumer.resume([P0]); // nothing assigned: nothing to resume natively now
    expect(fake.paused).toEqual(new Set(['t:0']));
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned again', () => consumer.assignment.length === 2);
    expect(fake.paused.size).toBe(0);
    expect(consumer.pausedPartitions).toEqual([]);
    // Only what was left paused is resumed: no native call for p1.
    expect(fake.logged('resume')).toEqual([1]);
    await drive(consumer.close());
    await drive(run);
  });

  test('a partition paused while unassigned is paused when it is given back, and resumed by resume()', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const run = consumer.run({ handler: () => {} });
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned', () => consumer.assignment.length === 2);
    fake.rebalance(REVOKE, [P0, P1]);
    await until('revoked', () => consumer.assignment.length === 0);
    consumer.pause([P0]);
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned again', () => consumer.assignment.length === 2);
    expect(fake.paused).toEqual(new Set(['t:0']));
    consumer.resume([P0]);
    expect(fake.paused.size).toBe(0);
    await drive(consumer.close());
    await drive(run);
  });

  test('cooperative: backpressure lifting while a partition is revoked; the partition is resumed when it is given back', async () => {
    const fake = new FakeNativeConsumer();
    fake.protocol = 'COOPERATIVE';
    const { consumer } = await connect(fake, { maxBufferedMessages: 4 });
    const gates: Array<() => void> = [];
    const run = consumer.run({ concurrency: 1, orderBy: 'none', handler: () => new Promise<void>((r) => gates.push(r)) });
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('assigned', () => consumer.assignment.length === 2);
    fake.queue.push(...range(0, 5).map((o) => msg(1, o)));
    await until('backpressure', () => consumer.paused);
    expect(fake.paused).toEqual(new Set(['t:0', 't:1']));
    fake.rebalance(REVOKE, [P0]); // p1's messages keep the buffer full
    await until('p0 revoked', () => consumer.assignment.length === 1);
    while (consumer.paused) {
      gates.shift()?.();
      await jest.advanceTimersByTimeAsync(2);
    }
    // Backpressure lifted while p0 was not assigned: librdkafka still holds it paused.
    expect(fake.paused).toEqual(new Set(['t:0']));
    fake.rebalance(ASSIGN, [P0]);
    await until('p0 given back', () => consumer.assignment.length === 2);
    expect(fake.paused.size).toBe(0);
    for (const gate of gates.splice(0)) gate();
    await drive(consumer.close());
    await drive(run);
  });

  test('arguments are checked: unsubscribed topic, bad partition, not an array; closed', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    expect(() => consumer.pause([{ topic: 'other', partition: 0 }])).toThrow(InvalidArgumentError);
    expect(() => consumer.pause([{ topic: 't', partition: -1 }])).toThrow(/partition must be an integer >= 0/);
    expect(() => consumer.resume({ topic: 't', partition: 0 } as never)).toThrow(InvalidArgumentError);
    expect(() => consumer.pause([null as never])).toThrow(InvalidArgumentError);
    await drive(consumer.close());
    expect(() => consumer.pause([P0])).toThrow(ConsumerClosedError);
  });
});

describe('seek', () => {
  test('drops the waiting messages, never hands out what the consume call in flight fetched from before, and restarts the commit point', async () => {
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer } = await connect(fake);
    const handled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = consumer.run({
      orderBy: 'partition',
      handler: async (m) => {
        if (m.offset === 0) await gate;
        handled.push(m.offset);
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    await until('first consume', () => fake.pending !== undefined);
    fake.pending!.answer(range(0, 5).map((o) => msg(0, o))); // 0 runs (held), 1..5 wait
    await until('second consume', () => fake.pending !== undefined);
    const inFlight = fake.pending!;
    const seek = consumer.seek(P0, 100);
    await jest.advanceTimersByTimeAsync(5);
    expect(fake.logged('seek')).toEqual([]); // waits for the call in flight
    inFlight.answer(range(6, 8).map((o) => msg(0, o)));
    await drive(seek);
    expect(fake.logged('seek')).toEqual([{ topic: 't', partition: 0, offset: 100 }]);
    expect(consumer.buffered).toBe(0);
    // Until a message arrives, the seek offset is the commit point.
    const committing = consumer.commit();
    fake.serveCallbacks();
    await drive(committing);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 100 }]);
    // The handler that was running finishes: it no longer counts.
    release();
    await until('offset 0 handled', () => handled.includes(0));
    await until('a consume after the seek', () => fake.pending !== undefined);
    fake.pending!.answer([msg(0, 100), msg(0, 101)]);
    await until('100 and 101 handled', () => handled.includes(101));
    expect(handled).toEqual([0, 100, 101]);
    const again = consumer.commit();
    fake.serveCallbacks();
    await drive(again);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 102 }]);
    fake.auto = true;
    fake.pending?.answer([]);
    await drive(consumer.close());
    await drive(run);
  });

  test('a refused seek changes nothing: waiting messages stay and are handed out; the error is typed', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const handled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = consumer.run({
      handler: async (m) => {
        if (m.offset === 0) await gate;
        handled.push(m.offset);
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 3).map((o) => msg(0, o)));
    await until('buffered', () => consumer.buffered === 3);
    fake.seekError = nativeError(-172); // ERR__STATE
    await expect(drive(consumer.seek(P0, 50))).rejects.toMatchObject({ code: 'ERR__STATE' });
    expect(consumer.buffered).toBe(3);
    release();
    await until('all handled', () => handled.length === 4);
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 4 }]);
    await drive(consumer.close());
    await drive(run);
  });

  test('an unassigned partition is InvalidStateError; a bad offset InvalidArgumentError; closed ConsumerClosedError', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    await expect(drive(consumer.seek(P1, 0))).rejects.toBeInstanceOf(InvalidStateError);
    await expect(consumer.seek(P0, -2)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(consumer.seek(P0, 1.5)).rejects.toThrow(/offset must be an integer/);
    await expect(consumer.seek({ topic: 'x', partition: 0 }, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await drive(consumer.close());
    await expect(consumer.seek(P0, 0)).rejects.toBeInstanceOf(ConsumerClosedError);
  });
});

describe('batch run', () => {
  test('batches are one partition in offset order, at most maxMessages; only finished batches are committed', async () => {
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer } = await connect(fake);
    const batches: string[][] = [];
    const gates = new Map<string, () => void>();
    const run = consumer.run({
      batch: { maxMessages: 3 },
      concurrency: 2,
      handler: (ms) => {
        const ids = ms.map((m) => `${m.partition}@${m.offset}`);
        batches.push(ids);
        return new Promise<void>((r) => gates.set(ids[0]!, r));
      },
    });
    fake.rebalance(ASSIGN, [P0, P1]);
    await until('consume', () => fake.pending !== undefined);
    fake.pending!.answer([...range(0, 4).map((o) => msg(0, o)), msg(1, 0), msg(1, 1)]);
    await until('two batches', () => batches.length === 2);
    expect(batches).toEqual([
      ['0@0', '0@1', '0@2'],
      ['1@0', '1@1'],
    ]);
    fake.auto = true;
    fake.pending?.answer([]);
    gates.get('1@0')!();
    await until('p1 finished', () => consumer.inFlight === 1);
    // A partition's batches run one after another: p0's next one waits for its first.
    await jest.advanceTimersByTimeAsync(20);
    expect(batches).toHaveLength(2);
    await drive(consumer.commit());
    // p1 finished; p0's first batch still runs, so nothing of p0 is committed.
    expect(fake.commits.at(-1)).toEqual([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 1, offset: 2 },
    ]);
    gates.get('0@0')!();
    await until('p0 second batch', () => batches.length === 3);
    expect(batches[2]).toEqual(['0@3', '0@4']);
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
    gates.get('0@3')!();
    await until('idle', () => consumer.inFlight === 0);
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    await drive(consumer.close());
    await drive(run);
  });

  test('maxWaitMs: a partial batch waits for more messages, then starts with what it has', async () => {
    const fake = new FakeNativeConsumer();
    fake.auto = false;
    const { consumer } = await connect(fake);
    const batches: number[][] = [];
    const run = consumer.run({ batch: { maxMessages: 4, maxWaitMs: 200 }, handler: (ms) => void batches.push(ms.map((m) => m.offset)) });
    fake.rebalance(ASSIGN, [P0]);
    await until('consume', () => fake.pending !== undefined);
    fake.pending!.answer([msg(0, 0), msg(0, 1)]);
    await until('next consume', () => fake.pending !== undefined);
    await jest.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([]);
    fake.pending!.answer([msg(0, 2)]);
    await until('next consume', () => fake.pending !== undefined);
    expect(batches).toEqual([]);
    await until('the wait ran out', () => batches.length === 1, 1_000);
    expect(batches).toEqual([[0, 1, 2]]);
    // A full batch starts at once.
    fake.pending!.answer(range(3, 6).map((o) => msg(0, o)));
    await until('full batch', () => batches.length === 2, 20);
    expect(batches[1]).toEqual([3, 4, 5, 6]);
    fake.auto = true;
    fake.pending?.answer([]);
    await drive(consumer.close());
    await drive(run);
  });

  test("a failed batch with onError 'skip' is committed whole and reported; the policy gets the batch", async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const reported: HandlerError[] = [];
    consumer.on('handlerError', (e) => reported.push(e));
    const shown: number[][] = [];
    const run = consumer.run({
      batch: true,
      onError: (_err, batch) => {
        shown.push(batch.map((m) => m.offset));
        return 'skip';
      },
      handler: () => {
        throw new Error('bulk insert failed');
      },
    });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 2).map((o) => msg(0, o)));
    await until('reported', () => reported.length === 1);
    expect(shown).toEqual([[0, 1, 2]]);
    expect(reported[0]!.offset).toBe(0);
    expect(reported[0]!.message).toContain('offsets 0..2 (3 messages)');
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
    await drive(consumer.close());
    await drive(run);
  });
});

describe('deserializers', () => {
  test('keys and values are deserialized before the handler; types flow to the message', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect<string | null, unknown>(fake, {
      keyDeserializer: deserializers.string,
      valueDeserializer: async (data) => ({ text: data?.toString() }),
    });
    const seen: Array<ConsumerMessage<string | null, unknown>> = [];
    const run = consumer.run({ handler: (m) => void seen.push(m) });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0, 'k0'), msg(0, 1));
    await until('2 handled', () => seen.length === 2);
    expect(seen.map((m) => [m.key, m.value])).toEqual([
      ['k0', { text: '0@0' }],
      [null, { text: '0@1' }],
    ]);
    await drive(consumer.close());
    await drive(run);
  });

  test("a throwing deserializer is a handler failure: 'stop' rejects run() with a HandlerError whose cause is a SerializationError; not committed", async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { valueDeserializer: deserializers.json });
    let handled = 0;
    const run = consumer.run({ handler: () => void handled++ });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push({ ...msg(0, 0), value: Buffer.from('{"a":1}') }, { ...msg(0, 1), value: Buffer.from('{oops') });
    const err = (await drive(run).catch((e: unknown) => e)) as HandlerError;
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.offset).toBe(1);
    expect(err.cause).toBeInstanceOf(SerializationError);
    expect((err.cause as SerializationError).part).toBe('value');
    expect((err.cause as SerializationError).cause).toBeInstanceOf(SyntaxError);
    expect(handled).toBe(1);
    // The final commit stops below the message that failed.
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
  });

  test("onError sees the message as received when the deserializer failed, and 'skip' commits it", async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { valueDeserializer: deserializers.json });
    consumer.on('handlerError', () => {});
    const received: unknown[] = [];
    const run = consumer.run({
      onError: (err, m) => {
        received.push(m.value);
        return err.cause instanceof SerializationError ? 'skip' : 'stop';
      },
      handler: () => {},
    });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push({ ...msg(0, 0), value: Buffer.from('not json') }, { ...msg(0, 1), value: Buffer.from('1') });
    await until('skipped', () => received.length === 1);
    expect(received[0]).toEqual(Buffer.from('not json'));
    await jest.advanceTimersByTimeAsync(10);
    await drive(consumer.commit());
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
    await drive(consumer.close());
    await drive(run);
  });

  test('in an iteration a failing deserializer makes next() reject (the message stays uncommitted)', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { valueDeserializer: deserializers.json });
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push({ ...msg(0, 0), value: Buffer.from('[1]') }, { ...msg(0, 1), value: Buffer.from('[') });
    const it = consumer[Symbol.asyncIterator]();
    await expect(drive(it.next())).resolves.toMatchObject({ value: { offset: 0, value: [1] } });
    const err = (await drive(it.next()).catch((e: unknown) => e)) as HandlerError;
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.cause).toBeInstanceOf(SerializationError);
    await expect(drive(it.next())).rejects.toBe(err);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
  });
});

describe('markProcessed', () => {
  test('the message in hand is committed though the loop breaks right after', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(...range(0, 4).map((o) => msg(0, o)));
    const seen: number[] = [];
    await drive(
      (async () => {
        for await (const m of consumer) {
          seen.push(m.offset);
          if (m.offset === 1) {
            consumer.markProcessed(m);
            break;
          }
        }
      })(),
    );
    expect(seen).toEqual([0, 1]);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
  });

  test('refused for another message than the one in hand, and in run()', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    fake.rebalance(ASSIGN, [P0]);
    fake.queue.push(msg(0, 0), msg(0, 1));
    const it = consumer[Symbol.asyncIterator]();
    const first = (await drive(it.next())).value as ConsumerMessage;
    expect(() => consumer.markProcessed({ ...first })).toThrow(InvalidStateError);
    await drive(it.next());
    expect(() => consumer.markProcessed(first)).toThrow(InvalidStateError);
    await drive(it.return!());

    const other = await connect(new FakeNativeConsumer());
    const run = other.consumer.run({ handler: () => {} });
    expect(() => other.consumer.markProcessed(first)).toThrow(/in run\(\)/);
    await drive(other.consumer.close());
    await drive(run);
  });
});

describe('lag and health', () => {
  test('lag: high watermark minus the finished position, else the committed offset, else the low watermark', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake);
    const run = consumer.run({ handler: (m) => (m.offset === 2 ? new Promise(() => {}) : undefined) });
    fake.rebalance(ASSIGN, [P0, P1, { topic: 't', partition: 2 }]);
    fake.watermarks.set('t:0', { lowOffset: 0, highOffset: 10 });
    fake.watermarks.set('t:1', { lowOffset: 0, highOffset: 10 });
    fake.watermarks.set('t:2', { lowOffset: 4, highOffset: 10 });
    fake.committedOffsets.set('t:1', 7);
    fake.queue.push(...range(0, 5).map((o) => msg(0, o)));
    await until('p0 offset 2 running, 3..5 waiting', () => consumer.inFlight === 1 && consumer.buffered === 3);
    const lag = await drive(consumer.lag());
    expect(lag).toEqual([
      { topic: 't', partition: 0, highWatermark: 10, lowWatermark: 0, committed: undefined, position: 2, lag: 8 },
      { topic: 't', partition: 1, highWatermark: 10, lowWatermark: 0, committed: 7, position: undefined, lag: 3 },
      { topic: 't', partition: 2, highWatermark: 10, lowWatermark: 4, committed: undefined, position: undefined, lag: 6 },
    ]);
    await drive(consumer.close({ timeoutMs: 10 }));
    await drive(run);
    await expect(consumer.lag()).rejects.toBeInstanceOf(ConsumerClosedError);
  });

  test('health: not consuming before run(); healthy while the loop returns; stale when a consume call hangs; fatal; closed', async () => {
    const fake = new FakeNativeConsumer();
    const { consumer } = await connect(fake, { batchSize: 10, pollTimeoutMs: 100 });
    expect(consumer.health()).toMatchObject({ healthy: false, connected: true, consuming: false });
    expect(consumer.health().reason).toMatch(/not consuming/);
    const run = consumer.run({ handler: () => {} });
    await jest.advanceTimersByTimeAsync(20);
    expect(consumer.health()).toMatchObject({ healthy: true, reason: undefined, consuming: true });
    // A consume call that does not return: stale after batchSize × pollTimeoutMs + 5 s.
    fake.auto = false;
    await until('a call hangs', () => fake.pending !== undefined);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(consumer.health().healthy).toBe(true);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(consumer.health()).toMatchObject({ healthy: false });
    expect(consumer.health().reason).toMatch(/has not returned for \d+ ms/);
    expect(consumer.health({ maxPollAgeMs: 60_000 }).healthy).toBe(true);
    fake.auto = true;
    fake.pending!.answer([]);
    await jest.advanceTimersByTimeAsync(5);
    expect(consumer.health().healthy).toBe(true);
    // A fatal error.
    fake.emit('event.error', Object.assign(nativeError(-150), { isFatal: true }));
    await expect(drive(run)).rejects.toMatchObject({ fatal: true });
    const afterFatal = consumer.health();
    expect(afterFatal.healthy).toBe(false);
    expect(afterFatal.fatalError?.fatal).toBe(true);
    await drive(consumer.close());
    expect(consumer.health()).toMatchObject({ healthy: false, connected: false, reason: 'closed' });
    expect(() => consumer.health({ maxPollAgeMs: -1 })).toThrow(InvalidArgumentError);
  });
});

describe('getHeader / getHeaders', () => {
  const message: { headers: Array<Record<string, Buffer>> } = {
    headers: [{ 'trace-id': Buffer.from('a') }, { other: Buffer.from('x') }, { 'trace-id': Buffer.from('b') }],
  };
  test('getHeader returns the last value of the name, case-sensitive; undefined when absent', () => {
    expect(getHeader(message, 'trace-id')).toEqual(Buffer.from('b'));
    expect(getHeader(message, 'Trace-Id')).toBeUndefined();
    expect(getHeader(message, 'toString')).toBeUndefined();
    expect(getHeader({ headers: [] }, 'x')).toBeUndefined();
  });
  test('getHeaders returns every value in order', () => {
    expect(getHeaders(message, 'trace-id')).toEqual([Buffer.from('a'), Buffer.from('b')]);
    expect(getHeaders(message, 'none')).toEqual([]);
  });
  test('a name that is not a string is InvalidArgumentError', () => {
    expect(() => getHeader(message, 1 as never)).toThrow(InvalidArgumentError);
  });
});
