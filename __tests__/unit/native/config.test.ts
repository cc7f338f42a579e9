import { splitConfig } from '../../../src/native/config';

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
