import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AIOProducer } from '../../src';
import { wakeupPlugin } from '../../src/native/wakeup';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The delivery wake-up (native/wakeup.c + src/native/wakeup.ts) against librdkafka itself: with
 * the poll timer slowed to 30 s, only the wake-up can bring delivery reports back in time.
 */

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.stop();
});

const SLOW_TIMER = { pollIntervalMs: 30_000, idlePollIntervalMs: 30_000 };
const sockets = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`aio-rdkafka-${process.pid}-`));

describe('delivery wake-up', () => {
  it('is built on Linux (npm install builds it; a silent build failure would cost every user the latency)', () => {
    if (process.platform !== 'linux') return;
    expect(wakeupPlugin()).toBeDefined();
  });

  it('settles awaited produces without waiting for the poll timer', async () => {
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 0 }, SLOW_TIMER);
    try {
      expect(producer.queueWakeup).toBe(true);
      const topic = randomTopic();
      // Sequential: each report must arrive through the wake-up, or the 30 s timer would fail the test.
      for (let i = 0; i < 50; i++) {
        const report = await producer.produce(topic, `v${i}`, { key: 'k' });
        expect(report.offset).toBe(i);
      }
      // Many in flight at once, as in a web server under load.
      const reports = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.produce(topic, `w${i}`, { key: 'k' })));
      expect(new Set(reports.map((r) => r.offset)).size).toBe(500);
    } finally {
      await producer.close();
    }
  }, 20_000);

  it('keeps linger.ms: messages produced together still go in one batch', async () => {
    const producer = await AIOProducer.connect(
      { 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 200, 'statistics.interval.ms': 0 },
      SLOW_TIMER,
    );
    try {
      const topic = randomTopic();
      const started = performance.now();
      const reports = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.produce(topic, `v${i}`, { partition: 0 })));
      const waited = performance.now() - started;
      // A flush-style wake-up would send at once; librdkafka's linger holds the batch ~200 ms.
      expect(waited).toBeGreaterThanOrEqual(150);
      expect(reports.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await producer.close();
    }
  }, 20_000);

  it('leaves no socket behind, and queueWakeup: false polls on the timer alone', async () => {
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers }, { queueWakeup: false });
    expect(producer.queueWakeup).toBe(false);
    await producer.produce(randomTopic(), 'x');
    await producer.close();
    const withWakeup = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
    // The path is unlinked as soon as librdkafka connected.
    expect(sockets()).toEqual([]);
    await withWakeup.close();
    expect(sockets()).toEqual([]);
  });
});
