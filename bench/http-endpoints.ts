/*
 * The HTTP side of the web load tests (web-server.ts, peers-web-server.ts): a node:http server
 * that hands each request body to its path's handler, and the IPC protocol with the parent
 * ({type:'ready', port}; on {type:'stop'} closes and returns; with a probe, {type:'probe-reset'}
 * and {type:'probe-read'}, answered with {type:'probe', data}). No Kafka client is loaded here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpuSecondsSince, nextParentMessage } from './harness';
import type { ServerProbe } from './server-probe';

export type Handler = (body: Buffer, res: ServerResponse) => void;

/** Counters every server reports when it stops. */
export interface HttpCounters {
  requests: number;
  deliveryErrors: number;
  produceErrors: number;
}

export function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers 500 with the error's message and counts it. */
export function fail(res: ServerResponse, err: unknown, counters: HttpCounters): void {
  counters.produceErrors++;
  reply(res, 500, JSON.stringify({ error: (err as Error).message }));
}

/** Replies 200 with the partition and offset of a delivery report, or 500 when it rejects. */
export function replyWhenDelivered(res: ServerResponse, delivery: Promise<{ partition?: number; offset?: number } | unknown>, counters: HttpCounters): void {
  delivery.then(
    (report) => {
      const r = (Array.isArray(report) ? report[0] : report) as { partition?: number; offset?: number } | undefined;
      reply(res, 200, `{"partition":${r?.partition ?? -1},"offset":${r?.offset ?? -1}}`);
    },
    (err) => fail(res, err, counters),
  );
}

/**
 * Serves `handlers` on an ephemeral port of 127.0.0.1, tells the parent `ready`, waits for its
 * `stop`, closes every connection and resolves with the CPU seconds spent while serving.
 */
export async function serveUntilStopped(handlers: Record<string, Handler>, counters: HttpCounters, probe?: ServerProbe): Promise<{ cpuSeconds: number }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    if (probe !== undefined) res.once('finish', probe.startRequest());
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
  const onProbe = (msg: { type?: string }): void => {
    if (msg?.type === 'probe-reset') {
      probe!.reset();
      process.send!({ type: 'probe-was-reset' });
    } else if (msg?.type === 'probe-read') process.send!({ type: 'probe', data: probe!.read() });
  };
  if (probe !== undefined) process.on('message', onProbe);

  await nextParentMessage('stop');
  process.off('message', onProbe);
  probe?.stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { cpuSeconds: cpuSecondsSince(cpuStart) };
}
