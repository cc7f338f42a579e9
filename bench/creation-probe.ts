/*
 * What the creation probe costs (src/native/creation-guard.ts): with a plugin loaded on
 * librdkafka < 2.13, every connect first creates and destroys a throwaway client. Measured here,
 * in one process, interleaved, medians of R repeats:
 *
 *   probe producer plaintext   probeCreation() of a producer-type client, no TLS/SASL
 *   probe consumer plaintext   the same with a consumer (group.id set)
 *   probe producer ssl (ca)    security.protocol ssl, ssl.ca.location = a one-certificate file
 *   probe producer ssl         security.protocol ssl with librdkafka's default CA store
 *   connect+close, plugin      AIOProducer.connect + close({timeoutMs: 0}) with the background
 *                              poll plugin: the probe runs inside the connect
 *   connect+close, no plugin   the same with backgroundPoll: false: no plugin, no probe
 *
 *   npm run build:bench --silent && node dist-bench/bench/creation-probe.js   (BENCH_QUICK=1: fewer)
 *
 * Writes bench/results/creation-probe.json; docs/reliability.md quotes the numbers.
 */
import { join } from 'node:path';
import { AIOProducer } from '../src';
import { splitConfig, type LibrdkafkaConfig } from '../src/native/config';
import { probeCreation, type ProbeClient } from '../src/native/creation-guard';
import { loadBinding } from '../src/native/loader';
import { REPO_ROOT, captureEnvironment, median, pick, progress, round, runOrder, startBroker, textTable, writeResult } from './harness';

const REPEATS = pick({ full: 41, quick: 11, smoke: 3 });
const CA_FILE = join(REPO_ROOT, '__tests__', 'fixtures', 'tls', 'cert.pem');

function producer(config: LibrdkafkaConfig): ProbeClient {
  const [global, topic] = splitConfig(config);
  return new (loadBinding().module.Producer)(global, topic) as ProbeClient;
}

function consumer(config: LibrdkafkaConfig): ProbeClient {
  const [global, topic] = splitConfig(config);
  return new (loadBinding().module.KafkaConsumer)(global, topic) as ProbeClient;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const bootstrap = { 'bootstrap.servers': broker.bootstrapServers };
  const scenarios: Record<string, () => Promise<unknown>> = {
    'probe producer plaintext': () => probeCreation({ ...bootstrap, dr_cb: true }, producer),
    'probe consumer plaintext': () => probeCreation({ ...bootstrap, 'group.id': 'probe-bench' }, consumer),
    'probe producer ssl (ca)': () => probeCreation({ ...bootstrap, 'security.protocol': 'ssl', 'ssl.ca.location': CA_FILE }, producer),
    'probe producer ssl': () => probeCreation({ ...bootstrap, 'security.protocol': 'ssl' }, producer),
    'connect+close, plugin': async () => (await AIOProducer.connect(bootstrap, { backgroundPoll: true })).close({ timeoutMs: 0 }),
    'connect+close, no plugin': async () => (await AIOProducer.connect(bootstrap, { backgroundPoll: false })).close({ timeoutMs: 0 }),
  };
  const names = Object.keys(scenarios);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const name of names) await scenarios[name]!(); // warm up
  for (let r = 0; r < REPEATS; r++) {
    for (const name of runOrder(names, r)) samples.get(name)!.push(await timed(scenarios[name]!));
    if (r % 10 === 0) progress('creation-probe', `repeat ${r + 1}/${REPEATS}`);
  }
  await broker.stop();
  const medians = Object.fromEntries(names.map((n) => [n, round(median(samples.get(n)!), 2)]));
  const result = { environment: captureEnvironment(), repeats: REPEATS, medianMs: medians };
  writeResult('creation-probe', result);
  console.log(JSON.stringify(result.environment));
  console.log(textTable([['scenario', 'median ms'], ...names.map((n) => [n, medians[n]!])]));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
