import { AIOAdmin, AIOConsumer, AIOProducer, type AIOKafkaError } from '../../src';
import { DIST, requireDist, runNode } from '../helpers/run-node';

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

  it('makes the admin client’s connect fail the same way', async () => {
    const err = (await AIOAdmin.connect({ 'bootstrap.servers': '127.0.0.1:1' }, { connectTimeoutMs: 5000 }).catch((e: unknown) => e)) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toMatch(/127\.0\.0\.1:1: Connect to ipv4#127\.0\.0\.1:1 failed: Connection refused/);
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

/*
 * What only a process of its own shows: after a connect that failed, and was handled, nothing of
 * the client holds the process (librdkafka's metadata wait once held it for connectTimeoutMs,
 * 30 s by default) and nothing reaches stderr. `exit` fires once nothing holds the event loop.
 */
describe('a process whose connect failed', () => {
  beforeAll(() => requireDist());

  const script = (connect: string): string => `
    const { AIOAdmin, AIOConsumer, AIOProducer } = require(${JSON.stringify(DIST)});
    const servers = '127.0.0.1:1';
    let rejectedAt;
    process.on('exit', () => console.log(JSON.stringify({ code, heldMs: Date.now() - rejectedAt })));
    let code;
    (async () => { ${connect} })().catch((err) => {
      rejectedAt = Date.now();
      code = err.code;
    });`;

  it.each([
    ['AIOProducer.connect', `await AIOProducer.connect({ 'bootstrap.servers': servers });`],
    ['AIOConsumer.connect', `await AIOConsumer.connect({ 'bootstrap.servers': servers, 'group.id': 'g' }, { topics: ['t'] });`],
    ['AIOAdmin.connect', `await AIOAdmin.connect({ 'bootstrap.servers': servers });`],
  ])('%s: exits soon after the rejection, writing nothing to stderr', async (_what, connect) => {
    const run = await runNode(script(connect), [], 20_000);
    expect({ exitedByItself: run.exitedByItself, exitCode: run.code, stderr: run.stderr }).toEqual({ exitedByItself: true, exitCode: 0, stderr: '' });
    const { code, heldMs } = JSON.parse(run.stdout) as { code: string; heldMs: number };
    expect(code).toBe('ERR__TRANSPORT');
    // Before the fix: held for the whole default connect timeout (30 s). A liveness bound, generous on a loaded machine.
    expect(heldMs).toBeLessThan(5000);
  });
});
