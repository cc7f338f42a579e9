/*
 * `npm run bench:poll-options`: the ways to get a delivery report from librdkafka to JavaScript,
 * measured side by side on raw node-rdkafka (issue 10, "remove the poll floor"). Each option runs in
 * its own process, interleaved with the others, repeated; medians are printed and written to
 * bench/results/poll-options.json (rendered in docs/benchmarks.md by `BENCH_DOCS=1 npm run bench -- report`).
 *
 *   timer-1ms        setInterval(poll, 1) while messages are pending: today's AIOProducer
 *   set-immediate    poll on every turn of the event loop while messages are pending
 *   flush-worker     producer.flush(100, cb) on a libuv worker while messages are pending: serves
 *                    reports as they come, but librdkafka ignores linger.ms while it flushes
 *   background-poll  the aio-rdkafka plugin (native/poller.c): a librdkafka thread blocks in
 *                    rd_kafka_poll; JavaScript only keeps a 10 ms safety timer
 *
 * Per option: sequential awaited p50 at linger.ms 0 and 5 (one message at a time), CPU per message
 * (the whole process: JavaScript, librdkafka's threads, the plugin's thread) at a steady 1,000
 * awaited messages/s, and the linger check: how long 20 messages produced together at linger.ms
 * 200 wait (about 200 ms when linger.ms keeps its meaning).
 */
import { pollerPlugin, withBackgroundPoll } from '../src/native/background-poll';
import {
  MODE,
  VALUE,
  KEYS,
  captureEnvironment,
  childMain,
  librdkafkaConfig,
  markdownTable,
  median,
  pick,
  progress,
  round,
  runChild,
  runOrder,
  startBroker,
  writeResult,
} from './harness';

const OPTIONS = ['timer-1ms', 'set-immediate', 'flush-worker', 'background-poll'] as const;
type Option = (typeof OPTIONS)[number];

interface OptionRun {
  option: Option;
  p50Linger0Ms: number;
  p50Linger5Ms: number;
  cpuUsPerMessageAt1000: number;
  lingerHoldMs: number;
}

type RawProducerClass = new (g: Record<string, unknown>, t: Record<string, unknown>) => RawProducer;
interface RawProducer {
  connect(o: object, cb: (err: Error | null) => void): void;
  produce(topic: string, partition: number | null, value: Buffer, key: Buffer, ts: null, opaque: number): void;
  poll(): void;
  flush(timeoutMs: number, cb: (err?: Error) => void): void;
  disconnect(cb: () => void): void;
  on(event: 'delivery-report', cb: (err: Error | null, report: { opaque: number }) => void): void;
}

/** One producer driven the way `option` says; `send` resolves at the delivery report. */
async function openProducer(option: Option, bootstrap: string, lingerMs: number) {
  let config: Record<string, unknown> = { ...librdkafkaConfig(bootstrap, { 'linger.ms': lingerMs }), dr_cb: true };
  if (option === 'background-poll') {
    const plugin = pollerPlugin();
    if (plugin === undefined) throw new Error('the poller plugin is not built (npm install builds it)');
    config = withBackgroundPoll(config as never, plugin);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Producer } = require('node-rdkafka') as { Producer: RawProducerClass };
  const producer = new Producer(config, {});
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  const waiting = new Map<number, () => void>();
  producer.on('delivery-report', (_err, report) => {
    const done = waiting.get(report.opaque);
    waiting.delete(report.opaque);
    done?.();
  });
  let timer: NodeJS.Timeout | undefined;
  let driving = false;
  const drive = (): void => {
    if (option === 'timer-1ms' || option === 'background-poll' || driving) return;
    driving = true;
    if (option === 'set-immediate') {
      const spin = (): void => {
        producer.poll();
        if (waiting.size > 0) setImmediate(spin);
        else driving = false;
      };
      setImmediate(spin);
    } else {
      const flush = (): void =>
        producer.flush(100, () => {
          if (waiting.size > 0) flush();
          else driving = false;
        });
      flush();
    }
  };
  if (option === 'timer-1ms') timer = setInterval(() => producer.poll(), 1);
  if (option === 'background-poll') timer = setInterval(() => producer.poll(), 10);
  let id = 0;
  const send = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const opaque = ++id;
      waiting.set(opaque, resolve);
      producer.produce('poll-options', null, VALUE, KEYS[i % KEYS.length]!, null, opaque);
      drive();
    });
  const close = async (): Promise<void> => {
    clearInterval(timer);
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  };
  return { send, close };
}

async function sequentialP50(option: Option, bootstrap: string, lingerMs: number, messages: number): Promise<number> {
  const p = await openProducer(option, bootstrap, lingerMs);
  for (let i = 0; i < 100; i++) await p.send(i);
  const latencies: number[] = [];
  for (let i = 0; i < messages; i++) {
    const started = performance.now();
    await p.send(i);
    latencies.push(performance.now() - started);
  }
  await p.close();
  return median(latencies);
}

async function cpuPerMessage(option: Option, bootstrap: string, seconds: number): Promise<number> {
  const p = await openProducer(option, bootstrap, 0);
  for (let i = 0; i < 100; i++) await p.send(i);
  const rate = 1000;
  const outcomes: Array<Promise<void>> = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const pace = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (outcomes.length < due) outcomes.push(p.send(outcomes.length));
      if (performance.now() - started >= seconds * 1000) {
        clearInterval(pace);
        resolve();
      }
    }, 1);
  });
  await Promise.all(outcomes);
  const used = process.cpuUsage(cpu);
  await p.close();
  return (used.user + used.system) / outcomes.length;
}

async function lingerHold(option: Option, bootstrap: string): Promise<number> {
  const p = await openProducer(option, bootstrap, 200);
  await p.send(0);
  const started = performance.now();
  await Promise.all(Array.from({ length: 20 }, (_, i) => p.send(i)));
  const held = performance.now() - started;
  await p.close();
  return held;
}

async function child(option: Option, bootstrap: string): Promise<OptionRun> {
  const messages = pick({ full: 1000, quick: 300, smoke: 50 });
  const seconds = pick({ full: 3, quick: 2, smoke: 1 });
  return {
    option,
    p50Linger0Ms: round(await sequentialP50(option, bootstrap, 0, messages), 4),
    p50Linger5Ms: round(await sequentialP50(option, bootstrap, 5, messages), 4),
    cpuUsPerMessageAt1000: round(await cpuPerMessage(option, bootstrap, seconds), 1),
    lingerHoldMs: round(await lingerHold(option, bootstrap), 1),
  };
}

export interface PollOptionsResult {
  environment: ReturnType<typeof captureEnvironment>;
  repeats: number;
  medians: OptionRun[];
  runs: OptionRun[];
}

/** The markdown table of a result (docs/benchmarks.md). */
export function pollOptionsTable(result: PollOptionsResult): string {
  return markdownTable([
    ['option', 'sequential p50, linger 0 (ms)', 'sequential p50, linger 5 (ms)', 'CPU µs per message at 1,000/s', '20 messages at linger.ms 200 wait (ms)'],
    ...result.medians.map((m) => [m.option, m.p50Linger0Ms, m.p50Linger5Ms, m.cpuUsPerMessageAt1000, m.lingerHoldMs]),
  ]);
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const repeats = pick({ full: 3, quick: 2, smoke: 1 });
  const runs: OptionRun[] = [];
  try {
    for (let r = 0; r < repeats; r++) {
      for (const option of runOrder(OPTIONS, r)) {
        progress('poll-options', `round ${r + 1}/${repeats}: ${option}`);
        runs.push(await runChild<OptionRun>('poll-options', ['child', option, broker.bootstrapServers]));
      }
    }
  } finally {
    await broker.stop();
  }
  const medians = OPTIONS.map((option) => {
    const own = runs.filter((run) => run.option === option);
    return {
      option,
      p50Linger0Ms: round(median(own.map((run) => run.p50Linger0Ms)), 4),
      p50Linger5Ms: round(median(own.map((run) => run.p50Linger5Ms)), 4),
      cpuUsPerMessageAt1000: round(median(own.map((run) => run.cpuUsPerMessageAt1000)), 1),
      lingerHoldMs: round(median(own.map((run) => run.lingerHoldMs)), 1),
    };
  });
  const result: PollOptionsResult = { environment: captureEnvironment(), repeats, medians, runs };
  writeResult('poll-options', result);
  console.log(`mode ${MODE}, ${repeats} interleaved repeats, medians:\n${pollOptionsTable(result)}`);
}

if (require.main === module) {
  if (process.argv[2] === 'child') childMain(() => child(process.argv[3] as Option, process.argv[4]!));
  else void main();
}
