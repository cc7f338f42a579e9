/*
 * Child process of the costs scenario; one measurement per process.
 *
 *   idle   <aio|raw> bootstrap seconds
 *   memory <aio-produce|aio-ff|raw-promise|raw-ff> bootstrap messages      (parent pauses the cluster)
 *   pool   <size> bootstrap messages concurrency
 *   poll   <pollIntervalMs> bootstrap seconds ratePerSec
 */
import { AIOProducer } from '../src';
import {
  KEYS,
  VALUE,
  childMain,
  cpuSecondsSince,
  latencySummary,
  librdkafkaConfig,
  nextParentMessage,
  peakRssMiB,
  round,
  sleep,
} from './harness';
import { RawAwaitableProducer, newRawProducer } from './raw-producer';

const now = (): number => performance.now();
const key = (i: number): Buffer => KEYS[i & 1023]!;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

async function idle(client: string, bootstrap: string, seconds: number) {
  const config = librdkafkaConfig(bootstrap);
  let close: () => Promise<void>;
  if (client === 'aio') {
    const p = await AIOProducer.connect(config);
    await p.produce('bench-idle', VALUE);
    close = () => p.close();
  } else {
    const p = newRawProducer({ ...config, dr_cb: false });
    await new Promise<void>((resolve, reject) => p.connect({}, (err) => (err ? reject(err) : resolve())));
    p.produce('bench-idle', null, VALUE, null, null);
    await new Promise<void>((resolve) => p.flush(10_000, () => resolve()));
    close = () => new Promise((resolve) => p.disconnect(5000, () => resolve()));
  }
  // Let connection set-up settle before measuring.
  await sleep(1000);
  const cpu = process.cpuUsage();
  const t0 = now();
  // A timer that keeps the process alive; AIOProducer's own timers are unref'd.
  await sleep(seconds * 1000);
  const cpuSeconds = cpuSecondsSince(cpu);
  const wallSeconds = (now() - t0) / 1000;
  await close();
  return { client, seconds: round(wallSeconds), cpuSeconds: round(cpuSeconds, 4), cpuPercentOfCore: round((cpuSeconds / wallSeconds) * 100, 3) };
}

async function memory(variant: string, bootstrap: string, n: number) {
  const config = librdkafkaConfig(bootstrap, { 'message.timeout.ms': 300_000 });
  const topic = 'bench-memory';
  let produceOne: (i: number) => void;
  let settled = 0;
  let failed = 0;
  let drain: () => Promise<void>;
  let close: () => Promise<void>;
  if (variant === 'raw-promise' || variant === 'raw-ff') {
    const raw = await RawAwaitableProducer.connect(config, 1);
    for (let i = 0; i < 1000; i++) await raw.produce(topic, VALUE, key(i));
    if (variant === 'raw-ff') {
      produceOne = (i) => raw.produceAndForget(topic, VALUE, key(i));
      settled = -Infinity; // unused: drained by inFlight below
    } else produceOne = (i) =>
      void raw.produce(topic, VALUE, key(i)).then(
        () => settled++,
        () => failed++,
      );
    drain = async () => {
      while (variant === 'raw-ff' ? raw.inFlight > 0 : settled + failed < n) await sleep(20);
    };
    close = () => raw.close();
  } else {
    const p = await AIOProducer.connect(config);
    p.on('deliveryError', () => failed++);
    for (let i = 0; i < 1000; i++) await p.produce(topic, VALUE, { key: key(i) });
    produceOne =
      variant === 'aio-ff'
        ? (i) => p.produce2(topic, VALUE, { key: key(i), fireAndForget: true })
        : (i) =>
            void p.produce(topic, VALUE, { key: key(i) }).then(
              () => settled++,
              () => failed++,
            );
    drain = () => p.flush();
    close = () => p.close();
  }
  gc();
  await sleep(200);
  gc();
  const before = process.memoryUsage();
  process.send!({ type: 'pause-please' });
  await nextParentMessage('paused');
  for (let i = 0; i < n; i++) produceOne(i);
  await sleep(500);
  gc();
  const after = process.memoryUsage();
  const perMessage = (field: 'heapUsed' | 'rss' | 'external') => round((after[field] - before[field]) / n, 1);
  const measured = {
    variant,
    inFlight: n,
    heapBytesPerMessage: perMessage('heapUsed'),
    rssBytesPerMessage: perMessage('rss'),
    externalBytesPerMessage: perMessage('external'),
  };
  process.send!({ type: 'resume-please' });
  await nextParentMessage('resumed');
  const t0 = now();
  await drain();
  const drainSeconds = round((now() - t0) / 1000, 2);
  await close();
  return { ...measured, failed, drainSeconds };
}

async function pool(size: number, bootstrap: string, n: number, concurrency: number) {
  const config = librdkafkaConfig(bootstrap);
  const producers = await Promise.all(Array.from({ length: size }, () => AIOProducer.connect(config)));
  const topic = 'bench-pool';
  const runOnce = async (count: number, lat: Float64Array) => {
    let next = 0;
    let failed = 0;
    const worker = async (w: number): Promise<void> => {
      const p = producers[w % size]!;
      while (next < count) {
        const i = next++;
        const t = now();
        try {
          await p.produce(topic, VALUE, { key: key(i) });
          lat[i] = now() - t;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    return failed;
  };
  await runOnce(Math.max(100, n / 5), new Float64Array(n));
  const lat = new Float64Array(n);
  const cpu = process.cpuUsage();
  const t0 = now();
  const failed = await runOnce(n, lat);
  const elapsed = (now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  await Promise.all(producers.map((p) => p.close()));
  const s = latencySummary(lat);
  return {
    producers: size,
    concurrency,
    messages: n,
    failed,
    messagesPerSec: round((n - failed) / elapsed),
    p50Ms: round(s.p50),
    p99Ms: round(s.p99),
    cpuSecondsPer100k: round((cpuSeconds / n) * 100_000),
    peakRssMiB: peakRssMiB(),
  };
}

async function poll(intervalMs: number, bootstrap: string, seconds: number, rate: number) {
  const config = librdkafkaConfig(bootstrap);
  const p = await AIOProducer.connect(config, { pollIntervalMs: intervalMs });
  const topic = 'bench-poll';
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const run = async (secs: number) => {
    const total = Math.round((secs * 1000) / tickMs) * perTick;
    const lat = new Float64Array(total);
    let i = 0;
    let failed = 0;
    const pending: Promise<void>[] = [];
    const cpu = process.cpuUsage();
    const t0 = now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < perTick && i < total; k++, i++) {
          const idx = i;
          const t = now();
          pending.push(
            p.produce(topic, VALUE, { key: key(idx) }).then(
              () => void (lat[idx] = now() - t),
              () => void failed++,
            ),
          );
        }
        if (i >= total) {
          clearInterval(timer);
          resolve();
        }
      }, tickMs);
    });
    await Promise.all(pending);
    const wall = (now() - t0) / 1000;
    const cpuSeconds = cpuSecondsSince(cpu);
    return { total, failed, lat, wall, cpuSeconds };
  };
  if (process.env.BENCH_SMOKE !== '1') await run(Math.min(1, seconds));
  const r = await run(seconds);
  await p.close();
  const s = latencySummary(r.lat);
  return {
    pollIntervalMs: intervalMs,
    ratePerSec: rate,
    messages: r.total,
    failed: r.failed,
    p50Ms: round(s.p50),
    p99Ms: round(s.p99),
    cpuPercentOfCore: round((r.cpuSeconds / r.wall) * 100, 2),
    cpuSecondsPer100k: round((r.cpuSeconds / r.total) * 100_000),
  };
}

async function main(): Promise<unknown> {
  const [mode, a, bootstrap, b, c] = process.argv.slice(2);
  switch (mode) {
    case 'idle':
      return idle(a!, bootstrap!, Number(b));
    case 'memory':
      return memory(a!, bootstrap!, Number(b));
    case 'pool':
      return pool(Number(a), bootstrap!, Number(b), Number(c));
    case 'poll':
      return poll(Number(a), bootstrap!, Number(b), Number(c));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

if (require.main === module) childMain(main);
