import {
  AIOProducer,
  InvalidArgumentError,
  ProducerClosedError,
  QueueFullError,
  type AIOKafkaError,
  type DeliveryReport,
} from '../../src';
import { itOnMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';

let broker: TestBroker;
const producers: AIOProducer[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
});

afterEach(async () => {
  if (broker.cluster) await broker.cluster.resume().catch(() => {});
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 5000 })));
});

afterAll(async () => {
  await broker.stop();
});

async function connect(config: Record<string, string | number | boolean> = {}, options = {}): Promise<AIOProducer> {
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1, ...config }, options);
  producers.push(producer);
  return producer;
}

describe('AIOProducer against a broker over TCP', () => {
  it('delivers what a consumer reads back exactly: values, keys, headers', async () => {
    const producer = await connect();
    const topic = randomTopic();
    const sent = Array.from({ length: 200 }, (_, i) => ({
      value: `value-${i}`,
      key: `key-${i % 7}`,
      headers: [{ seq: String(i) }, { kind: Buffer.from('test') }] as Array<Record<string, string | Buffer>>,
    }));
    const reports = await Promise.all(sent.map((m) => producer.produce(topic, m.value, { key: m.key, headers: m.headers })));
    expect(reports.every((r) => r.topic === topic && r.offset! >= 0)).toBe(true);

    const read = await readTopic(broker.bootstrapServers, topic, sent.length);
    expect(read).toHaveLength(sent.length);
    const byValue = new Map(read.map((m) => [m.value!.toString(), m]));
    sent.forEach((m, i) => {
      const got = byValue.get(m.value)!;
      expect(got.key!.toString()).toBe(m.key);
      expect(got.headers).toEqual([{ seq: Buffer.from(String(i)) }, { kind: Buffer.from('test') }]);
      // The report names where the message really is.
      expect([got.partition, got.offset]).toEqual([reports[i]!.partition, reports[i]!.offset]);
    });
  });

  it('keeps call order as offset order within a partition', async () => {
    const producer = await connect();
    const topic = randomTopic();
    const reports = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.produce(topic, String(i), { key: 'same' })));
    const partitions = new Set(reports.map((r) => r.partition));
    expect(partitions.size).toBe(1);
    const offsets = reports.map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
  });

  itOnMockCluster('places keys as Java clients do (murmur2) by default', async () => {
    const producer = await connect();
    const topic = randomTopic();
    // The mock cluster creates 4 partitions; expected: Kafka's Java DefaultPartitioner's choice.
    const reports = await Promise.all(['a', 'b', 'c', 'key-1'].map((key) => producer.produce(topic, 'v', { key })));
    expect(reports.map((r) => r.partition)).toEqual(['a', 'b', 'c', 'key-1'].map((k) => javaPartition(k, 4)));
  });

  it('settles 10,000 concurrent awaits from many async contexts, each with its own report', async () => {
    const producer = await connect();
    const topic = randomTopic();
    const contexts = 100;
    const perContext = 100;
    const results: Array<{ value: string; report: DeliveryReport }> = [];
    await Promise.all(
      Array.from({ length: contexts }, async (_, c) => {
        await new Promise((resolve) => setImmediate(resolve));
        const mine = await Promise.all(
          Array.from({ length: perContext }, async (_, i) => {
            const value = `${c}:${i}`;
            return { value, report: await producer.produce(topic, value, { key: String(c) }) };
          }),
        );
        results.push(...mine);
      }),
    );
    expect(results).toHaveLength(contexts * perContext);
    expect(producer.inFlight).toBe(0);
    const read = await readTopic(broker.bootstrapServers, topic, results.length, { settleMs: 200 });
    const at = new Map(read.map((m) => [`${m.partition}/${m.offset}`, m.value!.toString()]));
    for (const { value, report } of results) expect(at.get(`${report.partition}/${report.offset}`)).toBe(value);
  });

  it('calls onDelivery exactly once per message, success or failure', async () => {
    const producer = await connect();
    const topic = randomTopic();
    await producer.produce(topic, 'create the topic');
    const calls = new Map<number, Array<AIOKafkaError | null>>();
    const promises: Array<Promise<unknown>> = [];
    for (let i = 0; i < 100; i++) {
      const partition = i % 10 === 0 ? 99 : undefined; // 4 partitions: 99 does not exist
      promises.push(
        producer.produce2(topic, String(i), {
          partition,
          onDelivery: (err) => calls.set(i, [...(calls.get(i) ?? []), err]),
        }),
      );
    }
    await Promise.allSettled(promises);
    await producer.flush(5000);
    expect(calls.size).toBe(100);
    for (const [i, errs] of calls) {
      expect(errs).toHaveLength(1);
      if (i % 10 === 0) expect(errs[0]).toMatchObject({ code: 'ERR__UNKNOWN_PARTITION' });
      else expect(errs[0]).toBeNull();
    }
  });

  it('waits for room in a tiny local queue and delivers everything, in order', async () => {
    const producer = await connect({ 'queue.buffering.max.messages': 10 });
    const topic = randomTopic();
    const reports = await Promise.all(Array.from({ length: 2000 }, (_, i) => producer.produce(topic, String(i), { key: 'k' })));
    const offsets = reports.map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
    const read = await readTopic(broker.bootstrapServers, topic, 2000, { settleMs: 200 });
    expect(read.map((m) => m.value!.toString())).toEqual(reports.map((_, i) => String(i)));
  });

  itOnMockCluster('rejects with QueueFullError after enqueueTimeoutMs, and fire-and-forget throws at once', async () => {
    const producer = await connect({ 'queue.buffering.max.messages': 5 }, { enqueueTimeoutMs: 300 });
    const topic = randomTopic();
    await producer.produce(topic, 'create the topic');
    await broker.cluster!.pause();
    const queued = Array.from({ length: 5 }, (_, i) => producer.produce(topic, `q${i}`));
    const overflow = producer.produce(topic, 'overflow');
    expect(() => producer.produce2(topic, 'faf', { fireAndForget: true })).toThrow(QueueFullError);
    const err = await overflow.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).retriable).toBe(true);
    await broker.cluster!.resume();
    const reports = await Promise.all(queued);
    expect(reports).toHaveLength(5);
  });

  it('rejects every kind of bad input and still delivers the good messages around it', async () => {
    const producer = await connect({ 'message.max.bytes': 10_000 });
    const topic = randomTopic();
    const bad: Array<() => Promise<unknown>> = [
      () => producer.produce('', 'v'),
      () => producer.produce('x'.repeat(250), 'v'),
      () => producer.produce('bad/topic', 'v'),
      () => producer.produce(topic, 42 as unknown as string),
      () => producer.produce(topic, { a: 1 } as unknown as string),
      () => producer.produce(topic, 'v', { partition: 0.5 }),
      () => producer.produce(topic, 'v', { headers: [{ h: 5 as unknown as string }] }),
      () => producer.produce(topic, 'v', { headers: 'h' as unknown as [] }),
    ];
    const before = producer.produce(topic, 'before');
    for (const call of bad) await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    const tooBig = await producer.produce(topic, Buffer.alloc(20_000)).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(InvalidArgumentError);
    expect((tooBig as InvalidArgumentError).code).toBe('ERR_MSG_SIZE_TOO_LARGE');
    expect(() => producer.produce2(topic, Buffer.alloc(20_000), { fireAndForget: true })).toThrow(InvalidArgumentError);
    const after = producer.produce(topic, 'after');
    await Promise.all([before, after]);
    const read = await readTopic(broker.bootstrapServers, topic, 2, { settleMs: 300 });
    expect(read.map((m) => m.value!.toString()).sort()).toEqual(['after', 'before']);
  });

  itOnMockCluster('close() during an outage rejects what is pending with ProducerClosedError and returns', async () => {
    const producer = await connect();
    const topic = randomTopic();
    await producer.produce(topic, 'create the topic');
    await broker.cluster!.pause();
    const pending = Array.from({ length: 100 }, (_, i) => producer.produce(topic, String(i)).catch((e: unknown) => e));
    const onDelivery = jest.fn();
    producer.produce2(topic, 'faf', { fireAndForget: true, onDelivery });
    await producer.close({ timeoutMs: 1000 });
    const outcomes = await Promise.all(pending);
    expect(outcomes.map((e) => [(e as Error).constructor.name, (e as ProducerClosedError).possiblyDelivered, (e as Error).message])).toEqual(outcomes.map(() => ["ProducerClosedError", true, expect.any(String)]));
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toBeInstanceOf(ProducerClosedError);
    expect(producer.inFlight).toBe(0);
    await expect(producer.produce(topic, 'late')).rejects.toBeInstanceOf(ProducerClosedError);
  });

  it('fire-and-forget without onDelivery (sent with no opaque, counted): flush waits for every one, all are read back', async () => {
    const producer = await connect();
    const topic = randomTopic();
    const errors: AIOKafkaError[] = [];
    producer.on('deliveryError', (err) => errors.push(err));
    for (let i = 0; i < 500; i++) producer.produce2(topic, `faf-${i}`, { fireAndForget: true, partition: 0 });
    expect(producer.inFlight).toBeGreaterThan(0);
    await producer.flush({ timeoutMs: 10_000 });
    expect(producer.inFlight).toBe(0);
    expect(errors).toEqual([]);
    const read = await readTopic(broker.bootstrapServers, topic, 500, { settleMs: 200 });
    expect(read.map((m) => m.value!.toString())).toEqual(Array.from({ length: 500 }, (_, i) => `faf-${i}`));
  });

  itOnMockCluster('close() during an outage reports each unreported fire-and-forget message to deliveryError, by topic', async () => {
    const producer = await connect();
    const topic = randomTopic();
    await producer.produce(topic, 'create the topic');
    await broker.cluster!.pause();
    const errors: AIOKafkaError[] = [];
    producer.on('deliveryError', (err) => errors.push(err));
    for (let i = 0; i < 20; i++) producer.produce2(topic, `faf-${i}`, { fireAndForget: true });
    await producer.close({ timeoutMs: 500 });
    expect(errors).toHaveLength(20);
    for (const err of errors) {
      expect(err).toBeInstanceOf(ProducerClosedError);
      expect((err as ProducerClosedError).possiblyDelivered).toBe(true);
      expect(err.message).toContain(`topic "${topic}"`);
    }
    expect(producer.inFlight).toBe(0);
  });
});

/** Kafka's Java DefaultPartitioner for a keyed record: toPositive(murmur2(key)) % partitions. */
function javaPartition(key: string, partitions: number): number {
  const data = Buffer.from(key);
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ data.length;
  const length4 = data.length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = data.length % 4;
  const base = data.length & ~3;
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return (h & 0x7fffffff) % partitions;
}
