/*
 * Child process of the web load test: a node:http server whose endpoints each produce the
 * request body to Kafka in a different way (the seed article's experiment).
 *
 * argv: bootstrapServers lingerMs pollIntervalMs
 * IPC: sends {type:'ready', port}; on {type:'stop'} closes and sends its counters as the result.
 */
import { getHeapStatistics } from 'node:v8';
import { AIOProducer } from '../src';
import type { AIOKafkaError } from '../src';
import { childMain, librdkafkaConfig, peakRssMiB } from './harness';
import { fail as failWith, reply, replyWhenDelivered, serveUntilStopped, type Handler, type HttpCounters } from './http-endpoints';
import { RawAwaitableProducer } from './raw-producer';
import { ServerProbe } from './server-probe';

/** Endpoint paths, in the order they are reported. */
export const ENDPOINTS = [
  { path: '/noop', label: 'no-op' },
  { path: '/fire-and-forget', label: 'fire-and-forget (produce2 fireAndForget)' },
  { path: '/oob', label: 'out-of-band, no dispatch (produce2 fireAndForget + onDelivery)' },
  { path: '/oob-dispatch', label: 'out-of-band with dispatch (produce2 + onDelivery, not awaited)' },
  { path: '/await', label: 'awaitable (await produce)' },
  { path: '/raw-ff', label: 'raw node-rdkafka, fire-and-forget (reports on, errors counted)' },
  { path: '/raw', label: 'raw node-rdkafka + hand-written delivery promise' },
] as const;

const TOPIC = 'bench-web';

async function main(): Promise<unknown> {
  const [bootstrapServers, lingerMs, pollIntervalMs] = process.argv.slice(2);
  const config = librdkafkaConfig(bootstrapServers!, { 'linger.ms': Number(lingerMs) });
  const aio = await AIOProducer.connect(config, { pollIntervalMs: Number(pollIntervalMs) });
  const raw = await RawAwaitableProducer.connect(config, 1);
  const counters: HttpCounters = { requests: 0, deliveryErrors: 0, produceErrors: 0 };
  aio.on('deliveryError', () => counters.deliveryErrors++);
  aio.on('error', () => {});
  const onDelivery = (err: AIOKafkaError | null): void => {
    if (err) counters.deliveryErrors++;
  };
  // Create the topic (and fetch its metadata) in both clients before any load.
  await aio.produce(TOPIC, 'warm-up');
  await raw.produce(TOPIC, Buffer.from('warm-up'));

  const fail = (res: Parameters<Handler>[1], err: unknown): void => failWith(res, err, counters);

  const handlers: Record<string, Handler> = {
    '/noop': (_body, res) => reply(res, 200, '{}'),
    '/fire-and-forget': (body, res) => {
      try {
        aio.produce2(TOPIC, body, { fireAndForget: true });
        reply(res, 202, '{}');
      } catch (err) {
        fail(res, err);
      }
    },
    '/oob': (body, res) => {
      try {
        aio.produce2(TOPIC, body, { fireAndForget: true, onDelivery });
        reply(res, 202, '{}');
      } catch (err) {
        fail(res, err);
      }
    },
    '/oob-dispatch': (body, res) => {
      void aio.produce2(TOPIC, body, { onDelivery });
      reply(res, 202, '{}');
    },
    '/await': (body, res) => replyWhenDelivered(res, aio.produce(TOPIC, body), counters),
    '/raw-ff': (body, res) => {
      try {
        raw.produceAndForget(TOPIC, body);
        reply(res, 202, '{}');
      } catch (err) {
        fail(res, err);
      }
    },
    '/raw': (body, res) => replyWhenDelivered(res, raw.produce(TOPIC, body), counters),
  };

  const probe = new ServerProbe({ aioInFlight: () => aio.inFlight, rawInFlight: () => raw.inFlight, heapUsedMiB: () => getHeapStatistics().used_heap_size / 2 ** 20 });
  const { cpuSeconds } = await serveUntilStopped(handlers, counters, probe);
  await aio.close();
  await raw.close();
  return { ...counters, rawFireAndForgetErrors: raw.fireAndForgetErrors, cpuSeconds, peakRssMiB: peakRssMiB() };
}

if (require.main === module) childMain(main);
