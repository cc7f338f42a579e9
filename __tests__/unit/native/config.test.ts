import { AIOAdmin, AIOConsumer, AIOProducer, InvalidArgumentError } from '../../../src';
import { checkBootstrap, splitConfig, type LibrdkafkaConfig } from '../../../src/native/config';

describe('splitConfig', () => {
  it("moves topic-level properties to node-rdkafka's topic config, where librdkafka reads them", () => {
    const [global, topic] = splitConfig({
      'bootstrap.servers': 'b:9092',
      acks: 'all',
      'message.timeout.ms': 3000,
      partitioner: 'murmur2_random',
      'auto.offset.reset': 'earliest',
      'linger.ms': 5,
      unset: undefined,
    });
    expect(global).toEqual({ 'bootstrap.servers': 'b:9092', 'linger.ms': 5 });
    expect(topic).toEqual({ acks: 'all', 'message.timeout.ms': 3000, partitioner: 'murmur2_random', 'auto.offset.reset': 'earliest' });
  });

  it('keeps properties defined at both levels in both (the consumer reads the global ones)', () => {
    const [global, topic] = splitConfig({ 'enable.auto.commit': false, 'auto.commit.interval.ms': 100, 'compression.type': 'lz4' });
    expect(global).toEqual({ 'enable.auto.commit': false, 'auto.commit.interval.ms': 100, 'compression.type': 'lz4' });
    expect(topic).toEqual(global);
  });
});

describe('checkBootstrap', () => {
  it.each<[string, Record<string, unknown>]>([
    ['missing', {}],
    ['undefined (an unset environment variable)', { 'bootstrap.servers': undefined }],
    ['empty', { 'bootstrap.servers': ' ' }],
    ['not a string', { 'bootstrap.servers': 9092 }],
  ])('refuses a config whose broker list is %s, at once', (_what, config) => {
    expect(() => checkBootstrap(config as LibrdkafkaConfig)).toThrow(InvalidArgumentError);
    expect(() => checkBootstrap(config as LibrdkafkaConfig)).toThrow(/bootstrap.servers/);
  });

  it('accepts a broker list, its alias, and the mock cluster setting', () => {
    expect(() => checkBootstrap({ 'bootstrap.servers': 'a:9092,b:9092' })).not.toThrow();
    expect(() => checkBootstrap({ 'metadata.broker.list': 'a:9092' })).not.toThrow();
    expect(() => checkBootstrap({ 'test.mock.num.brokers': 1 })).not.toThrow();
  });

  it('makes every client refuse to connect without brokers, before any connection attempt', async () => {
    const config = { 'bootstrap.servers': process.env.UNSET_FOR_THIS_TEST };
    await expect(AIOProducer.connect(config)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(AIOConsumer.connect({ ...config, 'group.id': 'g' }, { topics: ['t'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(AIOAdmin.connect(config)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
