/*
 * `npm run bench`: every scenario against the embedded mock cluster (or KAFKA_BROKERS), then the
 * summary table, the charts and (with BENCH_DOCS=1) docs/benchmarks.md.
 *
 *   npm run bench                      full run (about 10 minutes on 2 cores)
 *   BENCH_QUICK=1 npm run bench        shorter pass for development
 *   npm run bench -- web throughput    only the named scenarios (web, throughput, costs, consumer, peers)
 *   npm run bench -- peers             issue 10's peers comparison (install the peers first:
 *                                      npm run bench:peers-install; missing ones are skipped;
 *                                      BENCH_PEERS_WEB_LINGER=0: its web test at linger.ms 0)
 *   npm run bench -- ratios            issue 18: every produce path against raw node-rdkafka and every
 *                                      target with met/missed (BENCH_PEERS_DIR=dir: CKJS from there;
 *                                      BENCH_RATIOS_SECTIONS / _PATHS / _VARIANTS: see bench/ratios.ts)
 *   npm run bench -- report            no measurement: summary, charts and docs from the JSON files
 *   BENCH_PIN=0                        no taskset pinning
 *   BENCH_RESULTS_DIR=dir              where JSON and SVG go (default bench/results)
 *   BENCH_DOCS=1 [BENCH_RUN_NOTE=text] with `report`: rewrite docs/benchmarks.md; a run note (one per line) is
 *                                      added to bench/results/run-notes.txt, which the doc lists
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConsumerConcurrency, type ConsumerResult } from './consumer-concurrency';
import { runCosts, type CostsResult } from './costs';
import { MODE, REPO_ROOT, RESULTS_DIR, progress, readResult, startBroker } from './harness';
import { runPeers, type PeersResult } from './peers';
import type { InstalledLatencyResult } from './installed-latency';
import type { PollOptionsResult } from './poll-options';
import { runProducerThroughput, type ThroughputResult } from './producer-throughput';
import type { ProfilesResult } from './profile';
import { runRatios, type RatiosResult } from './ratios';
import { renderDocs, summaryText, writeCharts, type AllResults } from './report';
import { runWebLoad, type WebResult } from './web-load';

const SCENARIOS = ['web', 'throughput', 'costs', 'consumer', 'peers', 'ratios'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Facts for the doc that no measurement produces. */
const NOTES = [
  '@confluentinc/kafka-javascript (CKJS), @platformatic/kafka and the Node 24 binary it needs are compared in section 5, installed on demand into bench/peers/ by `npm run bench:peers-install` (not by `npm ci`, so not in CI). CKJS\'s install first tries to download a prebuilt binary, which this network does not reach, then builds from source; with `CKJS_LINKING=dynamic` that build links Debian\'s libssl-dev and zlib1g-dev instead of downloading OpenSSL and zlib sources, and succeeds offline (about 7 minutes on 2 busy cores). Its librdkafka (2.15.1) has the same soname as node-rdkafka\'s (2.12), so the two never share a process.',
  'KafkaJS runs with idempotence off: its idempotent mode permits one request in flight, which would measure that limit rather than the client. The librdkafka clients run with enable.idempotence=true (AIOProducer\'s default).',
  'The raw node-rdkafka and HighLevelProducer clients are built the way AIOProducer builds its producer: the shared config is split with `splitConfig` (src/native/config.ts) into node-rdkafka\'s global and topic arguments, because node-rdkafka installs its second constructor argument as librdkafka\'s default topic configuration, which replaces topic-level properties (partitioner, acks, message.timeout.ms, compression.*) given in the global object. Every librdkafka client therefore runs with partitioner=murmur2_random and acks=-1.',
  'Latencies of the windowed clients are dominated by queueing behind the window (10k messages in flight); the serial rows show the per-message latency without queueing.',
];

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => (SCENARIOS as readonly string[]).includes(a)) as Scenario[];
  const reportOnly = process.argv.includes('report');
  const run = reportOnly ? [] : asked.length > 0 ? asked : [...SCENARIOS];
  progress('bench', `mode ${MODE}; scenarios: ${run.join(', ')}`);
  const fresh: AllResults = {};
  for (const scenario of run) {
    const broker = await startBroker();
    try {
      progress('bench', `--- ${scenario} (broker ${broker.bootstrapServers})`);
      if (scenario === 'web') fresh.web = await runWebLoad(broker);
      else if (scenario === 'throughput') fresh.throughput = await runProducerThroughput(broker);
      else if (scenario === 'costs') fresh.costs = await runCosts(broker);
      else if (scenario === 'peers') fresh.peers = await runPeers(broker);
      else if (scenario === 'ratios') fresh.ratios = await runRatios(broker);
      else fresh.consumer = await runConsumerConcurrency(broker);
    } finally {
      await broker.stop();
    }
  }
  const all: AllResults = {
    web: fresh.web ?? readResult<WebResult>('web-load'),
    throughput: fresh.throughput ?? readResult<ThroughputResult>('producer-throughput'),
    costs: fresh.costs ?? readResult<CostsResult>('costs'),
    consumer: fresh.consumer ?? readResult<ConsumerResult>('consumer-concurrency'),
    peers: fresh.peers ?? readResult<PeersResult>('peers'),
    pollOptions: readResult<PollOptionsResult>('poll-options'),
    installedLatency: readResult<InstalledLatencyResult>('installed-latency'),
    ratios: fresh.ratios ?? readResult<RatiosResult>('ratios'),
    profiles: readResult<ProfilesResult>('profiles'),
  };
  const charts = writeCharts(all);
  process.stdout.write(`\n${summaryText(all)}\n\nResults and charts in ${Object.values(charts)[0] ? join(Object.values(charts)[0]!, '..') : 'bench/results'}\n`);
  if (process.env.BENCH_DOCS === '1') {
    // BENCH_RUN_NOTE: a fact about this particular run (e.g. what else ran on the machine), one
    // per line. Kept in bench/results/run-notes.txt beside the results they describe, so that a
    // later rewrite of the doc keeps them.
    const notesFile = join(RESULTS_DIR, 'run-notes.txt');
    if (process.env.BENCH_RUN_NOTE) appendFileSync(notesFile, `${process.env.BENCH_RUN_NOTE.trim()}\n`);
    const runNotes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8').split('\n').filter(Boolean) : [];
    const notes = [...NOTES, ...runNotes];
    const doc = renderDocs(all, charts, { shared: process.env.BENCH_SHARED_MACHINE !== '0', notes });
    writeFileSync(join(REPO_ROOT, 'docs', 'benchmarks.md'), doc);
    progress('bench', 'wrote docs/benchmarks.md');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
