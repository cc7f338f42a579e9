/*
 * The cost of tracing (docs/observability.md, "Tracing"): producer throughput with nobody
 * subscribed to the tracing channels and with a subscriber on `aio-rdkafka:producer:produce`
 * (handlers that do nothing: the cost of building and publishing the payloads, not of a
 * tracer), fire-and-forget and awaited, the two modes interleaved in every repeat (alternating
 * which goes first); medians over the repeats. Also the price of the check an untraced call
 * pays (`active`: five `hasSubscribers` reads), timed alone, and the heap allocated per
 * fire-and-forget message in both modes.
 *
 *   npm run build:bench && node dist-bench/bench/tracing-cost.js     # BENCH_QUICK=1: shorter
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { AIOProducer } from '../src';
import { producerChannels } from '../src/producer/tracing';
import { captureEnvironment, describeConfig, librdkafkaConfig, median, pick, progress, startBroker, textTable, KEYS, VALUE } from './harness';

type Mode = 'unsubscribed' | 'subscribed';
type Workload = 'fire-and-forget' | 'awaited';

const MESSAGES = pick({ full: 200_000, quick: 50_000, smoke: 2_000 });
const REPEATS = pick({ full: 7, quick: 5, smoke: 1 });
/** Awaited produce: this many calls in flight, each awaited before its slot produces again. */
const WINDOW = 1_000;

const channel = tracingChannel('aio-rdkafka:producer:produce');
const subscriber = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };

function setMode(mode: Mode): void {
  if (mode === 'subscribed') channel.subscribe(subscriber);
  else channel.unsubscribe(subscriber);
}

async function run(producer: AIOProducer, topic: string, workload: Workload): Promise<{ perSec: number; heapPerMessage: number }> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  if (workload === 'fire-and-forget') {
    for (let i = 0; i < MESSAGES; i++) producer.produce2(topic, VALUE, { key: KEYS[i & 1023], fireAndForget: true });
    const heapAfterCalls = process.memoryUsage().heapUsed;
    await producer.flush();
    return { perSec: MESSAGES / ((performance.now() - started) / 1000), heapPerMessage: (heapAfterCalls - heapBefore) / MESSAGES };
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < MESSAGES) {
      const i = next++;
      await producer.produce(topic, VALUE, { key: KEYS[i & 1023] });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return { perSec: MESSAGES / ((performance.now() - started) / 1000), heapPerMessage: NaN };
}

/** ns per `active` check, untraced (the price every produce call pays). */
function checkCost(): number {
  const n = 20_000_000;
  let hits = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (producerChannels.produce.active) hits++;
  const ns = Number(process.hrtime.bigint() - started) / n;
  if (hits !== 0) throw new Error('a subscriber is left over');
  return ns;
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const config = librdkafkaConfig(broker.bootstrapServers);
  const producer = await AIOProducer.connect(config);
  const topic = `tracing-cost-${Date.now()}`;
  const results: Record<string, number[]> = {};
  const heap: Record<string, number[]> = {};
  try {
    await run(producer, topic, 'fire-and-forget'); // warm-up
    for (let r = 0; r < REPEATS; r++) {
      const modes: Mode[] = r % 2 === 0 ? ['unsubscribed', 'subscribed'] : ['subscribed', 'unsubscribed'];
      for (const workload of ['fire-and-forget', 'awaited'] as const) {
        for (const mode of modes) {
          setMode(mode);
          const { perSec, heapPerMessage } = await run(producer, topic, workload);
          setMode('unsubscribed');
          (results[`${workload} ${mode}`] ??= []).push(perSec);
          if (Number.isFinite(heapPerMessage)) (heap[`${workload} ${mode}`] ??= []).push(heapPerMessage);
          progress('tracing-cost', `repeat ${r + 1}/${REPEATS} ${workload} ${mode}: ${Math.round(perSec)} msg/s`);
        }
      }
    }
  } finally {
    setMode('unsubscribed');
    await producer.close();
    await broker.stop();
  }
  const checkNs = median([checkCost(), checkCost(), checkCost()]);
  const rows: Array<Array<string | number>> = [['workload', 'unsubscribed msg/s', 'subscribed msg/s', 'subscribed / unsubscribed']];
  for (const workload of ['fire-and-forget', 'awaited']) {
    const off = median(results[`${workload} unsubscribed`]!);
    const on = median(results[`${workload} subscribed`]!);
    rows.push([workload, Math.round(off), Math.round(on), (on / off).toFixed(3)]);
  }
  const env = captureEnvironment();
  console.log(`tracing cost: ${MESSAGES} messages of ${VALUE.length} bytes per run, ${REPEATS} interleaved repeats, medians`);
  console.log(`node ${env.node}, librdkafka ${env.librdkafka}, ${env.cpuCount} CPUs (${env.cpuModel}), load ${env.loadAverageAtStart.join(' ')}, commit ${env.gitCommit}${env.gitDirty ? ' (dirty)' : ''}`);
  console.log(`config: ${describeConfig(config)}`);
  console.log(textTable(rows));
  const heapOff = median(heap['fire-and-forget unsubscribed'] ?? []);
  const heapOn = median(heap['fire-and-forget subscribed'] ?? []);
  console.log(`heap growth during the fire-and-forget calls, per message (before flush; run with --expose-gc for a clean baseline): unsubscribed ${heapOff.toFixed(0)} B, subscribed ${heapOn.toFixed(0)} B`);
  console.log(`the untraced check (producerChannels.produce.active): ${checkNs.toFixed(2)} ns per call`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
