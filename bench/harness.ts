/*
 * The one harness every benchmark scenario uses: run mode (full / quick / smoke), the shared
 * librdkafka configuration, the broker, child processes pinned to cores, warm-up and repeats,
 * medians and percentiles, environment capture, progress output and JSON results.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { startMockCluster, type MockCluster } from '../src/testing';

/** `full` for the numbers in docs; `quick` (BENCH_QUICK=1) for development; `smoke` for the test. */
export type Mode = 'full' | 'quick' | 'smoke';

export const MODE: Mode = process.env.BENCH_SMOKE === '1' ? 'smoke' : process.env.BENCH_QUICK === '1' ? 'quick' : 'full';

/** Picks the value for the current {@link MODE}. */
export function pick<T>(values: Record<Mode, T>): T {
  return values[MODE];
}

/** The repository root (this file runs from dist-bench/bench/). */
export const REPO_ROOT = resolve(__dirname, existsSync(resolve(__dirname, '../package.json')) ? '..' : '../..');

export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? join(REPO_ROOT, 'bench', 'results');

/** The message every client sends: a 100-byte value and a 16-byte key. */
export const VALUE_BYTES = 100;
export const KEY_BYTES = 16;
export const VALUE = Buffer.alloc(VALUE_BYTES, 'v');
/** 1024 distinct 16-byte keys, used in turn, so that every partition gets messages. */
export const KEYS: Buffer[] = Array.from({ length: 1024 }, (_, i) => Buffer.from(`key-${String(i).padStart(12, '0')}`));

/**
 * The librdkafka configuration every librdkafka-based client runs with (AIOProducer, raw
 * node-rdkafka, HighLevelProducer). KafkaJS gets the closest equivalents (see kafkajsConfig).
 */
export function librdkafkaConfig(bootstrapServers: string, overrides: Record<string, string | number | boolean> = {}) {
  return {
    'bootstrap.servers': bootstrapServers,
    'client.id': 'aio-rdkafka-bench',
    acks: -1,
    'enable.idempotence': true,
    'linger.ms': 5,
    'compression.codec': 'none' as const,
    partitioner: 'murmur2_random',
    'queue.buffering.max.messages': 1_000_000,
    'log_level': 3,
    ...overrides,
  };
}

/** Concise text of the shared config for printing (bootstrap servers left out). */
export function describeConfig(config: Record<string, unknown>): string {
  return Object.entries(config)
    .filter(([k]) => k !== 'bootstrap.servers' && k !== 'client.id')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// Cores

/** Whether children are pinned to cores with taskset (2+ cores, taskset present, BENCH_PIN≠0). */
export const PINNING: boolean = (() => {
  if (process.env.BENCH_PIN === '0' || cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Core assignment: the measured process alone on core 1; broker and load generator on core 0. */
export const CORES = { broker: '0', load: '0', subject: '1' } as const;

/** Pins every thread of a running process to `cpuList` (no-op without pinning). */
export function pinProcess(pid: number, cpuList: string): void {
  if (!PINNING) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
  } catch {
    // The process may be gone already; pinning is best effort and reported in the environment.
  }
}

// ---------------------------------------------------------------------------------------------
// Broker

export interface Broker {
  bootstrapServers: string;
  /** Present on the embedded mock cluster only. */
  cluster: MockCluster | undefined;
  kind: 'mock' | 'external';
  stop(): Promise<void>;
}

/** The embedded mock cluster (3 brokers, pinned to the broker core), or KAFKA_BROKERS. */
export async function startBroker(): Promise<Broker> {
  const external = process.env.KAFKA_BROKERS;
  if (external) return { bootstrapServers: external, cluster: undefined, kind: 'external', stop: async () => {} };
  const cluster = await startMockCluster({ brokers: 3 });
  pinProcess(cluster.pid, CORES.broker);
  // MockCluster.stop() holds this process (the child is ref()ed while stopping) until it exited.
  const stop = (): Promise<void> => cluster.stop();
  return { bootstrapServers: cluster.bootstrapServers, cluster, kind: 'mock', stop };
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of an already sorted array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50 / p99 / max of latencies in ms (the array is sorted in place). */
export function latencySummary(latencies: Float64Array): { p50: number; p99: number; max: number } {
  latencies.sort();
  return {
    p50: percentileSorted(latencies, 50),
    p99: percentileSorted(latencies, 99),
    max: latencies.length > 0 ? latencies[latencies.length - 1]! : NaN,
  };
}

/** Rounds for JSON and tables: 3 significant decimals for small numbers, integers for big. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 1000) return Math.round(value);
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Ratio a/b rounded to 3 decimals; NaN when b is not a positive number. */
export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) ? Math.round((a / b) * 1000) / 1000 : NaN;
}

/**
 * Client order of repeat `r`: the list rotated by floor(r / 2) places, reversed on odd repeats.
 * Consecutive repeats (2m, 2m+1) run the same order forwards and backwards, so every pair of
 * clients swaps order from one repeat to the next and the first place moves around.
 */
export function runOrder<T>(ids: readonly T[], r: number): T[] {
  const k = ids.length;
  const rotated = ids.map((_, i) => ids[(i + (r >> 1)) % k]!);
  return r % 2 === 1 ? rotated.reverse() : rotated;
}

/** Median of every numeric field over repeated runs (non-numeric fields from the first run). */
export function medianOf<T extends Record<string, unknown>>(runs: readonly T[]): T {
  const out: Record<string, unknown> = { ...runs[0] };
  for (const key of Object.keys(out)) {
    if (typeof out[key] === 'number') out[key] = median(runs.map((r) => r[key] as number).filter((v) => Number.isFinite(v)));
  }
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Progress

const started = Date.now();

/** One progress line on stderr: elapsed time, scenario, message. */
export function progress(scenario: string, message: string): void {
  if (process.env.BENCH_SILENT === '1') return;
  const s = Math.round((Date.now() - started) / 1000);
  const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  process.stderr.write(`[${stamp}] [${scenario}] ${message}\n`);
}

/** A plain text table: first row is the header. */
export function textTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  // A NaN read back from JSON is null.
  const cells = rows.map((r) => r.map((c) => (typeof c === 'string' ? c : formatNumber(c ?? NaN))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** A markdown table: first row is the header; numeric columns right-aligned. */
export function markdownTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  // A NaN read back from JSON is null.
  const cells = rows.map((r) => r.map((c) => (typeof c === 'string' ? c : formatNumber(c ?? NaN))));
  const header = `| ${cells[0]!.join(' | ')} |`;
  const align = `| ${cells[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`;
  return [header, align, ...cells.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return String(Math.round(value));
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

// ---------------------------------------------------------------------------------------------
// Environment and results

export interface Environment {
  date: string;
  mode: Mode;
  cpuCount: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverageAtStart: number[];
  node: string;
  platform: string;
  librdkafka: string;
  nodeRdkafka: string;
  kafkajs: string;
  autocannon: string;
  gitCommit: string;
  gitDirty: boolean;
  broker: string;
  pinning: string;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [REPO_ROOT] }), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The commit and dirty flag when this process started (the code it compiled and runs), not when
 * a scenario finished: other engineers may commit while a run is in progress.
 */
const GIT_AT_START = { commit: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '' };

export function captureEnvironment(): Environment {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rdkafka = require('node-rdkafka') as { librdkafkaVersion: string };
  return {
    date: new Date().toISOString(),
    mode: MODE,
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((v) => round(v, 2)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    librdkafka: rdkafka.librdkafkaVersion,
    nodeRdkafka: packageVersion('node-rdkafka'),
    kafkajs: packageVersion('kafkajs'),
    autocannon: packageVersion('autocannon'),
    gitCommit: GIT_AT_START.commit,
    gitDirty: GIT_AT_START.dirty,
    broker: process.env.KAFKA_BROKERS ? `external (${process.env.KAFKA_BROKERS})` : 'embedded librdkafka mock cluster, 3 brokers, topics auto-created with 4 partitions',
    pinning: PINNING
      ? `taskset: broker child and load generator on core ${CORES.broker}, measured process on core ${CORES.subject}`
      : 'none (taskset unavailable, fewer than 2 cores, or BENCH_PIN=0)',
  };
}

/** Writes `<RESULTS_DIR>/<name>.json` and returns its path. */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

export function readResult<T>(name: string): T | undefined {
  const path = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** Messages a bench child sends to its parent. */
export type ChildMessage =
  | { type: 'result'; data: unknown }
  | { type: 'error'; message: string }
  | { type: 'progress'; message: string }
  | { type: string; [field: string]: unknown };

export interface SpawnOptions {
  /** Core list for taskset (ignored without pinning). */
  cpu?: string;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  /** The node binary (default: the one running the harness), e.g. the Node 24 of bench/peers/node24. */
  execPath?: string;
}

/** Starts `node <script> ...args` with an IPC channel, pinned when pinning is on. */
export function spawnNode(script: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const nodeArgs = [...(options.nodeFlags ?? []), script, ...args];
  const node = options.execPath ?? process.execPath;
  const [cmd, cmdArgs] =
    PINNING && options.cpu !== undefined ? ['taskset', ['-c', options.cpu, node, ...nodeArgs]] : [node, nodeArgs];
  return spawn(cmd, cmdArgs as string[], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
  });
}

/** The path of a compiled bench script next to this file. */
export function script(name: string): string {
  return join(__dirname, `${name}.js`);
}

/**
 * Runs a child to completion and resolves with the data of its `result` message. `onMessage`
 * sees every other message (and may answer through the child handle).
 */
export function runChild<T>(
  scriptName: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number; onMessage?: (msg: ChildMessage, child: ChildProcess) => void } = {},
): Promise<T> {
  return runChildScript(script(scriptName), args, options);
}

/** {@link runChild} for a script given by its path (a bench compiled elsewhere, e.g. a prototype's). */
export function runChildScript<T>(
  scriptPath: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number; onMessage?: (msg: ChildMessage, child: ChildProcess) => void } = {},
): Promise<T> {
  const scriptName = basename(scriptPath, '.js');
  const child = spawnNode(scriptPath, args, options);
  return new Promise<T>((resolvePromise, reject) => {
    let result: { data: unknown } | undefined;
    let error: string | undefined;
    const timer = setTimeout(() => {
      error = `timed out after ${options.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('message', (msg: ChildMessage) => {
      if (msg.type === 'result') result = { data: msg.data };
      else if (msg.type === 'error') error = String(msg.message);
      else options.onMessage?.(msg, child);
    });
    // 'close', not 'exit': 'exit' may come before the IPC channel's last message was read, and a
    // child that sent its result and exited at once was then counted as failed (seen in the idle part).
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined && code === 0) resolvePromise(result.data as T);
      else reject(new Error(`${scriptName} ${args.join(' ')}: ${error ?? `exited with code ${code}, signal ${signal}`}`));
    });
  });
}

/**
 * The child side: runs `main`, sends its value as the `result` (or an `error`), then exits.
 * The exit is explicit so that a lingering native handle cannot hold a benchmark up.
 */
export function childMain(main: () => Promise<unknown>): void {
  main().then(
    (data) => {
      process.send!({ type: 'result', data }, () => process.exit(0));
    },
    (err: unknown) => {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`${message}\n`);
      process.send!({ type: 'error', message }, () => process.exit(1));
    },
  );
}

/** Resolves with the next IPC message of `type` from the parent. */
export function nextParentMessage(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise) => {
    const listener = (msg: { type?: string }) => {
      if (msg?.type === type) {
        process.off('message', listener);
        resolvePromise(msg as Record<string, unknown>);
      }
    };
    process.on('message', listener);
  });
}

/**
 * The `attempt` of a scenario: runs one measurement; a throw is recorded in `errors` and printed,
 * and gives undefined, so that one failed measurement does not end the scenario.
 */
export function attempter(scenario: string, errors: Array<{ what: string; error: string }>) {
  return async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      errors.push({ what, error: (err as Error).message });
      progress(scenario, `${what} FAILED: ${(err as Error).message}`);
      return undefined;
    }
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Idle CPU (peers-child.ts idle mode): seconds from the first message to the measured window.
 * V8 collects garbage once the process goes quiet (its memory reducer: two mark-compacts and
 * V8's worker threads, 10-30 ms in all), seen about 8 s after the process started, or 16-17 s
 * when V8 put it off once. With 1 s here that alone put every client near 0.1% of a core in a
 * 15 s window, more for a bigger heap, and how much of it fell inside varied run to run.
 */
export const IDLE_SETTLE_SECONDS = pick({ full: 25, quick: 25, smoke: 1 });

/** CPU seconds (user + system) of this process since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/**
 * Seconds that the threads of process `pid` have spent runnable but waiting for a CPU
 * (/proc/<pid>/task/<tid>/schedstat, second field), summed; NaN where /proc does not say
 * (not Linux, or the process is gone). The difference over a run tells whether a process was
 * starved of CPU by others on its core.
 */
export function runQueueWaitSeconds(pid: number): number {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return total / 1e9;
  } catch {
    return NaN;
  }
}

/** CPU seconds of this process's threads, by kind (see {@link threadCpuSeconds}). */
export interface ThreadCpu {
  /** The JavaScript thread. */
  main: number;
  /** Node's other threads: V8's workers (GC, compilers), libuv's pool, the inspector. */
  node: number;
  /** librdkafka's threads, rdk:*: main, broker*, bg, and the plugin's poll thread (named after rdk:main, which starts it). */
  librdkafka: number;
}

/**
 * CPU seconds each kind of this process's threads has spent running so far
 * (/proc/self/task/<tid>/schedstat, first field: nanoseconds on a CPU, not the kernel's ticks);
 * undefined where /proc does not say (not Linux). A thread that ended is not counted.
 */
export function threadCpuSeconds(): ThreadCpu | undefined {
  try {
    const out: ThreadCpu = { main: 0, node: 0, librdkafka: 0 };
    for (const tid of readdirSync('/proc/self/task')) {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out[Number(tid) === process.pid ? 'main' : name.startsWith('rdk:') ? 'librdkafka' : 'node'] += ns / 1e9;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}
