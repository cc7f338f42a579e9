import { AIOAdmin, AIOConsumer, AIOProducer, InvalidArgumentError } from '../../../src';
import { readFileSync } from 'node:fs';
import { checkBootstrap, splitConfig, unlistedConfig, type LibrdkafkaConfig } from '../../../src/native/config';
import { CONFIG_ALIASES } from '../../../src/native/property-index';

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

describe('CONFIG_ALIASES', () => {
  it("is every alias node-rdkafka's config.d.ts (librdkafka's CONFIGURATION.md) declares", () => {
    const declarations = readFileSync(require.resolve('node-rdkafka/config.d.ts'), 'utf8');
    const declared: Record<string, string> = {};
    for (const [, doc, name] of declarations.matchAll(/\/\*\*([\s\S]*?)\*\/\s*"([^"]+)"\?:/g)) {
      const alias = /Alias for `([^`]+)`/.exec(doc!);
      if (alias) declared[name!] = alias[1]!;
    }
    expect(Object.keys(declared).length).toBeGreaterThan(10);
    expect(CONFIG_ALIASES).toEqual(declared);
  });
});

describe('unlistedConfig', () => {
  it('copies the properties, for spreading into a typed configuration', () => {
    const props = { 'test.mock.num.brokers': 3, 'x.y': 'z', flag: true };
    const copy = unlistedConfig(props);
    expect(copy).toEqual(props);
    expect(copy).not.toBe(props);
  });

  it.each<[string, unknown]>([
    ['not an object', 'a=b'],
    ['a function value', { 'x.cb': () => {} }],
    ['an object value', { 'x.y': {} }],
  ])('refuses %s', (_what, props) => {
    expect(() => unlistedConfig(props as never)).toThrow(InvalidArgumentError);
  });
});
