/*
 * Scenario 4 (`npm run bench -- consumer`): AIOConsumer.run() throughput with handlers that
 * sleep 50 ms, concurrency 20 against the baseline concurrency 1, measured in the same run, in
 * one child process on the measured core. Measured, not asserted.
 *
 * Each run is a fresh consumer group reading the same pre-produced topic from the start; the
 * clock starts at the first handled message (the group join is not measured) and stops when the
 * last one finished. The two levels alternate in order from one repeat to the next.
 *
 * Overrides: BENCH_MESSAGES (messages per run), BENCH_REPEATS (runs per level), BENCH_SLEEP_MS.
 * Alone: `node dist-bench/bench/consumer-concurrency.js` (its own broker, result JSON written).
 */
import { performance } from 'node:perf_hooks';
import { AIOConsumer, AIOProducer } from '../src';
import {
  CORES,
  captureEnvironment,
  childMain,
  median,
  pick,
  progress,
  ratio,
  round,
  runChild,
  sleep,
  startBroker,
  writeResult,
  type Broker,
} from './harness';

const SCENARIO = 'consumer';
const LEVELS = [1, 20] as const;

/** Consumer properties of every run (bootstrap.servers and a fresh group.id are added). */
const CONSUMER_CONFIG = {
  'auto.offset.reset': 'earliest',
  'fetch.wait.max.ms': 50,
  'session.timeout.ms': 6000,
} as const;

export interface ConsumerLevelRow {
  concurrency: number;
  runs: number[];
  /** Median over the runs, messages handled per second. */
  messagesPerSec: number;
  /** concurrency * 1000 / handler sleep: the rate if handlers were the only cost. */
  idealMessagesPerSec: number;
  ratioToConcurrency1: number;
}

export interface ConsumerResult {
  scenario: 'consumer-concurrency';
  environment: ReturnType<typeof captureEnvironment>;
  config: string;
  method: Record<string, unknown>;
  rows: ConsumerLevelRow[];
  errors: Array<{ what: string; error: string }>;
}

interface ChildOut {
  rates: Record<string, number[]>;
  order: number[][];
}

/** One run: a fresh group consumes `messages` messages with `concurrency`; returns messages/s. */
async function measure(bootstrapServers: string, topic: string, concurrency: number, messages: number, sleepMs: number): Promise<number> {
  const consumer = await AIOConsumer.connect(
    { ...CONSUMER_CONFIG, 'bootstrap.servers': bootstrapServers, 'group.id': `bench-${concurrency}-${Date.now()}-${Math.random()}` },
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
      await sleep(sleepMs);
      if (++finished === messages) resolveDone();
    },
  });
  await allDone;
  const seconds = (performance.now() - started!) / 1000;
  await consumer.close();
  await run;
  return messages / seconds;
}

/** The child: produces the topic, then runs every level `repeats` times, alternating the order. */
async function child(bootstrapServers: string, messages: number, repeats: number, sleepMs: number): Promise<ChildOut> {
  const topic = `bench-consumer-${Date.now()}`;
  const producer = await AIOProducer.connect({ 'bootstrap.servers': bootstrapServers, 'linger.ms': 5 });
  try {
    await Promise.all(Array.from({ length: messages }, (_, i) => producer.produce(topic, `m${i}`, { key: `key-${i}` })));
  } finally {
    await producer.close();
  }
  const rates: Record<string, number[]> = {};
  const order: number[][] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    // Alternate the order so that neither level always runs first.
    const levels = repeat % 2 === 0 ? [...LEVELS] : [...LEVELS].reverse();
    order.push(levels);
    for (const concurrency of levels) {
      const rate = await measure(bootstrapServers, topic, concurrency, messages, sleepMs);
      (rates[concurrency] ??= []).push(round(rate));
      process.send?.({ type: 'progress', message: `run ${repeat + 1}/${repeats} concurrency ${concurrency}: ${rate.toFixed(1)} msg/s` });
    }
  }
  return { rates, order };
}

export async function runConsumerConcurrency(givenBroker?: Broker): Promise<ConsumerResult> {
  const messages = Number(process.env.BENCH_MESSAGES ?? pick({ full: 200, quick: 100, smoke: 20 }));
  const repeats = Number(process.env.BENCH_REPEATS ?? pick({ full: 3, quick: 1, smoke: 1 }));
  const sleepMs = Number(process.env.BENCH_SLEEP_MS ?? 50);
  const environment = captureEnvironment();
  const broker = givenBroker ?? (await startBroker());
  const errors: ConsumerResult['errors'] = [];
  let out: ChildOut | undefined;
  try {
    progress(SCENARIO, `${messages} messages per run, ${repeats} run(s) per level, handlers sleep ${sleepMs} ms`);
    out = await runChild<ChildOut>('consumer-concurrency', ['child', broker.bootstrapServers, String(messages), String(repeats), String(sleepMs)], {
      cpu: CORES.subject,
      timeoutMs: pick({ full: 600_000, quick: 300_000, smoke: 120_000 }),
      onMessage: (msg) => {
        if (msg.type === 'progress') progress(SCENARIO, `  ${String(msg.message)}`);
      },
    });
  } catch (err) {
    errors.push({ what: 'consumer-concurrency', error: (err as Error).message });
    progress(SCENARIO, `FAILED: ${(err as Error).message}`);
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }
  const base = out ? median(out.rates['1'] ?? []) : NaN;
  const rows: ConsumerLevelRow[] = out
    ? LEVELS.map((c) => {
        const runs = out!.rates[String(c)] ?? [];
        const rate = median(runs);
        return { concurrency: c, runs, messagesPerSec: round(rate), idealMessagesPerSec: (c * 1000) / sleepMs, ratioToConcurrency1: ratio(rate, base) };
      })
    : [];
  const result: ConsumerResult = {
    scenario: 'consumer-concurrency',
    environment,
    config: Object.entries(CONSUMER_CONFIG)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    method: {
      messages,
      repeats,
      handlerSleepMs: sleepMs,
      run: `${messages} pre-produced messages (distinct keys, orderBy 'key'); each run is a fresh consumer group reading the topic from the start; clock from the first handled message to the last finished one (group join not measured); median of ${repeats} run(s) per level; the two levels alternate order between repeats; one child process on the measured core`,
      order: out?.order ?? [],
    },
    rows,
    errors,
  };
  writeResult('consumer-concurrency', result);
  return result;
}

if (require.main === module) {
  if (process.argv[2] === 'child') {
    const [, , , bootstrap, messages, repeats, sleepMs] = process.argv;
    childMain(() => child(bootstrap!, Number(messages), Number(repeats), Number(sleepMs)));
  } else {
    runConsumerConcurrency().then(
      (r) => {
        for (const row of r.rows) console.log(row.concurrency, row.messagesPerSec, row.idealMessagesPerSec, row.ratioToConcurrency1);
        process.exit(r.errors.length === 0 ? 0 : 1);
      },
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  }
}
