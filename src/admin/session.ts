/*
 * A short-lived native client for one admin call (AdminClient has no metadata or offsets calls):
 * connected like every client (failing fast, naming the brokers, when none can be reached), used,
 * disconnected. The first session also learns what the cluster serves, from librdkafka's log of
 * its ApiVersions answer (broker-apis.ts): `connect()` runs that one.
 */
import type { AIOKafkaError } from '../core/errors';
import { disconnectNative } from '../core/lifecycle';
import { noop } from '../core/noop';
import { settlesWithin } from '../core/timeouts';
import type { NativeMetadataClient } from '../native/admin';
import { bootstrapOf, type LibrdkafkaConfig } from '../native/config';
import { connectNative } from '../native/connect';
import type { NativeLogEvent } from '../native/producer';
import { ApiVersionsReader, type BrokerApis } from './broker-apis';
import { closedInFlight } from './call-queue';

/**
 * How long, at most, a session waits after the connection for librdkafka's log of the
 * ApiVersions answer (it is logged before the metadata request is even sent, but reaches
 * JavaScript through another queue). Without it, calls are sent unchecked.
 */
const API_VERSIONS_WAIT_MS = 1000;

/** What sessions need of their admin client. */
export interface SessionHost {
  /** The admin's configuration (copied at connect). */
  readonly config: LibrdkafkaConfig;
  /** A log line of a session's client, for the admin's `log` event and logger (and fatal policy). */
  log(log: NativeLogEvent): void;
  /** Why a call can go no further (the admin closed, or a fatal error stopped it), or undefined. */
  refusal(what: string): AIOKafkaError | undefined;
}

/** A session under way: its work, and how close gives its caller up. */
interface Running {
  readonly what: string;
  readonly work: Promise<unknown>;
  readonly giveUp: (err: AIOKafkaError) => void;
}

/** The admin's short-lived clients, and what the first one learnt of the cluster. */
export class Sessions {
  readonly #host: SessionHost;
  /** The requests the cluster serves: undefined until learnt, null if it could not be learnt. */
  #apis: BrokerApis | null | undefined;
  readonly #running = new Set<Running>();

  constructor(host: SessionHost) {
    this.#host = host;
  }

  /** What the cluster serves, once known (undefined: calls go unchecked). */
  get apis(): BrokerApis | undefined {
    return this.#apis ?? undefined;
  }

  /**
   * Runs `use` on a short-lived native client made by `create`, connected within `timeoutMs`
   * and disconnected afterwards. Its log lines go to the host; those of the `feature` debug
   * context, added here to read the cluster's ApiVersions answer, only if the config asked for
   * them. `use` gets the time left and what the cluster serves (waiting at most
   * {@link API_VERSIONS_WAIT_MS} for it when this session is the one that learns it).
   */
  run<C extends NativeMetadataClient, T>(
    what: string,
    timeoutMs: number,
    create: (config: LibrdkafkaConfig) => C,
    use: (client: C, remainingMs: number, apis: BrokerApis | undefined) => Promise<T>,
  ): Promise<T> {
    const work = this.#session(what, timeoutMs, create, use);
    return new Promise<T>((resolve, reject) => {
      const running: Running = { what, work, giveUp: reject };
      this.#running.add(running);
      const done = (): void => void this.#running.delete(running);
      work.then(done, done);
      work.then(resolve, reject);
    });
  }

  /**
   * Waits for the sessions under way, up to `timeoutMs`; past it their calls reject with
   * `AdminClosedError` (outcome unknown) and each session ends in the background: its
   * client disconnects once node-rdkafka answered (disconnecting under a call would block the
   * event loop until the call's native timeout).
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#running.size === 0) return;
    if (await settlesWithin(Promise.allSettled([...this.#running].map((running) => running.work)), timeoutMs)) return;
    for (const running of this.#running) {
      running.giveUp(closedInFlight(running.what, timeoutMs));
    }
  }

  async #session<C extends NativeMetadataClient, T>(
    what: string,
    timeoutMs: number,
    create: (config: LibrdkafkaConfig) => C,
    use: (client: C, remainingMs: number, apis: BrokerApis | undefined) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const base = this.#host.config;
    const debug = base.debug;
    const wanted = typeof debug === 'string' && debug !== '' ? debug.split(',').map((context) => context.trim()) : [];
    const config: LibrdkafkaConfig = { ...base, debug: [...new Set([...wanted, 'feature'])].join(',') };
    let learnt!: () => void;
    const known = new Promise<void>((resolve) => (learnt = resolve));
    const reader = new ApiVersionsReader((apis) => {
      this.#apis ??= apis;
      learnt();
    });
    const showFeature = wanted.includes('feature') || wanted.includes('all');
    const onLog = (log: NativeLogEvent): void => {
      reader.note(log);
      if (log.severity < 7 || showFeature || (wanted.length > 0 && log.fac !== 'APIVERSION' && log.fac !== 'FEATURE')) this.#host.log(log);
    };
    const client = create(config);
    client.on('event.log', onLog);
    let connected = false;
    try {
      // The connect every client makes: fails fast, naming the brokers, when none can be reached.
      await connectNative(client, timeoutMs, () => client.disconnect(noop), bootstrapOf(base));
      connected = true;
      if (this.#apis === undefined && !(await settlesWithin(known, Math.min(API_VERSIONS_WAIT_MS, Math.max(0, deadline - Date.now()))))) {
        // No ApiVersions answer logged (`api.version.request=false`, an old broker): calls go unchecked.
        this.#apis = null;
      }
      const refusal = this.#host.refusal(what);
      if (refusal !== undefined) throw refusal;
      return await use(client, Math.max(1, deadline - Date.now()), this.#apis ?? undefined);
    } finally {
      if (connected) await disconnectNative((cb) => client.disconnect(cb));
      client.removeListener('event.log', onLog);
    }
  }
}
