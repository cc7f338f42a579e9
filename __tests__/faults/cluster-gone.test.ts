import { onMockCluster } from '../helpers/broker';
import { DIST, requireDist, runNode } from '../helpers/run-node';
import { record } from './ledger';

/*
 * The cluster goes away for good with messages in flight. Run in a process of its own: the point
 * is that close() returns within its timeout, settles everything, and that the process then exits
 * with nothing (timer, socket, child) holding it.
 */
const SCRIPT = `
const { AIOProducer, startMockCluster } = require(${JSON.stringify(DIST)});
(async () => {
  const cluster = await startMockCluster({ brokers: 3 });
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 5 });
  producer.on('error', () => {});
  await Promise.all(Array.from({ length: 100 }, (_, i) => producer.produce('gone', String(i))));
  await cluster.pause();
  const outcomes = [];
  const pending = Array.from({ length: 500 }, (_, i) =>
    producer.produce('gone', String(i)).then(() => outcomes.push('delivered'), (e) => outcomes.push(e.code + ':' + e.possiblyDelivered)));
  let callbacks = 0;
  for (let i = 0; i < 500; i++) producer.produce2('gone', 'x', { fireAndForget: true, onDelivery: () => callbacks++ });
  await cluster.stop();
  const started = Date.now();
  await producer.close({ timeoutMs: 2000 });
  const closeMs = Date.now() - started;
  await Promise.all(pending);
  const codes = {};
  for (const o of outcomes) codes[o] = (codes[o] || 0) + 1;
  console.log(JSON.stringify({ closeMs, settled: outcomes.length + callbacks, total: 1000, codes, inFlight: producer.inFlight }));
})();
`;

(onMockCluster ? describe : describe.skip)('the cluster gone for good', () => {
  it('close({ timeoutMs }) returns within its timeout, settles every message, and the process exits by itself', async () => {
    requireDist();
    const result = await runNode(SCRIPT);
    expect(result.stderr).not.toMatch(/unhandled/i);
    expect(result.exitedByItself).toBe(true);
    expect(result.code).toBe(0);
    const figures = JSON.parse(result.stdout) as { closeMs: number; settled: number; total: number; codes: Record<string, number>; inFlight: number };
    record('cluster stopped with 1000 messages in flight; close({ timeoutMs: 2000 })', { ...figures, processWallMs: result.wallMs });
    expect(figures.settled).toBe(figures.total);
    expect(figures.inFlight).toBe(0);
    expect(figures.codes).toEqual({ 'AIO_PRODUCER_CLOSED:true': 500 });
    // close() flushes for up to timeoutMs, then disconnects; the disconnect must not hang on the dead cluster.
    expect(figures.closeMs).toBeLessThan(2000 + 1500);
  });
});
