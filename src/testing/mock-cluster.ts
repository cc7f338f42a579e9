import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AIOKafkaError, InvalidArgumentError, OperationTimeoutError } from '../errors';

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
  /** Freezes every broker (SIGSTOP): clients see an outage; no data is lost. */
  pause(): void;
  /** Ends an outage started by {@link MockCluster.pause} (SIGCONT). */
  resume(): void;
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
 * Starts librdkafka's protocol-level mock cluster in a child process. It serves produce, fetch,
 * consumer groups and the idempotent producer on 127.0.0.1 ports; topics are created on first
 * use with 4 partitions. Meant for tests, demos and benchmarks: it keeps data in memory only.
 *
 * The child never outlives this process: it is killed on exit and exits by itself if this process
 * dies (its IPC channel closes). It does not keep this process alive either.
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
    child.once('exit', (code, signal) => {
      fail(new AIOKafkaError(`mock cluster process exited before it was ready (code ${code}, signal ${signal})`, { code: 'AIO_UNKNOWN' }));
    });
    child.on('message', (message: { type?: string; bootstrapServers?: string; message?: string }) => {
      if (message?.type === 'error') {
        fail(new AIOKafkaError(`mock cluster failed to start: ${message.message}`, { code: 'AIO_UNKNOWN' }));
      } else if (message?.type === 'ready' && typeof message.bootstrapServers === 'string') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // From now on the child must not keep this process alive.
        child.unref();
        child.channel?.unref();
        resolve(makeHandle(child, message.bootstrapServers, exited));
      }
    });
  });
}

function makeHandle(child: ChildProcess, bootstrapServers: string, exited: Promise<void>): MockCluster {
  let stopping: Promise<void> | undefined;
  const signal = (name: NodeJS.Signals): void => {
    if (stopping !== undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new AIOKafkaError('mock cluster is stopped', { code: 'AIO_UNKNOWN' });
    }
    child.kill(name);
  };
  return {
    bootstrapServers,
    pid: child.pid!,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      })();
      return stopping;
    },
  };
}
