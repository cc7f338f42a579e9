/*
 * Child process of the producer throughput scenario: one client per process, so that CPU time
 * and peak RSS belong to that client alone. Warm-up run, then `repeats` measured runs.
 *
 * argv: client bootstrapServers messages repeats warmupMessages window topic
 * result: { runs: RunStats[], peakRssMiB }
 */
import * as Kafka from 'node-rdkafka';
import { Kafka as KafkaJS, logLevel, CompressionTypes, type Producer as KafkaJSProducer } from 'kafkajs';
import { AIOProducer } from '../src';
import {
  KEYS,
  VALUE,
  childMain,
  cpuSecondsSince,
  latencySummary,
  librdkafkaConfig,
  peakRssMiB,
  round,
  sleep,
} from './harness';
import { RawAwaitableProducer, newRawProducer } from './raw-producer';

/** Every client of the comparison, in report order. */
export const CLIENTS = [
  { id: 'aio-serial', label: 'AIOProducer, await one at a time' },
  { id: 'aio-pipelined', label: 'AIOProducer, pipelined awaits (window)' },
  { id: 'aio-produce2', label: 'AIOProducer produce2 + onDelivery (window)' },
  { id: 'aio-ff', label: 'AIOProducer fire-and-forget, flush at end' },
  { id: 'raw-dr', label: 'node-rdkafka Producer, delivery reports on (window)' },
  { id: 'raw-promise-pipelined', label: 'node-rdkafka Producer + hand-written promise, pipelined awaits (window)' },
  { id: 'raw-serial', label: 'node-rdkafka Producer + promise, one at a time' },
  { id: 'raw-nodr', label: 'node-rdkafka Producer, delivery reports off, flush at end' },
  { id: 'hlp', label: 'node-rdkafka HighLevelProducer (window)' },
  { id: 'kafkajs-send', label: 'KafkaJS send(), one message per call (window)' },
  { id: 'kafkajs-batch', label: 'KafkaJS sendBatch(), 1000 per call (window)' },
] as const;

export type ClientId = (typeof CLIENTS)[number]['id'];

export interface RunStats {
  /** Messages confirmed delivered (delivery reports / resolved sends), not calls. */
  delivered: number;
  failed: number;
  elapsedMs: number;
  messagesPerSec: number;
  /** Produce-to-delivery latency, ms; NaN where the client reports no per-message outcome. */
  p50Ms: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
}

interface Client {
  /** Sends `n` messages and resolves when all have an outcome; fills `lat` (ms) where it can. */
  run(topic: string, n: number, lat: Float64Array): Promise<{ delivered: number; failed: number; hasLatency: boolean }>;
  close(): Promise<void>;
}

const now = (): number => performance.now();
const key = (i: number): Buffer => KEYS[i & 1023]!;

/**
 * Keeps up to `window` messages in flight for callback-style clients: `send(i, done)` starts
 * message i and must call `done(ok)` exactly once. Refills from the completion callback.
 */
export function windowed(n: number, window: number, send: (i: number, done: (ok: boolean) => void) => void) {
  return new Promise<{ delivered: number; failed: number }>((resolve) => {
    let next = 0;
    let inFlight = 0;
    let delivered = 0;
    let failed = 0;
    const done = (ok: boolean): void => {
      if (ok) delivered++;
      else failed++;
      inFlight--;
      if (delivered + failed === n) resolve({ delivered, failed });
      else pump();
    };
    const pump = (): void => {
      while (inFlight < window && next < n) {
        inFlight++;
        send(next++, done);
      }
    };
    if (n === 0) resolve({ delivered: 0, failed: 0 });
    else pump();
  });
}

/**
 * `workers` concurrent loops, each awaiting one send at a time, `n` sends in all. With `lat`,
 * each send's latency (ms) goes there; without, nothing is timed (no clock read per message).
 */
export async function concurrentAwaits(n: number, workers: number, send: (i: number) => Promise<unknown>, lat?: Float64Array) {
  let next = 0;
  let delivered = 0;
  let failed = 0;
  const timed = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const t = now();
      try {
        await send(i);
        lat![i] = now() - t;
        delivered++;
      } catch {
        lat![i] = NaN;
        failed++;
      }
    }
  };
  const untimed = async (): Promise<void> => {
    while (next < n) {
      try {
        await send(next++);
        delivered++;
      } catch {
        failed++;
      }
    }
  };
  const worker = lat === undefined ? untimed : timed;
  await Promise.all(Array.from({ length: Math.min(workers, n) }, worker));
  return { delivered, failed };
}

export function connectNative<T extends Kafka.Producer>(p: T): Promise<T> {
  return new Promise((resolve, reject) => p.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve(p))));
}

function flushNative(p: Kafka.Producer): Promise<void> {
  return new Promise((resolve, reject) => p.flush(120_000, (err) => (err ? reject(err) : resolve())));
}

export function disconnectNative(p: Kafka.Producer): Promise<void> {
  return new Promise((resolve) => p.disconnect(10_000, () => resolve()));
}

async function makeClient(id: ClientId, bootstrap: string, window: number): Promise<Client> {
  const config = librdkafkaConfig(bootstrap);
  switch (id) {
    case 'aio-serial':
    case 'aio-pipelined':
    case 'aio-produce2':
    case 'aio-ff': {
      const p = await AIOProducer.connect(config);
      let ffErrors = 0;
      p.on('deliveryError', () => ffErrors++);
      const close = () => p.close();
      if (id === 'aio-serial' || id === 'aio-pipelined') {
        const workers = id === 'aio-serial' ? 1 : window;
        return {
          run: async (topic, n, lat) => ({
            ...(await concurrentAwaits(n, workers, (i) => p.produce(topic, VALUE, { key: key(i) }), lat)),
            hasLatency: true,
          }),
          close,
        };
      }
      if (id === 'aio-produce2') {
        return {
          run: async (topic, n, lat) => ({
            ...(await windowed(n, window, (i, done) => {
              const t = now();
              p.produce2(topic, VALUE, {
                key: key(i),
                fireAndForget: true,
                onDelivery: (err) => {
                  lat[i] = now() - t;
                  done(err === null);
                },
              });
            })),
            hasLatency: true,
          }),
          close,
        };
      }
      return {
        run: async (topic, n) => {
          ffErrors = 0;
          for (let i = 0; i < n; i++) {
            p.produce2(topic, VALUE, { key: key(i), fireAndForget: true });
            if ((i & 1023) === 1023) await new Promise((r) => setImmediate(r));
          }
          await p.flush();
          return { delivered: n - ffErrors, failed: ffErrors, hasLatency: false };
        },
        close,
      };
    }
    case 'raw-dr': {
      const p = await connectNative(newRawProducer({ ...config, dr_cb: true }));
      const timer = setInterval(() => p.poll(), 1);
      const callbacks = new Map<number, (ok: boolean) => void>();
      p.on('delivery-report', (err, report) => {
        const cb = callbacks.get(report.opaque as number);
        callbacks.delete(report.opaque as number);
        cb?.(!err);
      });
      return {
        run: async (topic, n, lat) => ({
          ...(await windowed(n, window, (i, done) => {
            const t = now();
            callbacks.set(i, (ok) => {
              lat[i] = now() - t;
              done(ok);
            });
            p.produce(topic, null, VALUE, key(i), null, i);
          })),
          hasLatency: true,
        }),
        close: async () => {
          clearInterval(timer);
          await disconnectNative(p);
        },
      };
    }
    case 'raw-serial':
    case 'raw-promise-pipelined': {
      // The same driver as aio-serial / aio-pipelined: `workers` async loops awaiting a promise each.
      const raw = await RawAwaitableProducer.connect(config, 1);
      const workers = id === 'raw-serial' ? 1 : window;
      return {
        run: async (topic, n, lat) => ({
          ...(await concurrentAwaits(n, workers, (i) => raw.produce(topic, VALUE, key(i)), lat)),
          hasLatency: true,
        }),
        close: () => raw.close(),
      };
    }
    case 'raw-nodr': {
      const p = await connectNative(newRawProducer({ ...config, dr_cb: false }));
      return {
        run: async (topic, n) => {
          for (let i = 0; i < n; i++) {
            p.produce(topic, null, VALUE, key(i), null);
            if ((i & 1023) === 1023) await new Promise((r) => setImmediate(r));
          }
          await flushNative(p);
          return { delivered: n, failed: 0, hasLatency: false };
        },
        close: () => disconnectNative(p),
      };
    }
    case 'hlp': {
      const p = await connectNative(newRawProducer(config, 'HighLevelProducer') as Kafka.HighLevelProducer);
      return {
        run: async (topic, n, lat) => ({
          ...(await windowed(n, window, (i, done) => {
            const t = now();
            p.produce(topic, null, VALUE, key(i), null, (err: unknown) => {
              lat[i] = now() - t;
              done(!err);
            });
          })),
          hasLatency: true,
        }),
        close: () => disconnectNative(p),
      };
    }
    case 'kafkajs-send':
    case 'kafkajs-batch': {
      const kafka = new KafkaJS({ clientId: 'aio-rdkafka-bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
      // acks -1 as for librdkafka; KafkaJS' idempotent mode allows only one request in flight,
      // so it stays off (see docs/benchmarks.md).
      const p: KafkaJSProducer = kafka.producer({ allowAutoTopicCreation: true });
      await p.connect();
      if (id === 'kafkajs-send') {
        return {
          run: async (topic, n, lat) => ({
            ...(await concurrentAwaits(
              n,
              window,
              (i) => p.send({ topic, acks: -1, compression: CompressionTypes.None, messages: [{ key: key(i), value: VALUE }] }),
              lat,
            )),
            hasLatency: true,
          }),
          close: () => p.disconnect(),
        };
      }
      const batch = 1000;
      return {
        run: async (topic, n, lat) => {
          const batches = Math.ceil(n / batch);
          let delivered = 0;
          let failed = 0;
          const perBatch = new Float64Array(batches);
          const r = await concurrentAwaits(
            batches,
            Math.max(1, Math.floor(window / batch)),
            async (b) => {
              const count = Math.min(batch, n - b * batch);
              const messages = Array.from({ length: count }, (_, j) => ({ key: key(b * batch + j), value: VALUE }));
              try {
                await p.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [{ topic, messages }] });
                delivered += count;
              } catch (err) {
                failed += count;
                throw err;
              }
            },
            perBatch,
          );
          void r;
          // Every message of a batch shares its batch's latency.
          for (let b = 0; b < batches; b++) lat.fill(perBatch[b]!, b * batch, Math.min(n, (b + 1) * batch));
          return { delivered, failed, hasLatency: true };
        },
        close: () => p.disconnect(),
      };
    }
  }
}

async function main(): Promise<unknown> {
  const [id, bootstrap, messages, repeats, warmup, window, topic] = process.argv.slice(2);
  const n = Number(messages);
  const client = await makeClient(id as ClientId, bootstrap!, Number(window));
  const runs: RunStats[] = [];
  try {
    const warmLat = new Float64Array(Number(warmup));
    await client.run(topic!, Number(warmup), warmLat);
    for (let r = 0; r < Number(repeats); r++) {
      const lat = new Float64Array(n).fill(NaN);
      await sleep(100);
      const cpu = process.cpuUsage();
      const t0 = now();
      const { delivered, failed, hasLatency } = await client.run(topic!, n, lat);
      const elapsedMs = now() - t0;
      const cpuSeconds = cpuSecondsSince(cpu);
      const summary = hasLatency ? latencySummary(lat.filter((v) => !Number.isNaN(v))) : { p50: NaN, p99: NaN };
      runs.push({
        delivered,
        failed,
        elapsedMs: round(elapsedMs),
        messagesPerSec: round((delivered / elapsedMs) * 1000),
        p50Ms: round(summary.p50),
        p99Ms: round(summary.p99),
        cpuSecondsPer100k: round((cpuSeconds / Math.max(1, delivered)) * 100_000),
      });
      process.send!({ type: 'progress', message: `run ${r + 1}/${repeats}: ${Math.round(runs.at(-1)!.messagesPerSec)} msg/s` });
    }
  } finally {
    await client.close();
  }
  return { runs, peakRssMiB: peakRssMiB() };
}

if (require.main === module) childMain(main);
