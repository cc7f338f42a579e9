import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, runNode, type NodeRun } from './run-node';

/** Which client connects, and with which of its options. */
export interface ConnectSpec {
  client: 'producer' | 'consumer' | 'admin';
  /** The producer's `backgroundPoll` option (our plugin); default false. */
  backgroundPoll?: boolean;
  /**
   * The librdkafka configuration. Values JSON cannot carry are written `{ $fn: 1 }` (a function),
   * `{ $symbol: 'x' }`, `{ $bigint: '1' }`.
   */
  config: Record<string, unknown>;
  connectTimeoutMs?: number;
  /** Whether the client gets a logger (default true); without one it writes to stderr. */
  logger?: boolean;
}

/** What one connect did, as the child saw it. */
export interface ConnectOutcome {
  i: number;
  outcome: 'resolved' | 'rejected';
  name?: string;
  code?: string;
  /** Whether the rejection is one of this package's typed errors (`isAIOKafkaError`). */
  typed?: boolean;
  message?: string;
  /** Every text of the error and its cause chain (messages, stacks, other string fields). */
  texts?: string;
  /** The lines the logger got during this connect (message and fields). */
  logs: string[];
  /** The tracing payloads published during this connect (connect's `error` sub-channel). */
  traces: string[];
  ms: number;
}

/*
 * The child: connects each spec in turn (and closes what connected), printing one JSON line per
 * spec before the next starts, so that a crash is attributed to the spec that has no line.
 */
const SCRIPT = `
const { readFileSync } = require('node:fs');
const { tracingChannel } = require('node:diagnostics_channel');
const { AIOProducer, AIOConsumer, AIOAdmin, isAIOKafkaError } = require(${JSON.stringify(DIST)});
const specs = JSON.parse(readFileSync(process.argv[process.argv.length - 1], 'utf8'));
const decode = (v) => v && typeof v === 'object' && !Array.isArray(v)
  ? ('$fn' in v ? () => 'fn' : '$symbol' in v ? Symbol(v.$symbol) : '$bigint' in v ? BigInt(v.$bigint) : v) : v;
const texts = (err) => {
  const out = [];
  for (let e = err, n = 0; e && typeof e === 'object' && n < 10; e = e.cause, n++) {
    for (const k of new Set([...Object.keys(e), 'message', 'stack'])) if (typeof e[k] === 'string') out.push(e[k]);
  }
  return out.join('\\n');
};
let logs = [];
let traces = [];
const record = (fields, message) => { let f = ''; try { f = JSON.stringify(fields, (k, v) => (v instanceof Error ? texts(v) : v)); } catch { f = String(fields); } logs.push(message + ' ' + f); };
const logger = { debug: record, info: record, warn: record, error: record };
for (const client of ['producer', 'consumer']) {
  tracingChannel('aio-rdkafka:' + client + ':connect').error.subscribe((context) => {
    traces.push(JSON.stringify(context, (k, v) => (v instanceof Error ? texts(v) : typeof v === 'object' && v !== null && k === 'result' ? '[client]' : v)));
  });
}
(async () => {
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const config = Object.fromEntries(Object.entries(spec.config).map(([k, v]) => [k, decode(v)]));
    const connectTimeoutMs = spec.connectTimeoutMs ?? 10000;
    const options = spec.logger === false ? {} : { logger };
    logs = [];
    traces = [];
    const started = Date.now();
    const line = { i };
    try {
      if (spec.client === 'producer') {
        const p = await AIOProducer.connect(config, { connectTimeoutMs, backgroundPoll: spec.backgroundPoll === true, ...options });
        await p.close({ timeoutMs: 2000 });
      } else if (spec.client === 'consumer') {
        const c = await AIOConsumer.connect(config, { topics: ['config-child'], connectTimeoutMs, ...options });
        await c.close({ timeoutMs: 2000 });
      } else {
        const a = await AIOAdmin.connect(config, { connectTimeoutMs, ...options });
        await a.close({ timeoutMs: 2000 });
      }
      line.outcome = 'resolved';
    } catch (err) {
      Object.assign(line, { outcome: 'rejected', name: err && err.name, code: err && err.code, typed: isAIOKafkaError(err), message: err && err.message, texts: texts(err) });
    }
    Object.assign(line, { logs, traces, ms: Date.now() - started });
    process.stdout.write(JSON.stringify(line) + '\\n');
  }
})();
`;

/**
 * Connects each spec in turn in one fresh process (so that a crash fails the caller, not jest).
 * `outcomes` has a line for each spec that finished; a crash or hang leaves the rest out. The
 * child is killed after `limitMs` in all, or `idleMs` without finishing a spec.
 */
export async function runConnects(
  specs: ConnectSpec[],
  limitMs = 60_000,
  idleMs = Infinity,
): Promise<{ outcomes: ConnectOutcome[]; run: NodeRun }> {
  const dir = mkdtempSync(join(tmpdir(), 'aio-config-child-'));
  try {
    const file = join(dir, 'specs.json');
    writeFileSync(file, JSON.stringify(specs));
    const run = await runNode(SCRIPT, [file], limitMs, { idleMs });
    const outcomes = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as ConnectOutcome);
    return { outcomes, run };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How a child ended, for a test's failure message: "exit 0", "signal SIGSEGV", "killed at the limit". */
export function howItEnded(run: NodeRun): string {
  if (!run.exitedByItself) return 'killed at the limit (a hang)';
  return run.signal !== null ? `signal ${run.signal}` : `exit ${run.code}`;
}
