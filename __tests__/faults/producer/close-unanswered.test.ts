import { onMockCluster } from '../../helpers/broker';
import { DIST, requireDist, runNode } from '../../helpers/run-node';
import { record } from '../ledger';

/*
 * close({ timeoutMs }) while nothing answers: (a) every broker takes requests but answers only
 * after 60 s (setRtt), so produce requests are sent and left unanswered; (b) every broker is
 * down. Each runs in a node process of its own, with --unhandled-rejections=strict (an unhandled
 * rejection kills it), and does not stop the cluster nor call process.exit(): the point is that
 * close() returns within its timeout, settles every call (ProducerClosedError,
 * possiblyDelivered: true, for what was pending; possiblyDelivered: false for calls after close),
 * and that the process then exits by itself, nothing of the producer holding it.
 */
const SCRIPT = `
const { AIOProducer, startMockCluster, isAIOKafkaError } = require(${JSON.stringify(DIST)});
const mode = process.argv[process.argv.length - 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'closing', partitions: 6 }] });
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 5, 'message.timeout.ms': 30000 });
  const errorEvents = new Set();
  producer.on('error', (e) => errorEvents.add(e.code));
  await Promise.all(Array.from({ length: 100 }, (_, i) => producer.produce('closing', String(i), { key: 'k' + (i % 24) })));
  if (mode === 'unanswered') await cluster.setRtt('all', 60000);
  else await cluster.brokerDown('all');
  const outcomes = {};
  const count = (k) => (outcomes[k] = (outcomes[k] || 0) + 1);
  const describe = (e) => (isAIOKafkaError(e) ? e.constructor.name + ' ' + e.code + ' possiblyDelivered=' + e.possiblyDelivered : 'untyped ' + String(e));
  let settlements = 0;
  const pending = Array.from({ length: 300 }, (_, i) =>
    producer.produce('closing', String(100 + i), { key: 'k' + (i % 24) }).then(
      () => { settlements++; count('delivered'); },
      (e) => { settlements++; count(describe(e)); }));
  let callbacks = 0;
  for (let i = 0; i < 200; i++) {
    producer.produce2('closing', 'f' + i, { fireAndForget: true, onDelivery: (err) => { callbacks++; count('fireAndForget ' + (err ? describe(err) : 'delivered')); } });
  }
  await sleep(500); // the requests go out (unanswered) or wait for a broker (down)
  const inFlightAtClose = producer.inFlight;
  const started = Date.now();
  const closing = producer.close({ timeoutMs: 1500 });
  const afterClose = await producer.produce('closing', 'after').then(() => 'delivered', describe);
  await closing;
  const closeMs = Date.now() - started;
  await Promise.all(pending);
  await sleep(100);
  console.log(JSON.stringify({ mode, closeMs, inFlightAtClose, settled: settlements + callbacks, total: 500, outcomes, afterClose, inFlight: producer.inFlight, closed: producer.closed, errorEvents: [...errorEvents] }));
})();
`;

(onMockCluster ? describe : describe.skip)('producer: close() while nothing answers', () => {
  for (const mode of ['unanswered', 'down'] as const) {
    const what = mode === 'unanswered' ? 'requests sent, answers 60 s late' : 'all brokers down';
    it(`5${mode === 'unanswered' ? 'a' : 'b'}. ${what}: close({ timeoutMs: 1500 }) settles everything, returns, and the process exits by itself`, async () => {
      requireDist();
      const result = await runNode(SCRIPT, [mode], 30_000);
      expect(result.stderr).not.toMatch(/unhandled/i);
      expect(result.exitedByItself).toBe(true);
      expect(result.code).toBe(0);
      const figures = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
        closeMs: number;
        inFlightAtClose: number;
        settled: number;
        total: number;
        outcomes: Record<string, number>;
        afterClose: string;
        inFlight: number;
        closed: boolean;
      };
      record(`producer 5: close({ timeoutMs: 1500 }) with ${what}`, { ...figures, processWallMs: result.wallMs });
      expect(figures.inFlightAtClose).toBe(500);
      expect(figures.settled).toBe(figures.total);
      expect(figures.inFlight).toBe(0);
      expect(figures.closed).toBe(true);
      expect(figures.outcomes).toEqual({
        'ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=true': 300,
        'fireAndForget ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=true': 200,
      });
      expect(figures.afterClose).toBe('ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=false');
      // close() waits timeoutMs for the deliveries, then disconnects: the disconnect must not hang
      // on requests nobody answers (a bound with room for a busy machine, not a measurement).
      expect(figures.closeMs).toBeLessThan(1500 + 3000);
    });
  }
});
