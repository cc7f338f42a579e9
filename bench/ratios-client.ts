/*
 * Child process of the ratios scenario (issue 18): one produce path per process, driven with a
 * sliding window of messages in flight, so that its rate can be divided by raw node-rdkafka's
 * measured the same way in the same run. Nothing per message is timed: the drivers are as lean
 * on the raw side as on ours, and only the delivered count and the elapsed time are kept.
 *
 * argv: one JSON object, a RatiosTask. result: RatiosRun.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { AIOProducer } from '../src';
import { pollerPlugin, withBackgroundPoll } from '../src/native/background-poll';
import { KEYS, VALUE, childMain, cpuSecondsSince, librdkafkaConfig, peakRssMiB, round, sleep } from './harness';
import { RawAwaitableProducer, newRawProducer } from './raw-producer';
import { concurrentAwaits, connectNative, disconnectNative, windowed } from './throughput-client';

/** Messages per produceBatch call. */
export const RATIOS_BATCH = 1000;

/** Every path, in report order; `baseline` marks the raw rows the ratios divide by. */
export const RATIO_PATHS = [
  { id: 'raw-dr', label: 'raw node-rdkafka: delivery-report callbacks counted, setInterval(poll, 1) (the baseline)' },
  { id: 'raw-bg', label: 'raw node-rdkafka with the background-poll plugin loaded: callbacks counted, no poll timer' },
  { id: 'raw-opaque', label: 'raw-dr with a numeric opaque per message, as AIOProducer passes its registry id (reference)' },
  { id: 'raw-await', label: 'raw node-rdkafka + hand-written promise per message (Map of resolvers, 1 ms poll), awaited like aio-await (reference)' },
  { id: 'aio-await', label: 'awaited produce(): `window` async loops, each awaiting one message at a time' },
  { id: 'aio-batch', label: `produceBatch() calls of ${RATIOS_BATCH}: window / ${RATIOS_BATCH} calls in flight, each refilled when it resolves` },
  { id: 'aio-ff', label: 'produce2 fireAndForget: topped up to the window from producer.inFlight on a 1 ms timer' },
  { id: 'aio-oob', label: 'produce2 fireAndForget + onDelivery: refilled from the callback' },
] as const;

export type RatioPathId = (typeof RATIO_PATHS)[number]['id'];

export interface RatiosTask {
  path: RatioPathId;
  bootstrap: string;
  messages: number;
  warmup: number;
  window: number;
  topic: string;
  /**
   * Profile the measured run (not the connect or the warm-up) through the inspector: `cpu` (V8's
   * CPU profiler, the one `--cpu-prof` starts, sampling every `profileIntervalUs`) or `heap` (the
   * sampling heap profiler, as `--heap-prof`), written to `profileFile`.
   */
  profile?: 'cpu' | 'heap';
  profileFile?: string;
  profileIntervalUs?: number;
}

export interface RatiosRun {
  path: RatioPathId;
  delivered: number;
  failed: number;
  elapsedMs: number;
  messagesPerSec: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
  /** AIOProducer paths: whether librdkafka's background poll served the reports. */
  backgroundPoll?: boolean;
}

interface Driver {
  /** Sends `n` messages under the window; resolves once every one has an outcome. */
  run(topic: string, n: number): Promise<{ delivered: number; failed: number }>;
  close(): Promise<void>;
  backgroundPoll?: boolean;
}

const key = (i: number): Buffer => KEYS[i & 1023]!;

/**
 * Raw node-rdkafka counting its delivery-report callbacks: every report refills the window. The
 * opaque is unused (a report says nothing the count needs), as the leanest careful user would write.
 */
async function rawCallbacks(config: Record<string, unknown>, window: number, timer: boolean, opaque = false): Promise<Driver> {
  const p = await connectNative(newRawProducer({ ...config, dr_cb: true }));
  const poll = timer ? setInterval(() => p.poll(), 1) : undefined;
  let done: ((ok: boolean) => void) | undefined;
  p.on('delivery-report', (err) => done?.(!err));
  return {
    run: (topic, n) =>
      windowed(n, window, (i, d) => {
        done = d;
        if (opaque) p.produce(topic, null, VALUE, key(i), null, i);
        else p.produce(topic, null, VALUE, key(i), null);
      }),
    close: async () => {
      if (poll !== undefined) clearInterval(poll);
      await disconnectNative(p);
    },
  };
}

async function makeDriver(task: RatiosTask): Promise<Driver> {
  const config = librdkafkaConfig(task.bootstrap);
  const { window } = task;
  switch (task.path) {
    case 'raw-dr':
      return rawCallbacks(config, window, true);
    case 'raw-opaque':
      return rawCallbacks(config, window, true, true);
    case 'raw-bg': {
      const plugin = pollerPlugin();
      if (plugin === undefined) throw new Error('the background-poll plugin is not built (npm run install)');
      return rawCallbacks(withBackgroundPoll(config, plugin) as Record<string, unknown>, window, false);
    }
    case 'raw-await': {
      const raw = await RawAwaitableProducer.connect(config, 1);
      return {
        run: (topic, n) => concurrentAwaits(n, window, (i) => raw.produce(topic, VALUE, key(i))),
        close: () => raw.close(),
      };
    }
    default:
      return aioDriver(task.path, config, window);
  }
}

async function aioDriver(path: Exclude<RatioPathId, `raw-${string}`>, config: Record<string, unknown>, window: number): Promise<Driver> {
  const p = await AIOProducer.connect(config as Parameters<typeof AIOProducer.connect>[0]);
  p.on('error', () => {});
  let outOfBandErrors = 0;
  p.on('deliveryError', () => outOfBandErrors++);
  const common = { close: () => p.close(), backgroundPoll: p.backgroundPoll };
  switch (path) {
    case 'aio-await':
      return { ...common, run: (topic, n) => concurrentAwaits(n, window, (i) => p.produce(topic, VALUE, { key: key(i) })) };
    case 'aio-batch':
      return {
        ...common,
        run: async (topic, n) => {
          let delivered = 0;
          let failed = 0;
          const calls = Math.ceil(n / RATIOS_BATCH);
          await concurrentAwaits(calls, Math.max(1, Math.floor(window / RATIOS_BATCH)), async (c) => {
            const first = c * RATIOS_BATCH;
            const count = Math.min(RATIOS_BATCH, n - first);
            const messages = new Array<{ topic: string; value: Buffer; key: Buffer }>(count);
            for (let j = 0; j < count; j++) messages[j] = { topic, value: VALUE, key: key(first + j) };
            for (const r of await p.produceBatch(messages)) {
              if (r.status === 'fulfilled') delivered++;
              else failed++;
            }
          });
          return { delivered, failed };
        },
      };
    case 'aio-ff':
      return {
        ...common,
        run: async (topic, n) => {
          outOfBandErrors = 0;
          // No per-message signal to refill from: top up from inFlight every millisecond (a
          // 20,000-message window takes tens of ms to drain, so it never runs dry).
          await new Promise<void>((resolve) => {
            let next = 0;
            const topUp = (): void => {
              for (let room = window - p.inFlight; room > 0 && next < n; room--) p.produce2(topic, VALUE, { key: key(next++), fireAndForget: true });
              if (next < n) setTimeout(topUp, 1);
              else resolve();
            };
            topUp();
          });
          await p.flush();
          return { delivered: n - outOfBandErrors, failed: outOfBandErrors };
        },
      };
    case 'aio-oob':
      return {
        ...common,
        run: (topic, n) =>
          windowed(n, window, (i, done) => {
            p.produce2(topic, VALUE, { key: key(i), fireAndForget: true, onDelivery: (err) => done(err === null) });
          }),
      };
  }
}

/** Starts the inspector's CPU profiler or sampling heap profiler; `stop()` returns the profile. */
async function startProfile(kind: 'cpu' | 'heap', intervalUs: number): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve((res ?? {}) as Record<string, unknown>))));
  if (kind === 'cpu') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
    return { stop: async () => ((await post('Profiler.stop')).profile) };
  }
  await post('HeapProfiler.enable');
  // 4 KiB between samples: finer than --heap-prof's 512 KiB default, for per-message objects.
  // Collected objects stay in the profile: it counts what was allocated, not what survived.
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return { stop: async () => ((await post('HeapProfiler.stopSampling')).profile) };
}

async function main(): Promise<RatiosRun> {
  const task = JSON.parse(process.argv[2]!) as RatiosTask;
  const driver = await makeDriver(task);
  try {
    await driver.run(task.topic, task.warmup);
    await sleep(100);
    const profiler = task.profile === undefined ? undefined : await startProfile(task.profile, task.profileIntervalUs ?? 100);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const { delivered, failed } = await driver.run(task.topic, task.messages);
    const elapsedMs = performance.now() - t0;
    const cpuSeconds = cpuSecondsSince(cpu);
    if (profiler !== undefined) writeFileSync(task.profileFile!, JSON.stringify(await profiler.stop()));
    return {
      path: task.path,
      delivered,
      failed,
      elapsedMs: round(elapsedMs),
      messagesPerSec: round((delivered / elapsedMs) * 1000),
      cpuSecondsPer100k: round((cpuSeconds / Math.max(1, delivered)) * 100_000),
      peakRssMiB: peakRssMiB(),
      ...(driver.backgroundPoll === undefined ? {} : { backgroundPoll: driver.backgroundPoll }),
    };
  } finally {
    await driver.close();
  }
}

if (require.main === module) childMain(main);
