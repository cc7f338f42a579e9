import { EventEmitter } from 'node:events';
import {
  AdminClosedError,
  AIOErrorCodes,
  AIOKafkaError,
  InvalidArgumentError,
  OperationTimeoutError,
} from '../core/errors';
import { ClientEvents } from '../core/client-events';
import { defineAsyncDispose } from '../core/dispose';
import { asAIOError, fromLibrdkafka } from '../native/errors';
import { Fifo } from '../core/fifo';
import { CloseOnce, disconnectNative } from '../core/lifecycle';
import { connectNative } from '../native/connect';
import { noop } from '../core/noop';
import { callWithDeadline, LIBRDKAFKA_GRACE_MS, nativeTimeoutMs, settlesWithin, type NativeCallback } from '../core/timeouts';
import { callTimeoutMs, checkTopic, countOption, describe } from '../core/validation';
import { bootstrapOf, checkConfig, type AdminConfig, type LibrdkafkaConfig } from '../native/config';
import {
  defaultAdminFactories,
  type NativeAdmin,
  type NativeAdminFactories,
  type NativeMetadata,
  type NativeMetadataClient,
} from '../native/admin';
import type { NativeLogEvent } from '../native/producer';
import { ApiVersionsReader, requireApi, type BrokerApis } from './broker-apis';
import { ClusterCheck } from './cluster-check';
import { resolveAdminOptions, type AIOAdminOptions } from './options';

export type { AIOAdminOptions } from './options';

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

/** A consumer group's committed offset on one partition. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset the group will read; `null` when the group committed none here. */
  offset: number | null;
}

/**
 * Which offset {@link AIOAdmin.listOffsets} looks up in each partition: the first one still
 * kept (`'earliest'`), the one the next message will get (`'latest'`), or the first one whose
 * message has a timestamp at or after `timestamp` (ms since the epoch).
 */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

/** An offset of one partition, as {@link AIOAdmin.listOffsets} found it. */
export interface PartitionOffset {
  partition: number;
  /** The offset; `null` when no message has a timestamp at or after the one asked for. */
  offset: number | null;
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

/**
 * How long, at most, a check waits after the connection for librdkafka's log of the ApiVersions
 * answer (it is logged before the metadata request is even sent, but reaches JavaScript through
 * another queue). Without it, the call is sent unchecked.
 */
const API_VERSIONS_WAIT_MS = 1000;

/** librdkafka's logical offsets "earliest" and "latest", as offsetsForTimes takes them. */
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;

/** The group id of the client that looks offsets up (it never joins it). */
const LOOKUP_GROUP = 'aio-rdkafka-admin-lookup';

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
  readonly #events: ClientEvents;
  /** The requests the cluster serves: undefined until learnt, null if it could not be learnt. */
  #apis: BrokerApis | null | undefined;
  /** Learns `#apis` with a metadata client of its own; shared by the calls that wait for it. */
  readonly #check = new ClusterCheck(
    (timeoutMs) => this.#session('cluster check', timeoutMs, (config) => this.#factories.createMetadataClient(config), async () => {}),
    () => this.#apis !== undefined,
  );
  #closed = false;
  /** Aborted by close(): calls waiting for the cluster check stop waiting. */
  readonly #closing = new AbortController();
  readonly #closer = new CloseOnce();
  /** Calls waiting for the one in flight. */
  readonly #queue = new Fifo<QueuedCall>();
  /** The call in flight: settles when its native callback came. */
  #inFlight: { readonly answered: Promise<void>; readonly deadline: number } | undefined;

  private constructor(native: NativeAdmin, config: LibrdkafkaConfig, factories: NativeAdminFactories, options: ReturnType<typeof resolveAdminOptions>) {
    this.#native = native;
    this.#config = config;
    this.#factories = factories;
    this.#timeoutMs = options.timeoutMs;
    // The admin has no events of its own to listen to: only the logger (or stderr) hears it.
    this.#events = new ClientEvents(new EventEmitter(), options.logger, asAIOError);
  }

  /**
   * Creates the admin client. node-rdkafka's AdminClient connects lazily: a wrong address shows
   * up in the first call, which fails fast naming the brokers it could not reach.
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
    const resolved = resolveAdminOptions(options);
    const copy: LibrdkafkaConfig = { ...config };
    const factories = internal.factories ?? defaultAdminFactories;
    await factories.checkCreation?.(copy);
    const native = factories.createAdmin(copy);
    return new AIOAdmin(native, copy, factories, resolved);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Creates a topic.
   * @throws (rejects) the broker's refusal (e.g. code `ERR_TOPIC_ALREADY_EXISTS`),
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve CreateTopics
   *   (librdkafka's mock cluster), {@link OperationTimeoutError} when no answer came within the
   *   time limit.
   */
  createTopic(topic: NewTopic, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('createTopic', 'CreateTopics', options, () => {
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
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve DeleteTopics,
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  deleteTopic(name: string, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('deleteTopic', 'DeleteTopics', options, () => {
      checkTopic(name, 'topic name');
      return (timeoutMs, cb) => this.#native.deleteTopic(name, timeoutMs, cb);
    });
  }

  /**
   * Grows a topic to `total` partitions (Kafka cannot shrink one).
   * @throws (rejects) the broker's refusal (e.g. `ERR_INVALID_PARTITIONS`),
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve CreatePartitions,
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  createPartitions(name: string, total: number, options: AdminCallOptions = {}): Promise<void> {
    return this.#call('createPartitions', 'CreatePartitions', options, () => {
      checkTopic(name, 'topic name');
      const count = countOption('total', total, undefined);
      return (timeoutMs, cb) => this.#native.createPartitions(name, count, timeoutMs, cb);
    });
  }

  /**
   * Lists the cluster's topics (internal ones such as `__consumer_offsets` included, when the
   * cluster reports them) with their partition counts, sorted by name. AdminClient has no
   * metadata call, so a short-lived producer client fetches the metadata.
   * @throws (rejects) `ERR__TRANSPORT` naming the brokers when none can be reached,
   *   {@link OperationTimeoutError} when no metadata came within the time limit.
   */
  async listTopics(options: AdminCallOptions = {}): Promise<TopicDescription[]> {
    const timeoutMs = this.#limit('listTopics', options);
    const metadata = await this.#session('listTopics', timeoutMs, (config) => this.#factories.createMetadataClient(config), (client, remaining) =>
      allTopics('listTopics', client, remaining),
    );
    return metadata.topics
      .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The offsets a consumer group committed on every partition of `topics` (Kafka's OffsetFetch,
   * what `kafka-consumer-groups --describe` shows as CURRENT-OFFSET), sorted by topic and
   * partition. A short-lived consumer client with `group.id` set to `group` asks the group's
   * coordinator; it never subscribes, so it never joins the group nor disturbs its members.
   *
   * @param group the consumer group id.
   * @param topics the topics whose partitions to read (each must exist).
   * @throws (rejects) {@link InvalidArgumentError} for a bad group or topic name,
   *   `ERR_UNKNOWN_TOPIC_OR_PART` when a topic does not exist, `ERR__TRANSPORT` naming the brokers
   *   when none can be reached, {@link OperationTimeoutError} when no answer came within the
   *   time limit.
   * @example
   * ```ts
   * const offsets = await admin.listConsumerGroupOffsets('billing', ['orders']);
   * const lag = offsets.filter((o) => o.offset === null).length;
   * ```
   */
  async listConsumerGroupOffsets(group: string, topics: readonly string[], options: AdminCallOptions = {}): Promise<CommittedOffset[]> {
    const what = 'listConsumerGroupOffsets';
    const timeoutMs = this.#limit(what, options);
    if (typeof group !== 'string' || group === '') throw new InvalidArgumentError(`${what}: group must be a non-empty string, got ${describe(group)}`);
    const names = topicList(what, topics);
    const config = { 'group.id': group, 'enable.auto.commit': false };
    return this.#session(what, timeoutMs, (c) => this.#factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
      requireApi(what, 'OffsetFetch', apis);
      const deadline = Date.now() + remaining;
      const partitions = partitionsOf(what, names, await allTopics(what, client, remaining));
      const left = Math.max(1, deadline - Date.now());
      const committed = await guarded<NativePartitionOffsetList>(what, left, (cb) => client.committed(partitions, nativeTimeoutMs(left), cb));
      return sortOffsets(
        committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset === undefined || c.offset < 0 ? null : c.offset })),
      );
    });
  }

  /**
   * Looks up an offset in every partition of `topic` (Kafka's ListOffsets), sorted by
   * partition: where it starts, where it ends, or where a point in time falls. A short-lived
   * consumer client asks each partition's leader; it never subscribes nor joins a group.
   *
   * librdkafka's mock cluster answers every timestamp lookup with "none" (`offset: null`): it
   * implements ListOffsets for `'earliest'` and `'latest'` only.
   *
   * @param spec which offset; see {@link OffsetSpec}.
   * @default spec `'latest'`
   * @throws (rejects) {@link InvalidArgumentError} for a bad topic or spec,
   *   `ERR_UNKNOWN_TOPIC_OR_PART` when the topic does not exist, `ERR__TRANSPORT` naming the
   *   brokers when none can be reached, {@link OperationTimeoutError} when no answer came within
   *   the time limit.
   * @example
   * ```ts
   * const ends = await admin.listOffsets('orders', 'latest');
   * const hourAgo = await admin.listOffsets('orders', { timestamp: Date.now() - 3_600_000 });
   * ```
   */
  async listOffsets(topic: string, spec: OffsetSpec = 'latest', options: AdminCallOptions = {}): Promise<PartitionOffset[]> {
    const what = 'listOffsets';
    const timeoutMs = this.#limit(what, options);
    checkTopic(topic, 'topic name');
    const target = offsetTarget(what, spec);
    const group = typeof this.#config['group.id'] === 'string' ? this.#config['group.id'] : LOOKUP_GROUP;
    const config = { 'group.id': group, 'enable.auto.commit': false };
    return this.#session(what, timeoutMs, (c) => this.#factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
      requireApi(what, 'ListOffsets', apis);
      const deadline = Date.now() + remaining;
      const partitions = partitionsOf(what, [topic], await allTopics(what, client, remaining));
      const left = Math.max(1, deadline - Date.now());
      const found = await guarded<NativePartitionOffsetList>(what, left, (cb) =>
        client.offsetsForTimes(
          partitions.map((p) => ({ ...p, offset: target })),
          nativeTimeoutMs(left),
          cb,
        ),
      );
      return sortOffsets(found.map((f) => ({ topic: f.topic, partition: f.partition, offset: f.offset === undefined || f.offset < 0 ? null : f.offset }))).map(
        ({ partition, offset }) => ({ partition, offset }),
      );
    });
  }

  /**
   * Releases the admin client (idempotent: every call returns the same Promise). Calls still
   * queued, or waiting for the check of what the cluster serves, reject with
   * {@link AdminClosedError} at once, as do calls made afterwards. The call in flight,
   * if any, is let finish first (node-rdkafka's disconnect would otherwise block the event loop
   * until that call's native timeout), at most until its guard's deadline.
   */
  close(): Promise<void> {
    return this.#closer.run(noop, () => {
      this.#closed = true;
      this.#closing.abort();
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
    this.#events.close();
  }

  /** `await using admin = await AIOAdmin.connect(...)`: closes the admin client. */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  static {
    defineAsyncDispose(this.prototype, function (this: AIOAdmin) {
      return this.close();
    });
  }

  /** A call's time limit: its own, else the admin's; refused once the admin is closed. */
  #limit(what: string, options: AdminCallOptions): number {
    if (this.#closed) throw new AdminClosedError(`${what}: the admin client is closed`);
    return callTimeoutMs(what, options?.timeoutMs, this.#timeoutMs);
  }

  /**
   * Checks the input (`prepare` throws on bad input) and that the cluster serves `api` (learning
   * what it serves first, if no call did yet), then queues the native call.
   */
  async #call(
    what: string,
    api: string,
    options: AdminCallOptions,
    prepare: () => (timeoutMs: number, cb: (err?: Error | null) => void) => void,
  ): Promise<void> {
    const timeoutMs = this.#limit(what, options);
    const start = prepare();
    // A call made while the check runs waits for it too, even if the answer is in: calls are sent
    // in order. Each waits within its own time limit.
    if (this.#apis === undefined || this.#check.running) await this.#check.wait(what, timeoutMs, Date.now() + timeoutMs, this.#closing.signal);
    requireApi(what, api, this.#apis ?? undefined);
    if (this.#closed) throw new AdminClosedError(`${what}: the admin client closed before the call was sent`);
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ what, timeoutMs, start, resolve, reject });
      this.#sendNext();
    });
  }

  /**
   * Runs `use` on a short-lived native client, connected (failing fast, naming the brokers, when
   * none can be reached) and disconnected afterwards. Its log lines go to the logger; those of
   * the `feature` debug context, added here to read the cluster's ApiVersions answer, only if the
   * config asked for them. `use` gets what the cluster serves, once known (waiting at most
   * {@link API_VERSIONS_WAIT_MS} for it when this session is the one that learns it).
   */
  async #session<C extends NativeMetadataClient, T>(
    what: string,
    timeoutMs: number,
    create: (config: LibrdkafkaConfig) => C,
    use: (client: C, remainingMs: number, apis: BrokerApis | undefined) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const debug = this.#config.debug;
    const wanted = typeof debug === 'string' && debug !== '' ? debug.split(',').map((context) => context.trim()) : [];
    const config: LibrdkafkaConfig = { ...this.#config, debug: [...new Set([...wanted, 'feature'])].join(',') };
    let learnt!: () => void;
    const known = new Promise<void>((resolve) => (learnt = resolve));
    const reader = new ApiVersionsReader((apis) => {
      this.#apis ??= apis;
      learnt();
    });
    const showFeature = wanted.includes('feature') || wanted.includes('all');
    const onLog = (log: NativeLogEvent): void => {
      reader.note(log);
      if (log.severity < 7 || showFeature || (wanted.length > 0 && log.fac !== 'APIVERSION' && log.fac !== 'FEATURE')) this.#events.log(log);
    };
    const client = create(config);
    client.on('event.log', onLog);
    let connected = false;
    try {
      // The connect every client makes: fails fast, naming the brokers, when none can be reached.
      await connectNative(client, timeoutMs, () => client.disconnect(noop), bootstrapOf(this.#config));
      connected = true;
      if (this.#apis === undefined && !(await settlesWithin(known, Math.min(API_VERSIONS_WAIT_MS, Math.max(0, deadline - Date.now()))))) {
        // No ApiVersions answer logged (`api.version.request=false`, an old broker): calls go unchecked.
        this.#apis = null;
      }
      if (this.#closed) throw new AdminClosedError(`${what}: the admin client closed during the call`);
      return await use(client, Math.max(1, deadline - Date.now()), this.#apis ?? undefined);
    } finally {
      if (connected) await disconnectNative((cb) => client.disconnect(cb));
      client.removeListener('event.log', onLog);
    }
  }

  /** Sends the next queued call once the one in flight has answered; its guard starts now. */
  #sendNext(): void {
    if (this.#inFlight !== undefined) return;
    const call = this.#queue.shift();
    if (call === undefined) return;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    this.#inFlight = { answered, deadline: Date.now() + call.timeoutMs + LIBRDKAFKA_GRACE_MS };
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
      () =>
        this.#events.warn(
          `${call.what} succeeded after its time limit of ${call.timeoutMs} ms, though it was reported as timed out`,
          AIOErrorCodes.OPERATION_TIMEOUT,
          undefined,
        ),
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
      graceMs: LIBRDKAFKA_GRACE_MS,
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

/** node-rdkafka's answer to `committed` and `offsetsForTimes`. */
type NativePartitionOffsetList = Array<{ topic: string; partition: number; offset?: number }>;

/** The metadata of every topic (asking for named ones would make a cluster auto-create them). */
function allTopics(what: string, client: NativeMetadataClient, timeoutMs: number): Promise<NativeMetadata> {
  return guarded<NativeMetadata>(what, timeoutMs, (cb) => client.getMetadata({ allTopics: true, timeout: nativeTimeoutMs(timeoutMs) }, cb));
}

/** A non-empty list of legal topic names, without repeats. */
function topicList(what: string, topics: unknown): string[] {
  if (!Array.isArray(topics) || topics.length === 0) throw new InvalidArgumentError(`${what}: topics must be a non-empty array of topic names, got ${describe(topics)}`);
  for (const topic of topics) checkTopic(topic, `${what}: topic name`);
  return [...new Set(topics as string[])];
}

/** Every partition of `topics`, from the metadata; a topic it lacks is an error. */
function partitionsOf(what: string, topics: readonly string[], metadata: NativeMetadata): Array<{ topic: string; partition: number }> {
  return topics.flatMap((topic) => {
    const found = metadata.topics.find((t) => t.name === topic);
    if (found === undefined || found.partitions.length === 0) {
      throw new AIOKafkaError(`${what}: topic "${topic}" does not exist`, { code: 'ERR_UNKNOWN_TOPIC_OR_PART' });
    }
    return found.partitions.map((p) => ({ topic, partition: p.id }));
  });
}

/** The `offset` field that asks librdkafka's offsetsForTimes for `spec`. */
function offsetTarget(what: string, spec: unknown): number {
  if (spec === 'earliest') return OFFSET_BEGINNING;
  if (spec === 'latest') return OFFSET_END;
  const timestamp = typeof spec === 'object' && spec !== null ? (spec as { timestamp?: unknown }).timestamp : undefined;
  if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) return timestamp;
  throw new InvalidArgumentError(`${what}: spec must be 'earliest', 'latest' or { timestamp } (ms since the epoch, an integer >= 0), got ${describe(spec)}`);
}

function sortOffsets<O extends { topic: string; partition: number }>(offsets: O[]): O[] {
  return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
