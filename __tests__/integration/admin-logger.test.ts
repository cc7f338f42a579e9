import { AIOAdmin, type AIOKafkaError, type Logger } from '../../src';

/*
 * The admin client's `logger` while it fails to reach a cluster, over real sockets (nothing
 * listens on port 1): librdkafka's lines come from the first connection attempt, nothing goes
 * to stderr, and connect fails fast naming the address instead of waiting out its limit.
 */
function recorder(): { logger: Logger; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (_fields: Record<string, unknown>, message: string) => void lines.push({ level, message });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

it('shows librdkafka’s connection failures to the logger, at error level, and nothing on stderr', async () => {
  const { logger, lines } = recorder();
  const write = jest.spyOn(process.stderr, 'write');
  try {
    const err = (await AIOAdmin.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { logger, connectTimeoutMs: 5000 }).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    const refused = lines.filter((line) => /127\.0\.0\.1:1\/bootstrap: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/.test(line.message));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((line) => line.level === 'error')).toBe(true);
    // The ApiVersions check's own debug lines are not the user's business.
    expect(lines.some((line) => line.level === 'debug')).toBe(false);
    expect(write).not.toHaveBeenCalled();
  } finally {
    write.mockRestore();
  }
});

it('fails connect fast, naming the address, when no broker can be reached (as the producer and the consumer do)', async () => {
  const { logger } = recorder();
  // The default 30 s limit is past jest's own: waiting it out would fail the test.
  const err = (await AIOAdmin.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { logger }).catch((e: unknown) => e)) as AIOKafkaError;
  expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
  expect(err.message).toMatch(/no broker of "127\.0\.0\.1:1" can be reached: 127\.0\.0\.1:1: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/);
});
