/*
 * The seed's web application, in Node: `POST /items` with `{"name": "..."}` awaits
 * `produce('items', name)` and answers where the message landed.
 *
 *   npm start                          # embedded mock cluster, port 8000
 *   KAFKA_BROKERS=host:9092 PORT=8080 npm start
 *
 * Environment: KAFKA_BROKERS, PORT (8000), HOST (127.0.0.1), SHUTDOWN_TIMEOUT_MS (10000: how long
 * a shutdown waits for pending messages).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AIOProducer, isAIOKafkaError } from 'aio-rdkafka';
import { startMockCluster, type MockCluster } from 'aio-rdkafka/testing';

/** Options of {@link createItemsServer}. */
export interface ItemsServerOptions {
  /** Topic the items go to. @default 'items' */
  topic?: string;
  /** Longest accepted name, in UTF-8 bytes. @default 1024 */
  maxNameBytes?: number;
  /** Largest accepted request body, in bytes. @default 16384 */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Answer, then drop the connection rather than read the rest of an oversized body.
        res.setHeader('connection', 'close');
        reject(new HttpError(413, { error: `body larger than ${limit} bytes` }));
        req.removeAllListeners('data');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseName(body: Buffer, maxNameBytes: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, { error: 'body is not valid JSON' });
  }
  const name = typeof parsed === 'object' && parsed !== null ? (parsed as { name?: unknown }).name : undefined;
  if (typeof name !== 'string' || name.length === 0) {
    throw new HttpError(400, { error: 'body must be {"name": "<non-empty string>"}' });
  }
  if (Buffer.byteLength(name) > maxNameBytes) {
    throw new HttpError(400, { error: `name longer than ${maxNameBytes} bytes` });
  }
  return name;
}

/**
 * The HTTP service: `POST /items` produces the item's name and answers
 * `{ topic, partition, offset, timestamp }` once Kafka acknowledged it; 400 for invalid JSON or a
 * missing or oversized name; 503 with the error code when Kafka fails.
 */
export function createItemsServer(producer: AIOProducer, options: ItemsServerOptions = {}): Server {
  const topic = options.topic ?? 'items';
  const maxNameBytes = options.maxNameBytes ?? 1024;
  const maxBodyBytes = options.maxBodyBytes ?? 16_384;

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    // The server is shutting down (close() was called): this connection ends with this answer.
    if (!server.listening) res.setHeader('connection', 'close');
    send(res, status, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.url !== '/items') throw new HttpError(404, { error: 'not found' });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new HttpError(405, { error: 'method not allowed' });
    }
    const name = parseName(await readBody(req, res, maxBodyBytes), maxNameBytes);
    try {
      const report = await producer.produce(topic, name);
      reply(res, 200, { topic: report.topic, partition: report.partition, offset: report.offset ?? null, timestamp: report.timestamp ?? null });
    } catch (err) {
      if (isAIOKafkaError(err)) throw new HttpError(503, { error: err.code, message: err.message, retriable: err.retriable });
      throw err;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) reply(res, err.status, err.body);
      else reply(res, 500, { error: 'internal error' });
    });
  });
  return server;
}

/** Starts the service as `npm start` does; returns a function that shuts it down gracefully. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; shutdown: () => Promise<void> }> {
  let cluster: MockCluster | undefined;
  let brokers = env.KAFKA_BROKERS;
  if (!brokers) {
    cluster = await startMockCluster({ brokers: 3 });
    brokers = cluster.bootstrapServers;
    console.log(`KAFKA_BROKERS is not set: started an embedded librdkafka mock cluster at ${brokers} (data in memory only)`);
  }
  const producer = await AIOProducer.connect({ 'bootstrap.servers': brokers, 'linger.ms': 5 });
  producer.on('error', (err) => console.error(`kafka client error: ${err.code}: ${err.message}`));
  const server = createItemsServer(producer);
  const port = Number(env.PORT ?? 8000);
  const shutdownTimeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, env.HOST ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  console.log(`listening on ${url}: try  curl -s -XPOST ${url}/items -H 'content-type: application/json' -d '{"name":"widget"}'  (Ctrl-C stops it)`);

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      // Stop taking connections; keep-alive ones are told to close with their next response.
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // At the same time, give pending messages up to SHUTDOWN_TIMEOUT_MS: requests waiting on
      // Kafka then get their answer (200, or 503 for what close gave up on), so the total is bounded.
      await producer.close({ timeoutMs: shutdownTimeoutMs });
      // Answers written by now are let out for a moment; then any connection left is cut.
      await Promise.race([serverClosed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      server.closeAllConnections();
      await serverClosed;
      await cluster?.stop();
    })());
  return { url, shutdown };
}

if (require.main === module) {
  main()
    .then(({ shutdown }) => {
      const onSignal = (signal: NodeJS.Signals): void => {
        console.log(`${signal}: shutting down (flushing pending messages)`);
        shutdown().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
