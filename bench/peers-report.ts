/*
 * The peers scenario's part of the report: its tables, the issue-10 targets with their measured
 * numbers and pass/miss, and its section of docs/benchmarks.md. Every number comes from peers.json.
 */
import { formatNumber, markdownTable, textTable } from './harness';
import type { PeerId } from './peer-clients';
import type { PeersResult } from './peers';
import type { TargetCheck } from './report';

type Rows = Array<Array<string | number>>;

const f = formatNumber;

function latencyTable(p: PeersResult): Rows {
  const lingers = [...new Set(p.latency.map((r) => r.lingerMs))];
  const clients = [...new Set(p.latency.map((r) => r.client))];
  const rows: Rows = [['client', ...lingers.flatMap((l) => [`p50 ms @${l}`, `p99 ms @${l}`]), ...lingers.map((l) => `p50 per repeat @${l}`)]];
  for (const c of clients) {
    const at = (l: number) => p.latency.find((r) => r.client === c && r.lingerMs === l);
    rows.push([c, ...lingers.flatMap((l) => [at(l)?.p50Ms ?? NaN, at(l)?.p99Ms ?? NaN]), ...lingers.map((l) => (at(l)?.runsP50Ms ?? []).map((v) => v.toFixed(3)).join(', '))]);
  }
  return rows;
}

function idleTable(p: PeersResult): Rows {
  const kind = (r: PeersResult['idle'][number], k: 'main' | 'node' | 'librdkafka'): string => r.threadsPercentOfCore?.[k].toFixed(4) ?? 'n/a';
  return [
    ['client', 'seconds', '% of a core', 'JavaScript thread', "Node's other threads", "librdkafka's threads", 'per repeat'],
    ...p.idle.map((r) => [r.client, r.seconds, r.cpuPercentOfCore.toFixed(4), kind(r, 'main'), kind(r, 'node'), kind(r, 'librdkafka'), r.runs.map((v) => v.toFixed(4)).join(', ')]),
  ];
}

function steadyTable(p: PeersResult): Rows {
  return [
    ['client', 'linger.ms', 'CPU µs/msg', 'client µs/msg', '% of a core', 'msg/s', 'p50 ms', 'p99 ms', 'failed', 'µs/msg per repeat'],
    ...p.steady.map((r) => [r.client, r.lingerMs, r.cpuMicrosPerMessage, r.clientMicrosPerMessage, r.cpuPercentOfCore, r.achievedRate, r.p50Ms, r.p99Ms, r.failed, r.runs.map((v) => f(v)).join(', ')]),
  ];
}

function pipelinedTable(p: PeersResult): Rows {
  return [
    ['client', 'msgs/run', 'msg/s', 'vs baseline', 'vs CKJS', 'call p50 ms', 'call p99 ms', 'CPU s / 100k', 'peak RSS MiB', 'failed', 'msg/s per repeat'],
    ...p.pipelined.map((r) => [r.client, r.messagesPerRun, r.messagesPerSec, r.ratioToBaseline, r.ratioToCkjs, r.p50Ms, r.p99Ms, r.cpuSecondsPer100k, r.peakRssMiB, r.failed, r.runs.map((v) => f(v)).join(', ')]),
  ];
}

function webPivot(p: PeersResult, field: 'requestsPerSec' | 'ratioToCkjs' | 'latencyP99Ms'): Rows {
  const levels = [...new Set(p.web.map((r) => r.connections))];
  const clients = [...new Set(p.web.map((r) => r.client))];
  return [['endpoint', ...levels.map((c) => `c=${c}`)], ...clients.map((c) => [c, ...levels.map((l) => p.web.find((r) => r.client === c && r.connections === l)?.[field] ?? NaN)])];
}

function webRuns(p: PeersResult): Rows {
  return [
    ['endpoint', 'connections', 'median req/s', 'req/s per repeat', 'p50 ms', 'p99 ms', 'vs CKJS', 'vs no-op', 'non-2xx + errors'],
    ...p.web.map((r) => [r.client, r.connections, r.requestsPerSec, r.runs.map((v) => f(v)).join(', '), r.latencyP50Ms, r.latencyP99Ms, r.ratioToCkjs, r.ratioToNoop, r.non2xxAndErrors]),
  ];
}

function clientsTable(p: PeersResult): Rows {
  return [
    ['client', 'what', 'installed', 'runs on', 'settings'],
    ...p.clients.map((c) => [
      c.id,
      c.label,
      c.available ? c.version : `no: ${c.reason}`,
      c.available ? c.runtime : '',
      `${p.settings[c.id] ?? ''}${p.backgroundPoll?.[c.id] ? `; background poll ${p.backgroundPoll[c.id]}` : ''}`,
    ]),
  ];
}

/** Every issue-10 target, with the number measured in this run and whether it was met. */
export function checkPeerTargets(p: PeersResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const lat = (c: PeerId, l: number) => p.latency.find((r) => r.client === c && r.lingerMs === l)?.p50Ms;
  for (const l of [0, 5]) {
    const aio = lat('aio', l);
    const ckjs = lat('ckjs', l);
    const today = lat('aio-today', l);
    checks.push({
      target: `peers: sequential awaited p50 at linger.ms ${l}: aio-rdkafka <= CKJS`,
      measured: aio !== undefined && ckjs !== undefined ? `${aio.toFixed(3)} ms vs ${ckjs.toFixed(3)} ms (today ${today?.toFixed(3) ?? 'n/a'} ms)` : 'not measured',
      met: aio !== undefined && ckjs !== undefined ? aio <= ckjs : undefined,
    });
  }
  const idle = p.idle.find((r) => r.client === 'aio');
  checks.push({
    target: 'peers: idle connected producer < 0.1% of a core',
    measured: idle ? `${idle.cpuPercentOfCore.toFixed(4)}% over ${idle.seconds} s` : 'not measured',
    met: idle ? idle.cpuPercentOfCore < 0.1 : undefined,
  });
  const lingers = [...new Set(p.steady.map((r) => r.lingerMs))];
  const rate = Number(p.method.steadyRate).toLocaleString('en-US');
  for (const l of lingers) {
    // The client's own CPU: the measuring loop's (driver-only) taken out.
    const st = (c: PeerId) => {
      const row = p.steady.find((r) => r.client === c && r.lingerMs === l);
      return row && Number.isFinite(row.clientMicrosPerMessage) ? row.clientMicrosPerMessage : undefined;
    };
    const aio = st('aio');
    const ckjs = st('ckjs');
    const today = st('aio-today');
    checks.push({
      target: `peers: steady ${rate} awaited msg/s, linger.ms ${l}: CPU per message (client's own) <= CKJS`,
      measured: aio !== undefined && ckjs !== undefined ? `${f(aio)} µs vs ${f(ckjs)} µs` : 'not measured',
      met: aio !== undefined && ckjs !== undefined ? aio <= ckjs : undefined,
    });
    checks.push({
      target: `peers: steady ${rate} awaited msg/s, linger.ms ${l}: CPU per message (client's own) within 10% of today`,
      measured: aio !== undefined && today !== undefined ? `${f(aio)} µs vs ${f(today)} µs (${f(aio / today)}x)` : 'not measured',
      met: aio !== undefined && today !== undefined ? aio <= today * 1.1 : undefined,
    });
  }
  const tp = (c: PeerId) => p.pipelined.find((r) => r.client === c);
  const aio = tp('aio');
  const raw = tp('raw-map');
  const ckjs = tp('ckjs');
  const perRepeat = (a: PeerId, b: PeerId) => {
    const x = tp(a)?.runs ?? [];
    const y = tp(b)?.runs ?? [];
    return x.slice(0, y.length).map((v, i) => f(v / y[i]!)).join(', ');
  };
  checks.push({
    target: 'peers: pipelined awaited throughput >= 0.95 of raw node-rdkafka promise map',
    measured: aio && raw ? `${f(aio.ratioToBaseline)} (per repeat ${perRepeat('aio', 'raw-map')})` : 'not measured',
    met: aio && raw ? aio.ratioToBaseline >= 0.95 : undefined,
  });
  checks.push({
    target: 'peers: pipelined awaited throughput >= CKJS promise API',
    measured: aio && ckjs ? `${f(aio.ratioToCkjs)} (${f(aio.messagesPerSec)} vs ${f(ckjs.messagesPerSec)} msg/s)` : 'not measured',
    met: aio && ckjs ? aio.ratioToCkjs >= 1 : undefined,
  });
  // Issue 19: aio-rdkafka on CKJS against CKJS's own promise API.
  for (const l of [0, 5]) {
    const onCkjs = lat('aio-ckjs', l);
    const own = lat('ckjs', l);
    checks.push({
      target: `peers: aio-rdkafka on CKJS, sequential awaited p50 at linger.ms ${l} <= 1.05x CKJS's promise API`,
      measured: onCkjs !== undefined && own !== undefined ? `${onCkjs.toFixed(3)} ms vs ${own.toFixed(3)} ms (${f(onCkjs / own)}x)` : 'not measured',
      met: onCkjs !== undefined && own !== undefined ? onCkjs <= own * 1.05 : undefined,
    });
  }
  const onCkjs = tp('aio-ckjs');
  checks.push({
    target: "peers: aio-rdkafka on CKJS, pipelined awaited throughput >= 1.3x CKJS's promise API",
    measured: onCkjs && ckjs ? `${f(onCkjs.ratioToCkjs)} (${f(onCkjs.messagesPerSec)} vs ${f(ckjs.messagesPerSec)} msg/s; per repeat ${perRepeat('aio-ckjs', 'ckjs')})` : 'not measured',
    met: onCkjs && ckjs ? onCkjs.ratioToCkjs >= 1.3 : undefined,
  });
  const idleOnCkjs = p.idle.find((r) => r.client === 'aio-ckjs');
  checks.push({
    target: 'peers: aio-rdkafka on CKJS, idle connected producer < 0.1% of a core',
    measured: idleOnCkjs ? `${idleOnCkjs.cpuPercentOfCore.toFixed(4)}% over ${idleOnCkjs.seconds} s` : 'not measured',
    met: idleOnCkjs ? idleOnCkjs.cpuPercentOfCore < 0.1 : undefined,
  });
  const batch = tp('aio-batch');
  const rawDr = tp('raw-dr');
  const batchReason = p.clients.find((c) => c.id === 'aio-batch');
  checks.push({
    target: 'peers: produceBatch >= 0.9 of raw node-rdkafka with delivery reports',
    measured: batch && rawDr ? `${f(batch.ratioToBaseline)} (per repeat ${perRepeat('aio-batch', 'raw-dr')})` : batchReason && !batchReason.available ? `not measured: ${batchReason.reason}` : 'not measured',
    met: batch && rawDr ? batch.ratioToBaseline >= 0.9 : undefined,
  });
  const levels = [...new Set(p.web.map((r) => r.connections))];
  const webAt = (c: string, l: number) => p.web.find((r) => r.client === c && r.connections === l);
  const measuredAll = levels.length > 0 && levels.every((l) => webAt('aio', l) && webAt('ckjs', l));
  checks.push({
    target: 'peers: web load test, awaitable endpoint >= CKJS awaitable endpoint at every concurrency (median of repeats)',
    measured: measuredAll ? levels.map((l) => `${l}: ${f(webAt('aio', l)!.ratioToCkjs)}`).join(', ') : 'not measured',
    met: measuredAll ? levels.every((l) => webAt('aio', l)!.ratioToCkjs >= 1) : undefined,
  });
  return checks;
}

/** Text parts for the summary printed at the end of a run. */
export function peersSummary(p: PeersResult): string[] {
  const parts = [
    'Peers: clients and settings',
    textTable(clientsTable(p)),
    `Peers: ${p.today}`,
    'Peers: sequential awaited latency (medians of repeats)',
    textTable(latencyTable(p)),
    'Peers: idle CPU',
    textTable(idleTable(p)),
    'Peers: CPU per message at a steady rate',
    textTable(steadyTable(p)),
    'Peers: pipelined awaited throughput (single: vs raw-map; batch: vs raw-dr)',
    textTable(pipelinedTable(p)),
  ];
  if (p.web.length > 0) parts.push('Peers: web load test, req/s (medians of repeats)', textTable(webPivot(p, 'requestsPerSec')), 'Peers: web load test, ratio to CKJS', textTable(webPivot(p, 'ratioToCkjs')));
  if (p.errors.length > 0) parts.push(`Peers: failures: ${p.errors.map((e) => `${e.what}: ${e.error}`).join('; ')}`);
  return parts;
}

/** The peers section of docs/benchmarks.md. */
export function peersDocs(p: PeersResult): string[] {
  const m = p.method as Record<string, unknown>;
  const e = p.environment;
  /** A method text as the start of a sentence. */
  const cap = (key: string) => {
    const text = String(m[key]);
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  return [
    '## 5. Peers (issue 10)',
    '',
    e.mode === 'full' ? '' : `**Smoke numbers**: this section comes from a \`${e.mode}\` run (short runs, few repeats) on a machine shared with other engineers; a full run (\`npm run bench -- peers\`) on a quiet machine replaces them.`,
    '',
    `Run ${e.date} (mode ${e.mode}, load average at start ${e.loadAverageAtStart.join(' / ')}). \`npm run bench:peers-install\` installs the peers into \`bench/peers/\` (never part of \`npm ci\`); \`npm run bench -- peers\` runs this section alone. Shared librdkafka settings: \`${p.sharedConfig}\` (linger.ms 0 as well where a row says so). ${p.today}.`,
    '',
    'Full run, on a quiet machine: `npm run bench:peers-install && BENCH_DOCS=1 npm run bench -- peers` (the install: about 7 minutes the first time, CKJS compiles its librdkafka; the scenario: about 14 minutes on 2 cores, estimated from the timings of the quick run). `BENCH_QUICK=1` for a shorter pass (under 4 minutes).',
    '',
    markdownTable(clientsTable(p)),
    '',
    `Method: ${String(m.order)}. Processes: ${String(m.processes)}. Message: ${String(m.message)}.`,
    '',
    `### Sequential awaited latency`,
    '',
    `${cap('latency')}; ${String(m.latencyMessages)} sends after ${String(m.latencyWarmup)} of warm-up, ${String(m.latencyRepeats)} repeats.`,
    '',
    markdownTable(latencyTable(p)),
    '',
    '### Idle CPU',
    '',
    `${cap('idle')}; ${String(m.idleSeconds)} s, ${String(m.idleRepeats)} repeats.`,
    '',
    markdownTable(idleTable(p)),
    '',
    '### CPU per message at a steady rate',
    '',
    `${cap('steady')}; ${String(m.steadyRate)} msg/s for ${String(m.steadySeconds)} s after ${String(m.steadyWarmupSeconds)} s of warm-up, ${String(m.steadyRepeats)} repeats.`,
    '',
    markdownTable(steadyTable(p)),
    '',
    '### Pipelined awaited throughput',
    '',
    `${cap('pipelined')}; window ${String(m.window)}; ${String(m.pipelinedMessages)} messages per run (KafkaJS and @platformatic/kafka ${String(m.pipelinedMessagesSlow)}), warm-up n/5, ${String(m.pipelinedRepeats)} repeats. "vs baseline": single-message clients against \`raw-map\`, batch clients against \`raw-dr\`; "vs CKJS": against \`ckjs\` / \`ckjs-batch\`.`,
    '',
    markdownTable(pipelinedTable(p)),
    '',
    '### Web load test',
    '',
    `${cap('web')}; ${String(m.webDurationSec)} s per run after ${String(m.webWarmupSec)} s of warm-up per endpoint, ${String(m.webRepeats)} repeats per cell, linger.ms ${String(m.webLingerMs)}.`,
    '',
    markdownTable(webPivot(p, 'requestsPerSec')),
    '',
    'Ratio to CKJS:',
    '',
    markdownTable(webPivot(p, 'ratioToCkjs')),
    '',
    markdownTable(webRuns(p)),
    '',
    p.errors.length > 0 ? `Failures: ${p.errors.map((x) => `${x.what}: ${x.error}`).join('; ')}` : '',
    '',
  ];
}
