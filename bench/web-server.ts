/*
 * Child process of the web load test: a node:http server whose endpoints each produce the
 * request body to Kafka in a different way (the seed article's experiment).
 *
 * argv: bootstrapServers lingerMs pollIntervalMs
 * IPC: sends {type:'ready', port}; on {type:'stop'} closes and sends its counters as the result.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AIOProducer } from '../src';
import type { AIOKafkaError } from '../src';
import { childMain, cpuSecondsSince, librdkafkaConfig, nextParentMessage, peakRssMiB } from './harness';
import { RawAwaitableProducer } from './raw-producer';

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
  const counters = { requests: 0, deliveryErrors: 0, produceErrors: 0 };
  aio.on('deliveryError', () => counters.deliveryErrors++);
  aio.on('error', () => {});
  const onDelivery = (err: AIOKafkaError | null): void => {
    if (err) counters.deliveryErrors++;
  };
  // Create the topic (and fetch its metadata) in both clients before any load.
  await aio.produce(TOPIC, 'warm-up');
  await raw.produce(TOPIC, Buffer.from('warm-up'));

  const reply = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const fail = (res: ServerResponse, err: unknown): void => {
    counters.produceErrors++;
    reply(res, 500, JSON.stringify({ error: (err as Error).message }));
  };

  const handlers: Record<string, (body: Buffer, res: ServerResponse) => void> = {
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
    '/await': (body, res) => {
      aio.produce(TOPIC, body).then(
        (report) => reply(res, 200, `{"partition":${report.partition},"offset":${report.offset}}`),
        (err) => fail(res, err),
      );
    },
    '/raw-ff': (body, res) => {
      try {
        raw.produceAndForget(TOPIC, body);
        reply(res, 202, '{}');
      } catch (err) {
        fail(res, err);
      }
    },
    '/raw': (body, res) => {
      raw.produce(TOPIC, body).then(
        (report) => reply(res, 200, `{"partition":${report.partition},"offset":${report.offset}}`),
        (err) => fail(res, err),
      );
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    const handler = handlers[req.url ?? ''];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (handler === undefined) reply(res, 404, '{}');
      else handler(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), res);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cpuStart = process.cpuUsage();
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });

  await nextParentMessage('stop');
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const cpuSeconds = cpuSecondsSince(cpuStart);
  await aio.close();
  await raw.close();
  return { ...counters, rawFireAndForgetErrors: raw.fireAndForgetErrors, cpuSeconds, peakRssMiB: peakRssMiB() };
}

if (require.main === module) childMain(main);
