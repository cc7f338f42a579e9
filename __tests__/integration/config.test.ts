import { AIOAdmin, AIOConsumer, AIOProducer, InvalidArgumentError, type AIOKafkaError } from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * What the clients say about a configuration librdkafka refuses, at connect, against a broker
 * over TCP: the default that caused a refusal and how to change it, and the key the caller wrote.
 */

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker.stop();
});

/** A configuration as read at run time (from a file or the environment): not checked by the compiler. */
type RuntimeConfig = Record<string, string | number | boolean>;

async function connectError(connect: () => Promise<{ close(): Promise<void> }>): Promise<AIOKafkaError> {
  const outcome = await connect().then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (err: unknown) => err as AIOKafkaError,
  );
  if (outcome === undefined) throw new Error('connect succeeded');
  return outcome;
}

describe("the producer's idempotence default", () => {
  // Each conflicts with the idempotence librdkafka turns on (CONFIGURATION.md, enable.idempotence).
  const conflicts: Array<[string, RuntimeConfig, RegExp]> = [
    ['acks: 1', { acks: 1 }, /acks "all"/],
    ['request.required.acks: "0"', { 'request.required.acks': '0' }, /acks "all"/],
    ['max.in.flight: 6', { 'max.in.flight': 6 }, /at most 5 requests in flight/],
    ['retries: 0', { retries: 0 }, /retries >= 1/],
    ['queuing.strategy: lifo', { 'queuing.strategy': 'lifo' }, /queuing.strategy "fifo"/],
  ];

  it.each(conflicts)('refuses %s, naming the default and how to change it', async (_what, extra, needs) => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, ...extra };
    const err = await connectError(() => AIOProducer.connect(config));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const [key] = Object.keys(extra);
    expect(err.message).toContain(`config "${key}: ${JSON.stringify(extra[key!])}" conflicts with "enable.idempotence"`);
    expect(err.message).toContain('AIOProducer turns on by default');
    expect(err.message).toMatch(needs);
    expect(err.message).toContain('Set "enable.idempotence": false');
  });

  it.each(conflicts)('is right about %s: librdkafka itself refuses it with idempotence on', async (_what, extra) => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, 'enable.idempotence': true, ...extra };
    const err = await connectError(() => AIOProducer.connect(config));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    // Named by the key written, from librdkafka's text ("`acks` must be set to `all` when ...").
    expect(err.message.startsWith(`librdkafka refused config "${Object.keys(extra)[0]}"`)).toBe(true);
    expect(err.message).toMatch(/when `enable.idempotence` is true/);
    expect((err.cause as AIOKafkaError).code).toBe('ERR__STATE');
  });

  it.each(conflicts)('takes %s with idempotence turned off, as the message says', async (_what, extra) => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, 'enable.idempotence': false, ...extra };
    const producer = await AIOProducer.connect(config);
    try {
      // Delivered (with acks 0 librdkafka learns no offset, so the partition is what it reports).
      expect((await producer.produce(randomTopic(), 'v')).partition).toBeGreaterThanOrEqual(0);
    } finally {
      await producer.close();
    }
  });

  it('takes acks "all" and -1 with the default', async () => {
    for (const acks of ['all', -1, '-1'] as const) {
      const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, acks });
      try {
        expect((await producer.produce(randomTopic(), 'v')).offset).toBeGreaterThanOrEqual(0);
      } finally {
        await producer.close();
      }
    }
  });
});

describe('a value librdkafka refuses', () => {
  it('is named by the alias the caller wrote, with its value (producer)', async () => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 'soon' };
    const err = await connectError(() => AIOProducer.connect(config));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/^librdkafka refused config "linger.ms" \(librdkafka's name for it: "queue.buffering.max.ms"\) \(got "soon"\)/);
  });

  it('is named by the alias the caller wrote (consumer)', async () => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, 'max.partition.fetch.bytes': 'lots' };
    const err = await connectError(() => AIOConsumer.connect({ ...config, 'group.id': 'g' }, { topics: [randomTopic()] }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/^librdkafka refused config "max.partition.fetch.bytes" \(librdkafka's name for it: "fetch.message.max.bytes"\)/);
  });

  it('names a misspelt property (admin) and the closest known one, never its value', async () => {
    const config: RuntimeConfig = { 'bootstrap.servers': broker.bootstrapServers, 'socket.timeout': 7531 };
    const err = await connectError(() => AIOAdmin.connect(config));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/^librdkafka refused config "socket.timeout": no such property \(did you mean "socket.timeout.ms"\?\): No such configuration property/);
    expect(err.message).not.toContain('7531');
  });
});
