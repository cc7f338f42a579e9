/*
 * Scenario `peers` (issue 10): aio-rdkafka against the other Node.js Kafka clients and against
 * hand-written node-rdkafka baselines, measured in one run with interleaved repeats:
 *
 *   latency    sequential awaited sends, p50/p99, at linger.ms 0 and 5
 *   idle       CPU of a connected producer with nothing to do
 *   steady     CPU per message at a steady 1,000 awaited messages/s
 *   pipelined  awaited throughput with a window of concurrent awaits; batch calls beside it
 *   web        the seed article's load test: each client's awaitable endpoint, 1 to 400 connections
 *
 * One child process per client per measurement (peers-child.ts; the web test: one server per
 * client, peers-web-server.ts). Repeat r runs the clients in runOrder(clients, r) (ABAB...);
 * tables show medians over the repeats and ratios of medians against baselines of the same run.
 * Clients that are not installed (bench/peers/, `npm run bench:peers-install`) are listed as such.
 * BENCH_PEERS_PARTS=idle (a comma-separated list of the parts above) runs those parts alone; the
 * result then goes to bench/results/peers-<parts>.json, leaving peers.json as it was.
 */
import {
  CORES,
  IDLE_SETTLE_SECONDS,
  captureEnvironment,
  describeConfig,
  median,
  pick,
  progress,
  ratio,
  round,
  runChild,
  runOrder,
  startBroker,
  writeResult,
  KEY_BYTES,
  VALUE_BYTES,
  type Broker,
  type Environment,
  type ThreadCpu,
} from './harness';
import { availability, execPathOf, hasBackgroundPollOption, BATCH_SIZE, PEERS, TODAY_OPTIONS, BACKGROUND_POLL_OPTION, rdkafkaSettings, settingsOf, type Availability, type PeerId } from './peer-clients';
import type { ChildTask, IdleRun, LatencyRun, PipelinedRun, SteadyRun } from './peers-child';
import { startLoadGenerator, startServer, type Server } from './web-load';

export interface LatencyRow {
  client: PeerId;
  lingerMs: number;
  p50Ms: number;
  p99Ms: number;
  /** p50 of each repeat. */
  runsP50Ms: number[];
}
export interface IdleRow {
  client: PeerId;
  seconds: number;
  cpuPercentOfCore: number;
  runs: number[];
  /** Median over the repeats of each kind of thread's CPU, % of a core (Linux only). */
  threadsPercentOfCore?: ThreadCpu;
}
export interface SteadyRow {
  client: PeerId;
  lingerMs: number;
  cpuMicrosPerMessage: number;
  /** cpuMicrosPerMessage minus driver-only's at the same linger.ms: the client's own cost. */
  clientMicrosPerMessage: number;
  cpuPercentOfCore: number;
  achievedRate: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** CPU µs per message of each repeat. */
  runs: number[];
}
export interface PipelinedRow {
  client: PeerId;
  messagesPerRun: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
  failed: number;
  runs: number[];
  /** Single-message clients: to raw-map; batch clients: to raw-dr. */
  ratioToBaseline: number;
  ratioToCkjs: number;
}
export interface WebPeerRow {
  client: PeerId | 'noop';
  connections: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xxAndErrors: number;
  runs: number[];
  ratioToCkjs: number;
  ratioToNoop: number;
}

export interface PeersResult {
  scenario: 'peers';
  environment: Environment;
  clients: Array<Availability & { label: string }>;
  /** What each client runs with (at the shared linger.ms 5; latency and steady rows also at 0). */
  settings: Record<string, string>;
  /** AIOProducer clients: whether the background poll was on in their runs. */
  backgroundPoll: Record<string, string>;
  today: string;
  sharedConfig: string;
  method: Record<string, unknown>;
  latency: LatencyRow[];
  idle: IdleRow[];
  steady: SteadyRow[];
  pipelined: PipelinedRow[];
  web: WebPeerRow[];
  errors: Array<{ what: string; error: string }>;
}

const SCENARIO = 'peers';

/** Which clients each measurement compares (those not available are left out and listed). */
const SETS = {
  latency: ['aio', 'aio-ckjs', 'aio-today', 'raw-immediate', 'ckjs', 'kafkajs', 'platformatic'],
  idle: ['aio', 'aio-ckjs', 'aio-today', 'raw-map', 'ckjs', 'kafkajs', 'platformatic', 'driver-only'],
  steady: ['aio', 'aio-ckjs', 'aio-today', 'raw-map', 'ckjs', 'kafkajs', 'platformatic', 'driver-only'],
  pipelined: ['aio', 'aio-ckjs', 'aio-today', 'raw-map', 'ckjs', 'kafkajs', 'platformatic', 'aio-batch', 'raw-dr', 'ckjs-batch'],
  web: ['aio', 'ckjs', 'raw-map'],
} as const satisfies Record<string, readonly PeerId[]>;

/** The parts of the scenario, in the order they run. */
const PARTS = ['latency', 'idle', 'steady', 'pipelined', 'web'] as const;
type Part = (typeof PARTS)[number];

/** BENCH_PEERS_PARTS: the parts to run (all when unset). */
function partsToRun(): readonly Part[] {
  const asked = process.env.BENCH_PEERS_PARTS?.split(',').map((p) => p.trim()).filter(Boolean);
  if (asked === undefined || asked.length === 0) return PARTS;
  const unknown = asked.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`BENCH_PEERS_PARTS: unknown part(s) ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
  return PARTS.filter((p) => asked.includes(p));
}

/** Clients without a linger setting: measured at every linger.ms all the same (it changes nothing for them). */
const SHARED_LINGER = 5;

export async function runPeers(givenBroker?: Broker): Promise<PeersResult> {
  const sizes = {
    latencyRepeats: pick({ full: 3, quick: 2, smoke: 1 }),
    latencyMessages: pick({ full: 1000, quick: 300, smoke: 20 }),
    latencyWarmup: pick({ full: 200, quick: 50, smoke: 5 }),
    lingers: [0, 5],
    idleRepeats: pick({ full: 3, quick: 2, smoke: 1 }),
    idleSeconds: pick({ full: 60, quick: 20, smoke: 1 }),
    idleSettleSeconds: IDLE_SETTLE_SECONDS,
    steadyRepeats: pick({ full: 3, quick: 2, smoke: 1 }),
    steadyRate: pick({ full: 1000, quick: 1000, smoke: 200 }),
    steadySeconds: pick({ full: 3, quick: 2, smoke: 0.5 }),
    steadyWarmupSeconds: pick({ full: 0.5, quick: 0.5, smoke: 0 }),
    pipelinedRepeats: pick({ full: 3, quick: 3, smoke: 1 }),
    pipelinedMessages: pick({ full: 50_000, quick: 30_000, smoke: 300 }),
    /** KafkaJS and @platformatic/kafka: a request per message makes them much slower. */
    pipelinedMessagesSlow: pick({ full: 10_000, quick: 5_000, smoke: 100 }),
    window: pick({ full: 10_000, quick: 10_000, smoke: 100 }),
    webRepeats: pick({ full: 3, quick: 3, smoke: 1 }),
    webConcurrencies: pick({ full: [1, 10, 50, 100, 200, 400], quick: [1, 10, 100, 400], smoke: [10] }),
    webDurationSec: pick({ full: 3, quick: 1, smoke: 1 }),
    webWarmupSec: pick({ full: 2, quick: 1, smoke: 0 }),
    /** BENCH_PEERS_WEB_LINGER=0 runs the web test at linger.ms 0 instead (the shared 5 by default). */
    webLingerMs: Number(process.env.BENCH_PEERS_WEB_LINGER ?? SHARED_LINGER),
  };
  const parts = partsToRun();
  const environment = captureEnvironment();
  const all = [...new Set(Object.values(SETS).flat())] as PeerId[];
  const avail = new Map(all.map((id) => [id, availability(id)]));
  for (const a of avail.values()) progress(SCENARIO, a.available ? `${a.id}: ${a.version} on ${a.runtime}` : `${a.id}: skipped, ${a.reason}`);
  // BENCH_PEERS_CLIENTS=aio,aio-ckjs,ckjs measures those alone (the others are listed as left out).
  const only = process.env.BENCH_PEERS_CLIENTS?.split(',');
  const usable = (ids: readonly PeerId[]) => ids.filter((id) => avail.get(id)!.available && (only === undefined || only.includes(id)));
  const errors: PeersResult['errors'] = [];
  const failed = new Set<string>();
  const attempt = async <T>(what: string, client: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (failed.has(`${what}:${client}`)) return undefined;
    try {
      return await fn();
    } catch (err) {
      failed.add(`${what}:${client}`);
      errors.push({ what: `${what} ${client}`, error: (err as Error).message });
      progress(SCENARIO, `${what} ${client} FAILED: ${(err as Error).message}`);
      return undefined;
    }
  };
  /** Whether each AIOProducer client ran with the background poll on, as each child saw it. */
  const backgroundSeen = new Map<PeerId, Set<boolean>>();
  const child = async <T>(task: ChildTask, timeoutMs: number): Promise<T> => {
    const exec = execPathOf(task.client);
    const out = await runChild<T>('peers-child', [JSON.stringify(task)], { cpu: CORES.subject, timeoutMs, ...(exec ? { execPath: exec } : {}) });
    for (const run of (Array.isArray(out) ? out : [out]) as Array<{ backgroundPoll?: boolean }>) {
      if (typeof run.backgroundPoll !== 'boolean') continue;
      if (!backgroundSeen.has(task.client)) backgroundSeen.set(task.client, new Set());
      backgroundSeen.get(task.client)!.add(run.backgroundPoll);
    }
    return out;
  };

  const broker = givenBroker ?? (await startBroker());
  const bootstrap = broker.bootstrapServers;
  const latency: LatencyRow[] = [];
  const idle: IdleRow[] = [];
  const steady: SteadyRow[] = [];
  const pipelined: PipelinedRow[] = [];
  const web: WebPeerRow[] = [];
  try {
    // ---- Sequential awaited latency
    if (parts.includes('latency')) {
      const ids = usable(SETS.latency);
      const runs = new Map<string, LatencyRun[]>();
      for (let r = 0; r < sizes.latencyRepeats; r++) {
        const order = runOrder(ids, r);
        progress(SCENARIO, `latency repeat ${r + 1}/${sizes.latencyRepeats}: ${order.join(', ')}`);
        for (const id of order) {
          const out = await attempt('latency', id, () =>
            child<LatencyRun[]>(
              { mode: 'latency', client: id, bootstrap, lingers: sizes.lingers, messages: sizes.latencyMessages, warmup: sizes.latencyWarmup, topic: `peers-lat-${id}` },
              300_000,
            ),
          );
          for (const run of out ?? []) {
            const k = `${id}@${run.lingerMs}`;
            runs.set(k, [...(runs.get(k) ?? []), run]);
          }
          if (out) progress(SCENARIO, `  ${id}: ${out.map((o) => `linger ${o.lingerMs}: p50 ${o.p50Ms} ms p99 ${o.p99Ms} ms`).join('; ')}`);
        }
      }
      for (const id of ids) {
        for (const lingerMs of sizes.lingers) {
          const rs = runs.get(`${id}@${lingerMs}`);
          if (!rs?.length) continue;
          latency.push({ client: id, lingerMs, p50Ms: median(rs.map((x) => x.p50Ms)), p99Ms: median(rs.map((x) => x.p99Ms)), runsP50Ms: rs.map((x) => x.p50Ms) });
        }
      }
    }

    // ---- Idle CPU: every client at once, each in its own process, side by side on the measured core.
    if (parts.includes('idle')) {
      const ids = usable(SETS.idle);
      const runs = new Map<PeerId, IdleRun[]>();
      for (let r = 0; r < sizes.idleRepeats; r++) {
        progress(SCENARIO, `idle repeat ${r + 1}/${sizes.idleRepeats}: ${ids.join(', ')} side by side, ${sizes.idleSeconds} s`);
        const outs = await Promise.all(
          ids.map((id) =>
            attempt('idle', id, () =>
              child<IdleRun>(
                { mode: 'idle', client: id, bootstrap, lingerMs: SHARED_LINGER, seconds: sizes.idleSeconds, settleSeconds: sizes.idleSettleSeconds, topic: `peers-idle-${id}` },
                (sizes.idleSeconds + sizes.idleSettleSeconds) * 1000 + 120_000,
              ),
            ),
          ),
        );
        outs.forEach((o, i) => {
          if (o) runs.set(ids[i]!, [...(runs.get(ids[i]!) ?? []), o]);
        });
        const threadsOf = (t: ThreadCpu | undefined): string => (t ? ` (JS ${t.main}, node ${t.node}, rdk ${t.librdkafka})` : '');
        progress(SCENARIO, `  ${ids.map((id, i) => `${id} ${outs[i]?.cpuPercentOfCore ?? 'failed'}%${threadsOf(outs[i]?.threadsPercentOfCore)}`).join(', ')}`);
      }
      for (const id of ids) {
        const rs = runs.get(id);
        if (!rs?.length) continue;
        const threads = rs.map((x) => x.threadsPercentOfCore).filter((t): t is ThreadCpu => t !== undefined);
        const byKind = (kind: keyof ThreadCpu): number => round(median(threads.map((t) => t[kind])), 4);
        idle.push({
          client: id,
          seconds: sizes.idleSeconds,
          cpuPercentOfCore: round(median(rs.map((x) => x.cpuPercentOfCore)), 4),
          runs: rs.map((x) => x.cpuPercentOfCore),
          ...(threads.length === rs.length ? { threadsPercentOfCore: { main: byKind('main'), node: byKind('node'), librdkafka: byKind('librdkafka') } } : {}),
        });
      }
    }

    // ---- CPU per message at a steady rate
    if (parts.includes('steady')) {
      const ids = usable(SETS.steady);
      const runs = new Map<string, SteadyRun[]>();
      for (let r = 0; r < sizes.steadyRepeats; r++) {
        const order = runOrder(ids, r);
        progress(SCENARIO, `steady ${sizes.steadyRate} msg/s repeat ${r + 1}/${sizes.steadyRepeats}: ${order.join(', ')}`);
        for (const id of order) {
          const out = await attempt('steady', id, () =>
            child<SteadyRun[]>(
              {
                mode: 'steady',
                client: id,
                bootstrap,
                lingers: sizes.lingers,
                rate: sizes.steadyRate,
                seconds: sizes.steadySeconds,
                warmupSeconds: sizes.steadyWarmupSeconds,
                topic: `peers-steady-${id}`,
              },
              300_000,
            ),
          );
          for (const run of out ?? []) {
            const k = `${id}@${run.lingerMs}`;
            runs.set(k, [...(runs.get(k) ?? []), run]);
          }
          if (out) progress(SCENARIO, `  ${id}: ${out.map((o) => `linger ${o.lingerMs}: ${o.cpuMicrosPerMessage} µs/msg, ${o.cpuPercentOfCore}% of a core`).join('; ')}`);
        }
      }
      for (const id of ids) {
        for (const lingerMs of sizes.lingers) {
          const rs = runs.get(`${id}@${lingerMs}`);
          if (!rs?.length) continue;
          const m = (f: keyof SteadyRun) => median(rs.map((x) => x[f] as number));
          steady.push({
            client: id,
            lingerMs,
            cpuMicrosPerMessage: m('cpuMicrosPerMessage'),
            clientMicrosPerMessage: NaN,
            cpuPercentOfCore: m('cpuPercentOfCore'),
            achievedRate: m('achievedRate'),
            p50Ms: m('p50Ms'),
            p99Ms: m('p99Ms'),
            failed: rs.reduce((s, x) => s + x.failed, 0),
            runs: rs.map((x) => x.cpuMicrosPerMessage),
          });
        }
      }
      for (const row of steady) {
        const driver = steady.find((r) => r.client === 'driver-only' && r.lingerMs === row.lingerMs);
        row.clientMicrosPerMessage = driver ? round(row.cpuMicrosPerMessage - driver.cpuMicrosPerMessage, 2) : NaN;
      }
    }

    // ---- Pipelined awaited throughput, and batch calls
    if (parts.includes('pipelined')) {
      const ids = usable(SETS.pipelined);
      const runs = new Map<PeerId, PipelinedRun[]>();
      const slow = (id: PeerId) => id === 'kafkajs' || id === 'platformatic';
      for (let r = 0; r < sizes.pipelinedRepeats; r++) {
        const order = runOrder(ids, r);
        progress(SCENARIO, `pipelined repeat ${r + 1}/${sizes.pipelinedRepeats}: ${order.join(', ')}`);
        for (const id of order) {
          const n = slow(id) ? sizes.pipelinedMessagesSlow : sizes.pipelinedMessages;
          const out = await attempt('pipelined', id, () =>
            child<PipelinedRun>(
              { mode: 'pipelined', client: id, bootstrap, lingerMs: SHARED_LINGER, messages: n, warmup: Math.max(10, Math.round(n / 5)), window: sizes.window, topic: `peers-tp-${id}` },
              300_000,
            ),
          );
          if (out) {
            runs.set(id, [...(runs.get(id) ?? []), out]);
            progress(SCENARIO, `  ${id}: ${Math.round(out.messagesPerSec)} msg/s`);
          }
        }
      }
      for (const id of ids) {
        const rs = runs.get(id);
        if (!rs?.length) continue;
        const m = (f: keyof PipelinedRun) => median(rs.map((x) => x[f] as number));
        pipelined.push({
          client: id,
          messagesPerRun: rs[0]!.messages,
          messagesPerSec: m('messagesPerSec'),
          p50Ms: m('p50Ms'),
          p99Ms: m('p99Ms'),
          cpuSecondsPer100k: m('cpuSecondsPer100k'),
          peakRssMiB: m('peakRssMiB'),
          failed: rs.reduce((s, x) => s + x.failed, 0),
          runs: rs.map((x) => x.messagesPerSec),
          ratioToBaseline: NaN,
          ratioToCkjs: NaN,
        });
      }
      const rate = (id: PeerId) => pipelined.find((p) => p.client === id)?.messagesPerSec ?? NaN;
      for (const row of pipelined) {
        const batch = PEERS[row.client].kind === 'batch';
        row.ratioToBaseline = ratio(row.messagesPerSec, rate(batch ? 'raw-dr' : 'raw-map'));
        row.ratioToCkjs = ratio(row.messagesPerSec, rate(batch ? 'ckjs-batch' : 'ckjs'));
      }
    }

    // ---- Web load test: one server per client, awaitable endpoints interleaved per repeat
    if (parts.includes('web')) {
      const ids = usable(SETS.web);
      const servers = new Map<PeerId, Server>();
      const load = await startLoadGenerator();
      try {
        for (const id of ids) {
          const exec = execPathOf(id);
          const s = await attempt('web server', id, () =>
            startServer([bootstrap, String(sizes.webLingerMs), id], { scriptName: 'peers-web-server', ...(exec ? { execPath: exec } : {}) }),
          );
          if (s) servers.set(id, s);
        }
        const targets: Array<PeerId | 'noop'> = servers.has('aio') ? ['noop', ...servers.keys()] : [...servers.keys()];
        const url = (t: PeerId | 'noop') => `http://127.0.0.1:${servers.get(t === 'noop' ? 'aio' : t)!.port}/${t === 'noop' ? 'noop' : 'await'}`;
        if (sizes.webWarmupSec > 0) for (const t of targets) await load.run(url(t), 50, sizes.webWarmupSec);
        for (const connections of sizes.webConcurrencies) {
          const cell = new Map<string, Array<{ rps: number; p50: number; p99: number; bad: number }>>();
          for (let r = 0; r < sizes.webRepeats; r++) {
            for (const t of runOrder(targets, r)) {
              const res = await attempt('web', `${t} c=${connections}`, () => load.run(url(t), connections, sizes.webDurationSec));
              if (!res) continue;
              cell.set(t, [...(cell.get(t) ?? []), { rps: res.requestsPerSec, p50: res.latencyP50Ms, p99: res.latencyP99Ms, bad: res.non2xx + res.errors }]);
              progress(SCENARIO, `web c=${connections} repeat ${r + 1}/${sizes.webRepeats} ${t}: ${Math.round(res.requestsPerSec)} req/s p50 ${res.latencyP50Ms} ms p99 ${res.latencyP99Ms} ms${res.non2xx + res.errors > 0 ? ` (non2xx ${res.non2xx}, errors ${res.errors})` : ''}`);
            }
          }
          const rps = (t: string) => median((cell.get(t) ?? []).map((x) => x.rps));
          for (const t of targets) {
            const rs = cell.get(t);
            if (!rs?.length) continue;
            web.push({
              client: t,
              connections,
              requestsPerSec: round(rps(t)),
              latencyP50Ms: median(rs.map((x) => x.p50)),
              latencyP99Ms: median(rs.map((x) => x.p99)),
              non2xxAndErrors: rs.reduce((s, x) => s + x.bad, 0),
              runs: rs.map((x) => round(x.rps)),
              ratioToCkjs: ratio(rps(t), rps('ckjs')),
              ratioToNoop: ratio(rps(t), rps('noop')),
            });
          }
        }
      } finally {
        for (const [id, s] of servers) await attempt('web server stop', id, () => s.stop());
        await load.stop();
      }
    }
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }

  const settings: Record<string, string> = {};
  for (const id of all) settings[id] = settingsOf(id, SHARED_LINGER);
  const backgroundPoll: Record<string, string> = {};
  for (const [id, seen] of backgroundSeen) backgroundPoll[id] = seen.size > 1 ? 'on in some runs, off in others' : seen.has(true) ? 'on' : 'off';
  if (hasBackgroundPollOption() && backgroundPoll.aio !== undefined && backgroundPoll.aio !== 'on') {
    const msg = `aio ran with the background poll ${backgroundPoll.aio}: is the plugin built (npm run install: native/build/Release/aio_rdkafka_poller.node)?`;
    errors.push({ what: 'aio wake-up', error: msg });
    progress(SCENARIO, `WARNING: ${msg}`);
  }
  const result: PeersResult = {
    scenario: 'peers',
    environment,
    clients: all.map((id) => ({ ...avail.get(id)!, label: PEERS[id].label })),
    settings,
    backgroundPoll,
    today: `aio-today: AIOProducer.connect(config, ${JSON.stringify(TODAY_OPTIONS)}); ${hasBackgroundPollOption() ? `this build has ${BACKGROUND_POLL_OPTION}` : `this build has no ${BACKGROUND_POLL_OPTION} option, so today is the current behaviour`}`,
    sharedConfig: describeConfig(rdkafkaSettings('', SHARED_LINGER)),
    method: {
      ...sizes,
      batchSize: BATCH_SIZE,
      message: `${VALUE_BYTES}-byte value, ${KEY_BYTES}-byte key (1024 distinct keys, in turn); the web test: the 100-byte request body, no key`,
      order: 'repeat r runs the clients rotated by floor(r/2) places, reversed when r is odd (runOrder in bench/harness.ts): consecutive repeats swap every pair',
      processes: 'a fresh child process per client per repeat (connect, warm-up, measure, close); the idle repeat runs every client at once, each in its own process; the web test: one server process per client, all alive, loaded one at a time',
      latency: 'each send awaited before the next; performance.now() around each await; p50/p99 of the measured sends, median of the repeats',
      idle: `connected, one message delivered, ${sizes.idleSettleSeconds} s to settle (V8's collections after start-up), then process.cpuUsage() over the idle period / wall time; by thread: /proc/self/task/*/schedstat (JavaScript thread, Node's other threads, librdkafka's; the JavaScript thread's and the total include one reading of /proc, about 1 ms)`,
      steady: 'a 1 ms timer sends what the schedule owes (rate x elapsed), every send awaited on its own; CPU of the process from the first send until the last settled / messages; "client µs/msg" subtracts driver-only (the same loop with sends that resolve at once), and the targets use it',
      pipelined: `window concurrent async loops, each awaiting one call at a time (single clients: one message per call; batch clients: ${BATCH_SIZE} per call, window / ${BATCH_SIZE} loops)`,
      web: 'autocannon in its own process (load core), POST 100-byte JSON body; one server per client on the measured core; at each concurrency the endpoints run in runOrder per repeat; /noop is the aio server\'s',
    },
    latency,
    idle,
    steady,
    pipelined,
    web,
    errors,
  };
  writeResult(parts.length === PARTS.length ? 'peers' : `peers-${parts.join('-')}`, result);
  return result;
}

if (require.main === module) {
  runPeers().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
