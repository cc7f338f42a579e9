/*
 * Scenario `ratios` (issue 18): every produce path against raw node-rdkafka in one run, and every
 * target of the issue with its measured value and met / missed.
 *
 *   throughput  a sliding window of messages in flight on every path (ratios-client.ts), one
 *               process per path per repeat, paths in runOrder; medians; ratios to raw
 *               node-rdkafka counting its delivery-report callbacks on a 1 ms poll timer, and to
 *               raw node-rdkafka with our background-poll plugin loaded
 *   web         the seed article's web test at c=400: no-op, fire-and-forget, awaitable, p99
 *   no regression  sequential awaited p50 against CKJS at linger.ms 0 and 5 (peers-child.ts;
 *               CKJS from BENCH_PEERS_DIR, skipped when not installed), idle CPU, memory per
 *               in-flight message (costs-child.ts) against what docs/benchmarks.md reports
 *
 *   npm run bench -- ratios                 (BENCH_QUICK=1: shorter; BENCH_PEERS_DIR=/path: CKJS)
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { measureMemory, type MemoryRow } from './costs';
import {
  CORES,
  IDLE_SETTLE_SECONDS,
  attempter,
  MODE,
  captureEnvironment,
  describeConfig,
  formatNumber,
  librdkafkaConfig,
  markdownTable,
  median,
  pick,
  progress,
  ratio,
  round,
  runChild,
  runChildScript,
  runOrder,
  runQueueWaitSeconds,
  script,
  sleep,
  startBroker,
  textTable,
  writeResult,
  KEY_BYTES,
  VALUE_BYTES,
  type Broker,
  type Environment,
} from './harness';
import type { LoadResult } from './load-client';
import { availability, type PeerId } from './peer-clients';
import { profilesMarkdown, type ProfilesResult } from './profile';
import type { ChildTask, IdleRun, LatencyRun } from './peers-child';
import { RATIO_PATHS, type RatioPathId, type RatiosRun, type RatiosTask } from './ratios-client';
import type { TargetCheck } from './report';
import type { ProbeReading } from './server-probe';
import { loadGeneratorKind, startLoadGenerator, startServer } from './web-load';

const SCENARIO = 'ratios';

export interface RatioRow {
  /** The path, or `path@variant` for a build given in BENCH_RATIOS_VARIANTS. */
  path: string;
  label: string;
  messagesPerRun: number;
  messagesPerSec: number;
  /** msg/s of each repeat, in repeat order. */
  runs: number[];
  cpuSecondsPer100k: number;
  failed: number;
  ratioToRawDr: number;
  ratioToRawBg: number;
  /** This path's rate divided by raw-dr's, repeat by repeat. */
  repeatRatiosToRawDr: number[];
  /** 1e6/rate minus raw-dr's: the µs of the event loop each message costs beyond raw node-rdkafka's. */
  extraMicrosPerMessage: number;
  /**
   * raw-dr's CPU per message / this path's (all threads of the process): what the throughput
   * ratio would be if the core were the only limit. Other processes on the machine change it
   * less than they change rates, so it is the steadier figure on a shared machine.
   */
  cpuRatioToRawDr: number;
  /**
   * With BENCH_RATIOS_VARIANTS: this row's rate / the first variant's rate for the same path,
   * repeat by repeat (the two ran minutes apart at most), and their median: the prototype's gain.
   */
  pairedToBase?: { perRepeat: number[]; median: number };
  backgroundPoll?: boolean;
}

export interface WebTailRow {
  endpoint: string;
  connections: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** p99 (ms) of each repeat. */
  runsP99Ms: number[];
  non2xxAndErrors: number;
  /** The server's own view (server-probe.ts), medians of the repeats: time in the server per request, p99. */
  serverP99Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Longest GC pause of a run. */
  gcMaxMs: number;
  /** Peak of AIOProducer.inFlight during a run. */
  peakInFlight: number;
  /** Messages still in flight when the load stopped: delivery reports that lagged behind. */
  leftInFlight: number;
  /** How long those took to settle after the load stopped, ms. */
  drainMs: number;
  peakHeapMiB: number;
  /** Share of a run the load generator / the server spent runnable but waiting for a CPU. */
  loadGeneratorWaitShare: number;
  serverWaitShare: number;
}

/** What docs/benchmarks.md reports today for memory per in-flight message (section 3). */
export const MEMORY_REFERENCE = {
  source: 'docs/benchmarks.md section 3 (run of 2026-11-21, commit 7e7121f): 100,000 in flight, cluster paused',
  variants: { 'aio-produce': { heapBytesPerMessage: 581, rssBytesPerMessage: 1346 }, 'aio-ff': { heapBytesPerMessage: 99.7, rssBytesPerMessage: 690 } },
} as const;

export interface RatiosResult {
  scenario: 'ratios';
  environment: Environment;
  loadAverageAtEnd: number[];
  config: string;
  method: Record<string, unknown>;
  throughput: RatioRow[];
  web: WebTailRow[];
  latency: Array<{ client: PeerId; lingerMs: number; p50Ms: number; runsP50Ms: number[] }>;
  ckjs: string;
  /** rawCpuPercentOfCore: raw node-rdkafka idling beside it, the floor on this machine. */
  idle: { cpuPercentOfCore: number; seconds: number; rawCpuPercentOfCore: number } | undefined;
  memory: MemoryRow[];
  targets: TargetCheck[];
  errors: Array<{ what: string; error: string }>;
}

const WEB_ENDPOINTS = ['/noop', '/fire-and-forget', '/await'] as const;

const SECTIONS = ['throughput', 'web', 'regressions'] as const;
type Section = (typeof SECTIONS)[number];

/** BENCH_RATIOS_SECTIONS=throughput,web,regressions (default: all): the parts to measure. */
function sectionsAsked(): Set<Section> {
  const asked = process.env.BENCH_RATIOS_SECTIONS?.split(',').map((x) => x.trim()).filter(Boolean);
  if (asked === undefined || asked.length === 0) return new Set(SECTIONS);
  for (const a of asked) if (!(SECTIONS as readonly string[]).includes(a)) throw new Error(`BENCH_RATIOS_SECTIONS: unknown section ${a} (${SECTIONS.join(', ')})`);
  return new Set(asked as Section[]);
}

/** One process kind of the throughput rotation: a path, from this build or from a variant's. */
interface ThroughputClient {
  key: string;
  path: RatioPathId;
  script: string;
  /** The first variant's key for the same path (BENCH_RATIOS_VARIANTS). */
  base?: string;
}

/**
 * The throughput rotation. BENCH_RATIOS_PATHS=raw-dr,aio-await,... limits the paths (raw-dr is
 * always in: every ratio divides by it). BENCH_RATIOS_VARIANTS=name=dir;name2=dir2 measures the
 * AIOProducer paths once per variant: `dir` holds a ratios-client.js compiled from another
 * version of src/ (tsc -p bench/tsconfig.json --outDir X: dir is X/bench), so that a prototype
 * and its base are measured interleaved in the same run. Variant builds must sit inside the
 * repository (dist-bench/variants/NAME, ignored by git), where the background-poll plugin is found.
 */
function throughputClients(): ThroughputClient[] {
  const asked = process.env.BENCH_RATIOS_PATHS?.split(',').map((x) => x.trim()).filter(Boolean);
  const paths = RATIO_PATHS.map((p) => p.id).filter((id) => asked === undefined || asked.length === 0 || id === 'raw-dr' || asked.includes(id));
  const variants = (process.env.BENCH_RATIOS_VARIANTS ?? '')
    .split(';')
    .filter(Boolean)
    .map((v) => {
      const [name, dir] = v.split('=');
      if (!name || !dir) throw new Error(`BENCH_RATIOS_VARIANTS: expected name=dir, got ${v}`);
      return { name, dir };
    });
  const own = (path: RatioPathId): ThroughputClient => ({ key: path, path, script: script('ratios-client') });
  if (variants.length === 0) return paths.map(own);
  return [
    ...paths.filter((p) => !p.startsWith('aio-')).map(own),
    ...variants.flatMap((v) =>
      paths.filter((p) => p.startsWith('aio-')).map((path) => ({ key: `${path}@${v.name}`, path, script: join(v.dir, 'ratios-client.js'), base: `${path}@${variants[0]!.name}` })),
    ),
  ];
}

type Sizes = { repeats: number; messages: number; window: number };
type WebSizes = { webConnections: number; webRepeats: number; webDurationSec: number; webWarmupSec: number };

/** How long a server may take to settle what a run left in flight before the next run starts. */
const DRAIN_LIMIT_MS = 120_000;

/**
 * The seed article's web test at one concurrency, no-op / fire-and-forget / awaitable in runOrder
 * per repeat, with the server's own view of each run (server-probe.ts). Between runs the server
 * settles what the run left in flight (timed: how far delivery reports lagged behind the
 * requests) and collects its garbage, so that no run pays for the one before it.
 */
async function measureWebTail(broker: Broker, sizes: WebSizes): Promise<WebTailRow[]> {
  const load = await startLoadGenerator(loadGeneratorKind());
  const server = await startServer([broker.bootstrapServers, '5', '1'], { nodeFlags: ['--expose-gc'] });
  const inFlight = (p: ProbeReading): number => (p.now.aioInFlight ?? 0) + (p.now.rawInFlight ?? 0);
  const drain = async (): Promise<{ leftInFlight: number; drainMs: number }> => {
    const t0 = performance.now();
    const leftInFlight = inFlight(await server.readProbe());
    while (inFlight(await server.readProbe()) > 0 && performance.now() - t0 < DRAIN_LIMIT_MS) await sleep(50);
    return { leftInFlight, drainMs: Math.round(performance.now() - t0) };
  };
  const rows: WebTailRow[] = [];
  try {
    const url = (ep: string) => `http://127.0.0.1:${server.port}${ep}`;
    if (sizes.webWarmupSec > 0) {
      for (const ep of WEB_ENDPOINTS) {
        await load.run(url(ep), 50, sizes.webWarmupSec);
        await drain();
      }
    }
    const cell = new Map<string, Array<LoadResult & { probe: ProbeReading; leftInFlight: number; drainMs: number; serverWaitShare: number }>>();
    for (let r = 0; r < sizes.webRepeats; r++) {
      for (const ep of runOrder(WEB_ENDPOINTS, r)) {
        await server.resetProbe();
        const serverWaited = runQueueWaitSeconds(server.child.pid!);
        const res = await load.run(url(ep), sizes.webConnections, sizes.webDurationSec);
        const serverWaitShare = round((runQueueWaitSeconds(server.child.pid!) - serverWaited) / sizes.webDurationSec, 3);
        const probe = await server.readProbe();
        const settled = await drain();
        cell.set(ep, [...(cell.get(ep) ?? []), { ...res, probe, ...settled, serverWaitShare }]);
        progress(
          SCENARIO,
          `web c=${sizes.webConnections} repeat ${r + 1}/${sizes.webRepeats} ${ep}: ${Math.round(res.requestsPerSec)} req/s p50 ${res.latencyP50Ms} ms p99 ${res.latencyP99Ms} ms` +
            `${res.non2xx + res.errors > 0 ? ` (non-2xx ${res.non2xx}, errors ${res.errors})` : ''}; server: in server p99 ${probe.serverP99Ms} ms, loop delay p99 ${probe.loopDelayP99Ms} max ${probe.loopDelayMaxMs} ms, ` +
            `GC max ${probe.gcMaxMs} ms, peak in flight ${Math.round(probe.peaks.aioInFlight ?? 0)}, ${settled.leftInFlight} left at the end (settled in ${settled.drainMs} ms), peak heap ${Math.round(probe.peaks.heapUsedMiB ?? 0)} MiB; ` +
            `waiting for a CPU: load generator ${Math.round((res.runQueueWaitShare ?? NaN) * 100)}% of the run, server ${Math.round(serverWaitShare * 100)}% (load ${loadavg()[0]!.toFixed(2)})`,
        );
      }
    }
    for (const ep of WEB_ENDPOINTS) {
      const rs = cell.get(ep) ?? [];
      rows.push({
        endpoint: ep,
        connections: sizes.webConnections,
        requestsPerSec: round(median(rs.map((x) => x.requestsPerSec))),
        latencyP50Ms: median(rs.map((x) => x.latencyP50Ms)),
        latencyP99Ms: median(rs.map((x) => x.latencyP99Ms)),
        runsP99Ms: rs.map((x) => x.latencyP99Ms),
        non2xxAndErrors: rs.reduce((s, x) => s + x.non2xx + x.errors, 0),
        serverP99Ms: median(rs.map((x) => x.probe.serverP99Ms)),
        loopDelayP99Ms: median(rs.map((x) => x.probe.loopDelayP99Ms)),
        loopDelayMaxMs: median(rs.map((x) => x.probe.loopDelayMaxMs)),
        gcMaxMs: median(rs.map((x) => x.probe.gcMaxMs)),
        peakInFlight: median(rs.map((x) => x.probe.peaks.aioInFlight ?? NaN)),
        leftInFlight: median(rs.map((x) => x.leftInFlight)),
        drainMs: median(rs.map((x) => x.drainMs)),
        peakHeapMiB: round(median(rs.map((x) => x.probe.peaks.heapUsedMiB ?? NaN)), 1),
        loadGeneratorWaitShare: median(rs.map((x) => x.runQueueWaitShare ?? NaN)),
        serverWaitShare: median(rs.map((x) => x.serverWaitShare)),
      });
    }
  } finally {
    await server.stop();
    await load.stop();
  }
  return rows;
}

type Attempt = <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;

/** Rate of `a` / rate of `b`, repeat by repeat, and the median of those. */
function paired(a: Array<RatiosRun | undefined>, b: Array<RatiosRun | undefined>): { perRepeat: number[]; median: number } {
  const perRepeat = a.map((x, i) => ratio(x?.messagesPerSec ?? NaN, b[i]?.messagesPerSec ?? NaN));
  return { perRepeat, median: median(perRepeat.filter((v) => Number.isFinite(v))) };
}

async function measureThroughput(broker: Broker, sizes: Sizes, attempt: Attempt): Promise<RatioRow[]> {
  const clients = throughputClients();
  const keys = clients.map((c) => c.key);
  const runs = new Map<string, Array<RatiosRun | undefined>>(keys.map((k) => [k, []]));
  for (let r = 0; r < sizes.repeats; r++) {
    const order = runOrder(keys, r);
    progress(SCENARIO, `throughput repeat ${r + 1}/${sizes.repeats} (load ${loadavg()[0]!.toFixed(2)}): ${order.join(', ')}`);
    const measure = async (k: string): Promise<void> => {
      const client = clients.find((c) => c.key === k)!;
      const task: RatiosTask = {
        path: client.path,
        bootstrap: broker.bootstrapServers,
        messages: sizes.messages,
        warmup: Math.max(10, Math.round(sizes.messages / 5)),
        window: sizes.window,
        topic: `bench-ratios-${client.path}`,
      };
      const out = await attempt(`throughput ${k}`, () =>
        runChildScript<RatiosRun>(client.script, [JSON.stringify(task)], { cpu: CORES.subject, timeoutMs: pick({ full: 300_000, quick: 120_000, smoke: 60_000 }) }),
      );
      runs.get(k)!.push(out);
      if (out) progress(SCENARIO, `  ${k}: ${Math.round(out.messagesPerSec)} msg/s`);
    };
    // The smoke run only checks that every path works: side by side, to keep it short.
    if (MODE === 'smoke') await Promise.all(order.map(measure));
    else for (const k of order) await measure(k);
  }
  const rate = (k: string) => median((runs.get(k) ?? []).flatMap((x) => (x ? [x.messagesPerSec] : [])));
  const cpuPer100k = (k: string) => median((runs.get(k) ?? []).flatMap((x) => (x ? [x.cpuSecondsPer100k] : [])));
  const raw = runs.get('raw-dr')!;
  const rows: RatioRow[] = [];
  for (const c of clients) {
    const got = runs.get(c.key)!;
    const ok = got.filter((x): x is RatiosRun => x !== undefined);
    if (ok.length === 0) continue;
    rows.push({
      path: c.key,
      label: RATIO_PATHS.find((p) => p.id === c.path)!.label,
      messagesPerRun: sizes.messages,
      messagesPerSec: rate(c.key),
      runs: ok.map((x) => x.messagesPerSec),
      cpuSecondsPer100k: median(ok.map((x) => x.cpuSecondsPer100k)),
      failed: ok.reduce((s, x) => s + x.failed, 0),
      ratioToRawDr: ratio(rate(c.key), rate('raw-dr')),
      ratioToRawBg: ratio(rate(c.key), rate('raw-bg')),
      repeatRatiosToRawDr: got.map((x, i) => ratio(x?.messagesPerSec ?? NaN, raw[i]?.messagesPerSec ?? NaN)),
      extraMicrosPerMessage: round(1e6 / rate(c.key) - 1e6 / rate('raw-dr'), 2),
      cpuRatioToRawDr: ratio(cpuPer100k('raw-dr'), cpuPer100k(c.key)),
      ...(c.base === undefined ? {} : { pairedToBase: paired(got, runs.get(c.base)!) }),
      ...(ok[0]!.backgroundPoll === undefined ? {} : { backgroundPoll: ok[0]!.backgroundPoll }),
    });
  }
  return rows;
}

export async function runRatios(givenBroker?: Broker): Promise<RatiosResult> {
  const sizes = {
    repeats: Number(process.env.BENCH_RATIOS_REPEATS ?? pick({ full: 5, quick: 3, smoke: 1 })),
    messages: pick({ full: 200_000, quick: 100_000, smoke: 300 }),
    window: pick({ full: 20_000, quick: 20_000, smoke: 100 }),
    webConnections: pick({ full: 400, quick: 400, smoke: 10 }),
    webRepeats: pick({ full: 5, quick: 3, smoke: 1 }),
    webDurationSec: Number(process.env.BENCH_RATIOS_WEB_SECONDS ?? pick({ full: 5, quick: 3, smoke: 1 })),
    webWarmupSec: pick({ full: 2, quick: 1, smoke: 0 }),
    latencyRepeats: pick({ full: 3, quick: 2, smoke: 1 }),
    latencyMessages: pick({ full: 1000, quick: 300, smoke: 10 }),
    latencyWarmup: pick({ full: 200, quick: 50, smoke: 2 }),
    lingers: [0, 5],
    idleSeconds: pick({ full: 15, quick: 5, smoke: 0.5 }),
    memoryInFlight: pick({ full: 100_000, quick: 100_000, smoke: 0 }),
  };
  const sections = sectionsAsked();
  const environment = captureEnvironment();
  progress(SCENARIO, `load average at start ${environment.loadAverageAtStart.join(' / ')}; ${environment.cpuCount} x ${environment.cpuModel}`);
  const errors: RatiosResult['errors'] = [];
  const attempt = attempter(SCENARIO, errors);
  const broker = givenBroker ?? (await startBroker());
  const throughput: RatioRow[] = [];
  const web: WebTailRow[] = [];
  const latency: RatiosResult['latency'] = [];
  const memory: MemoryRow[] = [];
  let idle: RatiosResult['idle'];
  const ckjs = availability('ckjs');
  try {
    // ---- Sliding-window throughput, every path
    if (sections.has('throughput')) throughput.push(...(await measureThroughput(broker, sizes, attempt)));

    // ---- The web test at high concurrency: no-op, fire-and-forget, awaitable
    if (sections.has('web')) await attempt('web', async () => web.push(...(await measureWebTail(broker, sizes))));

    // ---- No regression: sequential awaited latency against CKJS, idle CPU, memory per message
    if (sections.has('regressions')) await measureRegressions();
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }

  async function measureRegressions(): Promise<void> {
    const latencyClients: PeerId[] = ckjs.available ? ['aio', 'ckjs'] : ['aio'];
    const latencyRuns = new Map<string, number[]>();
    for (let r = 0; r < sizes.latencyRepeats; r++) {
      for (const client of runOrder(latencyClients, r)) {
        const out = await attempt(`latency ${client}`, () =>
          runChild<LatencyRun[]>(
            'peers-child',
            [JSON.stringify({ mode: 'latency', client, bootstrap: broker.bootstrapServers, lingers: sizes.lingers, messages: sizes.latencyMessages, warmup: sizes.latencyWarmup, topic: `bench-ratios-lat-${client}` })],
            { cpu: CORES.subject, timeoutMs: 300_000 },
          ),
        );
        for (const run of out ?? []) latencyRuns.set(`${client}@${run.lingerMs}`, [...(latencyRuns.get(`${client}@${run.lingerMs}`) ?? []), run.p50Ms]);
        if (out) progress(SCENARIO, `latency ${client}: ${out.map((o) => `linger ${o.lingerMs}: p50 ${o.p50Ms} ms`).join('; ')}`);
      }
    }
    for (const client of latencyClients) {
      for (const lingerMs of sizes.lingers) {
        const rs = latencyRuns.get(`${client}@${lingerMs}`);
        if (rs?.length) latency.push({ client, lingerMs, p50Ms: median(rs), runsP50Ms: rs });
      }
    }
    // Side by side with raw node-rdkafka (no poll timer while idle): what librdkafka itself costs here.
    const idleOf = (client: PeerId) =>
      attempt(`idle ${client}`, () =>
        runChild<IdleRun>(
          'peers-child',
          [
            JSON.stringify({
              mode: 'idle',
              client,
              bootstrap: broker.bootstrapServers,
              lingerMs: 5,
              seconds: sizes.idleSeconds,
              settleSeconds: IDLE_SETTLE_SECONDS,
              topic: `bench-ratios-idle-${client}`,
            } satisfies ChildTask),
          ],
          { cpu: CORES.subject, timeoutMs: (sizes.idleSeconds + IDLE_SETTLE_SECONDS) * 1000 + 120_000 },
        ),
      );
    const [idleRun, rawIdle] = await Promise.all([idleOf('aio'), idleOf('raw-map')]);
    if (idleRun) idle = { cpuPercentOfCore: idleRun.cpuPercentOfCore, seconds: idleRun.seconds, rawCpuPercentOfCore: rawIdle?.cpuPercentOfCore ?? NaN };
    // Smoke: the costs scenario's smoke run covers the memory child already (each takes seconds).
    if (sizes.memoryInFlight === 0) return;
    for (const variant of Object.keys(MEMORY_REFERENCE.variants)) {
      const m = await attempt(`memory ${variant}`, () => measureMemory(broker, variant, sizes.memoryInFlight));
      if (m) {
        memory.push(m);
        progress(SCENARIO, `memory ${variant}: heap ${m.heapBytesPerMessage} B/msg, RSS ${m.rssBytesPerMessage} B/msg`);
      }
    }
  }

  const partial: Omit<RatiosResult, 'targets'> = {
    scenario: 'ratios',
    environment,
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
    config: describeConfig(librdkafkaConfig('')),
    method: {
      ...sizes,
      message: `${VALUE_BYTES}-byte value, ${KEY_BYTES}-byte key (1024 distinct keys, in turn); the web test: the 100-byte request body, no key`,
      processes: 'a fresh child process per path per repeat: connect, a warm-up of messages / 5 under the same window, 100 ms pause, one measured run, close',
      order: 'repeat r runs the paths rotated by floor(r/2) places, reversed when r is odd (runOrder in bench/harness.ts)',
      ratios: 'median msg/s of the path / median msg/s of the baseline (all from this run); per repeat: the two runs of the same repeat; "CPU vs raw-dr": raw-dr\'s median CPU per message / the path\'s (process CPU, every thread), the ratio the rates would have if the core were the only limit',
      extraMicros: '1e6 / rate of the path minus 1e6 / rate of raw-dr: what each message costs beyond raw node-rdkafka on the one core the client runs on',
      web: `web-server.ts on the measured core, ${loadGeneratorKind() === 'wrk' ? 'wrk (BENCH_LOAD_GENERATOR=wrk), one thread,' : 'autocannon (load-client.ts)'} on the load core; at each repeat the endpoints run in runOrder; p99 is the load generator's, median of the repeats; after each run the server settles what is still in flight (timed) and collects its garbage before the next`,
      loadGenerator: loadGeneratorKind(),
      latency: 'peers-child.ts latency mode: each send awaited before the next; p50 of the measured sends, median of the repeats',
      idle: `peers-child.ts idle mode, AIOProducer and raw node-rdkafka (raw-map: no poll timer while idle) side by side: connected, one message delivered, ${IDLE_SETTLE_SECONDS} s to settle (V8's collections after start-up), then CPU over the idle period / wall time`,
      memory: `costs-child.ts memory mode; reference: ${MEMORY_REFERENCE.source}`,
    },
    throughput,
    web,
    latency,
    ckjs: ckjs.available ? `${ckjs.version} on ${ckjs.runtime}` : `skipped: ${ckjs.reason}`,
    idle,
    memory,
    errors,
  };
  const result: RatiosResult = { ...partial, targets: checkRatioTargets(partial) };
  writeResult('ratios', result);
  return result;
}

/** Every target of issue 18, with its number from this run and whether it was met. */
export function checkRatioTargets(r: Omit<RatiosResult, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const row = (id: RatioPathId) => r.throughput.find((x) => x.path === id);
  const throughputTarget = (id: RatioPathId, what: string, min: number): void => {
    const x = row(id);
    checks.push({
      target: `${what} >= ${min.toFixed(2)} of raw node-rdkafka (delivery reports, sliding window)`,
      measured: x
        ? `${x.ratioToRawDr.toFixed(3)} (${formatNumber(x.messagesPerSec)} msg/s; per repeat ${x.repeatRatiosToRawDr.map((v) => formatNumber(v)).join(', ')}; vs raw + plugin ${x.ratioToRawBg.toFixed(3)})`
        : 'not measured',
      met: x ? x.ratioToRawDr >= min : undefined,
    });
  };
  throughputTarget('aio-await', 'awaited produce()', 0.9);
  throughputTarget('aio-batch', 'produceBatch (calls of 1,000)', 0.95);
  throughputTarget('aio-ff', 'fire-and-forget (produce2 fireAndForget)', 0.95);
  throughputTarget('aio-oob', 'produce2 + onDelivery', 0.95);
  const web = (ep: string) => r.web.find((x) => x.endpoint === ep);
  const noop = web('/noop');
  const ff = web('/fire-and-forget');
  const aw = web('/await');
  const c = noop?.connections ?? 400;
  checks.push({
    target: `web: fire-and-forget p99 at c=${c} within 2x of no-op's p99`,
    measured:
      noop && ff
        ? `${ff.latencyP99Ms} ms vs no-op ${noop.latencyP99Ms} ms (${formatNumber(ff.latencyP99Ms / Math.max(1, noop.latencyP99Ms))}x; per repeat ${ff.runsP99Ms.join(', ')} vs ${noop.runsP99Ms.join(', ')}); awaitable ${aw?.latencyP99Ms ?? 'n/a'} ms`
        : 'not measured',
    // autocannon reports whole milliseconds: a no-op p99 of 0 or 1 ms counts as 1 ms.
    met: noop && ff ? ff.latencyP99Ms <= 2 * Math.max(1, noop.latencyP99Ms) : undefined,
  });
  for (const l of [0, 5]) {
    const aio = r.latency.find((x) => x.client === 'aio' && x.lingerMs === l);
    const ck = r.latency.find((x) => x.client === 'ckjs' && x.lingerMs === l);
    checks.push({
      target: `no regression: sequential awaited p50 at linger.ms ${l} <= 1.1x CKJS`,
      measured: aio && ck ? `${aio.p50Ms.toFixed(3)} ms vs ${ck.p50Ms.toFixed(3)} ms (${(aio.p50Ms / ck.p50Ms).toFixed(2)}x)` : aio ? `${aio.p50Ms.toFixed(3)} ms; CKJS ${r.ckjs}` : 'not measured',
      met: aio && ck ? aio.p50Ms <= 1.1 * ck.p50Ms : undefined,
    });
  }
  checks.push({
    target: 'no regression: idle CPU of a connected producer < 0.1% of a core',
    measured: r.idle ? `${r.idle.cpuPercentOfCore.toFixed(4)}% over ${r.idle.seconds} s (raw node-rdkafka beside it: ${r.idle.rawCpuPercentOfCore.toFixed(4)}%)` : 'not measured',
    met: r.idle ? r.idle.cpuPercentOfCore < 0.1 : undefined,
  });
  for (const [variant, ref] of Object.entries(MEMORY_REFERENCE.variants)) {
    const m = r.memory.find((x) => x.variant === variant);
    checks.push({
      target: `no regression: JS heap per in-flight message, ${variant} <= ${ref.heapBytesPerMessage} B (docs/benchmarks.md)`,
      measured: m ? `${m.heapBytesPerMessage} B (RSS ${m.rssBytesPerMessage} B, docs ${ref.rssBytesPerMessage} B; ${m.inFlight} in flight)` : 'not measured',
      met: m ? m.heapBytesPerMessage <= ref.heapBytesPerMessage : undefined,
    });
  }
  return checks;
}

/** The tables `npm run bench -- ratios` prints. */
export function ratiosSummary(r: RatiosResult): string[] {
  const env = r.environment;
  const out: string[] = [];
  out.push(
    'Ratios to raw node-rdkafka (issue 18)',
    [
      `CPU ${env.cpuCount} x ${env.cpuModel}; load average at start ${env.loadAverageAtStart.join(' / ')}, at end ${r.loadAverageAtEnd.join(' / ')}`,
      `Node ${env.node}; node-rdkafka ${env.nodeRdkafka}, librdkafka ${env.librdkafka}; commit ${env.gitCommit.slice(0, 12)}${env.gitDirty ? ' (dirty)' : ''}; ${env.pinning}`,
      `config: ${r.config}; window ${String(r.method.window)}, ${String(r.method.messages)} messages per run, ${String(r.method.repeats)} repeats; CKJS: ${r.ckjs}`,
    ].join('\n'),
    textTable(throughputRows(r)),
  );
  if (r.web.length > 0) out.push(textTable(webRows(r)));
  out.push(textTable(targetRows(r)));
  if (r.errors.length > 0) out.push(`Failed: ${r.errors.map((e) => `${e.what}: ${e.error}`).join('; ')}`);
  return out;
}

function throughputRows(r: RatiosResult): Array<Array<string | number>> {
  const variants = r.throughput.some((x) => x.pairedToBase !== undefined);
  return [
    ['path', 'msg/s', 'vs raw-dr', 'vs raw-bg', 'extra µs/msg', 'CPU s/100k', 'CPU vs raw-dr', 'msg/s per repeat', 'vs raw-dr per repeat', ...(variants ? ['vs base, paired (median; per repeat)'] : [])],
    ...r.throughput.map((x) => [
      x.path,
      x.messagesPerSec,
      x.ratioToRawDr,
      x.ratioToRawBg,
      x.extraMicrosPerMessage,
      x.cpuSecondsPer100k,
      x.cpuRatioToRawDr,
      x.runs.map((v) => formatNumber(v)).join(', '),
      x.repeatRatiosToRawDr.map((v) => formatNumber(v)).join(', '),
      ...(variants ? [x.pairedToBase ? `${x.pairedToBase.median.toFixed(3)} (${x.pairedToBase.perRepeat.map((v) => formatNumber(v)).join(', ')})` : ''] : []),
    ]),
  ];
}

function webRows(r: RatiosResult): Array<Array<string | number>> {
  return [
    ['endpoint', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'p99 per repeat', 'in-server p99 ms', 'loop delay p99 / max ms', 'GC max ms', 'peak in flight', 'left at end', 'settled in ms', 'peak heap MiB', 'CPU wait: load gen / server', 'non-2xx + errors'],
    ...r.web.map((x) => [
      x.endpoint,
      x.connections,
      x.requestsPerSec,
      x.latencyP50Ms,
      x.latencyP99Ms,
      x.runsP99Ms.join(', '),
      x.serverP99Ms,
      `${formatNumber(x.loopDelayP99Ms)} / ${formatNumber(x.loopDelayMaxMs)}`,
      x.gcMaxMs,
      x.peakInFlight,
      x.leftInFlight,
      x.drainMs,
      x.peakHeapMiB,
      `${formatNumber(x.loadGeneratorWaitShare * 100)}% / ${formatNumber(x.serverWaitShare * 100)}%`,
      x.non2xxAndErrors,
    ]),
  ];
}

function targetRows(r: RatiosResult): Array<Array<string>> {
  return [['target', 'measured', 'met'], ...r.targets.map((t) => [t.target, t.measured, t.met === undefined ? 'n/a' : t.met ? 'met' : 'missed'])];
}

/**
 * The issue-18 section of docs/benchmarks.md: the ratios run, builds side by side (`variants`:
 * bench/results/ratios-variants.json, a run with BENCH_RATIOS_VARIANTS), then the profiles' summaries.
 */
export function ratiosDocs(r: RatiosResult | undefined, profiles: ProfilesResult | undefined, variants?: RatiosResult): string[] {
  const out: string[] = ['## 8. Every produce path against raw node-rdkafka (issue 18)', ''];
  if (r) {
    const env = r.environment;
    out.push(
      `\`npm run bench -- ratios\` (\`bench/ratios.ts\`, \`bench/ratios-client.ts\`). Run of ${env.date}, commit ${env.gitCommit.slice(0, 12)}${env.gitDirty ? ' (dirty)' : ''}; ${env.cpuCount} x ${env.cpuModel}; load average ${env.loadAverageAtStart.join(' / ')} at start, ${r.loadAverageAtEnd.join(' / ')} at end; Node ${env.node}, librdkafka ${env.librdkafka}; CKJS ${r.ckjs}.`,
      '',
      `Every path keeps a sliding window of ${String(r.method.window)} messages in flight; ${String(r.method.messages)} messages per run after a warm-up; ${String(r.method.repeats)} repeats, ${String(r.method.order)}; ${String(r.method.processes)}. Ratios: ${String(r.method.ratios)}. Extra µs/msg: ${String(r.method.extraMicros)}.`,
      '',
      ...RATIO_PATHS.map((p) => `- \`${p.id}\`: ${p.label}`),
      '',
      markdownTable(throughputRows(r)),
      '',
      'Reference rows: `raw-opaque` is raw-dr passing a numeric opaque with each message, as every path that maps a report back to its message must (node-rdkafka keeps a persistent handle per opaque); `raw-await` adds a hand-written promise per message, awaited by the same driver as `aio-await`. They are the floors of those designs over node-rdkafka: the `produceBatch` and `produce2 + onDelivery` paths cannot pass `raw-opaque`, nor the awaited path `raw-await`.',
      '',
      `Web test: ${String(r.method.web)}.`,
      '',
      markdownTable(webRows(r)),
      '',
      '"left at end" and "settled in" show the delivery reports that had not reached JavaScript when the load stopped. node-rdkafka (3.6.1, `DeliveryReportDispatcher::Flush` in src/callbacks.cc) hands at most 100 reports to JavaScript per event-loop turn; at 400 connections a turn serves a few hundred requests, so under fire-and-forget the unreported messages grow for as long as the load lasts and settle in a fraction of a second once it stops. Until issue 18 phase 2 AIOProducer kept a Delivery object per unreported message (peak heap of the fire-and-forget endpoint 48-56 MiB against 24-25 MiB for the others in the run of 2026-12-06); a fire-and-forget message without onDelivery is now counted, not registered, and the producer bounds what is unreported by `queue.buffering.max.messages`. "CPU wait" is the share of the run each process was runnable but waiting for a CPU (/proc schedstat): other work on the machine.',
      '',
      markdownTable(targetRows(r)),
      '',
    );
  }
  if (variants) {
    const env = variants.environment;
    out.push(
      '### Builds side by side',
      '',
      `The AIOProducer paths of several builds of src/ in one run, interleaved in every repeat (\`BENCH_RATIOS_VARIANTS\`, see bench/ratios.ts; the run's command and what each build is: the notes at the end). Run of ${env.date}, commit ${env.gitCommit.slice(0, 12)}${env.gitDirty ? ' (dirty)' : ''}; load average ${env.loadAverageAtStart.join(' / ')} at start, ${variants.loadAverageAtEnd.join(' / ')} at end; ${String(variants.method.repeats)} repeats of ${String(variants.method.messages)} messages, window ${String(variants.method.window)}. "vs base, paired": the median over repeats of the path's rate divided by the first build's rate for the same path in the same repeat. A second copy of the first build, under another name, shows what the paired ratio does with no change at all.`,
      '',
      markdownTable(throughputRows(variants)),
      '',
    );
  }
  if (profiles) {
    out.push(
      '### Profiles under the sliding-window load',
      '',
      `\`${profiles.command}\` (\`bench/profile.ts\`; the tables come from \`bench/profile-summary.ts\`, which also reads any .cpuprofile / .heapprofile). Commit ${profiles.environment.gitCommit.slice(0, 12)}${profiles.environment.gitDirty ? ' (dirty)' : ''}, load average at start ${profiles.environment.loadAverageAtStart.join(' / ')}. CPU: ${String(profiles.method.cpu)}. Allocations: ${String(profiles.method.heap)}. The ten first rows of each table (bench/results/profiles.json keeps fifteen). \`(program)\` is native code outside JavaScript (node-rdkafka's C++ building each report, libuv), \`Producer\` node-rdkafka's native produce call, \`(V8 API)\` objects the native code creates (node-rdkafka's report objects, its key Buffers); a frame that V8 inlined counts in its caller.`,
      '',
      ...profilesMarkdown(profiles, 10),
    );
  }
  return out;
}

if (require.main === module) {
  runRatios().then(
    (r) => {
      process.stdout.write(`${ratiosSummary(r).join('\n\n')}\n`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
