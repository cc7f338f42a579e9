import {
  AdminClosedError,
  InvalidArgumentError,
  OperationTimeoutError,
  type AIOKafkaError,
} from '../core/errors';
import { fromLibrdkafka } from '../native/errors';
import { Fifo } from '../core/fifo';
import { CloseOnce, connectNative, createNative } from '../core/lifecycle';
import { noop } from '../core/noop';
import { callWithDeadline, nativeTimeoutMs, settlesWithin, type NativeCallback } from '../core/timeouts';
import { checkConfig, checkTopic, countOption, durationOption } from '../core/validation';
import { bootstrapOf, type AdminConfig, type LibrdkafkaConfig } from '../native/config';
import {
  defaultAdminFactories,
  type NativeAdmin,
  type NativeAdminFactories,
  type NativeMetadata,
} from '../native/admin';

/** Options of {@link AIOAdmin.connect}. */
export interface AIOAdminOptions {
  /**
   * Default time limit of every call, in ms (`Infinity`: no limit); each call may pass its own.
   * @default 30000
   */
  timeoutMs?: number;
}

/** A topic to create. */
export interface NewTopic {
  /** Its name. */
  topic: string;
  /** How many partitions it gets. @default 1 */
  numPartitions?: number;
  /** How many replicas each partition gets. @default 1 */
  replicationFactor?: number;
  /** Topic configuration (`retention.ms`, `cleanup.policy`, …), as strings. */
  config?: Record<string, string>;
}

/** A topic as the cluster's metadata describes it. */
export interface TopicDescription {
  /** Its name. */
  name: string;
  /** How many partitions it has. */
  partitions: number;
}

/** Options of one admin call. */
export interface AdminCallOptions {
  /** Time limit of this call, in ms (`Infinity`: no limit). @default the admin's `timeoutMs` */
  timeoutMs?: number;
}

/** @internal the seam used by unit tests; not part of the public API. */
export interface AdminInternalOptions {
  factories?: NativeAdminFactories;
}

/** Extra time the JavaScript guard gives librdkafka beyond its own timeout, in ms. */
const GUARD_GRACE_MS = 1000;

/** An admin call waiting for its turn. */
interface QueuedCall {
  readonly what: string;
  readonly timeoutMs: number;
  readonly start: (timeoutMs: number, cb: (err?: Error | null) => void) => void;
  readonly resolve: () => void;
  readonly reject: (err: AIOKafkaError) => void;
}

/**
 * Promise-based topic administration over node-rdkafka's AdminClient. Every call is bounded by a
 * timeout and fails with a typed error ({@link OperationTimeoutError}, {@link InvalidArgumentError},
 * or the librdkafka error as {@link AIOKafkaError}).
 *
 * node-rdkafka runs one admin call at a time per client (each holds the client's lock for up to
 * its whole timeout, on libuv's thread pool), so calls are queued here and sent one after
 * another; a call's time limit starts when it is sent. When a call times out its outcome is
 * unknown: the cluster may still apply it (a topic may be created after the timeout).
 *
 * @example
 * ```ts
 * const admin = await AIOAdmin.connect({ 'bootstrap.servers': 'localhost:9092' });
 * try {
 *   await admin.createTopic({ topic: 'orders', numPartitions: 6, replicationFactor: 3 });
 *   console.log(await admin.listTopics());
 * } finally {
 *   await admin.close();
 * }
 * ```
 */
export class AIOAdmin implements AsyncDisposable {
  readonly #native: NativeAdmin;
  readonly #config: LibrdkafkaConfig;
  readonly #factories: NativeAdminFactories;
  readonly #timeoutMs: number;
  #closed = false;
  readonly #closer = new CloseOnce();
  /** Calls waiting for the one in flight. */
  readonly #queue = new Fifo<QueuedCall>();
  /** The call in flight: settles when its native callback came. */
  #inFlight: { readonly answered: Promise<void>; readonly deadline: number } | undefined;

  private constructor(native: NativeAdmin, config: LibrdkafkaConfig, factories: NativeAdminFactories, timeoutMs: number) {
    this.#native = native;
    this.#config = config;
    this.#factories = factories;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Creates the admin client. node-rdkafka's AdminClient connects lazily: a wrong address shows
   * up as a timeout of the first call.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, security settings), copied.
   * @throws (rejects) {@link InvalidArgumentError} for a bad config or option.
   */
  static async connect(config: AdminConfig, options: AIOAdminOptions = {}): Promise<AIOAdmin> {
    return AIOAdmin.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factories replaceable: the seam unit tests use. */
  static async connectWith(config: LibrdkafkaConfig, options: AIOAdminOptions, internal: AdminInternalOptions): Promise<AIOAdmin> {
    checkConfig(config);
    const timeoutMs = durationOption('option timeoutMs', options?.timeoutMs, 30_000);
    const copy: LibrdkafkaConfig = { ...config };
    const factories = internal.factories ?? defaultAdminFactories;
    const native = createNative(() => factories.createAdmin(copy));
    return new AIOAdmin(native, copy, factories, timeoutMs);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Creates a topic.
   * @throws (rejects) the broker's refusal (e.g. code `ERR_TOPIC_ALREADY_EXISTS`),
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  createTopic(topic: NewTopic, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('createTopic', options, () => {
      if (typeof topic !== 'object' || topic === null) throw new InvalidArgumentError('createTopic needs { topic, numPartitions, replicationFactor }');
      checkTopic(topic.topic, 'topic name');
      const numPartitions = countOption('numPartitions', topic.numPartitions, 1);
      const replicationFactor = countOption('replicationFactor', topic.replicationFactor, 1);
      const native = { topic: topic.topic, num_partitions: numPartitions, replication_factor: replicationFactor };
      return (timeoutMs, cb) =>
        this.#native.createTopic(topic.config === undefined ? native : { ...native, config: { ...topic.config } }, timeoutMs, cb);
    });
  }

  /**
   * Deletes a topic.
   * @throws (rejects) the broker's refusal (e.g. `ERR_UNKNOWN_TOPIC_OR_PART`),
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  deleteTopic(name: string, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('deleteTopic', options, () => {
      checkTopic(name, 'topic name');
      return (timeoutMs, cb) => this.#native.deleteTopic(name, timeoutMs, cb);
    });
  }

  /**
   * Grows a topic to `total` partitions (Kafka cannot shrink one).
   * @throws (rejects) the broker's refusal (e.g. `ERR_INVALID_PARTITIONS`),
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  createPartitions(name: string, total: number, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('createPartitions', options, () => {
      checkTopic(name, 'topic name');
      const count = countOption('total', total, undefined);
      return (timeoutMs, cb) => this.#native.createPartitions(name, count, timeoutMs, cb);
    });
  }

  /**
   * Lists the cluster's topics (internal ones such as `__consumer_offsets` included, when the
   * cluster reports them) with their partition counts, sorted by name. AdminClient has no
   * metadata call, so a short-lived producer client fetches the metadata.
   * @throws (rejects) {@link OperationTimeoutError} when no metadata came within the time limit.
   */
  async listTopics(options: AdminCallOptions = {}): Promise<TopicDescription[]> {
    if (this.#closed) throw new AdminClosedError('listTopics: the admin client is closed');
    const timeoutMs = durationOption('timeoutMs', options?.timeoutMs, this.#timeoutMs);
    const deadline = Date.now() + timeoutMs;
    const client = createNative(() => this.#factories.createMetadataClient({ ...this.#config }));
    let connected = false;
    try {
      // The connect every client makes: fails fast, naming the brokers, when none can be reached.
      await connectNative(client, timeoutMs, () => client.disconnect(noop), bootstrapOf(this.#config));
      connected = true;
      const remaining = Math.max(1, deadline - Date.now());
      const metadata = await guarded<NativeMetadata>('listTopics', remaining, (cb) =>
        client.getMetadata({ allTopics: true, timeout: nativeTimeoutMs(remaining) }, cb),
      );
      return metadata.topics
        .map((t) => ({ name: t.name, partitions: t.partitions.length }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } finally {
      if (connected) await new Promise<void>((resolve) => client.disconnect(() => resolve()));
    }
  }

  /**
   * Releases the admin client (idempotent: every call returns the same Promise). Calls still
   * queued reject with {@link AdminClosedError}, as do calls made afterwards. The call in flight,
   * if any, is let finish first (node-rdkafka's disconnect would otherwise block the event loop
   * until that call's native timeout), at most until its guard's deadline.
   */
  close(): Promise<void> {
    return this.#closer.run(noop, () => {
      this.#closed = true;
      for (let call = this.#queue.shift(); call !== undefined; call = this.#queue.shift()) {
        call.reject(new AdminClosedError(`${call.what}: the admin client closed before the call was sent`));
      }
      return this.#close();
    });
  }

  async #close(): Promise<void> {
    const inFlight = this.#inFlight;
    if (inFlight !== undefined) await settlesWithin(inFlight.answered, Math.max(0, inFlight.deadline - Date.now()));
    try {
      this.#native.disconnect();
    } catch {
      // Already disconnected: nothing left to release.
    }
  }

  /** `await using admin = await AIOAdmin.connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Checks the input (`prepare` throws on bad input), then queues the native call. */
  async #call(
    what: string,
    options: AdminCallOptions,
    prepare: () => (timeoutMs: number, cb: (err?: Error | null) => void) => void,
  ): Promise<void> {
    if (this.#closed) throw new AdminClosedError(`${what}: the admin client is closed`);
    const timeoutMs = durationOption('timeoutMs', options?.timeoutMs, this.#timeoutMs);
    const start = prepare();
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ what, timeoutMs, start, resolve, reject });
      this.#sendNext();
    });
  }

  /** Sends the next queued call once the one in flight has answered; its guard starts now. */
  #sendNext(): void {
    if (this.#inFlight !== undefined) return;
    const call = this.#queue.shift();
    if (call === undefined) return;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    this.#inFlight = { answered, deadline: Date.now() + call.timeoutMs + GUARD_GRACE_MS };
    void answered.then(() => {
      this.#inFlight = undefined;
      this.#sendNext();
    });
    guarded<void>(
      call.what,
      call.timeoutMs,
      (cb) =>
        call.start(nativeTimeoutMs(call.timeoutMs), (err) => {
          answer();
          cb(err ?? null, undefined);
        }),
      noop,
      answer,
    ).then(call.resolve, call.reject);
  }
}

/**
 * A native admin call bounded by our own timer as well ({@link callWithDeadline}), librdkafka's
 * own timeout given a grace period to fire first. `late` runs if it answers after we gave up;
 * `threw` if starting it threw (no callback will come).
 */
function guarded<T>(
  what: string,
  timeoutMs: number,
  start: (cb: NativeCallback<T>) => unknown,
  late: () => void = noop,
  threw: () => void = noop,
): Promise<T> {
  return callWithDeadline<T>(
    what,
    timeoutMs,
    (done) => {
      try {
        return start(done);
      } catch (err) {
        threw();
        throw err;
      }
    },
    {
      graceMs: GUARD_GRACE_MS,
      timeoutMessage: `${what}: no answer within ${timeoutMs} ms; its outcome is unknown`,
      mapError: (err) => toAdminError(what, err, timeoutMs),
      late,
    },
  );
}

function toAdminError(what: string, err: Error, timeoutMs: number): AIOKafkaError {
  if (err instanceof InvalidArgumentError) return err;
  const typed = fromLibrdkafka(err, { kind: 'client' });
  if (typed.code === 'ERR__TIMED_OUT' || typed.code === 'ERR_REQUEST_TIMED_OUT') {
    return new OperationTimeoutError(`${what}: no answer within ${timeoutMs} ms (${typed.message})`, timeoutMs, typed);
  }
  return typed;
}
