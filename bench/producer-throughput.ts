/*
 * Scenario 2: producer throughput and delivery latency, every client side by side against the
 * same cluster with the same message, topic layout and acks. One child process per client
 * (throughput-client.ts); medians over the repeats; ratios to raw node-rdkafka with delivery
 * reports on, measured in the same run.
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
    'raw-serial': serial,
    'raw-nodr': bulk,
    hlp: bulk,
    'kafkajs-send': kafkajsSend,
    'kafkajs-batch': bulk,
  };
  const broker = givenBroker ?? (await startBroker());
  const rows: ThroughputRow[] = [];
  const errors: ThroughputResult['errors'] = [];
  const clients = CLIENTS.filter((c) => only === undefined || only.includes(c.id));
  try {
    for (const [index, c] of clients.entries()) {
      const n = perClient[c.id];
      const warmup = Math.max(10, Math.round(n / 5));
      progress(SCENARIO, `${index + 1}/${clients.length} ${c.id}: warm-up ${warmup}, ${repeats} x ${n} messages`);
      try {
        const out = await runChild<{ runs: RunStats[]; peakRssMiB: number }>(
          'throughput-client',
          [c.id, broker.bootstrapServers, String(n), String(repeats), String(warmup), String(window), `bench-tp-${c.id}`],
          {
            cpu: CORES.subject,
            timeoutMs: pick({ full: 300_000, quick: 120_000, smoke: 60_000 }),
            onMessage: (msg) => {
              if (msg.type === 'progress') progress(SCENARIO, `  ${c.id} ${String(msg.message)}`);
            },
          },
        );
        const m = (f: keyof RunStats) => median(out.runs.map((r) => r[f]).filter((v) => Number.isFinite(v)));
        rows.push({
          client: c.id,
          label: c.label,
          messagesPerRun: n,
          runs: out.runs,
          messagesPerSec: m('messagesPerSec'),
          p50Ms: m('p50Ms'),
          p99Ms: m('p99Ms'),
          cpuSecondsPer100k: m('cpuSecondsPer100k'),
          peakRssMiB: out.peakRssMiB,
          failed: out.runs.reduce((s, r) => s + r.failed, 0),
          ratioToRawDr: NaN,
        });
      } catch (err) {
        errors.push({ client: c.id, error: (err as Error).message });
        progress(SCENARIO, `  ${c.id} FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }
  const raw = rows.find((r) => r.client === 'raw-dr');
  for (const r of rows) r.ratioToRawDr = raw ? ratio(r.messagesPerSec, raw.messagesPerSec) : NaN;

  const result: ThroughputResult = {
    scenario: 'producer-throughput',
    environment: captureEnvironment(),
    config: describeConfig(librdkafkaConfig('')),
    kafkajsConfig: 'acks=-1 compression=none idempotent=false (KafkaJS idempotence allows 1 request in flight) allowAutoTopicCreation=true',
    method: {
      message: `${VALUE_BYTES}-byte value, ${KEY_BYTES}-byte key (1024 distinct keys, in turn)`,
      topics: 'one topic per client, auto-created by the mock cluster (4 partitions)',
      repeats,
      warmup: 'one run of n/5 messages before the measured runs, same process',
      window,
      messagesPerRun: perClient,
      pollIntervalMs: 'AIOProducer default (1 ms); raw node-rdkafka: setInterval(poll, 1); HighLevelProducer: its own 1 ms timer while busy',
      latency: 'produce call to delivery callback / promise settlement, performance.now(), per message; KafkaJS sendBatch: per batch',
      cpu: 'process.cpuUsage() (user+system, all threads of the client process) per run / delivered * 100k',
      rss: 'process.resourceUsage().maxRSS at the end of the child (peak over warm-up and all runs)',
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
      for (const row of r.rows) console.log(row.client, row.messagesPerSec, row.p50Ms, row.p99Ms, row.cpuSecondsPer100k, row.peakRssMiB, row.ratioToRawDr);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
