import { ClientBase, type CloseOptions } from '../core/client';
import type { LogEntry } from '../core/client-events';
import { AdminClosedError, AIOKafkaError, InvalidArgumentError } from '../core/errors';
import { callTimeoutMs, checkTopic, countOption } from '../core/validation';
import { adminFactories, type NativeAdmin, type NativeAdminFactories } from '../native/admin';
import { checkConfig, type AdminConfig, type LibrdkafkaConfig } from '../native/config';
import { asAIOError } from '../native/errors';
import { NativeFatalSignals } from '../native/fatal';
import { requireApi } from './broker-apis';
import { AdminCallQueue, type AdminCallStart } from './call-queue';
import { deleteGroups, describeGroups, listGroups } from './groups';
import { allTopics } from './native-calls';
import { listConsumerGroupOffsets, listOffsets } from './offsets';
import type { AdminHost } from './operations';
import { resolveAdminOptions, type AIOAdminOptions, type ResolvedAdminOptions } from './options';
import { Sessions } from './session';
import { deleteRecords, describeTopics } from './topics';
import type {
  AdminCallOptions,
  CommittedOffset,
  DeletedRecords,
  GroupDescription,
  GroupListing,
  NewTopic,
  OffsetSpec,
  PartitionOffset,
  RecordsToDelete,
  TopicDescription,
  TopicInfo,
} from './types';

export type { AIOAdminOptions } from './options';

/** @internal the seam used by unit tests; not part of the public API. */
export interface AdminInternalOptions {
  factories?: NativeAdminFactories;
}

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
 * Promise-based administration over the binding's AdminClient. Every call is bounded by a
 * timeout and fails with a typed error ({@link OperationTimeoutError}, {@link InvalidArgumentError},
 * or the librdkafka error as {@link AIOKafkaError}).
 *
 * On node-rdkafka (3.6) the AdminClient creates and deletes topics and adds partitions; on
 * @confluentinc/kafka-javascript it also describes topics, deletes records, lists offsets and
 * lists, describes and deletes consumer groups. A call the binding in use lacks is refused at
 * once with {@link UnsupportedByBindingError}; docs/api.md has the table.
 *
 * The binding runs one admin call at a time per client (each holds a thread of libuv's pool for
 * up to its whole timeout), so calls are queued here and sent one after another; a call's time
 * limit starts when it is sent. When a call times out its outcome is unknown: the cluster may
 * still apply it (a topic may be created after the timeout).
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
  readonly #callTimeoutMs: number;
  readonly #sessions: Sessions;
  readonly #queue: AdminCallQueue;
  /** What the operations (topics.ts, groups.ts, offsets.ts) run with. */
  readonly #host: AdminHost;

  private constructor(native: NativeAdmin, config: LibrdkafkaConfig, factories: NativeAdminFactories, options: ResolvedAdminOptions) {
    super({ closeTimeoutMs: options.closeTimeoutMs, logger: options.logger, typeError: asAIOError, fatalSignals: new NativeFatalSignals() });
    this.#native = native;
    this.#callTimeoutMs = options.callTimeoutMs;
    this.#queue = new AdminCallQueue(this.events);
    this.#sessions = new Sessions({ config, log: (log) => this.nativeLog(log), refusal: (what) => this.#refusal(what) });
    this.#host = { native, factories, config, sessions: this.#sessions, queue: this.#queue };
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
   *   librdkafka's refusal to connect; {@link BindingUnavailableError} when no binding loads.
   */
  static async connect(config: AdminConfig, options: AIOAdminOptions = {}): Promise<AIOAdmin> {
    return AIOAdmin.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factories replaceable: the seam unit tests use. */
  static async connectWith(config: LibrdkafkaConfig, options: AIOAdminOptions, internal: AdminInternalOptions): Promise<AIOAdmin> {
    checkConfig(config);
    const resolved = resolveAdminOptions(options);
    const copy: LibrdkafkaConfig = { ...config };
    const factories = internal.factories ?? adminFactories(resolved.binding);
    await factories.checkCreation?.(copy);
    const native = factories.createAdmin(copy);
    const admin = new AIOAdmin(native, copy, factories, resolved);
    try {
      // The AdminClient connects lazily: a connection of its own proves the cluster answers.
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
   * cluster reports them) with their partition counts, sorted by name. A short-lived producer
   * client fetches the metadata (node-rdkafka's AdminClient has no metadata call).
   * @throws (rejects) `ERR__TRANSPORT` naming the brokers when none can be reached,
   *   {@link OperationTimeoutError} when no metadata came within the time limit.
   */
  async listTopics(options: AdminCallOptions = {}): Promise<TopicDescription[]> {
    const timeoutMs = this.#limit('listTopics', options);
    const metadata = await this.#sessions.run('listTopics', timeoutMs, (config) => this.#host.factories.createMetadataClient(config), (client, remaining) =>
      allTopics('listTopics', client, remaining),
    );
    return metadata.topics
      .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Describes topics: each partition's leader, replicas and in-sync replicas, in the order asked.
   * @binding @confluentinc/kafka-javascript only.
   * @throws (rejects) {@link UnsupportedByBindingError} at once on node-rdkafka;
   *   `ERR_UNKNOWN_TOPIC_OR_PART` naming a topic that does not exist;
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   * @example
   * ```ts
   * const [orders] = await admin.describeTopics(['orders']);
   * const leaderless = orders.partitions.filter((p) => p.leader === null);
   * ```
   */
  describeTopics(topics: readonly string[], options: AdminCallOptions = {}): Promise<TopicInfo[]> {
    return this.#run('describeTopics', options, (timeoutMs) => describeTopics(this.#host, topics, timeoutMs));
  }

  /**
   * Deletes the records of a topic's partitions below an offset (Kafka's DeleteRecords): a
   * consumer reading from the start begins at `offset` afterwards.
   * @binding @confluentinc/kafka-javascript only.
   * @returns each partition's first offset after the deletion, by partition.
   * @throws (rejects) {@link UnsupportedByBindingError} at once on node-rdkafka;
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve DeleteRecords;
   *   the broker's refusal for a partition (e.g. `ERR_OFFSET_OUT_OF_RANGE`), naming it;
   *   {@link OperationTimeoutError} when no answer came within the time limit.
   */
  deleteRecords(topic: string, partitions: readonly RecordsToDelete[], options: AdminCallOptions = {}): Promise<DeletedRecords[]> {
    return this.#run('deleteRecords', options, (timeoutMs) => deleteRecords(this.#host, topic, partitions, timeoutMs));
  }

  /**
   * The offsets a consumer group committed on every partition of `topics` (Kafka's OffsetFetch,
   * what `kafka-consumer-groups --describe` shows as CURRENT-OFFSET), sorted by topic and
   * partition. On CKJS the AdminClient asks the group's coordinator; on node-rdkafka a
   * short-lived consumer client with `group.id` set to `group` does (it never subscribes, so it
   * never joins the group nor disturbs its members).
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
  listConsumerGroupOffsets(group: string, topics: readonly string[], options: AdminCallOptions = {}): Promise<CommittedOffset[]> {
    return this.#run('listConsumerGroupOffsets', options, (timeoutMs) => listConsumerGroupOffsets(this.#host, group, topics, timeoutMs));
  }

  /**
   * Looks up an offset in every partition of `topic` (Kafka's ListOffsets), sorted by
   * partition: where it starts, where it ends, or where a point in time falls. On CKJS the
   * AdminClient asks each partition's leader; on node-rdkafka a short-lived consumer client does
   * (it never subscribes nor joins a group).
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
  listOffsets(topic: string, spec: OffsetSpec = 'latest', options: AdminCallOptions = {}): Promise<PartitionOffset[]> {
    return this.#run('listOffsets', options, (timeoutMs) => {
      checkTopic(topic, 'topic name');
      return listOffsets(this.#host, topic, spec, timeoutMs);
    });
  }

  /**
   * Lists the cluster's consumer groups, sorted by id.
   * @binding @confluentinc/kafka-javascript only.
   * @throws (rejects) {@link UnsupportedByBindingError} at once on node-rdkafka;
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve ListGroups;
   *   the first broker's error when a broker could not list its groups (the list would be
   *   incomplete); {@link OperationTimeoutError} when no answer came within the time limit.
   */
  listGroups(options: AdminCallOptions = {}): Promise<GroupListing[]> {
    return this.#run('listGroups', options, (timeoutMs) => listGroups(this.#host, timeoutMs));
  }

  /**
   * Describes consumer groups: state, assignor, coordinator, members and their partitions, in the
   * order asked. CKJS 1.10 crashes the process on a group result that carries an error (a
   * timeout, an authorization failure), so the call runs in a short-lived child process: a
   * crash there rejects the call (code `AIO_UNKNOWN`) and leaves this process alone. It costs a
   * process start and a connection (about a quarter of a second).
   * @binding @confluentinc/kafka-javascript only.
   * @throws (rejects) {@link UnsupportedByBindingError} at once on node-rdkafka;
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve DescribeGroups;
   *   a group's error, naming it; {@link OperationTimeoutError} when no answer came within the
   *   time limit.
   */
  describeGroups(groups: readonly string[], options: AdminCallOptions = {}): Promise<GroupDescription[]> {
    return this.#run('describeGroups', options, (timeoutMs) => describeGroups(this.#host, groups, timeoutMs));
  }

  /**
   * Deletes consumer groups (each must have no members). Resolves once every one is deleted.
   * @binding @confluentinc/kafka-javascript only.
   * @throws (rejects) {@link UnsupportedByBindingError} at once on node-rdkafka;
   *   {@link UnsupportedByClusterError} at once when the cluster does not serve DeleteGroups;
   *   the first group's error (e.g. `ERR_NON_EMPTY_GROUP`), naming it and the groups that were
   *   deleted; {@link OperationTimeoutError} when no answer came within the time limit.
   */
  deleteGroups(groups: readonly string[], options: AdminCallOptions = {}): Promise<void> {
    return this.#run('deleteGroups', options, (timeoutMs) => deleteGroups(this.#host, groups, timeoutMs));
  }

  /**
   * Closes the admin client by `timeoutMs` (idempotent: every call returns the same Promise).
   * Calls still queued reject with {@link AdminClosedError} at once, as do calls made afterwards.
   * The calls in flight (on the AdminClient, and listTopics or the offsets calls on their own
   * short-lived clients) are let finish until the limit; past it, each rejects with
   * `AdminClosedError` (its outcome unknown); one that runs in a child process (describeGroups,
   * deleteGroups on CKJS) is stopped, so that its child does not keep the process alive; and the
   * AdminClient is released in the background once the binding answered (disconnecting under the
   * call would block the event loop until its native timeout).
   */
  override close(options: CloseOptions = {}): Promise<void> {
    return super.close(options);
  }

  protected async closeClient(timeoutMs: number): Promise<void> {
    // The AdminClient's calls and the short-lived clients' ones (listTopics, offsets), at once.
    const [running] = await Promise.all([this.#queue.close(timeoutMs), this.#sessions.close(timeoutMs)]);
    if (running === undefined) return this.#disconnect();
    // A call given up on that runs in a child process (describeGroups, deleteGroups) is stopped,
    // and answers: its child would keep the process alive up to the call's limit.
    this.#native.operations?.stopIsolated();
    void running.answered.then(() => this.#disconnect());
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

  /** Runs an operation of topics.ts, groups.ts or offsets.ts within the call's limit (a throw of its checks rejects). */
  async #run<T>(what: string, options: AdminCallOptions, operation: (timeoutMs: number) => Promise<T>): Promise<T> {
    return operation(this.#limit(what, options));
  }
}
