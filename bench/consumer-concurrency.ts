/*
 * AIOConsumer.run() throughput with handlers that sleep 50 ms: concurrency 20 against the
 * baseline concurrency 1, measured in the same run, on the embedded mock cluster (or on
 * KAFKA_BROKERS). Measured, not asserted: prints the medians and the ratio.
 *
 * Each run is a fresh consumer group reading the same pre-produced topic from the start; the
 * clock starts at the first handled message (the group join is not measured) and stops when the
 * last one finished.
 *
 *   BENCH_MESSAGES   messages per run            (default 200)
 *   BENCH_REPEATS    runs per concurrency level  (default 3)
 *   BENCH_SLEEP_MS   handler sleep               (default 50)
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { AIOConsumer, AIOProducer, librdkafkaVersion, startMockCluster, type MockCluster } from '../src';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SLEEP_MS = Number(process.env.BENCH_SLEEP_MS ?? 50);
const LEVELS = [1, 20] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function commit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** One run: a fresh group consumes `MESSAGES` messages with `concurrency`; returns messages/s. */
async function measure(bootstrapServers: string, topic: string, concurrency: number, config: Record<string, string | number>): Promise<number> {
  const consumer = await AIOConsumer.connect(
    { ...config, 'bootstrap.servers': bootstrapServers, 'group.id': `bench-${concurrency}-${Date.now()}-${Math.random()}` },
    { topics: [topic] },
  );
  let started: number | undefined;
  let finished = 0;
  let resolveDone!: () => void;
  const allDone = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const run = consumer.run({
    concurrency,
    // Every message has its own key: ordering by key does not limit the concurrency.
    orderBy: 'key',
    handler: async () => {
      started ??= performance.now();
      await sleep(SLEEP_MS);
      if (++finished === MESSAGES) resolveDone();
    },
  });
  await allDone;
  const seconds = (performance.now() - started!) / 1000;
  await consumer.close();
  await run;
  return MESSAGES / seconds;
}

async function main(): Promise<void> {
  let cluster: MockCluster | undefined;
  const bootstrapServers = process.env.KAFKA_BROKERS ?? (cluster = await startMockCluster({ brokers: 1 })).bootstrapServers;
  const config = {
    'auto.offset.reset': 'earliest',
    'fetch.wait.max.ms': 50,
    'session.timeout.ms': 6000,
  };
  try {
    const topic = `bench-consumer-${Date.now()}`;
    const producer = await AIOProducer.connect({ 'bootstrap.servers': bootstrapServers, 'linger.ms': 5 });
    try {
      await Promise.all(Array.from({ length: MESSAGES }, (_, i) => producer.produce(topic, `m${i}`, { key: `key-${i}` })));
    } finally {
      await producer.close();
    }

    console.log('consumer-concurrency: AIOConsumer.run() with handlers sleeping %d ms', SLEEP_MS);
    console.log(
      'environment: %d CPUs (%s), Node %s, librdkafka %s, commit %s, broker %s',
      cpus().length,
      cpus()[0]?.model ?? 'unknown',
      process.version,
      librdkafkaVersion(),
      commit(),
      cluster ? 'embedded mock cluster (1 broker, 4 partitions)' : bootstrapServers,
    );
    console.log('consumer config: %s; %d messages per run, %d runs per level', JSON.stringify(config), MESSAGES, REPEATS);

    const results = new Map<number, number[]>();
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      // Alternate the order so that neither level always runs on a warmer process.
      for (const concurrency of repeat % 2 === 0 ? LEVELS : [...LEVELS].reverse()) {
        const rate = await measure(bootstrapServers, topic, concurrency, config);
        results.set(concurrency, [...(results.get(concurrency) ?? []), rate]);
        console.log('  run %d  concurrency %d: %s msg/s', repeat + 1, concurrency, rate.toFixed(1));
      }
    }
    const baseline = median(results.get(1)!);
    console.log('');
    console.log('concurrency | median msg/s | ideal msg/s | vs concurrency 1');
    for (const concurrency of LEVELS) {
      const rate = median(results.get(concurrency)!);
      const ideal = (concurrency * 1000) / SLEEP_MS;
      console.log(
        `${String(concurrency).padStart(11)} | ${rate.toFixed(1).padStart(12)} | ${ideal.toFixed(0).padStart(11)} | ${(rate / baseline).toFixed(2)}x`,
      );
    }
  } finally {
    await cluster?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
