/*
 * The cost of the fatal probe (src/producer/fatal.ts), paid once per non-retriable client error:
 * the probe as it is (a message to a topic whose name is over librdkafka's limit, no value)
 * against the one it replaced (a value of message.max.bytes + 1 bytes to a known topic, refused
 * as MSG_SIZE_TOO_LARGE), on one node-rdkafka producer connected to the embedded cluster, at
 * librdkafka's default message.max.bytes (1 MB) and at 16 MB. Interleaved repeats (alternating
 * which goes first), medians: µs per probe, and the peak growth of memory outside the V8 heap
 * (process.memoryUsage().arrayBuffers) per probe, with gc between runs when --expose-gc is given.
 *
 *   npm run build:bench && node --expose-gc dist-bench/bench/fatal-probe.js    # BENCH_QUICK=1: shorter
 */
import { AIOProducer } from '../src';
import { nativeProducerFactory, type NativeProducer } from '../src/native/producer';
import { probeFatal } from '../src/native/fatal';
import { captureEnvironment, describeConfig, librdkafkaConfig, median, pick, progress, startBroker, textTable } from './harness';

const PROBES = pick({ full: 2_000, quick: 500, smoke: 20 });
const REPEATS = pick({ full: 7, quick: 3, smoke: 1 });
const MAX_BYTES = [1_000_000, 16_000_000];

type Probe = 'topic name (now)' | 'oversized value (before)';

/** The probe this file measures against: what fatal.ts did before issue 17. */
function oversizedProbe(native: NativeProducer, topic: string, messageMaxBytes: number): boolean {
  try {
    native.produce(topic, null, Buffer.alloc(messageMaxBytes + 1), undefined, undefined, 0, undefined);
  } catch (err) {
    return (err as { code?: number }).code === -150;
  }
  return false;
}

function run(probe: Probe, native: NativeProducer, topic: string, maxBytes: number): { usPerProbe: number; externalBytesPerProbe: number } {
  global.gc?.();
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const started = process.hrtime.bigint();
  for (let i = 0; i < PROBES; i++) {
    const fatal = probe === 'topic name (now)' ? probeFatal(native) : oversizedProbe(native, topic, maxBytes);
    if (fatal) throw new Error('librdkafka is fatal: the measurement is void');
    if ((i & 63) === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  const ns = Number(process.hrtime.bigint() - started);
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  return { usPerProbe: ns / PROBES / 1000, externalBytesPerProbe: (peak - before) / PROBES };
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const rows: Array<Array<string | number>> = [['message.max.bytes', 'probe', 'µs / probe', 'peak external growth / probe (B)', 'µs ratio before / now']];
  const configs: Array<Record<string, unknown>> = [];
  try {
    for (const maxBytes of MAX_BYTES) {
      let native: NativeProducer | undefined;
      const config = librdkafkaConfig(broker.bootstrapServers, { 'message.max.bytes': maxBytes });
      configs.push(config);
      const producer = await AIOProducer.connectWith(config, {}, { createNative: (c) => (native = nativeProducerFactory()(c)) });
      const topic = `fatal-probe-${Date.now()}`;
      try {
        await producer.produce(topic, 'known'); // the old probe needs a topic librdkafka knows
        const times: Record<Probe, number[]> = { 'topic name (now)': [], 'oversized value (before)': [] };
        const bytes: Record<Probe, number[]> = { 'topic name (now)': [], 'oversized value (before)': [] };
        run('topic name (now)', native!, topic, maxBytes); // warm-up
        for (let r = 0; r < REPEATS; r++) {
          const order: Probe[] = r % 2 === 0 ? ['topic name (now)', 'oversized value (before)'] : ['oversized value (before)', 'topic name (now)'];
          for (const probe of order) {
            const { usPerProbe, externalBytesPerProbe } = run(probe, native!, topic, maxBytes);
            times[probe].push(usPerProbe);
            bytes[probe].push(externalBytesPerProbe);
            progress('fatal-probe', `${maxBytes} B, repeat ${r + 1}/${REPEATS}, ${probe}: ${usPerProbe.toFixed(2)} µs`);
          }
        }
        const now = median(times['topic name (now)']);
        const before = median(times['oversized value (before)']);
        rows.push([maxBytes, 'topic name (now)', now.toFixed(2), Math.round(median(bytes['topic name (now)'])), '']);
        rows.push([maxBytes, 'oversized value (before)', before.toFixed(2), Math.round(median(bytes['oversized value (before)'])), (before / now).toFixed(1)]);
      } finally {
        await producer.close();
      }
    }
  } finally {
    await broker.stop();
  }
  const env = captureEnvironment();
  console.log(`fatal probe: ${PROBES} probes per run, ${REPEATS} interleaved repeats, medians${global.gc ? '' : ' (no --expose-gc: byte figures include garbage not yet collected)'}`);
  console.log(`node ${env.node}, librdkafka ${env.librdkafka}, ${env.cpuCount} CPUs (${env.cpuModel}), load ${env.loadAverageAtStart.join(' ')}, commit ${env.gitCommit}${env.gitDirty ? ' (dirty)' : ''}`);
  console.log(`config: ${describeConfig(configs[0]!)} (message.max.bytes as in the table)`);
  console.log(textTable(rows));
  console.log('each oversized probe allocates message.max.bytes + 1 bytes (a zero-filled Buffer); the peak column is what GC left standing');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
