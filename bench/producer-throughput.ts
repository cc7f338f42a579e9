/*
 * Scenario 2: producer throughput and delivery latency, every client side by side against the
 * same cluster with the same message, topic layout and acks. One child process per client
 * per repeat (throughput-client.ts), clients in a rotated order; medians over the repeats; ratios
 * to raw node-rdkafka with delivery reports on (the ceiling) and to raw node-rdkafka with a
 * promise per message driven like aio-pipelined (like-for-like), measured in the same run.
 */
import {
  CORES,
  captureEnvironment,
  describeConfig,
  librdkafkaConfig,
  median,
  pick,
  progress,
  ratio,
  runChild,
  runOrder,
  startBroker,
  writeResult,
  KEY_BYTES,
  VALUE_BYTES,
  type Broker,
} from './harness';
import { CLIENTS, type ClientId, type RunStats } from './throughput-client';

export interface ThroughputRow {
  client: ClientId;
  label: string;
  messagesPerRun: number;
  runs: RunStats[];
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
  failed: number;
  ratioToRawDr: number;
  /** Like-for-like baseline of aio-pipelined: raw node-rdkafka + a promise per message, same driver. */
  ratioToRawPromisePipelined: number;
}

export interface ThroughputResult {
  scenario: 'producer-throughput';
  environment: ReturnType<typeof captureEnvironment>;
  config: string;
  kafkajsConfig: string;
  method: Record<string, unknown>;
  rows: ThroughputRow[];
  errors: Array<{ client: string; error: string }>;
}

const SCENARIO = 'throughput';

export async function runProducerThroughput(givenBroker?: Broker, only?: ClientId[]): Promise<ThroughputResult> {
  const repeats = pick({ full: 5, quick: 3, smoke: 1 });
  const window = pick({ full: 10_000, quick: 10_000, smoke: 100 });
  const bulk = pick({ full: 100_000, quick: 30_000, smoke: 300 });
  const serial = pick({ full: 300, quick: 100, smoke: 20 });
  const kafkajsSend = pick({ full: 20_000, quick: 5_000, smoke: 100 });
  const perClient: Record<ClientId, number> = {
    'aio-serial': serial,
    'aio-pipelined': bulk,
    'aio-produce2': bulk,
    'aio-ff': bulk,
    'raw-dr': bulk,
    'raw-promise-pipelined': bulk,
    'raw-serial': serial,
    'raw-nodr': bulk,
    hlp: bulk,
    'kafkajs-send': kafkajsSend,
    'kafkajs-batch': bulk,
  };
  const environment = captureEnvironment();
  const broker = givenBroker ?? (await startBroker());
  const rows: ThroughputRow[] = [];
  const errors: ThroughputResult['errors'] = [];
  const clients = CLIENTS.filter((c) => only === undefined || only.includes(c.id));
  const collected = new Map<ClientId, { runs: RunStats[]; rss: number[] }>(clients.map((c) => [c.id, { runs: [], rss: [] }]));
  const failedClients = new Set<ClientId>();
  const orders: ClientId[][] = [];
  try {
    for (let r = 0; r < repeats; r++) {
      const order = runOrder(clients.map((c) => c.id), r);
      orders.push(order);
      progress(SCENARIO, `repeat ${r + 1}/${repeats}: ${order.join(', ')}`);
      for (const id of order) {
        if (failedClients.has(id)) continue;
        const n = perClient[id];
        const warmup = Math.max(10, Math.round(n / 5));
        try {
          const out = await runChild<{ runs: RunStats[]; peakRssMiB: number }>(
            'throughput-client',
            [id, broker.bootstrapServers, String(n), '1', String(warmup), String(window), `bench-tp-${id}`],
            { cpu: CORES.subject, timeoutMs: pick({ full: 300_000, quick: 120_000, smoke: 60_000 }) },
          );
          const c = collected.get(id)!;
          c.runs.push(...out.runs);
          c.rss.push(out.peakRssMiB);
          progress(SCENARIO, `  ${id}: ${Math.round(out.runs[0]!.messagesPerSec)} msg/s`);
        } catch (err) {
          failedClients.add(id);
          errors.push({ client: id, error: (err as Error).message });
          progress(SCENARIO, `  ${id} FAILED: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }
  for (const c of clients) {
    const got = collected.get(c.id)!;
    if (failedClients.has(c.id) || got.runs.length === 0) continue;
    const m = (f: keyof RunStats) => median(got.runs.map((r) => r[f]).filter((v) => Number.isFinite(v)));
    rows.push({
      client: c.id,
      label: c.label,
      messagesPerRun: perClient[c.id],
      runs: got.runs,
      messagesPerSec: m('messagesPerSec'),
      p50Ms: m('p50Ms'),
      p99Ms: m('p99Ms'),
      cpuSecondsPer100k: m('cpuSecondsPer100k'),
      peakRssMiB: median(got.rss),
      failed: got.runs.reduce((s, r) => s + r.failed, 0),
      ratioToRawDr: NaN,
      ratioToRawPromisePipelined: NaN,
    });
  }
  const raw = rows.find((r) => r.client === 'raw-dr');
  const rawPromise = rows.find((r) => r.client === 'raw-promise-pipelined');
  for (const r of rows) {
    r.ratioToRawDr = raw ? ratio(r.messagesPerSec, raw.messagesPerSec) : NaN;
    r.ratioToRawPromisePipelined = rawPromise ? ratio(r.messagesPerSec, rawPromise.messagesPerSec) : NaN;
  }
  // Per-repeat ratio of the like-for-like pair (both runs of repeat r), to show the spread.
  const pairRatios: number[] = [];
  const aioRuns = collected.get('aio-pipelined')?.runs ?? [];
  const rawRuns = collected.get('raw-promise-pipelined')?.runs ?? [];
  for (let r = 0; r < Math.min(aioRuns.length, rawRuns.length); r++) pairRatios.push(ratio(aioRuns[r]!.messagesPerSec, rawRuns[r]!.messagesPerSec));

  const result: ThroughputResult = {
    scenario: 'producer-throughput',
    environment,
    config: describeConfig(librdkafkaConfig('')),
    kafkajsConfig: 'acks=-1 compression=none idempotent=false (KafkaJS idempotence allows 1 request in flight) allowAutoTopicCreation=true',
    method: {
      message: `${VALUE_BYTES}-byte value, ${KEY_BYTES}-byte key (1024 distinct keys, in turn)`,
      topics: 'one topic per client, auto-created by the mock cluster (4 partitions)',
      repeats,
      warmup: 'one run of n/5 messages before the measured run, same process',
      processes: 'a fresh child process per client per repeat: connect, warm-up, one measured run, close',
      order: 'each repeat runs every client once; repeat r runs the client list rotated by floor(r/2) places, reversed when r is odd: consecutive repeats run the same order forwards and backwards, so every pair of clients swaps order between them and no client always runs first',
      orders,
      pipelinedPairRatios: pairRatios,
      window,
      messagesPerRun: perClient,
      pollIntervalMs: 'AIOProducer default (1 ms); raw node-rdkafka: setInterval(poll, 1); HighLevelProducer: its own 1 ms timer while busy',
      latency: 'produce call to delivery callback / promise settlement, performance.now(), per message; KafkaJS sendBatch: per batch',
      cpu: 'process.cpuUsage() (user+system, all threads of the client process) per run / delivered * 100k',
      rss: 'process.resourceUsage().maxRSS at the end of each child (peak over its warm-up and measured run)',
    },
    rows,
    errors,
  };
  writeResult('producer-throughput', result);
  return result;
}

if (require.main === module) {
  const only = process.argv.slice(2) as ClientId[];
  runProducerThroughput(undefined, only.length > 0 ? only : undefined).then(
    (r) => {
      for (const row of r.rows) console.log(row.client, row.messagesPerSec, row.p50Ms, row.p99Ms, row.cpuSecondsPer100k, row.peakRssMiB, row.ratioToRawDr, row.ratioToRawPromisePipelined);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
