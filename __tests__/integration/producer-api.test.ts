import { AIOProducer, AbortedError, SerializationError, serializers } from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';

/* produceBatch, enqueue, cancellation and serializers against a broker over TCP. */

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.stop();
});

const config = (): { 'bootstrap.servers': string; 'linger.ms': number } => ({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 });

describe('producer API over TCP', () => {
  it('a refusal says what to fix: the bad topic name, and tx.produce on a transactional producer', async () => {
    await using producer = await AIOProducer.connect(config());
    await expect(producer.produce('orders eu', 'x')).rejects.toThrow(/^topic "orders eu" may contain only ASCII letters.*not " " \(at index 6\)$/);

    await using transactional = await AIOProducer.connect({ ...config(), 'transactional.id': randomTopic('txid') });
    const topic = randomTopic();
    await expect(transactional.produce(topic, 'outside')).rejects.toMatchObject({
      code: 'ERR__STATE',
      message: expect.stringMatching(/not sent; this producer is transactional: produce in a transaction, with tx\.produce\(\)/),
    });
    expect(() => transactional.produce2(topic, 'outside', { fireAndForget: true })).toThrow(/tx\.produce\(\)/);
    // Inside a transaction the same call is taken (into the transaction), with no hint to give.
    await using tx = await transactional.transaction();
    await tx.produce(topic, 'inside');
    await tx.commit();
  });

  it('produceBatch delivers every good message once, in order per key, and reports the bad one alone', async () => {
    await using producer = await AIOProducer.connect(config());
    const topic = randomTopic();
    const messages = Array.from({ length: 300 }, (_, i) => ({ topic, value: `v${i}`, key: `k${i % 3}`, headers: [{ seq: String(i) }] }));
    const results = await producer.produceBatch([...messages.slice(0, 150), { topic: 'bad topic!', value: 'x' }, ...messages.slice(150)]);
    expect(results).toHaveLength(301);
    expect(results[150]).toMatchObject({ status: 'rejected', reason: { code: 'ERR__INVALID_ARG' } });
    const delivered = results.filter((r) => r.status === 'fulfilled');
    expect(delivered).toHaveLength(300);
    const read = await readTopic(broker.bootstrapServers, topic, 300);
    expect(read.map((m) => m.value!.toString()).sort()).toEqual(messages.map((m) => m.value).sort());
    for (const key of ['k0', 'k1', 'k2']) {
      const sequence = read.filter((m) => m.key!.toString() === key).sort((a, b) => a.offset - b.offset).map((m) => Number(m.value!.toString().slice(1)));
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
  });

  it('enqueue resolves before delivery, and delivered gives the report the broker holds', async () => {
    await using producer = await AIOProducer.connect(config());
    const topic = randomTopic();
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push((await producer.enqueue(topic, `e${i}`, { partition: 0 })).delivered);
    const reports = await Promise.all(outcomes);
    expect(reports.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const read = await readTopic(broker.bootstrapServers, topic, 20);
    expect(read.map((m) => m.value!.toString())).toEqual(reports.map((_, i) => `e${i}`));
  });

  it('an abort after librdkafka took the message rejects possibly delivered, and the message still arrives', async () => {
    await using producer = await AIOProducer.connect({ ...config(), 'linger.ms': 300 });
    const topic = randomTopic();
    const late = new Promise((resolve) => producer.once('lateDelivery', resolve));
    const controller = new AbortController();
    const call = producer.produce(topic, 'held by linger', { signal: controller.signal });
    controller.abort(new Error('timeout of the HTTP request'));
    await expect(call).rejects.toMatchObject({ code: 'AIO_ABORTED', possiblyDelivered: true });
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    await expect(late).resolves.toMatchObject({ topic, report: expect.objectContaining({ offset: 0 }) });
    const read = await readTopic(broker.bootstrapServers, topic, 1);
    expect(read[0]!.value!.toString()).toBe('held by linger');
  });

  it('serializers: JSON values and string keys round-trip; a failing serializer sends nothing', async () => {
    await using producer = await AIOProducer.connect<string, { id: number } | bigint>(config(), {
      keySerializer: serializers.string,
      valueSerializer: serializers.json,
    });
    const topic = randomTopic();
    await producer.produce(topic, { id: 1 }, { key: 'a', partition: 0 });
    // JSON.stringify throws on a BigInt.
    await expect(producer.produce(topic, 1n, { key: 'b', partition: 0 })).rejects.toBeInstanceOf(SerializationError);
    await producer.produce(topic, { id: 3 }, { key: 'c', partition: 0 });
    const read = await readTopic(broker.bootstrapServers, topic, 2);
    expect(read.map((m) => [m.key!.toString(), JSON.parse(m.value!.toString())])).toEqual([
      ['a', { id: 1 }],
      ['c', { id: 3 }],
    ]);
  });
});
