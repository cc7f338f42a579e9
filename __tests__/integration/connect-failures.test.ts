import { AIOConsumer, AIOProducer, type AIOKafkaError } from '../../src';

/*
 * Connecting to a cluster that cannot be reached, over real sockets: librdkafka's own failures
 * (refused, unresolvable) name the address and the cause, well before connectTimeoutMs.
 */
describe('connect to a cluster that cannot be reached', () => {
  it('rejects with the address and "Connection refused" when nothing listens', async () => {
    const err = (await AIOProducer.connect({ 'bootstrap.servers': '127.0.0.1:1' }).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toMatch(/no broker of "127\.0\.0\.1:1" can be reached: 127\.0\.0\.1:1: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/);
  });

  it('rejects naming the host when it cannot be resolved', async () => {
    const err = (await AIOConsumer.connect(
      { 'bootstrap.servers': 'nonexistent.invalid:9092', 'group.id': 'g' },
      { topics: ['t'] },
    ).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toMatch(/nonexistent\.invalid:9092: Failed to resolve 'nonexistent\.invalid:9092'/);
  });
});
