/*
 * The fatal probe (src/producer/fatal.ts) against librdkafka itself, over TCP to the embedded
 * cluster: a message to a topic whose name is one byte over librdkafka's 512-byte limit is refused
 * at the call with ERR__INVALID_ARG while librdkafka is healthy (nothing queued, nothing sent)
 * and with ERR__FATAL once it is fatal, which it checks first. The fatal state is made the way
 * the fault suite makes it: OUT_OF_ORDER_SEQUENCE_NUMBER answered to an idempotent producer.
 */
import { AIOProducer } from '../../src';
import { nativeProducerFactory, type NativeProducer } from '../../src/native/producer';
import { probeFatal } from '../../src/native/fatal';
import { itOnMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';
import { until } from '../helpers/until';

let broker: TestBroker;
const producers: AIOProducer[] = [];

beforeAll(async () => {
  broker = await startTestBroker(1);
});

afterEach(async () => {
  await broker.cluster?.clearErrors('Produce').catch(() => {});
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
});

afterAll(async () => {
  await broker.stop();
});

/** An AIOProducer on node-rdkafka, and that node-rdkafka producer. */
async function connect(): Promise<{ producer: AIOProducer; native: NativeProducer }> {
  let native: NativeProducer | undefined;
  const producer = await AIOProducer.connectWith(
    { 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 },
    {},
    { createNative: (config) => (native = nativeProducerFactory()(config)) },
  );
  producers.push(producer);
  return { producer, native: native! };
}

/** The code librdkafka refuses the probe's message with (undefined: it took it). */
function refusal(native: NativeProducer): number | undefined {
  try {
    native.produce('x'.repeat(513), null, null, undefined, undefined, 0, undefined);
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('the fatal probe against librdkafka', () => {
  it('healthy: refused at the call as an invalid argument, nothing sent; the producer goes on', async () => {
    const { producer, native } = await connect();
    const topic = randomTopic('probe');
    if (broker.cluster) await broker.cluster.createTopic(topic, { partitions: 1 });
    await producer.produce(topic, 'before');
    expect(refusal(native)).toBe(-186); // ERR__INVALID_ARG
    expect(probeFatal(native)).toBe(false);
    await producer.produce(topic, 'after');
    expect(producer.closed).toBe(false);
    const read = await readTopic(broker.bootstrapServers, topic, 2);
    expect(read.map((m) => m.value!.toString())).toEqual(['before', 'after']);
  });

  itOnMockCluster('fatal: refused with ERR__FATAL', async () => {
    const { producer, native } = await connect();
    const topic = randomTopic('probe-fatal');
    await broker.cluster!.createTopic(topic, { partitions: 1 });
    await producer.produce(topic, 'warm-up');
    await broker.cluster!.injectErrors('Produce', ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
    await producer.produce(topic, 'refused').catch(() => {});
    await until('librdkafka fatal', () => producer.closed, 10_000);
    expect(refusal(native)).toBe(-150); // ERR__FATAL
    expect(probeFatal(native)).toBe(true);
  });
});
