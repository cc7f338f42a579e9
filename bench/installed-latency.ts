/*
 * Awaited produce latency of aio-rdkafka as an app has it: the package installed from its
 * tarball (`npm install aio-rdkafka-<version>.tgz`), not this repository's build.
 *
 *   npm run bench:installed -- /path/to/app
 *
 * Sequential awaited produce (each awaited before the next, performance.now() around the await),
 * 1000 sends after 200 of warm-up, p50 and p99, at linger.ms 0 and 5; with the background poll
 * plugin as the install built it, and with `backgroundPoll: false` (what a plugin that could not
 * be built costs). 3 repeats, the four configurations rotated per repeat (runOrder), medians.
 * One producer process (this one, pinned to core 1); the embedded cluster's child on core 0.
 * Config: the benchmarks' shared librdkafka configuration (harness.ts) with linger.ms varied.
 * Writes bench/results/installed-latency.json, rendered in docs/benchmarks.md (section 7) by
 * `BENCH_DOCS=1 npm run bench -- report`.
 */
import { cpus, loadavg } from 'node:os';
import type * as Aio from 'aio-rdkafka';
import type * as AioTesting from 'aio-rdkafka/testing';
import {
  CORES,
  KEYS,
  VALUE,
  describeConfig,
  formatNumber,
  latencySummary,
  librdkafkaConfig,
  markdownTable,
  median,
  pinProcess,
  round,
  runOrder,
  writeResult,
} from './harness';

const WARMUP = 200;
const MESSAGES = 1000;
const REPEATS = 3;

/** bench/results/installed-latency.json. */
export interface InstalledLatencyResult {
  date: string;
  package: string;
  librdkafka: string;
  node: string;
  cpus: string;
  loadAverage: { start: number[]; end: number[] };
  config: string;
  messages: number;
  warmup: number;
  repeats: number;
  rows: Array<{ configuration: string; backgroundPoll: boolean[]; p50Ms: number; p99Ms: number; p50PerRepeatMs: number[] }>;
}

interface Configuration {
  name: string;
  lingerMs: number;
  backgroundPoll: boolean;
}

const CONFIGURATIONS: Configuration[] = [0, 5].flatMap((lingerMs) => [
  { name: `background poll, linger.ms ${lingerMs}`, lingerMs, backgroundPoll: true },
  { name: `timer only, linger.ms ${lingerMs}`, lingerMs, backgroundPoll: false },
]);

/** The installed package of the app in `dir`, loaded as the app loads it. */
function load(dir: string): { aio: typeof Aio; testing: typeof AioTesting; version: string } {
  const from = { paths: [dir] };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const aio = require(require.resolve('aio-rdkafka', from)) as typeof Aio;
  const testing = require(require.resolve('aio-rdkafka/testing', from)) as typeof AioTesting;
  const version = (require(require.resolve('aio-rdkafka/package.json', from)) as { version: string }).version;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { aio, testing, version };
}

async function measure(aio: typeof Aio, bootstrap: string, c: Configuration, repeat: number): Promise<{ p50: number; p99: number; backgroundPoll: boolean }> {
  const producer = await aio.AIOProducer.connect(librdkafkaConfig(bootstrap, { 'linger.ms': c.lingerMs }), { backgroundPoll: c.backgroundPoll });
  try {
    const topic = `installed-latency-${repeat}-${c.lingerMs}-${c.backgroundPoll}`;
    const latencies = new Float64Array(MESSAGES);
    for (let i = 0; i < WARMUP + MESSAGES; i++) {
      const started = performance.now();
      await producer.produce(topic, VALUE, { key: KEYS[i % KEYS.length]! });
      if (i >= WARMUP) latencies[i - WARMUP] = performance.now() - started;
    }
    const { p50, p99 } = latencySummary(latencies);
    return { p50, p99, backgroundPoll: producer.backgroundPoll };
  } finally {
    await producer.close();
  }
}

async function main(): Promise<void> {
  const app = process.argv[2];
  if (app === undefined) throw new Error('usage: node dist-bench/bench/installed-latency.js <app folder with aio-rdkafka installed>');
  const { aio, testing, version } = load(app);
  const load0 = loadavg().map((l) => round(l, 2));
  pinProcess(process.pid, CORES.subject);
  const cluster = await testing.startMockCluster({ brokers: 3 });
  pinProcess(cluster.pid, CORES.broker);
  const runs = new Map<string, Array<{ p50: number; p99: number; backgroundPoll: boolean }>>();
  try {
    for (let r = 0; r < REPEATS; r++) {
      for (const c of runOrder(CONFIGURATIONS, r)) {
        const run = await measure(aio, cluster.bootstrapServers, c, r);
        runs.set(c.name, [...(runs.get(c.name) ?? []), run]);
      }
    }
  } finally {
    await cluster.stop();
  }
  const result: InstalledLatencyResult = {
    date: new Date().toISOString(),
    package: `aio-rdkafka ${version}, installed from its tarball with npm`,
    librdkafka: aio.librdkafkaVersion(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}`,
    loadAverage: { start: load0, end: loadavg().map((l) => round(l, 2)) },
    config: describeConfig(librdkafkaConfig('', {})),
    messages: MESSAGES,
    warmup: WARMUP,
    repeats: REPEATS,
    rows: CONFIGURATIONS.map((c) => {
      const r = runs.get(c.name)!;
      return {
        configuration: c.name,
        backgroundPoll: r.map((x) => x.backgroundPoll),
        p50Ms: round(median(r.map((x) => x.p50)), 3),
        p99Ms: round(median(r.map((x) => x.p99)), 3),
        p50PerRepeatMs: r.map((x) => round(x.p50, 3)),
      };
    }),
  };
  writeResult('installed-latency', result);
  console.log(installedLatencyDocs(result).join('\n'));
}

/**
 * Section 7 of docs/benchmarks.md. `repoBuild`: the same measurement of this repository's build
 * (section 5's `aio` row, p50 ms by linger.ms), to set beside it.
 */
export function installedLatencyDocs(r: InstalledLatencyResult, repoBuild?: ReadonlyMap<number, number>): string[] {
  const p50 = (name: string) => r.rows.find((row) => row.configuration === name)?.p50Ms ?? NaN;
  const beside =
    repoBuild === undefined
      ? []
      : [
          `Beside section 5's \`aio\` row (this repository's build, same method): p50 ${formatNumber(repoBuild.get(0) ?? NaN)} ms at linger.ms 0 and ${formatNumber(repoBuild.get(5) ?? NaN)} ms at 5 there; installed, ${formatNumber(p50('background poll, linger.ms 0'))} and ${formatNumber(p50('background poll, linger.ms 5'))} ms. Without the plugin an awaited produce waits for the poll timer: ${round(p50('timer only, linger.ms 0') / p50('background poll, linger.ms 0'), 1)}x the p50 at linger.ms 0.`,
          '',
        ];
  return [
    '## 7. Installed from the tarball',
    '',
    `\`npm run bench:installed -- <app>\` (\`bench/installed-latency.ts\`): the package as an app has it after \`npm install aio-rdkafka-<version>.tgz\` (the plugin built by the install), not this repository's build. Sequential awaited \`produce()\`, each awaited before the next; ${r.messages} sends after ${r.warmup} of warm-up, p50/p99, ${r.repeats} repeats rotated, medians. With the background poll plugin, and with \`backgroundPoll: false\`: what an install that could not build the plugin costs. One process pinned to core 1, the embedded cluster on core 0; config \`${r.config}\` with linger.ms as below.`,
    '',
    markdownTable([
      ['configuration', 'backgroundPoll (per repeat)', 'p50 ms', 'p99 ms', 'p50 per repeat (ms)'],
      ...r.rows.map((row) => [row.configuration, row.backgroundPoll.join(', '), row.p50Ms, row.p99Ms, row.p50PerRepeatMs.join(', ')]),
    ]),
    '',
    ...beside,
    `${r.package}; Node ${r.node}, librdkafka ${r.librdkafka}, ${r.cpus}; ${r.date}; load average ${r.loadAverage.start.join(' / ')} at the start, ${r.loadAverage.end.join(' / ')} at the end (1, 5, 15 minutes; the machine is shared with other engineers' builds and tests).`,
    '',
  ];
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
