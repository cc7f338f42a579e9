import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bindingFromEnv, isBindingName, type BindingName } from '../core/bindings';
import { AIOKafkaError, InvalidArgumentError, OperationTimeoutError, type AIOErrorCode } from '../core/errors';
import { checkTopic, countOption, describe, durationOption } from '../core/validation';
import { apiKey, errorCode, type MockApi } from './kafka-protocol';

/** A topic for {@link MockClusterOptions.topics} or {@link MockCluster.createTopic}. */
export interface MockTopic {
  /** Topic name. */
  name: string;
  /** Number of partitions, >= 1. */
  partitions: number;
  /** Replicas per partition, from 1 to the broker count. @default min(3, brokers) */
  replicationFactor?: number;
}

/** Options of {@link startMockCluster}. */
export interface MockClusterOptions {
  /** Number of brokers (ids 1 to `brokers`). @default 3 */
  brokers?: number;
  /** Topics created before the cluster is announced ready. Others are created on first use, with 4 partitions. */
  topics?: MockTopic[];
  /**
   * The brokers' `group.initial.rebalance.delay.ms`: how long a new consumer group waits for more
   * members before its first rebalance. 0 lets a test's consumer join at once; librdkafka's mock
   * (like Kafka) would otherwise wait 3000 ms. @default 0
   */
  groupInitialRebalanceDelayMs?: number;
  /** How long to wait for the cluster to come up, in ms. @default 20000 */
  startTimeoutMs?: number;
  /**
   * Whose librdkafka runs the cluster: node-rdkafka's (2.12 in node-rdkafka 3.6) or
   * @confluentinc/kafka-javascript's (2.15 in CKJS 1.10, whose mock also has a controller, so
   * that `describeTopics` is answered). Clients of either binding can use either cluster.
   * @default the `AIO_BINDING` environment variable if set, else node-rdkafka's if installed, else CKJS's
   */
  binding?: BindingName;
}

/** Options of {@link MockCluster.injectErrors}. */
export interface InjectErrorsOptions {
  /**
   * Only this broker answers with the errors (the next requests of that type *it* receives).
   * Without it, the errors go to the cluster-wide stack: the next requests of that type, on any broker.
   * A broker's stack is used before the cluster's.
   */
  brokerId?: number;
  /** Delay of each of these answers, in ms (needs `brokerId`). @default 0 */
  rttMs?: number;
}

/** Whose coordinator {@link MockCluster.setCoordinator} sets: a group id, or a transactional id. */
export type MockCoordinatorKey = string | { group: string } | { transaction: string };

/** A Kafka error by name (`'NOT_LEADER_FOR_PARTITION'`, `'ERR_REQUEST_TIMED_OUT'`) or number (6). */
export type MockErrorCode = string | number;

/**
 * A running librdkafka mock cluster. Every fault method resolves once the fault is in effect
 * (the mock's C call has returned), rejects with {@link InvalidArgumentError} on bad arguments
 * (nothing is sent), with {@link MockClusterStoppedError} after {@link MockCluster.stop}, and
 * with an {@link AIOKafkaError} whose code is the mock's error (`ERR_UNKNOWN_TOPIC_OR_PART`, ...)
 * when the mock refuses. While the cluster is paused, calls wait until it is resumed.
 */
export interface MockCluster {
  /** `host:port,host:port,…` for `bootstrap.servers`. */
  readonly bootstrapServers: string;
  /** The binding whose librdkafka runs the cluster. */
  readonly binding: BindingName;
  /** That librdkafka's version, e.g. `2.12.0`. */
  readonly librdkafkaVersion: string;
  /** Process id of the process hosting the cluster. */
  readonly pid: number;
  /** Broker ids: 1 to the broker count. */
  readonly brokerIds: readonly number[];
  /**
   * Creates a topic. Rejects with code `ERR_TOPIC_ALREADY_EXISTS` if it exists (which it does
   * once any client has used it: topics are created on first use).
   */
  createTopic(name: string, options: { partitions: number; replicationFactor?: number }): Promise<void>;
  /** Takes a broker (or every broker) down: it closes its connections and refuses new ones. */
  brokerDown(brokerId: number | 'all'): Promise<void>;
  /** Brings a broker (or every broker) back up after {@link MockCluster.brokerDown}. */
  brokerUp(brokerId: number | 'all'): Promise<void>;
  /** Delays every answer of a broker (or every broker) by `rttMs`; 0 ends the delay. */
  setRtt(brokerId: number | 'all', rttMs: number): Promise<void>;
  /**
   * Makes the next `codes.length` requests of type `api` fail, one code each, in order (a code 0,
   * `'NO_ERROR'`, lets one through: with `rttMs`, a delayed success). See {@link InjectErrorsOptions}.
   */
  injectErrors(api: MockApi | number, codes: readonly MockErrorCode[], options?: InjectErrorsOptions): Promise<void>;
  /** Drops the cluster-wide errors still queued for `api` (not the per-broker ones). */
  clearErrors(api: MockApi | number): Promise<void>;
  /**
   * Makes `brokerId` the leader of a partition (metadata says so at once; the old leader answers
   * NOT_LEADER_FOR_PARTITION). A topic not yet created is created with `partition + 1` partitions.
   */
  moveLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** Makes `brokerId` the coordinator of a consumer group (a string or `{ group }`) or a transactional id. */
  setCoordinator(key: MockCoordinatorKey, brokerId: number): Promise<void>;
  /**
   * Freezes every broker (SIGSTOP): clients see an outage; no data is lost. Resolves once the
   * process is really stopped (a signal takes effect a little after it is sent).
   */
  pause(): Promise<void>;
  /** Ends an outage started by {@link MockCluster.pause} (SIGCONT); resolves once it runs again. */
  resume(): Promise<void>;
  /** Stops the cluster for good; resolves when its process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** A call on a {@link MockCluster} after {@link MockCluster.stop}, or after its process died. */
export class MockClusterStoppedError extends AIOKafkaError {
  constructor(message = 'mock cluster is stopped') {
    super(message, { code: 'ERR__DESTROY' });
  }
}

const CHILD = join(__dirname, 'mock-cluster-child.js');

/** Children still running, killed if this process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // SIGKILL works on a stopped (paused) child too, and needs no cooperation from it.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * A child frozen by pause() cannot notice that its parent died (its IPC channel closes, but it
 * runs no code). So a tiny shell sentinel, never paused, kills it if this process disappears, and
 * ends by itself when the child does. It is unref()ed: it never keeps this process alive.
 */
function watchOverChild(childPid: number): void {
  if (process.platform === 'win32') return;
  const loop =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.5; done; kill -9 "$2" 2>/dev/null';
  try {
    const sentinel = spawn('/bin/sh', ['-c', loop, 'aio-rdkafka-mock-sentinel', String(process.pid), String(childPid)], {
      stdio: 'ignore',
      detached: true,
    });
    sentinel.on('error', () => {});
    sentinel.unref();
  } catch {
    // No shell: the exit hook and the IPC channel still cover every case but a paused orphan.
  }
}

/** What the child sends. */
type ChildMessage =
  | { type: 'ready'; bootstrapServers: string; errorCodes: Record<string, number>; binding: BindingName; librdkafkaVersion: string }
  | { type: 'error'; message: string }
  | { type: 'result'; id: number; error?: { message: string; call?: string; code?: number; codeName?: string } };

function checkTopics(topics: unknown, brokers: number): MockTopic[] {
  if (topics === undefined) return [];
  if (!Array.isArray(topics)) throw new InvalidArgumentError(`topics must be an array of { name, partitions }, got ${describe(topics)}`);
  return topics.map((topic: unknown, i) => {
    if (typeof topic !== 'object' || topic === null) {
      throw new InvalidArgumentError(`topics[${i}] must be an object { name, partitions }, got ${describe(topic)}`);
    }
    const { name, partitions, replicationFactor } = topic as Partial<MockTopic>;
    return checkTopic2(name, { partitions, replicationFactor }, brokers, `topics[${i}]`);
  });
}

function checkTopic2(name: unknown, options: unknown, brokers: number, what: string): Required<MockTopic> {
  checkTopic(name, `${what} name`);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${what} options must be an object { partitions }, got ${describe(options)}`);
  }
  const o = options as Partial<MockTopic>;
  const partitions = countOption(`${what} partitions`, o.partitions, undefined);
  const replicationFactor = countOption(`${what} replicationFactor`, o.replicationFactor, Math.min(3, brokers));
  if (replicationFactor > brokers) {
    throw new InvalidArgumentError(`${what} replicationFactor must be at most the broker count ${brokers}, got ${replicationFactor}`);
  }
  return { name, partitions, replicationFactor };
}

/**
 * Starts librdkafka's protocol-level mock cluster in a child process, and returns a handle that
 * injects faults into it: brokers down and up, per-broker latency, request errors, leader and
 * coordinator moves. It serves produce, fetch, consumer groups, the idempotent and transactional
 * producer on 127.0.0.1 ports; topics are created on first use with 4 partitions, or up front
 * with `topics`. Meant for tests, demos and benchmarks: it keeps data in memory only. See
 * docs/testing.md.
 *
 * The child never outlives this process: it is killed on exit, exits by itself if this process
 * dies (its IPC channel closes), and a sentinel kills it if this process dies while it is paused.
 * It does not keep this process alive either (except while a call on it is pending), and it
 * ignores SIGINT (a terminal's Ctrl-C reaches the whole process group): this process decides.
 *
 * @example
 * ```ts
 * const cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'items', partitions: 12 }] });
 * const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers });
 * await cluster.injectErrors('Produce', ['NOT_LEADER_FOR_PARTITION']);
 * await producer.produce('items', 'x'); // retried, delivered
 * await producer.close();
 * await cluster.stop();
 * ```
 */
export function startMockCluster(options: MockClusterOptions = {}): Promise<MockCluster> {
  let brokers: number;
  let topics: MockTopic[];
  let groupInitialRebalanceDelayMs: number;
  let startTimeoutMs: number;
  let binding: BindingName | undefined;
  try {
    brokers = options.brokers ?? 3;
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 32) {
      throw new InvalidArgumentError(`brokers must be an integer from 1 to 32, got ${String(brokers)}`);
    }
    topics = checkTopics(options.topics, brokers);
    groupInitialRebalanceDelayMs = durationOption('groupInitialRebalanceDelayMs', options.groupInitialRebalanceDelayMs, 0, {
      finite: true,
      integer: true,
    });
    startTimeoutMs = durationOption('startTimeoutMs', options.startTimeoutMs, 20_000, { positive: true, finite: true });
    if (options.binding !== undefined && !isBindingName(options.binding)) {
      throw new InvalidArgumentError(`binding must be "node-rdkafka" or "@confluentinc/kafka-javascript", got ${describe(options.binding)}`);
    }
    binding = options.binding ?? bindingFromEnv();
  } catch (err) {
    return Promise.reject(err);
  }
  installExitHook();
  const child = fork(CHILD, [JSON.stringify({ brokers, topics, groupInitialRebalanceDelayMs, binding })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The child is plain JavaScript: never inherit loaders such as ts-jest's or --inspect.
    execArgv: [],
  });
  running.add(child);
  watchOverChild(child.pid!);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // `exited` only resolves and this step cannot throw: the chain has no rejection to handle.
  void exited.then(() => running.delete(child));

  return new Promise<MockCluster>((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message?.type === 'error') {
        fail(new AIOKafkaError(`mock cluster failed to start: ${message.message}`, { code: 'AIO_UNKNOWN' }));
      } else if (message?.type === 'ready' && typeof message.bootstrapServers === 'string') {
        clearTimeout(timer);
        child.off('exit', exitedEarly);
        child.off('message', onMessage);
        // From now on the child must not keep this process alive (a pending call refs it again).
        child.unref();
        child.channel?.unref();
        resolve(makeHandle(child, message, brokers, exited));
      }
    };
    const fail = (err: AIOKafkaError): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new OperationTimeoutError(`mock cluster did not start within ${startTimeoutMs} ms`, startTimeoutMs)),
      startTimeoutMs,
    );
    const exitedEarly = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new AIOKafkaError(`mock cluster process exited before it was ready (code ${code}, signal ${signal})`, { code: 'AIO_UNKNOWN' }));
    child.once('exit', exitedEarly);
    child.on('message', onMessage);
  });
}

/**
 * Whether process `pid` is stopped, from /proc (Linux); undefined where that cannot be read.
 */
async function isStopped(pid: number): Promise<boolean | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state is the field after the parenthesised command name.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'T' || state === 't';
  } catch {
    return undefined;
  }
}

/**
 * Waits until the process is in the wanted state (rejects after 2 s). Where /proc cannot be read
 * (not Linux) it can only wait 50 ms and hope.
 */
async function waitForState(child: ChildProcess, stopped: boolean): Promise<void> {
  const pid = child.pid!;
  for (let i = 0; i < 200; i++) {
    const state = await isStopped(pid);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new MockClusterStoppedError();
    }
    if (state === undefined) return new Promise((resolve) => setTimeout(resolve, 50));
    if (state === stopped) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new OperationTimeoutError(`mock cluster process ${pid} did not ${stopped ? 'stop' : 'continue'} within 2000 ms`, 2000);
}

function makeHandle(
  child: ChildProcess,
  ready: Extract<ChildMessage, { type: 'ready' }>,
  brokers: number,
  exited: Promise<void>,
): MockCluster {
  const knownCodes = ready.errorCodes;
  let stopping: Promise<void> | undefined;
  const pid = child.pid!;
  const brokerIds = Object.freeze(Array.from({ length: brokers }, (_, i) => i + 1));
  const pending = new Map<number, { resolve: () => void; reject: (err: AIOKafkaError) => void }>();
  let nextId = 1;
  const gone = (): boolean => stopping !== undefined || child.exitCode !== null || child.signalCode !== null;

  child.on('message', (message: ChildMessage) => {
    if (message?.type !== 'result') return;
    const call = pending.get(message.id);
    if (call === undefined) return;
    pending.delete(message.id);
    // Nothing pending: the channel must not keep this process alive any more.
    if (pending.size === 0) child.channel?.unref();
    const e = message.error;
    if (e === undefined) call.resolve();
    else {
      const code: AIOErrorCode = e.codeName ? `ERR_${e.codeName}` : 'AIO_UNKNOWN';
      call.reject(new AIOKafkaError(`mock cluster: ${e.message} (${code}${e.code === undefined ? '' : `, ${e.code}`})`, { code }));
    }
  });
  // As above: `exited` only resolves, and rejecting the calls left cannot throw.
  void exited.then(() => {
    for (const call of pending.values()) call.reject(new MockClusterStoppedError('mock cluster stopped before it answered'));
    pending.clear();
  });

  /** Sends one operation to the child; `check` validates the arguments first (throws InvalidArgumentError). */
  const request = (op: string, check: () => unknown[]): Promise<void> => {
    let args: unknown[];
    try {
      args = check();
    } catch (err) {
      return Promise.reject(err);
    }
    if (gone()) return Promise.reject(new MockClusterStoppedError());
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // A pending answer keeps this process alive: an awaited call must not let it exit early.
      child.channel?.ref();
      child.send({ type: 'call', id, op, args }, (err) => {
        if (err && pending.delete(id)) {
          if (pending.size === 0) child.channel?.unref();
          reject(new MockClusterStoppedError(`mock cluster is stopped (${err.message})`));
        }
      });
    });
  };

  const broker = (id: unknown, what = 'brokerId'): number => {
    const n = countOption(what, id, undefined);
    if (n > brokers) throw new InvalidArgumentError(`${what} must be a broker id from 1 to ${brokers}, got ${n}`);
    return n;
  };
  const brokerOrAll = (id: unknown): number | 'all' => (id === 'all' ? 'all' : broker(id, "brokerId (or 'all')"));
  const rtt = (value: unknown, what: string): number => durationOption(what, value, 0, { finite: true, integer: true });

  const signal = async (name: 'SIGSTOP' | 'SIGCONT'): Promise<void> => {
    if (gone()) throw new MockClusterStoppedError();
    child.kill(name);
    await waitForState(child, name === 'SIGSTOP');
  };

  return {
    bootstrapServers: ready.bootstrapServers,
    binding: ready.binding,
    librdkafkaVersion: ready.librdkafkaVersion,
    pid,
    brokerIds,
    createTopic: (name, options) =>
      request('createTopic', () => {
        const t = checkTopic2(name, options, brokers, 'createTopic');
        return [t.name, t.partitions, t.replicationFactor];
      }),
    brokerDown: (id) => request('brokerDown', () => [brokerOrAll(id)]),
    brokerUp: (id) => request('brokerUp', () => [brokerOrAll(id)]),
    setRtt: (id, rttMs) => request('setRtt', () => [brokerOrAll(id), rtt(rttMs, 'rttMs')]),
    injectErrors: (api, codes, options = {}) => {
      return request(options?.brokerId === undefined ? 'pushErrors' : 'pushBrokerErrors', () => {
        const key = apiKey(api);
        if (!Array.isArray(codes) || codes.length === 0) {
          throw new InvalidArgumentError(`codes must be a non-empty array of Kafka error names or numbers, got ${describe(codes)}`);
        }
        const numbers = codes.map((c, i) => errorCode(c, knownCodes, `codes[${i}]`));
        if (typeof options !== 'object' || options === null) {
          throw new InvalidArgumentError(`injectErrors options must be an object, got ${describe(options)}`);
        }
        if (options.brokerId === undefined) {
          if (options.rttMs !== undefined) {
            throw new InvalidArgumentError('injectErrors rttMs needs a brokerId: the cluster-wide error stack has no delays');
          }
          return [key, numbers];
        }
        return [broker(options.brokerId), key, numbers, rtt(options.rttMs, 'rttMs')];
      });
    },
    clearErrors: (api) => request('clearErrors', () => [apiKey(api)]),
    moveLeader: (topic, partition, brokerId) =>
      request('moveLeader', () => {
        checkTopic(topic);
        return [topic, countOption('partition', partition, undefined, 0), broker(brokerId)];
      }),
    setCoordinator: (key, brokerId) =>
      request('setCoordinator', () => {
        let type: 'group' | 'transaction';
        let id: unknown;
        if (typeof key === 'string') [type, id] = ['group', key];
        else if (typeof key === 'object' && key !== null && 'group' in key) [type, id] = ['group', key.group];
        else if (typeof key === 'object' && key !== null && 'transaction' in key) [type, id] = ['transaction', key.transaction];
        else throw new InvalidArgumentError(`setCoordinator key must be a group id, { group } or { transaction }, got ${describe(key)}`);
        if (typeof id !== 'string' || id.length === 0) {
          throw new InvalidArgumentError(`setCoordinator ${type} id must be a non-empty string, got ${describe(id)}`);
        }
        return [type, id, broker(brokerId)];
      }),
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    stop: () => {
      stopping ??= (async () => {
        // Hold this process until the child is really gone: an awaited stop() must not let it exit early.
        child.ref();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      })();
      return stopping;
    },
  };
}
