import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AIOKafkaError, InvalidArgumentError, OperationTimeoutError } from '../core/errors';

/** Options of {@link startMockCluster}. */
export interface MockClusterOptions {
  /** Number of brokers. @default 3 */
  brokers?: number;
  /** How long to wait for the cluster to come up, in ms. @default 20000 */
  startTimeoutMs?: number;
}

/** A running librdkafka mock cluster. */
export interface MockCluster {
  /** `host:port,host:port,…` for `bootstrap.servers`. */
  readonly bootstrapServers: string;
  /** Process id of the process hosting the cluster. */
  readonly pid: number;
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

/**
 * Starts librdkafka's protocol-level mock cluster in a child process. It serves produce, fetch,
 * consumer groups and the idempotent producer on 127.0.0.1 ports; topics are created on first
 * use with 4 partitions. Meant for tests, demos and benchmarks: it keeps data in memory only.
 *
 * The child never outlives this process: it is killed on exit, exits by itself if this process
 * dies (its IPC channel closes), and a sentinel kills it if this process dies while it is paused.
 * It does not keep this process alive either.
 *
 * @example
 * ```ts
 * const cluster = await startMockCluster({ brokers: 3 });
 * const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers });
 * // ...
 * await producer.close();
 * await cluster.stop();
 * ```
 */
export function startMockCluster(options: MockClusterOptions = {}): Promise<MockCluster> {
  const brokers = options.brokers ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 32) {
    return Promise.reject(new InvalidArgumentError(`brokers must be an integer from 1 to 32, got ${String(brokers)}`));
  }
  installExitHook();
  const child = fork(CHILD, [String(brokers)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The child is plain JavaScript: never inherit loaders such as ts-jest's or --inspect.
    execArgv: [],
  });
  running.add(child);
  watchOverChild(child.pid!);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));

  return new Promise<MockCluster>((resolve, reject) => {
    const fail = (err: AIOKafkaError): void => {
      clearTimeout(timer);
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
    child.on('message', (message: { type?: string; bootstrapServers?: string; message?: string }) => {
      if (message?.type === 'error') {
        fail(new AIOKafkaError(`mock cluster failed to start: ${message.message}`, { code: 'AIO_UNKNOWN' }));
      } else if (message?.type === 'ready' && typeof message.bootstrapServers === 'string') {
        clearTimeout(timer);
        child.off('exit', exitedEarly);
        // From now on the child must not keep this process alive.
        child.unref();
        child.channel?.unref();
        resolve(makeHandle(child, message.bootstrapServers, exited));
      }
    });
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
      throw new AIOKafkaError('mock cluster is stopped', { code: 'AIO_UNKNOWN' });
    }
    if (state === undefined) return new Promise((resolve) => setTimeout(resolve, 50));
    if (state === stopped) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new OperationTimeoutError(`mock cluster process ${pid} did not ${stopped ? 'stop' : 'continue'} within 2000 ms`, 2000);
}

function makeHandle(child: ChildProcess, bootstrapServers: string, exited: Promise<void>): MockCluster {
  let stopping: Promise<void> | undefined;
  const pid = child.pid!;
  const signal = async (name: 'SIGSTOP' | 'SIGCONT'): Promise<void> => {
    if (stopping !== undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new AIOKafkaError('mock cluster is stopped', { code: 'AIO_UNKNOWN' });
    }
    child.kill(name);
    await waitForState(child, name === 'SIGSTOP');
  };
  return {
    bootstrapServers,
    pid,
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
