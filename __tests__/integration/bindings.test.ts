import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CKJS, NODE_RDKAFKA } from '../../src/core/bindings';
import { ckjsDir, describeWithBothBindings } from '../helpers/binding';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { DIST, requireDist, runCommand, type NodeRun } from '../helpers/run-node';

/*
 * Which binding the clients run on, seen from a user's app: each case is a fresh app folder whose
 * node_modules holds aio-rdkafka (a copy of dist/) and the bindings the case installs (the real
 * ones, linked, or a node-rdkafka that is installed but does not load), run in a process of its
 * own with no AIO_BINDING or NODE_PATH unless the case sets them. What the process reports is
 * which bindings it loaded (Node's module cache) and what the clients did.
 */

const ROOT = join(__dirname, '..', '..');

let broker: TestBroker;
const apps: string[] = [];

beforeAll(async () => {
  requireDist();
  broker = await startTestBroker(1);
});
afterAll(async () => {
  for (const dir of apps) rmSync(dir, { recursive: true, force: true });
  await broker.stop();
});

type Install = 'installed' | 'broken' | 'absent';

/** An app with aio-rdkafka and the bindings `layout` says. */
function app(layout: { nodeRdkafka: Install; ckjs: Install }): string {
  const dir = mkdtempSync(join(tmpdir(), 'aio-bindings-'));
  apps.push(dir);
  const modules = join(dir, 'node_modules');
  const aio = join(modules, 'aio-rdkafka');
  mkdirSync(aio, { recursive: true });
  // A copy, not a link: its requires must resolve from this app's node_modules, as installed.
  cpSync(join(ROOT, 'dist'), join(aio, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(aio, 'package.json'));
  // The background poll plugin, as the install built it (node-rdkafka's producer uses it).
  cpSync(join(ROOT, 'native', 'build', 'Release', 'aio_rdkafka_poller.node'), join(aio, 'native', 'build', 'Release', 'aio_rdkafka_poller.node'));
  for (const dep of ['p-defer', 'koffi']) symlinkSync(realpathSync(join(ROOT, 'node_modules', dep)), join(modules, dep), 'dir');
  const place = (name: string, install: Install, real: string | undefined): void => {
    const target = join(modules, ...name.split('/'));
    mkdirSync(join(target, '..'), { recursive: true });
    if (install === 'installed') symlinkSync(real!, target, 'dir');
    if (install === 'broken') {
      // What a package whose native build failed looks like to require(): it throws.
      mkdirSync(target);
      writeFileSync(join(target, 'package.json'), JSON.stringify({ name, version: '0.0.0-broken', main: 'index.js' }));
      writeFileSync(join(target, 'index.js'), "throw new Error('Could not locate the bindings file (a build that failed)');");
    }
  };
  place(NODE_RDKAFKA, layout.nodeRdkafka, realpathSync(join(ROOT, 'node_modules', NODE_RDKAFKA)));
  place(CKJS, layout.ckjs, ckjsDir());
  return dir;
}

/** A user's program: connects the three clients with `binding` (`module`: CKJS's module object), reports. */
const CLIENTS = `
const { AIOProducer, AIOConsumer, AIOAdmin, librdkafkaVersion } = require('aio-rdkafka');
const [brokers, option] = process.argv.slice(-2);
const binding = option === 'default' ? undefined : option === 'module' ? require('@confluentinc/kafka-javascript') : option;
const loaded = () => ['node-rdkafka', '@confluentinc/kafka-javascript'].filter((name) =>
  Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/')));
const fail = (e) => ({ name: e.name, code: e.code, message: e.message });
(async () => {
  const out = {};
  const config = { 'bootstrap.servers': brokers };
  try {
    const producer = await AIOProducer.connect(config, { binding });
    const report = await producer.produce('bindings', 'x');
    out.producer = { backgroundPoll: producer.backgroundPoll, offset: report.offset };
    await producer.close();
    out.librdkafka = librdkafkaVersion(binding);
  } catch (e) { out.producer = fail(e); }
  try {
    const consumer = await AIOConsumer.connect({ ...config, 'group.id': 'bindings' }, { topics: ['bindings'], binding });
    // Closed at once: a rebalance step may meet the close (reported as an error event).
    consumer.on('error', () => {});
    await consumer.close();
    out.consumer = 'connected';
  } catch (e) { out.consumer = fail(e); }
  try {
    const admin = await AIOAdmin.connect(config, { binding });
    out.admin = await admin.listGroups().then(() => 'listGroups answered', fail);
    await admin.close();
  } catch (e) { out.admin = fail(e); }
  out.loaded = loaded();
  console.log(JSON.stringify(out));
})();
`;

interface Report {
  producer: { backgroundPoll: boolean; offset: number } | { name: string; code: string; message: string };
  consumer: string | { name: string; code: string; message: string };
  admin: string | { name: string; code: string; message: string };
  librdkafka?: string;
  loaded: string[];
}

/** Runs `script` in `dir` with `args` after it, with `env` added to a clean environment. */
async function runIn(dir: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  const clean = { ...process.env };
  delete clean.AIO_BINDING;
  delete clean.NODE_PATH;
  return runCommand(process.execPath, ['--unhandled-rejections=strict', '-e', script, '--', ...args], { cwd: dir, env: { ...clean, ...env }, limitMs: 60_000 });
}

async function clients(dir: string, option: string, env: NodeJS.ProcessEnv = {}): Promise<Report> {
  const run = await runIn(dir, CLIENTS, [broker.bootstrapServers, option], env);
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Report;
}

const onCkjs = (report: Report): void => {
  expect(report).toMatchObject({ producer: { backgroundPoll: true }, consumer: 'connected', librdkafka: expect.stringMatching(/^2\.1[5-9]\./) });
  // The mock serves no ListGroups: CKJS has the call, the cluster refuses it.
  expect(report.admin).toMatchObject({ name: 'UnsupportedByClusterError' });
  expect(report.loaded).toEqual([CKJS]);
};

describeWithBothBindings('choosing the binding', () => {
  it('by default, with both installed: node-rdkafka (its librdkafka, its AdminClient), CKJS never loaded', async () => {
    const report = await clients(app({ nodeRdkafka: 'installed', ckjs: 'installed' }), 'default');
    expect(report).toMatchObject({ producer: { backgroundPoll: true }, consumer: 'connected', librdkafka: '2.12.0' });
    expect(report.admin).toMatchObject({ name: 'UnsupportedByBindingError', code: 'AIO_UNSUPPORTED_BY_BINDING' });
    expect(report.loaded).toEqual([NODE_RDKAFKA]);
  });

  it('`binding` by name: CKJS for all three clients, with its own background poll', async () => {
    onCkjs(await clients(app({ nodeRdkafka: 'installed', ckjs: 'installed' }), CKJS));
  });

  it('`binding` as the module object', async () => {
    onCkjs(await clients(app({ nodeRdkafka: 'installed', ckjs: 'installed' }), 'module'));
  });

  it('AIO_BINDING names the default; the option wins over it', async () => {
    const dir = app({ nodeRdkafka: 'installed', ckjs: 'installed' });
    onCkjs(await clients(dir, 'default', { AIO_BINDING: CKJS }));
    const report = await clients(dir, NODE_RDKAFKA, { AIO_BINDING: CKJS });
    expect(report).toMatchObject({ librdkafka: '2.12.0', loaded: [NODE_RDKAFKA] });
  });

  it('CKJS when it is the only binding installed, or node-rdkafka is installed but does not load', async () => {
    onCkjs(await clients(app({ nodeRdkafka: 'absent', ckjs: 'installed' }), 'default'));
    onCkjs(await clients(app({ nodeRdkafka: 'broken', ckjs: 'installed' }), 'default'));
  });

  it('neither loads: every client rejects with BindingUnavailableError naming both install commands', async () => {
    const report = await clients(app({ nodeRdkafka: 'broken', ckjs: 'absent' }), 'default');
    for (const client of [report.producer, report.consumer, report.admin]) {
      expect(client).toMatchObject({ name: 'BindingUnavailableError', code: 'AIO_BINDING_UNAVAILABLE' });
      const { message } = client as { message: string };
      expect(message).toContain('npm install node-rdkafka');
      expect(message).toContain('npm install @confluentinc/kafka-javascript');
      expect(message).toContain('Could not locate the bindings file');
    }
  });

  it('a binding named but not installed: BindingUnavailableError naming it and how to install it', async () => {
    const report = await clients(app({ nodeRdkafka: 'installed', ckjs: 'absent' }), CKJS);
    expect(report.producer).toMatchObject({ name: 'BindingUnavailableError', message: expect.stringContaining('npm install @confluentinc/kafka-javascript') });
    expect(report.loaded).toEqual([]);
  });

  it('a bad option or AIO_BINDING: InvalidArgumentError, nothing loaded', async () => {
    const dir = app({ nodeRdkafka: 'installed', ckjs: 'installed' });
    const byOption = await clients(dir, 'kafkajs');
    expect(byOption.producer).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('option binding must be') });
    const byEnv = await clients(dir, 'default', { AIO_BINDING: 'kafkajs' });
    expect(byEnv.producer).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('AIO_BINDING') });
    expect([byOption.loaded, byEnv.loaded]).toEqual([[], []]);
  });

  it('refuses CKJS built from source once node-rdkafka is loaded: it would run on node-rdkafka’s librdkafka', async () => {
    const dir = app({ nodeRdkafka: 'installed', ckjs: 'installed' });
    const script = `require('node-rdkafka');\n${CLIENTS}`;
    const run = await runIn(dir, script, [broker.bootstrapServers, CKJS]);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as Report;
    expect(report.producer).toMatchObject({
      name: 'BindingUnavailableError',
      message: expect.stringMatching(/runs on librdkafka 2\.12\.0, not its own 2\.1\d\.\d.*Use one binding per process/),
    });
  });
});

/** A worker that connects one client: what it got, then the main thread connects one of its own. */
const WORKER = `
const { Worker } = require('node:worker_threads');
const [brokers, kind, binding] = process.argv.slice(-3);
const code = \`
const { parentPort } = require('node:worker_threads');
const { AIOProducer, AIOConsumer, AIOAdmin } = require(\${JSON.stringify(${JSON.stringify(DIST)})});
const config = { 'bootstrap.servers': \${JSON.stringify(brokers)} };
const options = { binding: \${JSON.stringify(binding)} };
const connect = {
  producer: () => AIOProducer.connect(config, options),
  consumer: () => AIOConsumer.connect({ ...config, 'group.id': 'worker' }, { ...options, topics: ['worker'] }),
  admin: () => AIOAdmin.connect(config, options),
}[\${JSON.stringify(kind)}];
connect().then(
  (client) => client.close().then(() => parentPort.postMessage({ connected: true })),
  (e) => parentPort.postMessage({ name: e.name, code: e.code, message: e.message, instance: e instanceof Error }),
);
const loaded = Object.keys(require.cache).filter((f) => /node-rdkafka|kafka-javascript/.test(f));
parentPort.postMessage({ loaded });
\`;
const { AIOProducer } = require(${JSON.stringify(DIST)});
const seen = [];
const worker = new Worker(code, { eval: true });
worker.on('message', (m) => seen.push(m));
worker.on('exit', async (exitCode) => {
  // The main thread can still load the binding and produce: the worker loaded nothing.
  const producer = await AIOProducer.connect({ 'bootstrap.servers': brokers }, { binding });
  const report = await producer.produce('worker', 'after');
  await producer.close();
  console.log(JSON.stringify({ seen, exitCode, mainOffset: report.offset }));
});
`;

describe('worker threads', () => {
  const bindings = ckjsDir() !== undefined || process.env.AIO_TEST_BOTH_BINDINGS ? [NODE_RDKAFKA, CKJS] : [NODE_RDKAFKA];
  const cases = bindings.flatMap((binding) => ['producer', 'consumer', 'admin'].map((kind) => [binding, kind]));

  it.each(cases)('%s: a %s created in a worker rejects with WorkerThreadError before loading the binding; the process survives', async (binding, kind) => {
    const dir = ckjsDir();
    const env = binding === CKJS && dir !== undefined ? { NODE_PATH: join(dir, '..', '..') } : {};
    const run = await runIn(ROOT, WORKER, [broker.bootstrapServers, kind!, binding!], env);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { seen: Array<Record<string, unknown>>; exitCode: number; mainOffset: number };
    expect(out.seen).toContainEqual({ loaded: [] });
    expect(out.seen).toContainEqual({
      name: 'WorkerThreadError',
      code: 'AIO_WORKER_THREAD',
      instance: true,
      message: expect.stringContaining('cannot run in a worker thread'),
    });
    expect(out.mainOffset).toBeGreaterThanOrEqual(0);
  });
});
