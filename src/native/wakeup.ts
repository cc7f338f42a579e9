/*
 * The delivery wake-up. librdkafka can signal a file descriptor whenever its main queue (delivery
 * reports, errors, statistics, logs: what `poll()` serves) goes from empty to non-empty; the
 * plugin in native/wakeup.c, built at install time, hands it the client end of a Unix socket we
 * listen on. A byte on that socket means "poll now": a delivery report reaches its Promise as
 * soon as librdkafka has it instead of at the next timer tick, and nothing spins while the
 * producer waits. librdkafka writes once per non-empty period, so the socket never floods.
 *
 * Without the plugin (not built on this platform) or when the connection does not come, the
 * producer falls back to its poll timer alone.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settlesWithin } from '../core/timeouts';
import type { LibrdkafkaConfig } from './config';

/** Where node-gyp puts the plugin (binding.gyp), relative to dist/native and src/native alike. */
const PLUGIN_PATH = join(__dirname, '..', '..', 'build', 'Release', 'aio_rdkafka_wakeup.node');
/** The configuration property the plugin claims. */
const SOCKET_PROPERTY = 'aio.wakeup.socket';
/** sockaddr_un's path limit on Linux (108) and macOS (104), less the terminating NUL. */
const MAX_SOCKET_PATH = 103;

let pluginPath: string | null | undefined;
let sequence = 0;

/** The built plugin's path, or undefined when it was not built. */
export function wakeupPlugin(): string | undefined {
  pluginPath ??= existsSync(PLUGIN_PATH) ? PLUGIN_PATH : null;
  return pluginPath ?? undefined;
}

/**
 * One producer's wake-up socket: {@link QueueWakeup.open} listens, {@link QueueWakeup.configure}
 * adds the plugin to the librdkafka configuration, and once the client exists
 * {@link QueueWakeup.attached} says whether librdkafka connected.
 */
export class QueueWakeup {
  readonly #server: Server;
  readonly #path: string;
  readonly #connection: Promise<Socket>;
  #socket: Socket | undefined;
  #onWake: () => void = () => {};
  #closed = false;

  private constructor(server: Server, path: string) {
    this.#server = server;
    this.#path = path;
    this.#connection = new Promise((resolve) => {
      server.once('connection', (socket) => {
        // One client per socket: the path can go at once.
        this.#unlink();
        server.close();
        socket.unref();
        socket.on('data', () => this.#onWake());
        // A broken socket only costs the wake-up; the poll timer goes on.
        socket.on('error', () => {});
        if (this.#closed) socket.destroy();
        this.#socket = socket;
        resolve(socket);
      });
    });
  }

  /** Listens on a fresh socket; undefined when the plugin is not built or listening failed. */
  static async open(): Promise<QueueWakeup | undefined> {
    if (wakeupPlugin() === undefined) return undefined;
    const path = join(tmpdir(), `aio-rdkafka-${process.pid}-${++sequence}.sock`);
    if (path.length > MAX_SOCKET_PATH) return undefined;
    const server = createServer();
    server.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch {
      server.close();
      return undefined;
    }
    return new QueueWakeup(server, path);
  }

  /**
   * `config` with the plugin loaded first (before its property is set, as librdkafka requires),
   * after any plugins the user configured.
   */
  configure(config: LibrdkafkaConfig): LibrdkafkaConfig {
    const { 'plugin.library.paths': theirs, ...rest } = config;
    const plugins = typeof theirs === 'string' && theirs.trim() !== '' ? `${theirs};${wakeupPlugin()}` : wakeupPlugin()!;
    return { 'plugin.library.paths': plugins, [SOCKET_PROPERTY]: this.#path, ...rest };
  }

  /**
   * Resolves true once librdkafka's client connected to the socket and `onWake` is wired, false
   * when it did not within `timeoutMs` (the wake-up is then closed).
   */
  async attached(onWake: () => void, timeoutMs: number): Promise<boolean> {
    this.#onWake = onWake;
    const connected = await settlesWithin(this.#connection, timeoutMs);
    if (!connected) this.close();
    return connected && !this.#closed;
  }

  /** Stops listening and drops the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onWake = () => {};
    this.#server.close();
    this.#unlink();
    this.#socket?.destroy();
  }

  #unlink(): void {
    try {
      unlinkSync(this.#path);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Creates the native client with the wake-up plugin configured; when librdkafka refuses the
 * plugin (it loads it while the configuration is built), closes the wake-up and creates the
 * client without it, so that the wake-up can never be why a client does not start.
 */
export function createWithWakeup<T>(
  factory: (config: LibrdkafkaConfig) => T,
  config: LibrdkafkaConfig,
  wakeup: QueueWakeup | undefined,
): T {
  if (wakeup === undefined) return factory(config);
  try {
    return factory(wakeup.configure(config));
  } catch {
    wakeup.close();
    return factory(config);
  }
}
