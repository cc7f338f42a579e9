/*
 * Soak (`npm run soak`): steady awaited load on one AIOProducer for SOAK_SECONDS (default 600),
 * sampling RSS, heap and event-loop delay once a window (default 60 s). Checks that memory and
 * event-loop delay stay flat and that every call settled; writes bench/results/soak.json.
 *
 *   SOAK_SECONDS=600 SOAK_RATE=2000 npm run soak
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AIOProducer } from '../src';
import { KEYS, VALUE, captureEnvironment, librdkafkaConfig, progress, round, startBroker, textTable, writeResult } from './harness';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 2000); // messages per second
const WINDOW_SECONDS = Number(process.env.SOAK_WINDOW_SECONDS ?? Math.min(60, Math.max(1, SECONDS / 10)));

interface Window {
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
  eventLoopDelayP99Ms: number;
  delivered: number;
  failed: number;
  inFlight: number;
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const producer = await AIOProducer.connect(librdkafkaConfig(broker.bootstrapServers));
  const topic = `soak-${Date.now()}`;
  await producer.produce(topic, VALUE);
  // The histogram records the interval between 1 ms sampling ticks: the delay is what exceeds 1 ms.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let delivered = 0;
  let failed = 0;
  let sent = 0;
  const windows: Window[] = [];
  const started = Date.now();
  const sample = (): void => {
    const memory = process.memoryUsage();
    windows.push({
      atSeconds: round((Date.now() - started) / 1000, 1),
      rssMiB: round(memory.rss / 2 ** 20, 1),
      heapUsedMiB: round(memory.heapUsed / 2 ** 20, 1),
      eventLoopDelayP99Ms: round(Math.max(0, delay.percentile(99) / 1e6 - 1), 2),
      delivered,
      failed,
      inFlight: producer.inFlight,
    });
    delay.reset();
    const last = windows[windows.length - 1]!;
    progress('soak', `${last.atSeconds}s rss ${last.rssMiB} MiB, heap ${last.heapUsedMiB} MiB, loop p99 ${last.eventLoopDelayP99Ms} ms, delivered ${delivered}, failed ${failed}`);
  };
  sample();
  const sampler = setInterval(sample, WINDOW_SECONDS * 1000);
  // Every 10 ms, enough calls to hold RATE; each awaited by its own async context, as in a web app.
  const perTick = RATE / 100;
  let carry = 0;
  while (Date.now() - started < SECONDS * 1000) {
    carry += perTick;
    for (; carry >= 1; carry--) {
      const key = KEYS[sent++ % KEYS.length]!;
      void (async () => {
        try {
          await producer.produce(topic, VALUE, { key });
          delivered++;
        } catch {
          failed++;
        }
      })();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await producer.flush(30_000);
  clearInterval(sampler);
  sample();
  delay.disable();
  await producer.close();
  await broker.stop();

  const first = windows[1] ?? windows[0]!;
  const last = windows[windows.length - 1]!;
  const result = {
    environment: captureEnvironment(),
    seconds: SECONDS,
    rate: RATE,
    sent,
    delivered,
    failed,
    rssStartMiB: first.rssMiB,
    rssEndMiB: last.rssMiB,
    eventLoopDelayP99MsMax: Math.max(...windows.map((w) => w.eventLoopDelayP99Ms)),
    windows,
  };
  console.log(
    textTable([
      ['at s', 'RSS MiB', 'heap MiB', 'loop p99 ms', 'delivered', 'failed', 'in flight'],
      ...windows.map((w) => [w.atSeconds, w.rssMiB, w.heapUsedMiB, w.eventLoopDelayP99Ms, w.delivered, w.failed, w.inFlight]),
    ]),
  );
  console.log(`sent ${sent}, delivered ${delivered}, failed ${failed}; RSS ${result.rssStartMiB} → ${result.rssEndMiB} MiB (first window → end)`);
  console.log(`written ${writeResult('soak', result)}`);
  if (delivered + failed !== sent) {
    console.error(`not every call settled: ${sent - delivered - failed} missing`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
