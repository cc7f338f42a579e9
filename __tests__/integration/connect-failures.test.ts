import { AIOAdmin, AIOConsumer, AIOProducer, type AIOKafkaError } from '../../src';

/*
 * Connecting to a cluster that cannot be reached, over real sockets: librdkafka's own failures
 * (refused, unresolvable) name the address and the cause, well before connectTimeoutMs.
 */
describe('connect to a cluster that cannot be reached', () => {
  it('rejects with the address and "Connection refused" when nothing listens', async () => {
    const err = (await AIOProducer.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { connectTimeoutMs: 5000 }).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toMatch(/no broker of "127\.0\.0\.1:1" can be reached: 127\.0\.0\.1:1: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/);
  });

  it('makes the admin client’s listTopics fail the same way', async () => {
    const admin = await AIOAdmin.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { timeoutMs: 5000 });
    try {
      const err = (await admin.listTopics().catch((e: unknown) => e)) as AIOKafkaError;
      expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
      expect(err.message).toMatch(/127\.0\.0\.1:1: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/);
    } finally {
      await admin.close();
    }
  });

  it('rejects naming the host when it cannot be resolved', async () => {
    const err = (await AIOConsumer.connect(
      { 'bootstrap.servers': 'nonexistent.invalid:9092', 'group.id': 'g' },
      { topics: ['t'], connectTimeoutMs: 5000 },
    ).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toMatch(/nonexistent\.invalid:9092: Failed to resolve 'nonexistent\.invalid:9092'/);
  });
});

it('shows librdkafka’s failures to a logger from the first connection attempt, and nothing on stderr', async () => {
  const lines: string[] = [];
  const record = (_fields: Record<string, unknown>, message: string): void => void lines.push(message);
  const logger = { debug: record, info: record, warn: record, error: record };
  const write = jest.spyOn(process.stderr, 'write');
  try {
    await expect(AIOProducer.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { logger, connectTimeoutMs: 5000 })).rejects.toMatchObject({ code: 'ERR__TRANSPORT' });
    expect(lines.some((line) => /127\.0\.0\.1:1\/bootstrap: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/.test(line))).toBe(true);
    expect(write).not.toHaveBeenCalled();
  } finally {
    write.mockRestore();
  }
});
