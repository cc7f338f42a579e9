import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { AIOProducer } from '../../src';
import { createItemsServer, main } from '../../examples/items-web-service';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';

let broker: TestBroker;
const broker_isMock = (): boolean => !process.env.KAFKA_BROKERS;
let producer: AIOProducer;
let server: Server;
let url: string;
const topic = randomTopic('items');

beforeAll(async () => {
  broker = await startTestBroker();
  producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 });
  server = createItemsServer(producer, { topic, maxNameBytes: 20 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await producer.close();
  await broker.stop();
});

async function post(body: string, path = '/items', method = 'POST'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method, body: method === 'GET' ? undefined : body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /items', () => {
  it('answers with where the item landed, once Kafka acknowledged it', async () => {
    const responses = await Promise.all(['a', 'b', 'c'].map((name) => post(JSON.stringify({ name }))));
    for (const { status, json } of responses) {
      expect(status).toBe(200);
      expect(json).toEqual({ topic, partition: expect.any(Number), offset: expect.any(Number), timestamp: expect.any(Number) });
    }
    const read = await readTopic(broker.bootstrapServers, topic, 3, { settleMs: 200 });
    expect(read.map((m) => m.value!.toString()).sort()).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['invalid JSON', '{"name": '],
    ['a missing name', '{"title":"x"}'],
    ['a name that is not a string', '{"name": 5}'],
    ['an empty name', '{"name": ""}'],
    ['an oversized name', JSON.stringify({ name: 'x'.repeat(21) })],
  ])('answers 400 for %s', async (_what, body) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(typeof json.error).toBe('string');
  });

  it('answers 404 and 405 off the route', async () => {
    expect((await post('{}', '/nope')).status).toBe(404);
    expect((await post('', '/items', 'GET')).status).toBe(405);
  });

  it('answers 503 with the error code when Kafka fails', async () => {
    const closedProducer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
    await closedProducer.close();
    const failing = createItemsServer(closedProducer, { topic });
    failing.listen(0, '127.0.0.1');
    await once(failing, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(failing.address() as AddressInfo).port}/items`, {
        method: 'POST',
        body: '{"name":"x"}',
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'AIO_PRODUCER_CLOSED', retriable: false });
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('graceful shutdown', () => {
  (broker_isMock() ? it : it.skip)('is bounded during a broker outage: waiting requests get 503 and the server stops', async () => {
    const app = await main({ KAFKA_BROKERS: broker.bootstrapServers, PORT: '0', SHUTDOWN_TIMEOUT_MS: '1000' });
    try {
      const ok = await fetch(`${app.url}/items`, { method: 'POST', body: '{"name":"before"}' });
      expect(ok.status).toBe(200);
      await broker.cluster!.pause();
      const stuck = fetch(`${app.url}/items`, { method: 'POST', body: '{"name":"stuck"}' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      await app.shutdown();
      const tookMs = Date.now() - started;
      const res = await stuck;
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'AIO_PRODUCER_CLOSED' });
      // SHUTDOWN_TIMEOUT_MS for the producer, then at most 1 s for answers to leave.
      expect(tookMs).toBeLessThan(1000 + 1000 + 1500);
    } finally {
      await broker.cluster?.resume();
      await app.shutdown();
    }
  });
});

describe('npm start (dist-examples/items-web-service.js)', () => {
  // SIGTERM from a process manager, to the process; Ctrl-C in a terminal, SIGINT to the whole
  // process group (the embedded cluster's process included), which the README says stops it.
  it.each([
    ['SIGTERM', 'to the process'],
    ['SIGINT', 'to its process group, as Ctrl-C sends it'],
  ] as const)('serves on the embedded cluster and shuts down gracefully on %s %s, with no client error', async (signal, _to) => {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist-examples', 'items-web-service.js')], {
      env: { ...process.env, KAFKA_BROKERS: '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: signal === 'SIGINT',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    try {
      while (!/listening on (http:\S+):/.test(stdout)) {
        if (child.exitCode !== null) throw new Error(`exited early: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(stdout).toMatch(/embedded librdkafka mock cluster/);
      const appUrl = /listening on (http:\S+):/.exec(stdout)![1]!;
      const res = await fetch(`${appUrl}/items`, { method: 'POST', body: '{"name":"widget"}' });
      expect(res.status).toBe(200);
      await res.json();
      if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT');
      else child.kill(signal);
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`${signal}: shutting down`));
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
