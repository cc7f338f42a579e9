/*
 * The clients of the peers scenario (bench/peers.ts), behind one small interface, each built from
 * the shared librdkafka settings where it has them (linger, acks, idempotence, compression).
 *
 * Nothing here loads a client at import time: a child process loads only the client it measures
 * (node-rdkafka, @confluentinc/kafka-javascript, KafkaJS or @platformatic/kafka), so that the
 * @platformatic/kafka child can run under Node 24, where node-rdkafka's binary (built for the
 * repository's Node) cannot load, and no process ever holds two librdkafka builds. The peers that
 * are not dependencies of the repository live in bench/peers/ (see bench/peers/install.sh).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, REPO_ROOT, VALUE, describeConfig, librdkafkaConfig } from './harness';

/**
 * The install folders of the peers (never part of `npm ci` at the root). BENCH_PEERS_DIR points
 * elsewhere (the smoke test points it at an empty folder: the peers are then skipped, as in CI).
 */
export const PEERS_DIR = process.env.BENCH_PEERS_DIR ?? join(REPO_ROOT, 'bench', 'peers');
export const PEERS_NODE24_DIR = join(PEERS_DIR, 'node24');
/** The Node 24 binary of the npm package `node`, installed in bench/peers/node24. */
export const NODE24_BIN = join(PEERS_NODE24_DIR, 'node_modules', 'node', 'bin', 'node');
/** What CKJS' install builds (from source here: its prebuilt download is not reachable). */
const CKJS_BINARY = join(PEERS_DIR, 'node_modules', '@confluentinc', 'kafka-javascript', 'build', 'Release', 'confluent-kafka-javascript.node');

export const PEER_IDS = [
  'aio',
  'aio-ckjs',
  'aio-today',
  'aio-batch',
  'raw-immediate',
  'raw-map',
  'raw-dr',
  'ckjs',
  'ckjs-batch',
  'kafkajs',
  'platformatic',
  'driver-only',
] as const;
export type PeerId = (typeof PEER_IDS)[number];

/**
 * The AIOProducerOptions flag of the background poll (src/producer/options.ts). "today" passes it
 * as false; a build without it ignores the unknown option and has the old behaviour anyway.
 */
export const BACKGROUND_POLL_OPTION = 'backgroundPoll';

/** AIOProducer "today": the behaviour before issue 10 (1 ms poll timer, no immediate wake-up). */
export const TODAY_OPTIONS: Readonly<Record<string, unknown>> = { pollIntervalMs: 1, [BACKGROUND_POLL_OPTION]: false };

/** Why KafkaJS runs without idempotence (checked against the embedded mock cluster). */
export const KAFKAJS_NOT_IDEMPOTENT =
  'its idempotent producer does not start against the mock cluster: connect() fails with "KafkaJSBrokerNotFound: Broker 0 not found in the cached metadata" while looking up the controller for InitProducerId';
/** Why @platformatic/kafka runs without idempotence (checked against the embedded mock cluster). */
export const PLATFORMATIC_NOT_IDEMPOTENT =
  'its idempotent producer does not start against the mock cluster: the first send() fails with "Received response with error while executing API InitProducerId(v4)"';

/** Messages per call of the batch clients. */
export const BATCH_SIZE = 1000;

interface PeerInfo {
  id: PeerId;
  label: string;
  /** `repo`: the repository's Node and node_modules; `node24`: Node 24 from bench/peers/node24. */
  runtime: 'repo' | 'node24';
  /** The package whose version is reported, and where it is installed. */
  pkg: { name: string; dir: string };
  /** Whether the client sends one message per awaited call (`single`) or BATCH_SIZE (`batch`). */
  kind: 'single' | 'batch';
}

const REPO = REPO_ROOT;

export const PEERS: Record<PeerId, PeerInfo> = {
  aio: { id: 'aio', label: 'aio-rdkafka AIOProducer.produce(), default options', runtime: 'repo', pkg: { name: 'node-rdkafka', dir: REPO }, kind: 'single' },
  'aio-ckjs': {
    id: 'aio-ckjs',
    label: "aio-rdkafka AIOProducer.produce() on @confluentinc/kafka-javascript (binding option), default options",
    runtime: 'repo',
    pkg: { name: '@confluentinc/kafka-javascript', dir: PEERS_DIR },
    kind: 'single',
  },
  'aio-today': {
    id: 'aio-today',
    label: `aio-rdkafka "today": produce() with pollIntervalMs 1, ${BACKGROUND_POLL_OPTION} false`,
    runtime: 'repo',
    pkg: { name: 'node-rdkafka', dir: REPO },
    kind: 'single',
  },
  'aio-batch': {
    id: 'aio-batch',
    label: `aio-rdkafka AIOProducer.produceBatch(), ${BATCH_SIZE} messages per call`,
    runtime: 'repo',
    pkg: { name: 'node-rdkafka', dir: REPO },
    kind: 'batch',
  },
  'raw-immediate': {
    id: 'raw-immediate',
    label: 'node-rdkafka Producer + hand-written promise map, polled with setImmediate while in flight',
    runtime: 'repo',
    pkg: { name: 'node-rdkafka', dir: REPO },
    kind: 'single',
  },
  'raw-map': {
    id: 'raw-map',
    label: 'node-rdkafka Producer + hand-written promise map (id -> deferred), 1 ms poll timer while in flight',
    runtime: 'repo',
    pkg: { name: 'node-rdkafka', dir: REPO },
    kind: 'single',
  },
  'raw-dr': {
    id: 'raw-dr',
    label: `node-rdkafka Producer, delivery-report callbacks counted per call of ${BATCH_SIZE}, 1 ms poll timer`,
    runtime: 'repo',
    pkg: { name: 'node-rdkafka', dir: REPO },
    kind: 'batch',
  },
  ckjs: {
    id: 'ckjs',
    label: '@confluentinc/kafka-javascript, KafkaJS-style producer.send() of one message',
    runtime: 'repo',
    pkg: { name: '@confluentinc/kafka-javascript', dir: PEERS_DIR },
    kind: 'single',
  },
  'ckjs-batch': {
    id: 'ckjs-batch',
    label: `@confluentinc/kafka-javascript, KafkaJS-style producer.send() of ${BATCH_SIZE} messages`,
    runtime: 'repo',
    pkg: { name: '@confluentinc/kafka-javascript', dir: PEERS_DIR },
    kind: 'batch',
  },
  kafkajs: { id: 'kafkajs', label: 'KafkaJS producer.send() of one message', runtime: 'repo', pkg: { name: 'kafkajs', dir: REPO }, kind: 'single' },
  'driver-only': {
    id: 'driver-only',
    label: 'no client: every send resolves at once (what the measuring loop itself costs)',
    runtime: 'repo',
    pkg: { name: 'typescript', dir: REPO },
    kind: 'single',
  },
  platformatic: {
    id: 'platformatic',
    label: '@platformatic/kafka producer.send() of one message (Node 24, not idempotent)',
    runtime: 'node24',
    pkg: { name: '@platformatic/kafka', dir: PEERS_NODE24_DIR },
    kind: 'single',
  },
};

function installedVersion(name: string, dir: string): string | undefined {
  // The package's own package.json, found without loading the package (some have no such export).
  const path = join(dir, 'node_modules', ...name.split('/'), 'package.json');
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** Whether this build of AIOProducer has produceBatch (checked without loading node-rdkafka). */
export function hasProduceBatch(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AIOProducer } = require('../src') as typeof import('../src');
  return typeof (AIOProducer.prototype as unknown as { produceBatch?: unknown }).produceBatch === 'function';
}

/** Whether this build's AIOProducerOptions knows BACKGROUND_POLL_OPTION (read from its compiled options). */
export function hasBackgroundPollOption(): boolean {
  const compiled = join(__dirname, '..', 'src', 'producer', 'options.js');
  return existsSync(compiled) && readFileSync(compiled, 'utf8').includes(BACKGROUND_POLL_OPTION);
}

export type Availability = { id: PeerId; available: true; version: string; runtime: string } | { id: PeerId; available: false; reason: string };

let node24Version: string | undefined;
function node24(): string | undefined {
  if (node24Version === undefined && existsSync(NODE24_BIN)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    node24Version = (require('node:child_process') as typeof import('node:child_process'))
      .execFileSync(NODE24_BIN, ['--version'], { encoding: 'utf8' })
      .trim();
  }
  return node24Version;
}

/** Whether `id` can run here, with its package version and the Node it runs under. */
export function availability(id: PeerId): Availability {
  const info = PEERS[id];
  const version = installedVersion(info.pkg.name, info.pkg.dir);
  const install = 'not installed: run `npm run bench:peers-install`';
  if (id === 'driver-only') return { id, available: true, version: 'none', runtime: `node ${process.version}` };
  if (version === undefined) return { id, available: false, reason: `${info.pkg.name} ${info.pkg.dir === REPO ? 'not installed' : install}` };
  if (info.pkg.name === '@confluentinc/kafka-javascript' && !existsSync(CKJS_BINARY)) {
    return { id, available: false, reason: `${info.pkg.name} ${version} has no native binary (${CKJS_BINARY}): its build failed or was interrupted; ${install.replace('not installed: ', '')}` };
  }
  if (id === 'aio-batch' && !hasProduceBatch()) return { id, available: false, reason: 'AIOProducer.produceBatch is not in this build' };
  if (info.runtime === 'node24') {
    const v = node24();
    if (v === undefined) return { id, available: false, reason: `Node 24 (npm package node) ${install}` };
    return { id, available: true, version: `${info.pkg.name} ${version}`, runtime: `node ${v}` };
  }
  return { id, available: true, version: `${info.pkg.name} ${version}`, runtime: `node ${process.version}` };
}

/** The node binary a client's child process runs under. */
export function execPathOf(id: PeerId): string | undefined {
  return PEERS[id].runtime === 'node24' ? NODE24_BIN : undefined;
}

// ---------------------------------------------------------------------------------------------
// Settings

/** librdkafka settings of every librdkafka-based client (AIOProducer, node-rdkafka, CKJS). */
export function rdkafkaSettings(bootstrap: string, lingerMs: number) {
  return librdkafkaConfig(bootstrap, { 'linger.ms': lingerMs });
}

/** What each client runs with, as printed with the results. */
export function settingsOf(id: PeerId, lingerMs: number | string): string {
  const shared = describeConfig(rdkafkaSettings('', typeof lingerMs === 'number' ? lingerMs : 5)).replace(/linger\.ms=\S+/, `linger.ms=${lingerMs}`);
  switch (id) {
    case 'aio':
      return `${shared}; AIOProducer options: defaults`;
    case 'aio-ckjs':
      return `${shared}; AIOProducer options: binding=@confluentinc/kafka-javascript, the rest defaults (background poll: CKJS's setPollInBackground)`;
    case 'aio-today':
      return `${shared}; AIOProducer options: ${Object.entries(TODAY_OPTIONS).map(([k, v]) => `${k}=${String(v)}`).join(' ')}${hasBackgroundPollOption() ? '' : ` (${BACKGROUND_POLL_OPTION} not in this build: the current behaviour is the old one)`}`;
    case 'aio-batch':
      return `${shared}; AIOProducer options: defaults`;
    case 'raw-immediate':
      return `${shared}; dr_cb=true; setImmediate poll loop while in flight`;
    case 'raw-map':
    case 'raw-dr':
      return `${shared}; dr_cb=true; setInterval(poll, 1) while in flight`;
    case 'ckjs':
    case 'ckjs-batch':
      return `${shared} (top-level librdkafka properties of the KafkaJS-style producer; it polls in librdkafka's background thread)`;
    case 'kafkajs':
      return `acks=-1 idempotent=false (${KAFKAJS_NOT_IDEMPOTENT}) compression=none allowAutoTopicCreation=true; no linger setting`;
    case 'platformatic':
      return `acks=-1 idempotent=false (${PLATFORMATIC_NOT_IDEMPOTENT}) compression=none autocreateTopics=true; no linger setting`;
    case 'driver-only':
      return 'none';
  }
}

// ---------------------------------------------------------------------------------------------
// Clients

/** One producer of the comparison, open and connected. */
export interface PeerProducer {
  /** Sends message `i` (single clients) or messages i..i+BATCH_SIZE-1 (batch clients); resolves
   * with the number that failed once every one has an outcome (rejects on a failed single send). */
  send(topic: string, i: number, count: number): Promise<number>;
  /** Sends `value` with no key (the web test's request body); resolves with the client's report. */
  sendValue(topic: string, value: Buffer): Promise<unknown>;
  close(): Promise<void>;
  /** Whether AIOProducer's background poll is on (AIOProducer clients only). */
  backgroundPoll?: boolean;
}

const noSendValue = (id: PeerId) => (): Promise<never> => Promise.reject(new Error(`${id} is a batch client`));

const key = (i: number): Buffer => KEYS[i & 1023]!;

function requirePeer<T>(name: string, dir: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(name, { paths: [dir] })) as T;
}

/** Minimal shapes of the peers' APIs used here (their types are not installed in CI). */
interface CkjsModule {
  KafkaJS: {
    Kafka: new (config: Record<string, unknown>) => {
      producer(config: Record<string, unknown>): CkjsProducer;
    };
  };
}
interface CkjsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: Array<{ key: Buffer | null; value: Buffer }> }): Promise<unknown>;
}
interface PlatformaticModule {
  Producer: new (options: Record<string, unknown>) => {
    send(options: { messages: Array<{ topic: string; key?: Buffer; value: Buffer }> }): Promise<unknown>;
    close(force?: boolean): Promise<void>;
  };
}

export async function openPeer(id: PeerId, bootstrap: string, lingerMs: number): Promise<PeerProducer> {
  const config = rdkafkaSettings(bootstrap, lingerMs);
  switch (id) {
    case 'aio':
    case 'aio-ckjs':
    case 'aio-today':
    case 'aio-batch': {
      const { AIOProducer } = await import('../src');
      // CKJS is not in the repository's node_modules: its module object goes in the binding option.
      const options = id === 'aio-today' ? TODAY_OPTIONS : id === 'aio-ckjs' ? { binding: requirePeer<object>('@confluentinc/kafka-javascript', PEERS_DIR) } : {};
      const producer = await AIOProducer.connect(config, options);
      producer.on('error', () => {});
      // Undefined in a build without the wake-up.
      const backgroundPoll = (producer as unknown as { backgroundPoll?: boolean }).backgroundPoll;
      if (id === 'aio-batch') {
        type Batch = (messages: Array<{ topic: string; value: Buffer; key?: Buffer }>) => Promise<Array<{ status: string }>>;
        const produceBatch = (producer as unknown as { produceBatch: Batch }).produceBatch.bind(producer);
        return {
          send: async (topic, i, count) => {
            const messages = Array.from({ length: count }, (_, j) => ({ topic, value: VALUE, key: key(i + j) }));
            const outcomes = await produceBatch(messages);
            return outcomes.filter((o) => o.status !== 'fulfilled').length;
          },
          sendValue: noSendValue(id),
          close: () => producer.close(),
          backgroundPoll,
        };
      }
      return {
        send: async (topic, i) => {
          await producer.produce(topic, VALUE, { key: key(i) });
          return 0;
        },
        sendValue: (topic, value) => producer.produce(topic, value),
        close: () => producer.close(),
        backgroundPoll,
      };
    }
    case 'raw-immediate':
    case 'raw-map': {
      const { RawAwaitableProducer } = await import('./raw-producer');
      const raw = await RawAwaitableProducer.connect(config, id === 'raw-immediate' ? 'immediate' : 1);
      return {
        send: async (topic, i) => {
          await raw.produce(topic, VALUE, key(i));
          return 0;
        },
        sendValue: (topic, value) => raw.produce(topic, value),
        close: () => raw.close(),
      };
    }
    case 'raw-dr': {
      const { newRawProducer } = await import('./raw-producer');
      const native = newRawProducer({ ...config, dr_cb: true });
      await new Promise<void>((resolve, reject) => native.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
      // One counter per call: the opaque is the call's index in `calls`.
      const calls = new Map<number, { left: number; failed: number; done: (failed: number) => void }>();
      let nextCall = 0;
      let timer: NodeJS.Timeout | undefined;
      native.on('delivery-report', (err, report) => {
        const call = calls.get(report.opaque as number);
        if (call === undefined) return;
        if (err) call.failed++;
        if (--call.left === 0) {
          calls.delete(report.opaque as number);
          if (calls.size === 0 && timer !== undefined) {
            clearInterval(timer);
            timer = undefined;
          }
          call.done(call.failed);
        }
      });
      return {
        send: (topic, i, count) =>
          new Promise<number>((resolve) => {
            const id = nextCall++;
            calls.set(id, { left: count, failed: 0, done: resolve });
            for (let j = 0; j < count; j++) native.produce(topic, null, VALUE, key(i + j), null, id);
            timer ??= setInterval(() => native.poll(), 1);
          }),
        sendValue: noSendValue(id),
        close: () =>
          new Promise<void>((resolve) => {
            if (timer !== undefined) clearInterval(timer);
            native.flush(30_000, () => native.disconnect(5_000, () => resolve()));
          }),
      };
    }
    case 'ckjs':
    case 'ckjs-batch': {
      const { KafkaJS } = requirePeer<CkjsModule>('@confluentinc/kafka-javascript', PEERS_DIR);
      const producer = new KafkaJS.Kafka({}).producer({ ...config });
      await producer.connect();
      return {
        send: async (topic, i, count) => {
          const messages = Array.from({ length: count }, (_, j) => ({ key: key(i + j), value: VALUE }));
          await producer.send({ topic, messages });
          return 0;
        },
        sendValue: (topic, value) => producer.send({ topic, messages: [{ key: null, value }] }),
        close: () => producer.disconnect(),
      };
    }
    case 'kafkajs': {
      const { Kafka, logLevel, CompressionTypes } = await import('kafkajs');
      const kafka = new Kafka({ clientId: 'aio-rdkafka-bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
      // Not idempotent: see KAFKAJS_NOT_IDEMPOTENT.
      const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
      await producer.connect();
      return {
        send: async (topic, i) => {
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: [{ key: key(i), value: VALUE }] });
          return 0;
        },
        sendValue: (topic, value) => producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: [{ value }] }),
        close: () => producer.disconnect(),
      };
    }
    case 'driver-only':
      return { send: () => Promise.resolve(0), sendValue: () => Promise.resolve(undefined), close: () => Promise.resolve() };
    case 'platformatic': {
      const { Producer } = requirePeer<PlatformaticModule>('@platformatic/kafka', PEERS_NODE24_DIR);
      const producer = new Producer({
        clientId: 'aio-rdkafka-bench',
        bootstrapBrokers: bootstrap.split(','),
        acks: -1,
        // See PLATFORMATIC_NOT_IDEMPOTENT.
        idempotent: false,
        compression: 'none',
        autocreateTopics: true,
      });
      return {
        send: async (topic, i) => {
          await producer.send({ messages: [{ topic, key: key(i), value: VALUE }] });
          return 0;
        },
        sendValue: (topic, value) => producer.send({ messages: [{ topic, value }] }),
        close: () => producer.close(),
      };
    }
  }
}
