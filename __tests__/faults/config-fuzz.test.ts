import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { howItEnded, runConnects, type ConnectOutcome } from '../helpers/config-child';
import { requireDist } from '../helpers/run-node';
import { buildUserPlugin } from '../helpers/user-plugin';
import { ConfigFuzzer, type FuzzCase } from './config-fuzz-generator';

/*
 * Configuration fuzz: FUZZ_COUNT (default 5,000) random configurations built from librdkafka's
 * own property table (src/native/librdkafka-properties.ts) with wrong and edge values (empty
 * strings, huge numbers, missing files, directories, wrong JSON types, misspelt names holding
 * secrets), a user plugin now and then, for the producer (mostly with our plugin), the consumer
 * and the admin client, connected to the embedded cluster. Batches run in child processes; when
 * one dies or stalls, the configuration it was on is run again alone to name it.
 *
 * Expected: 0 crashes, 0 hangs (a connect that does not settle), 0 untyped errors (a rejection
 * that is not an AIOKafkaError), 0 leaked values (a secret of a sensitive or unknown key in the
 * error texts, logger lines, tracing payloads or stderr). FUZZ_SEED replays a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COUNT = Number(process.env.FUZZ_COUNT ?? 5000);
const BATCH = 40;
const PARALLEL = 2;
/** A connect settles within connectTimeoutMs (1 s) + 1 s of grace; close within 2 s; room for a slow machine. */
const IDLE_MS = 20_000;

let broker: TestBroker;
let dir: string;

beforeAll(async () => {
  requireDist();
  broker = await startTestBroker(1);
  dir = mkdtempSync(join(tmpdir(), 'aio-config-fuzz-'));
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Finding {
  what: 'crash' | 'hang' | 'untyped' | 'leak';
  detail: string;
  config: unknown;
}

/** A configuration as the failure message shows it (long values cut). */
function shown(fuzz: FuzzCase): unknown {
  const config = Object.fromEntries(Object.entries(fuzz.spec.config).map(([k, v]) => [k, typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}… (${v.length} chars)` : v]));
  return { ...fuzz.spec, config };
}

it(`settles ${COUNT} fuzzed configurations with typed errors: no crash, no hang, no leaked value`, async () => {
  const files = {
    missing: join(dir, 'missing.pem'),
    directory: join(dir, 'a-directory'),
    text: join(dir, 'not-a-pem.txt'),
    cert: join(__dirname, '..', 'fixtures', 'tls', 'cert.pem'),
    key: join(__dirname, '..', 'fixtures', 'tls', 'key.pem'),
    userPlugin: buildUserPlugin(dir),
  };
  mkdirSync(files.directory);
  writeFileSync(files.text, 'not a certificate\n');
  const fuzzer = new ConfigFuzzer(SEED, files, broker.bootstrapServers);
  const cases = Array.from({ length: COUNT }, () => fuzzer.next());
  const findings: Finding[] = [];
  const outcomes: ConnectOutcome[] = [];
  const started = Date.now();

  /** Checks what `fuzz` did; false when it has no outcome (the child died or stalled on it). */
  const check = (fuzz: FuzzCase, outcome: ConnectOutcome | undefined, stderr: string): boolean => {
    if (outcome === undefined) return false;
    outcomes.push(outcome);
    if (outcome.outcome === 'rejected' && outcome.typed !== true) {
      findings.push({ what: 'untyped', detail: `${outcome.name}: ${outcome.message}`, config: shown(fuzz) });
    }
    const text = JSON.stringify(outcome) + stderr;
    for (const secret of fuzz.secrets) {
      if (text.includes(secret)) findings.push({ what: 'leak', detail: `"${secret}" in the output`, config: shown(fuzz) });
    }
    return true;
  };

  /** Runs cases[from, to) in children, re-running a case alone when its child dies on it. */
  const runRange = async (from: number, to: number): Promise<void> => {
    let at = from;
    while (at < to) {
      const batch = cases.slice(at, to);
      const { outcomes: got, run } = await runConnects(batch.map((c) => c.spec), batch.length * IDLE_MS, IDLE_MS);
      batch.forEach((fuzz, i) => check(fuzz, got[i], run.stderr));
      if (got.length === batch.length && run.exitedByItself && run.code === 0) return;
      // The child stopped on cases[at + got.length]: alone, does it do that again?
      const suspect = cases[at + got.length];
      if (suspect === undefined) {
        findings.push({ what: 'crash', detail: `the child ended with ${howItEnded(run)} after its last configuration`, config: undefined });
        return;
      }
      const alone = await runConnects([suspect.spec], IDLE_MS, IDLE_MS);
      const reproduced = alone.outcomes.length === 0;
      if (!reproduced) check(suspect, alone.outcomes[0], alone.run.stderr);
      // Not reproduced alone: what the child did just before may be the cause.
      const previous = got.length > 0 ? cases[at + got.length - 1] : undefined;
      findings.push({
        what: howItEnded(reproduced ? alone.run : run).startsWith('killed') ? 'hang' : 'crash',
        detail:
          `${howItEnded(run)} on this configuration` +
          (reproduced ? ` (alone: ${howItEnded(alone.run)})` : ` (not reproduced alone; the one before: ${JSON.stringify(previous && shown(previous))})`) +
          `; stderr: ${run.stderr.slice(-500)}`,
        config: shown(suspect),
      });
      at += got.length + 1;
    }
  };

  const batches: Array<[number, number]> = [];
  for (let i = 0; i < cases.length; i += BATCH) batches.push([i, Math.min(i + BATCH, cases.length)]);
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let next = batches.shift(); next !== undefined; next = batches.shift()) await runRange(...next);
  });
  await Promise.all(workers);

  const count = (what: Finding['what']): number => findings.filter((f) => f.what === what).length;
  const byError = new Map<string, number>();
  for (const o of outcomes) {
    // A refusal when librdkafka created the client (rd_kafka_new: the crash-prone moment) carries ERR__STATE.
    const when = o.code === 'ERR__INVALID_ARG' ? (o.texts?.includes('ERR__STATE: ') ? ' (creating the client)' : ' (building the configuration)') : '';
    const key = o.outcome === 'resolved' ? 'connected' : `${o.name} ${o.code}${when}`;
    byError.set(key, (byError.get(key) ?? 0) + 1);
  }
  const clients = ['producer', 'consumer', 'admin'].map((c) => `${cases.filter((f) => f.spec.client === c).length} ${c}`).join(', ');
  const plugins = cases.filter((f) => f.spec.backgroundPoll === true || typeof f.spec.config['plugin.library.paths'] === 'string').length;
  // The result line docs/reliability.md quotes; FUZZ_SEED=<seed> replays the run.
  process.stdout.write(
    `config fuzz: seed ${SEED}, ${COUNT} configurations (${clients}; ${plugins} with a plugin), ${outcomes.length} settled: ` +
      `${count('crash')} crashes, ${count('hang')} hangs, ${count('untyped')} untyped errors, ${count('leak')} leaked values; ` +
      `outcomes ${JSON.stringify(Object.fromEntries([...byError].sort((a, b) => b[1] - a[1])))}; ` +
      `slowest settle ${Math.max(...outcomes.map((o) => o.ms))} ms; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  // The seed in the failure itself: CI's log may keep only the failure.
  expect({ seed: SEED, findings }).toEqual({ seed: SEED, findings: [] });
  expect(outcomes).toHaveLength(COUNT);
}, 600_000);
