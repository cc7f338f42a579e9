import { onMockCluster } from '../../helpers/broker';
import { DIST, requireDist, runNode } from '../../helpers/run-node';
import { record } from '../ledger';

/*
 * The consumer's close({ timeoutMs }) is one deadline (issue 17), over TCP: the handlers have
 * finished, then every broker answers only after 60 s (setRtt), so the final commit is sent and
 * left unanswered. close() returns within its limit (before: the final commit had its own budget,
 * revokeTimeoutMs + 10 s), run() has resolved, and once the broker answers again the disconnect,
 * left to the background, ends and the process exits by itself. (While the broker stays silent,
 * librdkafka's own consumer close, which leaves the group, holds the process: that is the native
 * disconnect, which close() no longer waits for past its limit.) In a node process of its own,
 * with --unhandled-rejections=strict.
 */
const SCRIPT = `
const { AIOConsumer, AIOProducer, startMockCluster } = require(${JSON.stringify(DIST)});
(async () => {
  const cluster = await startMockCluster({ brokers: 1, topics: [{ name: 'closing', partitions: 2 }] });
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers });
  await Promise.all(Array.from({ length: 20 }, (_, i) => producer.produce('closing', String(i))));
  await producer.close();
  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': cluster.bootstrapServers, 'group.id': 'close-bounded', 'auto.offset.reset': 'earliest', 'heartbeat.interval.ms': 300, 'fetch.wait.max.ms': 50 },
    { topics: ['closing'] },
  );
  const errors = [];
  consumer.on('error', (e) => errors.push(e.code));
  let handled = 0;
  let runSettled = 'pending';
  const run = consumer.run({ handler: async () => void handled++ }).then(() => (runSettled = 'resolved'), (e) => (runSettled = 'rejected ' + e.code));
  while (handled < 20) await new Promise((r) => setTimeout(r, 20));
  await cluster.setRtt('all', 60000);
  const started = Date.now();
  await consumer.close({ timeoutMs: 1500 });
  const closeMs = Date.now() - started;
  // The disconnect goes on in the background (librdkafka leaves the group): let the broker answer again.
  await cluster.setRtt('all', 0);
  await run;
  console.log(JSON.stringify({ closeMs, handled, runSettled, closed: consumer.closed, errors }));
  await cluster.stop();
})();
`;

(onMockCluster ? describe : describe.skip)('consumer: close() while the coordinator answers nothing', () => {
  it('close({ timeoutMs: 1500 }) returns within its limit though the final commit is unanswered; run() resolved; the process exits', async () => {
    requireDist();
    const result = await runNode(SCRIPT, [], 60_000);
    expect(result.stderr).not.toMatch(/unhandled/i);
    expect(result.exitedByItself).toBe(true);
    expect(result.code).toBe(0);
    const figures = JSON.parse(result.stdout.trim().split('\n').pop()!) as { closeMs: number; handled: number; runSettled: string; closed: boolean; errors: string[] };
    record('consumer: close({ timeoutMs: 1500 }) with the final commit unanswered', { ...figures, processWallMs: result.wallMs });
    expect(figures.handled).toBe(20);
    expect(figures.runSettled).toBe('resolved');
    expect(figures.closed).toBe(true);
    // The final commit unconfirmed at the limit is a warning, not an error of ours (librdkafka's own
    // client errors, brokers down, may come).
    expect(figures.errors.filter((code) => code.startsWith('AIO_'))).toEqual([]);
    // A bound with room for a busy machine, not a measurement: before, close waited for the final
    // commit's own budget (revokeTimeoutMs + 10 s).
    expect(figures.closeMs).toBeLessThan(1500 + 3000);
  });
});
