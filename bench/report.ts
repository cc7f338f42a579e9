/*
 * Turns the JSON results into the summary printed at the end of a run, the SVG charts, the
 * target checks and docs/benchmarks.md. Every number in the doc comes from the JSON files.
 */
import { installedLatencyDocs, type InstalledLatencyResult } from './installed-latency';
import { pollOptionsTable, type PollOptionsResult } from './poll-options';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ConsumerResult } from './consumer-concurrency';
import type { CostsResult } from './costs';
import { REPO_ROOT, RESULTS_DIR, formatNumber, markdownTable, textTable, type Environment } from './harness';
import type { PeersResult } from './peers';
import { checkPeerTargets, peersDocs, peersSummary } from './peers-report';
import type { ThroughputResult } from './producer-throughput';
import type { ProfilesResult } from './profile';
import { ratiosDocs, ratiosSummary, type RatiosResult } from './ratios';
import { barChart, lineChart } from './svg';
import type { WebResult } from './web-load';

export interface AllResults {
  web?: WebResult;
  throughput?: ThroughputResult;
  costs?: CostsResult;
  consumer?: ConsumerResult;
  peers?: PeersResult;
  pollOptions?: PollOptionsResult;
  installedLatency?: InstalledLatencyResult;
  ratios?: RatiosResult;
  profiles?: ProfilesResult;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const at = (web: WebResult, endpoint: string, connections: number) =>
  web.rows.find((r) => r.endpoint === endpoint && r.connections === connections);

/** Evaluates every target of the benchmark issue against the results at hand. */
export function checkTargets(all: AllResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { web, throughput, costs } = all;
  if (web) {
    const levels = [...new Set(web.rows.map((r) => r.connections))];
    const ratios = (endpoint: string, field: 'ratioToRaw' | 'ratioToNoop') =>
      levels.map((c) => `${c}: ${formatNumber(at(web, endpoint, c)?.[field] ?? NaN)}`).join(', ');
    const minRatio = (endpoint: string) => Math.min(...levels.map((c) => at(web, endpoint, c)?.ratioToRaw ?? NaN));
    checks.push({
      target: 'web: fire-and-forget >= 0.97 of raw fire-and-forget (every concurrency)',
      measured: ratios('/fire-and-forget', 'ratioToRaw'),
      met: minRatio('/fire-and-forget') >= 0.97,
    });
    checks.push({
      target: 'web: awaitable >= 0.95 of raw awaitable (every concurrency)',
      measured: ratios('/await', 'ratioToRaw'),
      met: minRatio('/await') >= 0.95,
    });
    const c100 = levels.includes(100) ? 100 : levels.at(-1)!;
    const ff = at(web, '/fire-and-forget', c100)?.ratioToNoop ?? NaN;
    const aw = at(web, '/await', c100)?.ratioToNoop ?? NaN;
    checks.push({ target: `web: fire-and-forget > 0.68 of no-op at ${c100} connections (naive figure)`, measured: formatNumber(ff), met: ff > 0.68 });
    checks.push({ target: `web: awaitable > 0.42 of no-op at ${c100} connections (naive figure)`, measured: formatNumber(aw), met: aw > 0.42 });
  }
  if (throughput) {
    const row = (id: string) => throughput.rows.find((r) => r.client === id);
    const pipelined = row('aio-pipelined');
    const pairs = (throughput.method as { pipelinedPairRatios?: number[] }).pipelinedPairRatios ?? [];
    checks.push({
      target: 'throughput: AIOProducer pipelined >= 0.9 of raw node-rdkafka + hand-written promise, same driver (like-for-like)',
      measured: pipelined
        ? `${formatNumber(pipelined.ratioToRawPromisePipelined)} (ratio of medians; per repeat ${pairs.map((p) => formatNumber(p)).join(', ')})`
        : 'not measured',
      met: pipelined ? pipelined.ratioToRawPromisePipelined >= 0.9 : undefined,
    });
    checks.push({
      target: 'throughput: AIOProducer pipelined >= 0.9 of raw node-rdkafka with delivery-report callbacks, no promise (the ceiling)',
      measured: pipelined ? formatNumber(pipelined.ratioToRawDr) : 'not measured',
      met: pipelined ? pipelined.ratioToRawDr >= 0.9 : undefined,
    });
    const kjs = row('kafkajs-send');
    checks.push({
      target: 'throughput: AIOProducer pipelined >= 3x KafkaJS single-message send()',
      measured: pipelined && kjs ? `${formatNumber(pipelined.messagesPerSec / kjs.messagesPerSec)}x` : 'not measured',
      met: pipelined && kjs ? pipelined.messagesPerSec / kjs.messagesPerSec >= 3 : undefined,
    });
    const serial = row('aio-serial');
    const rawSerial = row('raw-serial');
    checks.push({
      target: 'latency: AIOProducer awaited one at a time, p50 within 1 ms of raw node-rdkafka one at a time',
      measured: serial && rawSerial ? `${formatNumber(serial.p50Ms)} ms vs ${formatNumber(rawSerial.p50Ms)} ms` : 'not measured',
      met: serial && rawSerial ? Math.abs(serial.p50Ms - rawSerial.p50Ms) <= 1 : undefined,
    });
  }
  if (costs) {
    const idle = costs.idle.find((r) => r.client === 'aio');
    checks.push({
      target: 'idle CPU of a connected AIOProducer < 1% of a core',
      measured: idle ? `${formatNumber(idle.cpuPercentOfCore)}% over ${idle.seconds} s` : 'not measured',
      met: idle ? idle.cpuPercentOfCore < 1 : undefined,
    });
  }
  if (all.peers) checks.push(...checkPeerTargets(all.peers));
  if (all.ratios) checks.push(...all.ratios.targets.map((t) => ({ ...t, target: `ratios: ${t.target}` })));
  return checks;
}

function targetRows(checks: TargetCheck[]): Array<Array<string>> {
  return [['target', 'measured', 'met'], ...checks.map((c) => [c.target, c.measured, c.met === undefined ? 'n/a' : c.met ? 'yes' : 'no'])];
}

// ---------------------------------------------------------------------------------------------
// Tables

function webTable(web: WebResult): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [['endpoint', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'vs no-op', 'vs raw', 'non-2xx + errors']];
  for (const r of web.rows) {
    rows.push([r.endpoint, r.connections, r.requestsPerSec, r.latencyP50Ms, r.latencyP99Ms, r.ratioToNoop, r.ratioToRaw, r.non2xx + r.errors]);
  }
  return rows;
}

function webPivot(web: WebResult, field: 'requestsPerSec' | 'ratioToNoop' | 'ratioToRaw'): Array<Array<string | number>> {
  const levels = [...new Set(web.rows.map((r) => r.connections))];
  const rows: Array<Array<string | number>> = [['endpoint', ...levels.map((c) => `c=${c}`)]];
  for (const ep of web.endpoints) rows.push([ep.path, ...levels.map((c) => at(web, ep.path, c)?.[field] ?? NaN)]);
  return rows;
}

function lingerTable(web: WebResult): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [['linger.ms', 'connections', 'req/s', 'p50 ms', 'p99 ms']];
  for (const r of web.lingerSweep) rows.push([r.lingerMs, r.connections, r.requestsPerSec, r.latencyP50Ms, r.latencyP99Ms]);
  return rows;
}

function throughputTable(t: ThroughputResult): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [
    ['client', 'msgs/run', 'delivered msg/s', 'vs raw-dr', 'vs raw-promise-pipelined', 'p50 ms', 'p99 ms', 'CPU s / 100k', 'peak RSS MiB', 'failed'],
  ];
  for (const r of t.rows) {
    rows.push([r.client, r.messagesPerRun, r.messagesPerSec, r.ratioToRawDr, r.ratioToRawPromisePipelined ?? NaN, r.p50Ms, r.p99Ms, r.cpuSecondsPer100k, r.peakRssMiB, r.failed]);
  }
  return rows;
}

function consumerTable(c: ConsumerResult): Array<Array<string | number>> {
  return [
    ['concurrency', 'median msg/s', 'runs msg/s', 'ideal msg/s', 'vs concurrency 1'],
    ...c.rows.map((r) => [r.concurrency, r.messagesPerSec, r.runs.map((v) => formatNumber(v)).join(', '), r.idealMessagesPerSec, r.ratioToConcurrency1]),
  ];
}

function costTables(c: CostsResult) {
  return {
    idle: [['client', 'seconds', 'CPU s', '% of a core'], ...c.idle.map((r) => [r.client, r.seconds, r.cpuSeconds, r.cpuPercentOfCore])],
    memory: [
      ['variant', 'in flight', 'JS heap B/msg', 'RSS B/msg', 'RSS above 116 B payload', 'external B/msg', 'drain s'],
      ...c.memory.map((r) => [r.variant, r.inFlight, r.heapBytesPerMessage, r.rssBytesPerMessage, r.rssBytesAbovePayload, r.externalBytesPerMessage, r.drainSeconds]),
    ],
    pools: [
      ['producers', 'callers', 'msg/s', 'p50 ms', 'p99 ms', 'CPU s / 100k', 'peak RSS MiB'],
      ...c.pools.map((r) => [r.producers, r.concurrency, r.messagesPerSec, r.p50Ms, r.p99Ms, r.cpuSecondsPer100k, r.peakRssMiB]),
    ],
    poll: [
      ['pollIntervalMs', 'rate msg/s', 'p50 ms', 'p99 ms', '% of a core', 'CPU s / 100k'],
      ...c.poll.map((r) => [r.pollIntervalMs, r.ratePerSec, r.p50Ms, r.p99Ms, r.cpuPercentOfCore, r.cpuSecondsPer100k]),
    ],
  } as Record<string, Array<Array<string | number>>>;
}

// ---------------------------------------------------------------------------------------------
// Charts

/** Writes the SVG charts next to the JSON results; returns their paths by name. */
export function writeCharts(all: AllResults): Record<string, string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const charts: Record<string, string> = {};
  const put = (name: string, svg: string) => {
    const path = join(RESULTS_DIR, `${name}.svg`);
    writeFileSync(path, svg);
    charts[name] = path;
  };
  const { web, throughput, costs } = all;
  if (web) {
    const levels = [...new Set(web.rows.map((r) => r.connections))];
    put(
      'web-rps',
      lineChart({
        title: 'Web load test: requests/s by endpoint',
        xLabel: 'concurrent connections',
        yLabel: 'requests / s',
        x: levels,
        series: web.endpoints.map((ep) => ({ name: ep.path, values: levels.map((c) => at(web, ep.path, c)?.requestsPerSec ?? NaN) })),
      }),
    );
    put(
      'web-p99',
      lineChart({
        title: 'Web load test: p99 latency by endpoint',
        xLabel: 'concurrent connections',
        yLabel: 'p99 latency, ms',
        x: levels,
        series: web.endpoints.map((ep) => ({ name: ep.path, values: levels.map((c) => at(web, ep.path, c)?.latencyP99Ms ?? NaN) })),
      }),
    );
    const lx = [...new Set(web.lingerSweep.map((r) => r.connections))];
    const lingers = [...new Set(web.lingerSweep.map((r) => r.lingerMs))];
    put(
      'web-linger',
      lineChart({
        title: 'Awaitable endpoint: requests/s by linger.ms',
        xLabel: 'concurrent connections',
        yLabel: 'requests / s',
        x: lx,
        series: lingers.map((l) => ({
          name: `linger.ms=${l}`,
          values: lx.map((c) => web.lingerSweep.find((r) => r.lingerMs === l && r.connections === c)?.requestsPerSec ?? NaN),
        })),
      }),
    );
  }
  if (throughput) {
    const bulk = throughput.rows.filter((r) => !r.client.endsWith('serial'));
    put('throughput-rate', barChart({ title: 'Delivered messages per second (median)', unit: 'messages / s', bars: bulk.map((r) => ({ label: r.label, value: r.messagesPerSec })) }));
    put(
      'throughput-p50',
      barChart({
        title: 'Produce-to-delivery p50 latency (median of runs)',
        unit: 'ms',
        bars: throughput.rows.filter((r) => Number.isFinite(r.p50Ms)).map((r) => ({ label: r.label, value: r.p50Ms })),
      }),
    );
    put('throughput-cpu', barChart({ title: 'CPU seconds per 100k delivered messages', unit: 'CPU s', bars: throughput.rows.map((r) => ({ label: r.label, value: r.cpuSecondsPer100k })) }));
  }
  if (costs && costs.poll.length > 0) {
    put(
      'poll-interval',
      barChart({
        title: `Poll interval: p50 latency at ${costs.poll[0]!.ratePerSec} msg/s`,
        unit: 'ms',
        bars: costs.poll.map((r) => ({ label: `pollIntervalMs=${r.pollIntervalMs} (${formatNumber(r.cpuPercentOfCore)}% CPU)`, value: r.p50Ms })),
      }),
    );
  }
  return charts;
}

// ---------------------------------------------------------------------------------------------
// Text outputs

/** The summary printed at the end of `npm run bench`. */
export function summaryText(all: AllResults): string {
  const parts: string[] = [];
  if (all.web) {
    parts.push('Web load test, requests/s', textTable(webPivot(all.web, 'requestsPerSec')));
    parts.push('Web load test, ratio to no-op', textTable(webPivot(all.web, 'ratioToNoop')));
    parts.push('Web load test, ratio to matching raw endpoint', textTable(webPivot(all.web, 'ratioToRaw')));
    parts.push('linger.ms sweep, /await', textTable(lingerTable(all.web)));
  }
  if (all.throughput) parts.push('Producer throughput (medians)', textTable(throughputTable(all.throughput)));
  if (all.costs) {
    const t = costTables(all.costs);
    parts.push('Idle CPU', textTable(t.idle!), 'Memory per in-flight message', textTable(t.memory!), 'Producer pools', textTable(t.pools!), 'Poll interval', textTable(t.poll!));
  }
  if (all.consumer) parts.push('Consumer run() concurrency', textTable(consumerTable(all.consumer)));
  if (all.peers) parts.push(...peersSummary(all.peers));
  if (all.ratios) parts.push(...ratiosSummary(all.ratios));
  const checks = checkTargets(all);
  if (checks.length > 0) parts.push('Targets', textTable(targetRows(checks)));
  const config = all.throughput?.config ?? all.web?.config ?? all.costs?.config;
  if (config) parts.push(`librdkafka config (every client): ${config}`);
  return parts.join('\n\n');
}

function envSection(env: Environment, shared: boolean): string {
  return [
    `- Date: ${env.date}; mode: ${env.mode}`,
    `- CPU: ${env.cpuCount} x ${env.cpuModel}; memory ${env.memoryGiB} GiB; load average at start ${env.loadAverageAtStart.join(' / ')}`,
    `- Node ${env.node} (${env.platform}); node-rdkafka ${env.nodeRdkafka}, librdkafka ${env.librdkafka}; KafkaJS ${env.kafkajs}; autocannon ${env.autocannon}`,
    `- Git commit: ${env.gitCommit}${env.gitDirty ? ' (with uncommitted changes in tracked files)' : ''}`,
    `- Broker: ${env.broker}`,
    `- Cores: ${env.pinning}`,
    shared ? '- The machine was shared with other engineers running builds and tests during the run: absolute numbers carry that noise; ratios come from measurements taken minutes apart in the same run.' : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** docs/benchmarks.md, from the results. */
export function renderDocs(all: AllResults, chartPaths: Record<string, string>, options: { shared: boolean; notes: string[] }): string {
  const docsDir = join(REPO_ROOT, 'docs');
  const img = (name: string, alt: string) => (chartPaths[name] ? `![${alt}](${relative(docsDir, chartPaths[name]!)})` : '');
  const env = (all.throughput ?? all.web ?? all.costs ?? all.consumer ?? all.peers)!.environment;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    'Generated by `BENCH_DOCS=1 npm run bench` from the JSON files in `bench/results/`. Every ratio compares',
    'measurements from the same run. Commands: `npm run bench` (full, about 10 minutes on 2 cores),',
    '`BENCH_QUICK=1 npm run bench` (shorter pass), `npm run bench -- web|throughput|costs|consumer|peers` (named scenarios;',
    'the others keep their last results), `BENCH_DOCS=1 npm run bench -- report` (doc from the JSON files only),',
    '`npm run bench:peers-install` (installs the peer clients of section 5 into `bench/peers/`; without it they are skipped),',
    '`KAFKA_BROKERS=host:port npm run bench` (a real cluster instead of the embedded mock cluster).',
    '',
  );
  out.push('## Environment', '', envSection(env, options.shared), '');
  const config = all.throughput?.config ?? all.web?.config ?? '';
  out.push('## Method', '');
  out.push(
    `- One librdkafka configuration for every librdkafka-based client (AIOProducer, raw node-rdkafka, HighLevelProducer): \`${config}\`. The raw node-rdkafka and HighLevelProducer clients get it split into node-rdkafka's global and topic arguments with \`splitConfig\` from \`src/native/config.ts\`, as AIOProducer does, so topic-level properties (partitioner, acks) take effect for every client. AIOProducer runs with its defaults (pollIntervalMs 1) unless a sweep says otherwise.`,
    `- KafkaJS: ${all.throughput?.kafkajsConfig ?? 'acks=-1, compression none, idempotent off'}.`,
    '- Each measured process runs alone on core 1 (taskset); the mock cluster and the load generator share core 0. The harness process itself only waits.',
    '- Harness: `bench/harness.ts` (modes, config, pinning, medians, environment, JSON). Scenarios: `bench/web-load.ts` (+ `web-server.ts`, `load-client.ts`), `bench/producer-throughput.ts` (+ `throughput-client.ts`), `bench/costs.ts` (+ `costs-child.ts`), `bench/consumer-concurrency.ts`. Smoke test: `__tests__/bench/bench-smoke.test.ts`.',
    '',
  );
  if (all.web) {
    const w = all.web;
    const m = w.method as { durationSec: number; warmupSec: number };
    out.push('## 1. Web load test (the seed article\'s experiment)', '');
    out.push(
      `A node:http server process with one endpoint per way of producing; autocannon in a separate process sends POST requests with a 100-byte JSON body, which the endpoint produces as the message value. ${m.durationSec} s per endpoint per concurrency after a ${m.warmupSec} s warm-up of each endpoint; at each concurrency the endpoints run one after another, so each ratio uses numbers from the same minute. autocannon reports latency in whole milliseconds.`,
      '',
      ...w.endpoints.map((e) => `- \`${e.path}\`: ${e.label}`),
      '',
      '"vs raw" compares `/await` with `/raw`, and `/fire-and-forget`, `/oob`, `/oob-dispatch` with `/raw-ff` (raw node-rdkafka produce, delivery reports on and counted for errors, no promise).',
      '',
      img('web-rps', 'requests/s vs concurrency per endpoint'),
      '',
      '### Requests/s', '', markdownTable(webPivot(w, 'requestsPerSec')), '',
      '### Ratio to no-op', '', markdownTable(webPivot(w, 'ratioToNoop')), '',
      '### Ratio to the matching raw endpoint', '', markdownTable(webPivot(w, 'ratioToRaw')), '',
      '### Every run', '', markdownTable(webTable(w)), '',
      img('web-p99', 'p99 latency vs concurrency per endpoint'), '',
      '### linger.ms sweep (awaitable endpoint)', '',
      'A fresh server process per linger.ms value; the other settings unchanged.', '',
      markdownTable(lingerTable(w)), '', img('web-linger', 'awaitable endpoint by linger.ms'), '',
    );
  }
  if (all.throughput) {
    const t = all.throughput;
    const m = t.method as Record<string, unknown>;
    out.push('## 2. Producer throughput and delivery latency', '');
    out.push(
      `Message: ${String(m.message)}. Topics: ${String(m.topics)}. ${String(m.repeats)} repeats; in each, ${String(m.processes)}. Order: ${String(m.order)} (orders used: ${((m.orders as string[][] | undefined) ?? []).map((o, i) => `${i + 1}: ${o.join(' ')}`).join('; ')}). The table shows medians over the repeats; peak RSS is the median of the processes' peaks. "vs raw-dr" and "vs raw-promise-pipelined" divide the row's msg/s by that client's, same run. "(window)" clients keep ${String(m.window)} messages in flight (awaits, callbacks or sends); serial clients await each message before the next; "flush at end" clients produce everything and wait for the flush. Latency: ${String(m.latency)}. CPU: ${String(m.cpu)}. RSS: ${String(m.rss)}. Poll timers: ${String(m.pollIntervalMs)}.`,
      '',
      ...t.rows.map((r) => `- \`${r.client}\`: ${r.label}`),
      '',
      markdownTable(throughputTable(t)),
      '',
      t.errors.length > 0 ? `Clients that failed: ${t.errors.map((e) => `\`${e.client}\`: ${e.error}`).join('; ')}` : '',
      '',
      img('throughput-rate', 'delivered messages/s per client'), '',
      img('throughput-p50', 'p50 latency per client'), '',
      img('throughput-cpu', 'CPU per 100k messages per client'), '',
    );
  }
  if (all.costs) {
    const c = all.costs;
    const t = costTables(c);
    const m = c.method as Record<string, string>;
    out.push('## 3. Costs', '');
    out.push('### Idle CPU', '', m.idle!, '', markdownTable(t.idle!), '');
    out.push('### Memory per in-flight message', '', m.memory!, '', markdownTable(t.memory!), '');
    out.push(
      '`aio-produce`: `await produce()` (promise per message); `aio-ff`: `produce2(..., { fireAndForget: true })`; `raw-promise`: raw node-rdkafka with a hand-written promise per message; `raw-ff`: raw node-rdkafka, no promise. The difference between an AIOProducer row and the matching raw row is the wrapper\'s own cost per message.',
      '',
    );
    out.push('### One producer vs a pool', '', m.pools!, '', markdownTable(t.pools!), '');
    out.push('### Poll interval: latency vs CPU', '', m.poll!, '', 'pollIntervalMs 0 polls on every turn of the event loop with a ref()ed setImmediate while work is pending.', '', markdownTable(t.poll!), '', img('poll-interval', 'poll interval sweep'), '');
  }
  if (all.consumer) {
    const c = all.consumer;
    out.push('## 4. Consumer run() concurrency', '');
    out.push(
      `AIOConsumer.run() with handlers that sleep ${String(c.method.handlerSleepMs)} ms: concurrency 20 against concurrency 1. ${String(c.method.run)}. Consumer config: \`${c.config}\`. "ideal" is concurrency x 1000 / handler sleep.`,
      '',
      markdownTable(consumerTable(c)),
      '',
      c.errors.length > 0 ? `Failed: ${c.errors.map((e) => e.error).join('; ')}` : '',
      '',
    );
  }
  if (all.peers) out.push(...peersDocs(all.peers));
  if (all.pollOptions) {
    const p = all.pollOptions;
    out.push(
      '## 6. Getting a delivery report to JavaScript: the options (issue 10)',
      '',
      `\`npm run bench:poll-options\` (\`bench/poll-options.ts\`): raw node-rdkafka driven four ways, each in its own process, ${p.repeats} interleaved repeats, medians; same librdkafka config as above. CPU is the whole process (JavaScript, librdkafka's threads and, for background-poll, the plugin's thread). The last column is the linger check: 20 messages produced together at linger.ms 200 should wait about 200 ms; a smaller number means the option made librdkafka send early.`,
      '',
      pollOptionsTable(p),
      '',
      '- **timer-1ms** (the poll floor): a report waits for the next tick, about 1 ms at linger.ms 0.',
      '- **set-immediate**: no floor, but the event loop spins while anything is pending: at linger.ms 5 every message costs the whole linger in CPU.',
      '- **flush-worker** (`flush()` on a libuv worker): serves reports as they arrive, but librdkafka ignores `linger.ms` while a flush runs (the linger check fails), and it holds one of libuv\'s four pool threads.',
      '- **background-poll** (kept: `AIOProducerOptions.backgroundPoll`, default on): a librdkafka plugin thread blocks in `rd_kafka_poll()`; node-rdkafka\'s callbacks are thread-safe and reach JavaScript through uv_async. No floor, no spin, linger kept. Its cost is the extra thread\'s wake-ups (system time) at low rates; JavaScript itself does less work per report than with the timer.',
      '- A fifth option was built and dropped: librdkafka\'s queue IO event (`rd_kafka_queue_io_event_enable`) writing to a Unix socket that JavaScript read, then polled. Measured on this machine with `/tmp` scripts, steady 1,000 msg/s at linger.ms 0: +45% to +60% CPU per message over timer-1ms (one more JavaScript wake and two syscalls per report), against +8% to +25% for background-poll.',
      '',
    );
  }
  if (all.installedLatency) {
    const aio = all.peers?.latency.filter((row) => row.client === 'aio');
    out.push(...installedLatencyDocs(all.installedLatency, aio && new Map(aio.map((row) => [row.lingerMs, row.p50Ms]))));
  }
  if (all.ratios || all.profiles) out.push(...ratiosDocs(all.ratios, all.profiles));
  out.push('## Targets', '');
  if (all.throughput) {
    out.push(
      'The pipelined throughput target is checked against two baselines. The target itself uses `raw-promise-pipelined`: raw node-rdkafka with a hand-written promise per message (a Map of resolvers, a 1 ms poll timer while busy), driven by exactly the same code as `aio-pipelined` (`window` async loops, each awaiting one message at a time), so the ratio measures the wrapper and nothing else. `raw-dr` (delivery-report callbacks refilling a window, no promise, no async function) is also reported: it is the ceiling for any promise-per-message API, and the gap to it is the cost of a promise and an await per message, which the hand-written raw client pays too. The latency target compares `aio-serial` with `raw-serial` (same driver, one message at a time). The clients run in a rotated order (see section 2: one process per client per repeat), because the order of runs changes the numbers.',
      '',
    );
  }
  out.push(markdownTable(targetRows(checkTargets(all))), '');
  if (options.notes.length > 0) out.push('## Notes', '', ...options.notes.map((n) => `- ${n}`), '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
