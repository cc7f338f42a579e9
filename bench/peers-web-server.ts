/*
 * Child process of the peers web load test: the seed article's awaitable endpoint for one client.
 * One server process per client (each loads only its own librdkafka build), served the same way
 * as web-server.ts (http-endpoints.ts) with the same 100-byte request body produced as the value.
 *
 * argv: bootstrapServers lingerMs client
 * endpoints: /noop, /await (the client's awaited send of the body; 200 once delivered)
 */
import { childMain, peakRssMiB } from './harness';
import { reply, replyWhenDelivered, serveUntilStopped, type Handler, type HttpCounters } from './http-endpoints';
import { openPeer, type PeerId } from './peer-clients';

const TOPIC = 'bench-peers-web';

async function main(): Promise<unknown> {
  const [bootstrapServers, lingerMs, client] = process.argv.slice(2);
  const producer = await openPeer(client as PeerId, bootstrapServers!, Number(lingerMs));
  const counters: HttpCounters = { requests: 0, deliveryErrors: 0, produceErrors: 0 };
  // Create the topic (and fetch its metadata) before any load.
  await producer.sendValue(TOPIC, Buffer.from('warm-up'));
  const handlers: Record<string, Handler> = {
    '/noop': (_body, res) => reply(res, 200, '{}'),
    '/await': (body, res) => replyWhenDelivered(res, producer.sendValue(TOPIC, body), counters),
  };
  const { cpuSeconds } = await serveUntilStopped(handlers, counters);
  await producer.close();
  return { client, ...counters, cpuSeconds, peakRssMiB: peakRssMiB() };
}

if (require.main === module) childMain(main);
