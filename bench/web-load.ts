/*
 * Scenario 1: the seed article's web load test. One HTTP server process (web-server.ts) with
 * one endpoint per way of producing, loaded by autocannon in a separate process (load-client.ts)
 * at several concurrencies; endpoints interleaved at each concurrency so that every ratio comes
 * from the same run. Then a linger.ms sweep of the awaitable endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CORES,
  PINNING,
  captureEnvironment,
  describeConfig,
  librdkafkaConfig,
  pick,
  progress,
  ratio,
  round,
  runQueueWaitSeconds,
  script,
  spawnNode,
  startBroker,
  writeResult,
  type Broker,
} from './harness';
import type { LoadResult } from './load-client';
import type { ProbeReading } from './server-probe';
import { ENDPOINTS } from './web-server';

export interface WebRow extends LoadResult {
  endpoint: string;
  ratioToNoop: number;
  /** To raw-ff for the fire-and-forget and out-of-band endpoints, to raw for the awaitable one. */
  ratioToRaw: number;
}

export interface WebResult {
  scenario: 'web-load';
  environment: ReturnType<typeof captureEnvironment>;
  config: string;
  method: Record<string, unknown>;
  endpoints: ReadonlyArray<{ path: string; label: string }>;
  rows: WebRow[];
  lingerSweep: Array<LoadResult & { lingerMs: number }>;
  server: unknown;
}

const SCENARIO = 'web';

/** Which raw endpoint each endpoint is compared with. */
export function matchingRaw(path: string): string | undefined {
  if (path === '/await' || path === '/raw') return '/raw';
  if (path === '/fire-and-forget' || path === '/oob' || path === '/oob-dispatch' || path === '/raw-ff') return '/raw-ff';
  return undefined;
}

export interface Server {
  child: ChildProcess;
  port: number;
  /** Stops the server and resolves with the counters it returned. */
  stop(): Promise<unknown>;
  /** Starts a new probe reading (servers that have a ServerProbe: web-server.ts). */
  resetProbe(): Promise<void>;
  /** What the server's probe saw since the last reset. */
  readProbe(): Promise<ProbeReading>;
}

/**
 * Starts a server child (web-server.ts, or `scriptName` speaking the same IPC protocol) on the
 * measured core and resolves once it listens.
 */
export function startServer(args: string[], options: { scriptName?: string; execPath?: string; nodeFlags?: string[] } = {}): Promise<Server> {
  const child = spawnNode(script(options.scriptName ?? 'web-server'), args, {
    cpu: CORES.subject,
    ...(options.execPath === undefined ? {} : { execPath: options.execPath }),
    ...(options.nodeFlags === undefined ? {} : { nodeFlags: options.nodeFlags }),
  });
  return new Promise((resolve, reject) => {
    let result: unknown;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const early = (code: number | null): void => reject(new Error(`web server exited early (code ${code})`));
    child.once('exit', early);
    let answer: ((msg: { type: string; data?: unknown }) => void) | undefined;
    const ask = <T>(type: string): Promise<T> =>
      new Promise<T>((res) => {
        answer = (msg) => res(msg.data as T);
        child.send({ type });
      });
    child.on('message', (msg: { type: string; port?: number; data?: unknown; message?: string }) => {
      if (msg.type === 'ready') {
        child.off('exit', early);
        resolve({
          child,
          port: msg.port!,
          stop: async () => {
            child.send({ type: 'stop' });
            await exited;
            return result;
          },
          resetProbe: () => ask<void>('probe-reset'),
          readProbe: () => ask<ProbeReading>('probe-read'),
        });
      } else if (msg.type === 'probe' || msg.type === 'probe-was-reset') {
        const a = answer;
        answer = undefined;
        a?.(msg);
      } else if (msg.type === 'result') {
        result = msg.data;
      } else if (msg.type === 'error') {
        reject(new Error(`web server: ${msg.message}`));
      }
    });
  });
}

export interface LoadGenerator {
  run(url: string, connections: number, durationSec: number): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** Which load generator the web tests use: autocannon (the default), or wrk (BENCH_LOAD_GENERATOR=wrk, if installed). */
export type LoadGeneratorKind = 'autocannon' | 'wrk';

export function loadGeneratorKind(): LoadGeneratorKind {
  const kind = process.env.BENCH_LOAD_GENERATOR ?? 'autocannon';
  if (kind !== 'autocannon' && kind !== 'wrk') throw new Error(`BENCH_LOAD_GENERATOR: autocannon or wrk, got ${kind}`);
  return kind;
}

/** Starts the load generator on the load core: the autocannon child (load-client.ts), or wrk. */
export function startLoadGenerator(kind: LoadGeneratorKind = 'autocannon'): Promise<LoadGenerator> {
  return kind === 'wrk' ? Promise.resolve(wrkLoadGenerator()) : startAutocannon();
}

/** The 100-byte JSON body load-client.ts sends, as a wrk script. */
const WRK_SCRIPT = `wrk.method = "POST"\nwrk.body = '${JSON.stringify({ name: 'x'.repeat(88) })}'\nwrk.headers["Content-Type"] = "application/json"\n`;

/** wrk (the seed article's load generator), one process per run, one thread, pinned to the load core. */
function wrkLoadGenerator(): LoadGenerator {
  const dir = mkdtempSync(join(tmpdir(), 'aio-bench-wrk-'));
  const lua = join(dir, 'post.lua');
  writeFileSync(lua, WRK_SCRIPT);
  const ms = (text: string, label: string): number => {
    const m = new RegExp(`\\s${label}%?\\s+([\\d.]+)(us|ms|s)\\b`).exec(text);
    if (m === null) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const count = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
  return {
    run: (url, connections, durationSec) =>
      new Promise<LoadResult>((resolve, reject) => {
        const args = ['-t1', `-c${connections}`, `-d${durationSec}s`, '--latency', '--timeout', '10s', '-s', lua, url];
        const child = PINNING ? spawn('taskset', ['-c', CORES.load, 'wrk', ...args]) : spawn('wrk', args);
        // taskset execs wrk in place: the pid is wrk's. It is gone at the end, so sample as it runs.
        let waited = 0;
        const sampler = setInterval(() => {
          const w = runQueueWaitSeconds(child.pid!);
          if (w > 0) waited = w;
        }, 100);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => {
          clearInterval(sampler);
          if (code !== 0) {
            reject(new Error(`wrk exited with code ${code}: ${out}`));
            return;
          }
          const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
          resolve({
            connections,
            durationSec,
            requests: count(out, /(\d+) requests in/),
            requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
            latencyP50Ms: ms(out, '50'),
            latencyP99Ms: ms(out, '99'),
            non2xx: count(out, /Non-2xx or 3xx responses: (\d+)/),
            errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
            timeouts: socket ? Number(socket[4]) : 0,
            runQueueWaitShare: round(waited / durationSec, 3),
          });
        });
      }),
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function startAutocannon(): Promise<LoadGenerator> {
  const child = spawnNode(script('load-client'), [], { cpu: CORES.load });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let waiting: ((msg: { result?: LoadResult; error?: string }) => void) | undefined;
  child.on('message', (msg: { type: string; result?: LoadResult; error?: string }) => {
    if (msg.type === 'run-result' && waiting) {
      const w = waiting;
      waiting = undefined;
      w(msg);
    }
  });
  return new Promise((resolve, reject) => {
    const early = (code: number | null): void => reject(new Error(`load generator exited early (code ${code})`));
    child.once('exit', early);
    child.once('message', () => {
      child.off('exit', early);
      resolve({
        run: (url, connections, durationSec) =>
          new Promise<LoadResult>((res, rej) => {
            const waited = runQueueWaitSeconds(child.pid!);
            waiting = (msg) =>
              msg.result ? res({ ...msg.result, runQueueWaitShare: round((runQueueWaitSeconds(child.pid!) - waited) / durationSec, 3) }) : rej(new Error(`autocannon: ${msg.error}`));
            child.send({ type: 'run', url, connections, durationSec });
          }),
        stop: async () => {
          child.send({ type: 'stop' });
          await exited;
        },
      });
    });
  });
}

export async function runWebLoad(givenBroker?: Broker): Promise<WebResult> {
  const concurrencies = pick({ full: [1, 10, 50, 100, 200, 400], quick: [1, 10, 100, 400], smoke: [10] });
  const durationSec = pick({ full: 6, quick: 2, smoke: 1 });
  const warmupSec = pick({ full: 3, quick: 1, smoke: 0 });
  const lingers = pick({ full: [0, 1, 5], quick: [0, 1, 5], smoke: [1] });
  const lingerConcurrencies = pick({ full: [1, 10, 100, 400], quick: [1, 100], smoke: [10] });
  const sharedLinger = 5;
  const pollIntervalMs = 1;

  const broker = givenBroker ?? (await startBroker());
  const load = await startLoadGenerator();
  const rows: WebRow[] = [];
  const lingerSweep: WebResult['lingerSweep'] = [];
  let serverStats: unknown;
  try {
    const server = await startServer([broker.bootstrapServers, String(sharedLinger), String(pollIntervalMs)]);
    const base = `http://127.0.0.1:${server.port}`;
    progress(SCENARIO, `server on port ${server.port}; warm-up ${warmupSec}s per endpoint`);
    if (warmupSec > 0) for (const ep of ENDPOINTS) await load.run(base + ep.path, 50, warmupSec);

    const total = concurrencies.length * ENDPOINTS.length;
    let done = 0;
    for (const connections of concurrencies) {
      const atThisLevel: Record<string, LoadResult> = {};
      for (const ep of ENDPOINTS) {
        const r = await load.run(base + ep.path, connections, durationSec);
        atThisLevel[ep.path] = r;
        done++;
        progress(
          SCENARIO,
          `${done}/${total} c=${connections} ${ep.path}: ${Math.round(r.requestsPerSec)} req/s p50 ${r.latencyP50Ms} ms p99 ${r.latencyP99Ms} ms` +
            (r.non2xx + r.errors > 0 ? ` (non2xx ${r.non2xx}, errors ${r.errors})` : ''),
        );
      }
      const noop = atThisLevel['/noop']!.requestsPerSec;
      for (const ep of ENDPOINTS) {
        const r = atThisLevel[ep.path]!;
        const rawPath = matchingRaw(ep.path);
        rows.push({
          endpoint: ep.path,
          ...r,
          requestsPerSec: round(r.requestsPerSec),
          ratioToNoop: ratio(r.requestsPerSec, noop),
          ratioToRaw: rawPath ? ratio(r.requestsPerSec, atThisLevel[rawPath]!.requestsPerSec) : NaN,
        });
      }
    }
    serverStats = await server.stop();

    for (const lingerMs of lingers) {
      const s = await startServer([broker.bootstrapServers, String(lingerMs), String(pollIntervalMs)]);
      const url = `http://127.0.0.1:${s.port}/await`;
      if (warmupSec > 0) await load.run(url, 50, warmupSec);
      for (const connections of lingerConcurrencies) {
        const r = await load.run(url, connections, durationSec);
        lingerSweep.push({ lingerMs, ...r, requestsPerSec: round(r.requestsPerSec) });
        progress(SCENARIO, `linger.ms=${lingerMs} c=${connections} /await: ${Math.round(r.requestsPerSec)} req/s p50 ${r.latencyP50Ms} ms p99 ${r.latencyP99Ms} ms`);
      }
      await s.stop();
    }
  } finally {
    await load.stop();
    if (givenBroker === undefined) await broker.stop();
  }

  const result: WebResult = {
    scenario: 'web-load',
    environment: captureEnvironment(),
    config: describeConfig(librdkafkaConfig('')),
    method: {
      durationSec,
      warmupSec,
      concurrencies,
      pollIntervalMs,
      body: 'POST, 100-byte JSON body, produced as the message value (no key)',
      loadGenerator: 'autocannon in its own process, one run per endpoint per concurrency, endpoints interleaved',
      lingerSweep: { lingers, concurrencies: lingerConcurrencies, endpoint: '/await' },
    },
    endpoints: ENDPOINTS,
    rows,
    lingerSweep,
    server: serverStats,
  };
  writeResult('web-load', result);
  return result;
}

if (require.main === module) {
  runWebLoad().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
