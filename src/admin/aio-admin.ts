import { ClientBase, type CloseOptions } from '../core/client';
import type { LogEntry } from '../core/client-events';
import { AdminClosedError, AIOKafkaError, InvalidArgumentError } from '../core/errors';
import { nativeTimeoutMs } from '../core/timeouts';
import { callTimeoutMs, checkTopic, countOption, describe } from '../core/validation';
import { defaultAdminFactories, type NativeAdmin, type NativeAdminFactories, type NativeMetadata } from '../native/admin';
import { checkConfig, type AdminConfig, type LibrdkafkaConfig } from '../native/config';
import { asAIOError } from '../native/errors';
import { NativeFatalSignals } from '../native/fatal';
import { requireApi } from './broker-apis';
import { AdminCallQueue, type AdminCallStart } from './call-queue';
import { allTopics, guarded } from './native-calls';
import { resolveAdminOptions, type AIOAdminOptions, type ResolvedAdminOptions } from './options';
import { Sessions } from './session';

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
  /** Time limit of this call, in ms (`Infinity`: no limit). @default the admin's `callTimeoutMs` */
  timeoutMs?: number;
}

/** @internal the seam used by unit tests; not part of the public API. */
export interface AdminInternalOptions {
  factories?: NativeAdminFactories;
}

/** librdkafka's logical offsets "earliest" and "latest", as offsetsForTimes takes them. */
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;

/** The group id of the client that looks offsets up (it never joins it). */
const LOOKUP_GROUP = 'aio-rdkafka-admin-lookup';

/** The events of an {@link AIOAdmin} and their listeners. */
export interface AIOAdminEvents {
  /**
   * A failure outside any call (a disconnect that failed, a fatal librdkafka error). Unlike a
   * plain EventEmitter, an `error` with no listener does not crash the process: it is written to
   * stderr (or the logger), rate-limited.
   */
  error: (err: AIOKafkaError) => void;
  /** librdkafka log lines of the clients the admin opens (set `debug` in the config for more); see also `logger`. */
  log: (entry: LogEntry) => void;
}

/* Typed listeners: the EventEmitter methods, narrowed to AIOAdminEvents. */
export interface AIOAdmin {
  on<E extends keyof AIOAdminEvents>(event: E, listener: AIOAdminEvents[E]): this;
  once<E extends keyof AIOAdminEvents>(event: E, listener: AIOAdminEvents[E]): this;
  off<E extends keyof AIOAdminEvents>(event: E, listener: AIOAdminEvents[E]): this;
  addListener<E extends keyof AIOAdminEvents>(event: E, listener: AIOAdminEvents[E]): this;
  removeListener<E extends keyof AIOAdminEvents>(event: E, listener: AIOAdminEvents[E]): this;
  emit<E extends keyof AIOAdminEvents>(event: E, ...args: Parameters<AIOAdminEvents[E]>): boolean;
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
export class AIOAdmin extends ClientBase {
  readonly #native: NativeAdmin;
  readonly #config: LibrdkafkaConfig;
  readonly #factories: NativeAdminFactories;
  readonly #callTimeoutMs: number;
  readonly #sessions: Sessions;
  readonly #queue: AdminCallQueue;

  private constructor(native: NativeAdmin, config: LibrdkafkaConfig, factories: NativeAdminFactories, options: ResolvedAdminOptions) {
    super({ closeTimeoutMs: options.closeTimeoutMs, logger: options.logger, typeError: asAIOError, fatalSignals: new NativeFatalSignals() });
    this.#native = native;
    this.#config = config;
    this.#factories = factories;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.#queue = new AdminCallQueue(this.events);
    this.#sessions = new Sessions({ config, log: (log) => this.nativeLog(log), refusal: (what) => this.#refusal(what) });
  }

  /**
   * Creates the admin client and connects it: resolves once a connection to the cluster fetched
   * its metadata and read which requests the cluster serves (a call it does not serve is then
   * refused at once: {@link UnsupportedByClusterError}).
   *
   * @param config librdkafka configuration (`bootstrap.servers`, security settings), copied.
   * @throws (rejects) {@link InvalidArgumentError} for a bad config or option;
   *   {@link OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`;
   *   {@link AIOKafkaError} `ERR__TRANSPORT` naming the brokers when none can be reached, or
   *   librdkafka's refusal to connect.
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
    const admin = new AIOAdmin(native, copy, factories, resolved);
    try {
      // node-rdkafka's AdminClient connects lazily: a connection of its own proves the cluster answers.
      await admin.openWith(() =>
        admin.#sessions.run('connect', resolved.connectTimeoutMs, (c) => factories.createMetadataClient(c), async () => {}),
      );
    } catch (err) {
      admin.#disconnect();
      throw err;
    }
    return admin;
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
    const metadata = await this.#sessions.run('listTopics', timeoutMs, (config) => this.#factories.createMetadataClient(config), (client, remaining) =>
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
    return this.#sessions.run(what, timeoutMs, (c) => this.#factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
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
    return this.#sessions.run(what, timeoutMs, (c) => this.#factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
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
   * Closes the admin client by `timeoutMs` (idempotent: every call returns the same Promise).
   * Calls still queued reject with {@link AdminClosedError} at once, as do calls made afterwards.
   * The calls in flight (on the AdminClient, and listTopics or the offsets calls on their own
   * short-lived clients) are let finish until the limit; past it, each rejects with
   * `AdminClosedError` (its outcome unknown), and the AdminClient is released in the background
   * once node-rdkafka answered (disconnecting under the call would block the event loop until its
   * native timeout).
   */
  override close(options: CloseOptions = {}): Promise<void> {
    return super.close(options);
  }

  protected async closeClient(timeoutMs: number): Promise<void> {
    // The AdminClient's calls and the short-lived clients' ones (listTopics, offsets), at once.
    const [running] = await Promise.all([this.#queue.close(timeoutMs), this.#sessions.close(timeoutMs)]);
    if (running === undefined) this.#disconnect();
    else void running.answered.then(() => this.#disconnect());
  }

  /** Nothing runs on the AdminClient itself: the calls made after a fatal error are refused with it. */
  protected onFatal(): void {}

  #disconnect(): void {
    try {
      this.#native.disconnect();
    } catch {
      // Already disconnected: nothing left to release.
    }
    this.events.close();
  }

  /** A call's time limit: its own, else the admin's; refused once the admin is closed (or fatally failed). */
  #limit(what: string, options: AdminCallOptions): number {
    const refusal = this.#refusal(what);
    if (refusal !== undefined) throw refusal;
    return callTimeoutMs(what, options?.timeoutMs, this.#callTimeoutMs);
  }

  /** The fatal error once one stopped the admin; {@link AdminClosedError} once closed; else undefined. */
  #refusal(what: string): AIOKafkaError | undefined {
    return this.fatalError ?? (this.closed ? new AdminClosedError(`${what}: the admin client is closed`) : undefined);
  }

  /** Checks the input (`prepare` throws on bad input) and that the cluster serves `api`, then queues the native call. */
  async #call(what: string, api: string, options: AdminCallOptions, prepare: () => AdminCallStart): Promise<void> {
    const timeoutMs = this.#limit(what, options);
    const start = prepare();
    requireApi(what, api, this.#sessions.apis);
    await this.#queue.send(what, timeoutMs, start);
  }
}

/** node-rdkafka's answer to `committed` and `offsetsForTimes`. */
type NativePartitionOffsetList = Array<{ topic: string; partition: number; offset?: number }>;

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
