/*
 * Scenario 1: the seed article's web load test. One HTTP server process (web-server.ts) with
 * one endpoint per way of producing, loaded by autocannon in a separate process (load-client.ts)
 * at several concurrencies; endpoints interleaved at each concurrency so that every ratio comes
 * from the same run. Then a linger.ms sweep of the awaitable endpoint.
 */
import type { ChildProcess } from 'node:child_process';
import {
  CORES,
  captureEnvironment,
  describeConfig,
  librdkafkaConfig,
  pick,
  progress,
  ratio,
  round,
  script,
  spawnNode,
  startBroker,
  writeResult,
  type Broker,
} from './harness';
import type { LoadResult } from './load-client';
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
}

/**
 * Starts a server child (web-server.ts, or `scriptName` speaking the same IPC protocol) on the
 * measured core and resolves once it listens.
 */
export function startServer(args: string[], options: { scriptName?: string; execPath?: string } = {}): Promise<Server> {
  const child = spawnNode(script(options.scriptName ?? 'web-server'), args, {
    cpu: CORES.subject,
    ...(options.execPath === undefined ? {} : { execPath: options.execPath }),
  });
  return new Promise((resolve, reject) => {
    let result: unknown;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const early = (code: number | null): void => reject(new Error(`web server exited early (code ${code})`));
    child.once('exit', early);
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
        });
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

/** Starts the autocannon child (load-client.ts) on the load core. */
export function startLoadGenerator(): Promise<LoadGenerator> {
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
            waiting = (msg) => (msg.result ? res(msg.result) : rej(new Error(`autocannon: ${msg.error}`)));
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
