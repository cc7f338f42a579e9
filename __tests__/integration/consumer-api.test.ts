import {
  AIOConsumer,
  AIOProducer,
  HandlerError,
  SerializationError,
  deserializers,
  getHeader,
  getHeaders,
  type AIOConsumerOptions,
  type ConsumerMessage,
} from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { until } from '../helpers/until';

/*
 * Issue 11 against a broker over TCP (the embedded mock cluster, topics auto-created with 4
 * partitions, or KAFKA_BROKERS): seek, user pause/resume, batch runs, lag, health, markProcessed
 * with for-await, deserializers and header lookup.
 */

let broker: TestBroker;
let producer: AIOProducer;
const open: Array<AIOConsumer<unknown, unknown>> = [];

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

async function connect<K = Buffer | null, V = Buffer | null>(
  group: string,
  topic: string,
  options: Partial<AIOConsumerOptions<K, V>> = {},
): Promise<AIOConsumer<K, V>> {
  const consumer = await AIOConsumer.connect<K, V>(
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
  open.push(consumer as AIOConsumer<unknown, unknown>);
  consumer.on('error', () => {});
  return consumer;
}

async function produce(topic: string, count: number, { from = 0, partition = 0 }: { from?: number; partition?: number } = {}): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, n) => producer.produce(topic, `m${from + n}`, { key: `k${from + n}`, partition })));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const valueOf = (m: ConsumerMessage): string => m.value!.toString();

test('seek back replays from the offset; seek forward skips, and a restart resumes after the seek point', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await produce(topic, 20);
  const consumer = await connect(group, topic);
  const seen: string[] = [];
  let sought = false;
  const run = consumer.run({
    orderBy: 'partition',
    handler: async (m) => {
      seen.push(valueOf(m));
      // From inside the handler of the partition: seek does not wait for this handler.
      if (valueOf(m) === 'm5' && !sought) {
        sought = true;
        await consumer.seek({ topic, partition: 0 }, 2);
      }
    },
  });
  await until('m19 seen', () => seen.includes('m19'));
  await sleep(200);
  expect(seen.slice(0, 6)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  // Replayed from m2, in order, and nothing from the old position in between.
  expect(seen.slice(6)).toEqual(Array.from({ length: 18 }, (_, i) => `m${i + 2}`));

  // Forward: skip to 30 (m20..m29 are never handled), then close and restart.
  await produce(topic, 15, { from: 20 });
  await until('m34 seen', () => seen.includes('m34'));
  await consumer.seek({ topic, partition: 0 }, 30);
  await consumer.close();
  await run;

  const again = await connect(group, topic);
  const next: string[] = [];
  const rerun = again.run({ handler: (m) => void next.push(valueOf(m)) });
  await produce(topic, 1, { from: 35 });
  await until('m35', () => next.includes('m35'));
  await sleep(200);
  // The seek point (30) was committed: the restart resumes there.
  expect(next).toEqual(['m30', 'm31', 'm32', 'm33', 'm34', 'm35']);
  await again.close();
  await rerun;
});

test('pause holds one partition while the others go on; resume hands out its messages in order', async () => {
  const topic = randomTopic();
  await produce(topic, 1, { from: 300, partition: 3 }); // the topic exists before the group joins
  // A small buffer: backpressure pauses and resumes while partition 0 is paused by the user.
  const consumer = await connect(randomTopic('group'), topic, { maxBufferedMessages: 4, batchSize: 2 });
  let backpressureResumes = 0;
  consumer.on('resume', (partitions) => {
    backpressureResumes++;
    expect(partitions.some((p) => p.partition === 0)).toBe(false);
  });
  const seen: Array<{ partition: number; value: string }> = [];
  const run = consumer.run({
    concurrency: 1,
    orderBy: 'partition',
    handler: async (m) => {
      await sleep(5);
      seen.push({ partition: m.partition, value: valueOf(m) });
    },
  });
  await until('assigned', () => consumer.assignment.length === 4);
  consumer.pause([{ topic, partition: 0 }]);
  expect(consumer.pausedPartitions).toEqual([{ topic, partition: 0 }]);
  await produce(topic, 10, { partition: 0 });
  await produce(topic, 10, { from: 100, partition: 1 });
  await until('p1 handled', () => seen.filter((s) => s.partition === 1).length === 10);
  await sleep(500);
  expect(seen.filter((s) => s.partition === 0)).toEqual([]);
  expect(backpressureResumes).toBeGreaterThan(0);
  const lag = await consumer.lag();
  expect(lag.find((p) => p.partition === 0)!.lag).toBe(10);
  consumer.resume([{ topic, partition: 0 }]);
  await until('p0 handled', () => seen.filter((s) => s.partition === 0).length === 10);
  expect(seen.filter((s) => s.partition === 0).map((s) => s.value)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  await consumer.close();
  await run;
});

test('batch run: arrays of one partition in offset order; a failed batch is not committed and comes back whole', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await produce(topic, 30, { partition: 0 });
  await produce(topic, 5, { from: 100, partition: 1 });
  const consumer = await connect(group, topic);
  const batches: Array<{ partition: number; offsets: number[] }> = [];
  const err = await consumer
    .run({
      batch: { maxMessages: 8, maxWaitMs: 50 },
      concurrency: 2,
      handler: (ms) => {
        batches.push({ partition: ms[0]!.partition, offsets: ms.map((m) => m.offset) });
        if (ms[0]!.partition === 0 && ms.some((m) => m.offset === 20)) throw new Error('bulk insert failed');
      },
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HandlerError);
  for (const { partition, offsets } of batches) {
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets.length).toBeLessThanOrEqual(8);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => offsets[0]! + i));
    expect(batches.filter((b) => b.partition === partition).flatMap((b) => b.offsets)).toEqual(
      Array.from({ length: batches.filter((b) => b.partition === partition).flatMap((b) => b.offsets).length }, (_, i) => i),
    );
  }
  const failed = batches.find((b) => b.partition === 0 && b.offsets.includes(20))!;
  expect((err as HandlerError).offset).toBe(failed.offsets[0]);
  await consumer.close();

  // The failed batch's first offset is where partition 0 resumes.
  const again = await connect(group, topic);
  const redelivered: number[] = [];
  const rerun = again.run({ batch: true, handler: (ms) => void redelivered.push(...ms.filter((m) => m.partition === 0).map((m) => m.offset)) });
  await until('p0 rest', () => redelivered.includes(29));
  expect(redelivered[0]).toBe(failed.offsets[0]);
  await again.close();
  await rerun;
});

test('lag: what is not finished, per partition; 0 once everything is finished and committed', async () => {
  const topic = randomTopic();
  await produce(topic, 10, { partition: 2 });
  const consumer = await connect(randomTopic('group'), topic);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let done = 0;
  const run = consumer.run({
    orderBy: 'partition',
    handler: async (m) => {
      if (m.offset === 4) await gate;
      done++;
    },
  });
  await until('offset 4 running', () => done === 4);
  const during = await consumer.lag();
  expect(during).toHaveLength(4);
  const p2 = during.find((p) => p.partition === 2)!;
  expect(p2).toMatchObject({ highWatermark: 10, position: 4, lag: 6 });
  expect(during.filter((p) => p.partition !== 2).every((p) => p.lag === 0)).toBe(true);
  release();
  await until('all done', () => done === 10);
  await consumer.commit();
  const after = await consumer.lag();
  expect(after.find((p) => p.partition === 2)).toMatchObject({ highWatermark: 10, committed: 10, position: 10, lag: 0 });
  await consumer.close();
  await run;
});

test('health: not consuming before run(), healthy while it runs, not after close', async () => {
  const topic = randomTopic();
  await produce(topic, 1);
  const consumer = await connect(randomTopic('group'), topic);
  expect(consumer.health()).toMatchObject({ healthy: false, connected: true, consuming: false });
  const run = consumer.run({ handler: () => {} });
  await until('assigned', () => consumer.assignment.length > 0);
  const health = consumer.health();
  expect(health).toMatchObject({ healthy: true, connected: true, consuming: true, fatalError: undefined });
  expect(health.pollAgeMs).toBeLessThanOrEqual(100 * 100 + 5_000);
  await consumer.close();
  await run;
  expect(consumer.health()).toMatchObject({ healthy: false, connected: false, reason: 'closed' });
});

test('for await: markProcessed before break commits the message in hand (round 1 m0 m1, round 2 from m2)', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await produce(topic, 5, { partition: 0 });
  const first = await connect(group, topic);
  const round1: string[] = [];
  for await (const m of first) {
    round1.push(valueOf(m));
    first.markProcessed(m);
    if (round1.length === 2) break;
  }
  await first.close();
  const second = await connect(group, topic);
  const round2: string[] = [];
  for await (const m of second) {
    round2.push(valueOf(m));
    if (round2.length === 3) break;
  }
  expect(round1).toEqual(['m0', 'm1']);
  expect(round2).toEqual(['m2', 'm3', 'm4']);
});

test('deserializers over the wire: typed keys and values; a value that does not parse is skipped by onError and committed', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  await producer.produce(topic, JSON.stringify({ id: 1 }), { key: 'a', partition: 0 });
  await producer.produce(topic, '{not json', { key: 'b', partition: 0 });
  await producer.produce(topic, JSON.stringify({ id: 3 }), { key: 'c', partition: 0 });
  const consumer = await connect<string | null, { id: number } | null>(group, topic, {
    keyDeserializer: deserializers.string,
    valueDeserializer: deserializers.json as (data: Buffer | null) => { id: number } | null,
  });
  const failures: HandlerError[] = [];
  consumer.on('handlerError', (e) => failures.push(e));
  const seen: Array<[string | null, number | undefined]> = [];
  const run = consumer.run({
    onError: (err) => (err.cause instanceof SerializationError ? 'skip' : 'stop'),
    handler: (m) => void seen.push([m.key, m.value?.id]),
  });
  await until('2 handled, 1 skipped', () => seen.length === 2 && failures.length === 1);
  expect(seen).toEqual([
    ['a', 1],
    ['c', 3],
  ]);
  expect(failures[0]!.offset).toBe(1);
  expect((failures[0]!.cause as SerializationError).part).toBe('value');
  await consumer.close();
  await run;
  expect((await readLag(group, topic)).find((p) => p.partition === 0)!.committed).toBe(3);
});

test('getHeader reads one header by name from what the producer sent', async () => {
  const topic = randomTopic();
  await producer.produce(topic, 'v', {
    partition: 0,
    headers: [{ 'trace-id': 'first' }, { 'content-type': 'application/json' }, { 'trace-id': Buffer.from('second') }],
  });
  const consumer = await connect(randomTopic('group'), topic);
  let message: ConsumerMessage | undefined;
  for await (const m of consumer) {
    message = m;
    break;
  }
  expect(getHeader(message!, 'content-type')?.toString()).toBe('application/json');
  expect(getHeader(message!, 'trace-id')?.toString()).toBe('second');
  expect(getHeaders(message!, 'trace-id').map(String)).toEqual(['first', 'second']);
  expect(getHeader(message!, 'missing')).toBeUndefined();
});

/** The group's view after its members left: a fresh member's lag(). */
async function readLag(group: string, topic: string): Promise<Array<{ partition: number; committed: number | undefined }>> {
  const probe = await connect(group, topic);
  const run = probe.run({ handler: () => new Promise(() => {}) });
  await until('assigned', () => probe.assignment.length === 4);
  const lag = await probe.lag();
  await probe.close({ timeoutMs: 100 });
  await run;
  return lag;
}
