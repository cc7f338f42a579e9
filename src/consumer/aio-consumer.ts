import { ClientBase } from '../core/client';
import {
  AIOKafkaError,
  ConsumerClosedError,
  InvalidArgumentError,
  InvalidStateError,
  type HandlerError,
} from '../core/errors';
import { lendNative, type NativeLease } from '../core/lease';
import { connectNative } from '../native/connect';
import { noop } from '../core/noop';
import type { TopicPartition } from '../core/topic-partition';
import { durationOption } from '../core/validation';
import { bootstrapOf, type ConsumerConfig, type LibrdkafkaConfig } from '../native/config';
import { nativeConsumerFactory, type NativeConsumer, type NativeRebalanceCallback } from '../native/consumer';
import { asAIOError } from '../native/errors';
import { NativeFatalSignals } from '../native/fatal';
import type { ConsumerMessage } from './consumer-message';
import type { Consumption } from './consumption';
import { ConsumerEngine, subscribe } from './engine';
import { measureHealth, type ConsumerHealth, type HealthOptions } from './health';
import { measureLag, type PartitionLag } from './lag';
import {
  resolveConsumerConfig,
  resolveConsumerOptions,
  resolveRunOptions,
  type AIOConsumerOptions,
  type ConsumerCloseOptions,
  type ConsumerInternalOptions,
  type ResolvedConsumerOptions,
  type BatchRunOptions,
  type MessageRunOptions,
  type RunOptions,
  type LagOptions,
  checkOffset,
  checkPartitions,
} from './options';
import type { AIOConsumerEvents } from './events';
import { connectTrace } from '../core/tracing';
import { consumerChannels } from './tracing';

/* Typed listeners: the EventEmitter methods, narrowed to AIOConsumerEvents. */
export interface AIOConsumer<K = Buffer | null, V = Buffer | null> {
  on<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  once<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  off<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  addListener<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  removeListener<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  emit<E extends keyof AIOConsumerEvents>(event: E, ...args: Parameters<AIOConsumerEvents[E]>): boolean;
}

/**
 * An async/await Kafka consumer over node-rdkafka's KafkaConsumer: a group member that either
 * runs a handler on up to `concurrency` messages at once ({@link AIOConsumer.run}) or hands out
 * messages one at a time to `for await`. It commits only offsets below which every message is
 * finished, so a crash, a rebalance or a failing handler never skips a message (at-least-once).
 * `K` and `V` are the types of keys and values: what the `keyDeserializer` / `valueDeserializer`
 * options return, the bytes without them.
 *
 * @example
 * ```ts
 * await using consumer = await AIOConsumer.connect(
 *   { 'bootstrap.servers': 'localhost:9092', 'group.id': 'billing' },
 *   { topics: ['orders'] },
 * );
 * await consumer.run({ concurrency: 20, handler: async (msg) => bill(msg.value) });
 * ```
 */
export class AIOConsumer<K = Buffer | null, V = Buffer | null>
  extends ClientBase
  implements AsyncIterable<ConsumerMessage<K, V>>
{
  readonly #native: NativeConsumer;
  readonly #options: ResolvedConsumerOptions;
  /** The consumer's mechanisms, wired together (engine.ts). */
  readonly #engine: ConsumerEngine;

  /** Use {@link AIOConsumer.connect}. */
  private constructor(native: NativeConsumer, options: ResolvedConsumerOptions) {
    super({ closeTimeoutMs: options.closeTimeoutMs, logger: options.logger, typeError: asAIOError, fatalSignals: new NativeFatalSignals() });
    this.#native = native;
    this.#options = options;
    this.#engine = new ConsumerEngine(native, options, {
      events: this.events,
      closing: () => this.closing,
      failed: (err, what) => this.#failed(err, what),
    });
    native.on('event.error', (err) => this.clientError(err));
    native.on('event.log', (log) => this.nativeLog(log));
    native.on('event.stats', (stats) => this.events.stats(stats));
  }

  /**
   * Creates a consumer, connects it and subscribes to `options.topics`: resolves once librdkafka
   * has fetched the cluster's metadata. Nothing is fetched until {@link AIOConsumer.run} or
   * iteration starts.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, `group.id`, …), copied, never
   *   changed. `enable.auto.commit` is forced off (the consumer commits finished messages itself)
   *   and `enable.auto.offset.store` defaults to off; `rebalance_cb` and `offset_commit_cb` are
   *   owned by the consumer.
   * @param options topics and how the wrapper polls, buffers and commits; see {@link AIOConsumerOptions}.
   * @throws {InvalidArgumentError} for a bad config or option.
   * @throws {OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`.
   * @throws {AIOKafkaError} when librdkafka refused to connect or subscribe.
   */
  static connect<K = Buffer | null, V = Buffer | null>(
    config: ConsumerConfig,
    options: AIOConsumerOptions<K, V>,
  ): Promise<AIOConsumer<K, V>> {
    return AIOConsumer.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factory replaceable: the seam unit tests use. */
  static connectWith<K = Buffer | null, V = Buffer | null>(
    config: LibrdkafkaConfig,
    options: AIOConsumerOptions<K, V>,
    internal: ConsumerInternalOptions,
  ): Promise<AIOConsumer<K, V>> {
    return consumerChannels.connect.trace(
      () => connectTrace(config, (config as Record<string, unknown> | null | undefined)?.['group.id']),
      () => AIOConsumer.#connectWith<K, V>(config, options, internal),
    );
  }

  static async #connectWith<K, V>(
    config: LibrdkafkaConfig,
    options: AIOConsumerOptions<K, V>,
    internal: ConsumerInternalOptions,
  ): Promise<AIOConsumer<K, V>> {
    const resolved = resolveConsumerOptions(options as AIOConsumerOptions<unknown, unknown>);
    let consumer: AIOConsumer<K, V> | undefined;
    // node-rdkafka calls this on the main thread, asynchronously; librdkafka holds the
    // rebalance until we assign or unassign.
    const rebalanceCb: NativeRebalanceCallback = (err, partitions) => {
      if (consumer !== undefined) consumer.#engine.rebalancer.onRebalance(err, partitions);
    };
    const resolvedConfig = { ...resolveConsumerConfig(config), rebalance_cb: rebalanceCb, offset_commit_cb: true };
    const native = (internal.createNative ?? nativeConsumerFactory(resolved.binding))(resolvedConfig);
    consumer = new AIOConsumer<K, V>(native, resolved);
    // Connected after connect() gave up: release what librdkafka opened.
    await consumer.openWith(() =>
      connectNative(native, resolved.connectTimeoutMs, () => native.disconnect(noop), bootstrapOf(resolvedConfig)),
    );
    await subscribe(native, resolved);
    return consumer;
  }

  /**
   * node-rdkafka's consumer lent to a transactional producer's `sendOffsets`, which reads the
   * group metadata from it on libuv's pool: the consumer does not disconnect until the lease is
   * released (disconnecting under the read would crash the process). Undefined once the consumer
   * is disconnecting.
   */
  [lendNative](): NativeLease | undefined {
    return this.#engine.rebalancer.disconnecting ? undefined : this.#engine.leases.lend(this.#native);
  }

  /** The partitions currently assigned to this member. */
  get assignment(): TopicPartition[] {
    return this.#engine.rebalancer.assignment;
  }

  /** Messages fetched and waiting to be handed to a handler (or to the loop body). */
  get buffered(): number {
    return this.#engine.consumption?.waiting ?? 0;
  }

  /** Handlers running now (the message an iteration handed out counts as one). */
  get inFlight(): number {
    return this.#engine.consumption?.running ?? 0;
  }

  /** Whether the assigned partitions are paused for backpressure (see {@link AIOConsumer.pausedPartitions} for yours). */
  get paused(): boolean {
    return this.#engine.pauses.backpressure;
  }

  /** The partitions paused with {@link AIOConsumer.pause} and not resumed yet, assigned or not (copies). */
  get pausedPartitions(): TopicPartition[] {
    return this.#engine.pauses.user;
  }

  /**
   * Pauses `partitions` until {@link AIOConsumer.resume}: nothing more is fetched from them, and
   * their messages already fetched stay in the buffer, not handed out (they keep their order and
   * hold their partition's commit point). Messages already handed out run to the end. A pause is
   * the user's, kept apart from backpressure: backpressure lifting never resumes a partition you
   * paused. It belongs to the topic-partition: a partition not assigned now (or revoked and given
   * back later) is paused as soon as it is assigned. Pausing a paused partition does nothing.
   *
   * @example
   * ```ts
   * consumer.pause([{ topic: 'orders', partition: 3 }]); // its downstream is down
   * // ... later
   * consumer.resume([{ topic: 'orders', partition: 3 }]);
   * ```
   * @throws {InvalidArgumentError} for a partition of a topic this consumer does not subscribe
   *   to, or a bad partition number; {@link ConsumerClosedError} after close; the librdkafka
   *   error (nothing paused) when it refused.
   */
  pause(partitions: TopicPartition[]): void {
    const list = this.#checkPartitions('pause', partitions);
    this.#engine.pauses.pauseUser(list);
  }

  /**
   * Resumes partitions paused with {@link AIOConsumer.pause}: their waiting messages are handed
   * out again and fetching goes on (unless backpressure holds every partition at the moment: then
   * when it lifts). Resuming a partition that is not paused does nothing.
   *
   * @throws {InvalidArgumentError} as {@link AIOConsumer.pause}; {@link ConsumerClosedError}
   *   after close; the librdkafka error (nothing resumed) when it refused.
   */
  resume(partitions: TopicPartition[]): void {
    const list = this.#checkPartitions('resume', partitions);
    this.#engine.pauses.resumeUser(list);
    this.#engine.consumption?.resumed();
  }

  /**
   * Moves the fetch position of an assigned partition: its next messages are read from `offset`.
   * Resolves once librdkafka has taken the new position.
   *
   * - Messages of the partition fetched and not yet handed out are dropped, and nothing fetched
   *   from the old position is handed out after the seek (the consume loop is held meanwhile).
   * - The partition's commit point starts over at `offset`: `offset` is what the next commit
   *   commits for it until messages from there finish; a restart resumes there. Seeking back
   *   replays, seeking forward skips, for good.
   * - A handler still running on a message of the partition (the caller itself, maybe) is not
   *   waited for and keeps running, but its outcome no longer counts for commits; with ordering
   *   by partition or key, messages from `offset` wait for it in its lane.
   * - Runs in line with rebalances: a revocation that came first makes the seek reject.
   *
   * An offset past the partition's end, or below its start, makes librdkafka apply
   * `auto.offset.reset`.
   *
   * @example
   * ```ts
   * await consumer.seek({ topic: 'orders', partition: 0 }, 1_000); // replay from offset 1000
   * ```
   * @throws (rejects) {@link InvalidArgumentError} for a bad partition or offset (a whole
   *   number >= 0); {@link InvalidStateError} when the partition is not assigned to this member;
   *   {@link ConsumerClosedError} after close; the librdkafka error or
   *   {@link OperationTimeoutError} when the seek failed (then nothing changed).
   */
  async seek(topicPartition: TopicPartition, offset: number): Promise<void> {
    const [tp] = this.#checkPartitions('seek', [topicPartition]);
    checkOffset('seek: offset', offset);
    await this.#engine.rebalancer.seek({ topic: tp!.topic, partition: tp!.partition, offset });
  }

  /**
   * How far behind each assigned partition is, measured now: the high watermark asked of the
   * partition's leader (`queryWatermarkOffsets`: fresh, also for a paused or idle partition,
   * unlike librdkafka's cached `getWatermarkOffsets`, which only moves while the partition is
   * fetched), minus this member's finished position (what the next commit would commit), or the
   * group's committed offset when this member has received nothing from it yet. One request per
   * partition and one to the coordinator, all at once: fine for metrics every few seconds.
   *
   * @example
   * ```ts
   * const total = (await consumer.lag()).reduce((sum, p) => sum + p.lag, 0);
   * ```
   * @throws (rejects) {@link ConsumerClosedError} after close; the librdkafka error or
   *   {@link OperationTimeoutError} when a request failed.
   */
  async lag(options: LagOptions = {}): Promise<PartitionLag[]> {
    if (this.closed) throw new ConsumerClosedError('lag: the consumer is closed');
    const timeoutMs = durationOption('lag timeoutMs', options?.timeoutMs, 10_000, { positive: true });
    return measureLag(this.#native, this.#engine.planner, this.assignment, timeoutMs);
  }

  /**
   * Whether the consumer is fit to serve, for readiness and liveness probes. Healthy means all
   * of: close() has not begun and node-rdkafka's client is connected; no fatal error came; a
   * consumption (`run()` or an iteration) is under way, so the consume loop polls; and a native
   * `consume()` returned within `maxPollAgeMs`. Synchronous and cheap: no broker request (use
   * {@link AIOConsumer.lag} for the broker's view).
   *
   * @example
   * ```ts
   * const { healthy, reason } = consumer.health();
   * if (!healthy) console.warn(`not ready: ${reason}`);
   * ```
   * @throws {InvalidArgumentError} for a bad `maxPollAgeMs`.
   */
  health(options: HealthOptions = {}): ConsumerHealth {
    return measureHealth(this.#native, this.#engine.loop, this.#options, options, { closed: this.closing, fatalError: this.fatalError });
  }


  /**
   * In a `for await` body: `message` (the one in hand) counts as processed now, so it is committed
   * even when the loop is left right after (`break`). Without it, a message counts as processed
   * only when the loop asks for the next one: `break` (like a throw) leaves it uncommitted.
   *
   * @example
   * ```ts
   * for await (const msg of consumer) {
   *   await handle(msg);
   *   consumer.markProcessed(msg);
   *   if (shuttingDown) break; // msg is committed
   * }
   * ```
   * @throws {InvalidStateError} in `run()` (a message is processed when its handler resolves), or
   *   for any message but the one the iteration handed out last.
   */
  markProcessed(message: ConsumerMessage<K, V>): void {
    if (this.#engine.consumption === undefined) throw new InvalidStateError('markProcessed: nothing is consuming');
    this.#engine.consumption.markProcessed(message);
  }

  /**
   * Runs `handler` on every message, up to `concurrency` at a time, in the order `orderBy` asks
   * for, while the consume loop keeps polling. Resolves when {@link AIOConsumer.close} ends it
   * (after the finished offsets were committed); rejects with the {@link HandlerError} that
   * stopped it (`onError: 'stop'`, the default), or with a fatal client error. Either way the
   * consumption is over: close the consumer (a new one resumes from the committed offsets). Once
   * it has ended the consumer no longer polls: until `close()`, the group's rebalances wait for
   * this member up to `max.poll.interval.ms`.
   *
   * @example
   * ```ts
   * await consumer.run({
   *   concurrency: 20,
   *   orderBy: 'key',
   *   onError: (err) => (err.cause instanceof SyntaxError ? 'skip' : 'stop'),
   *   handler: async (msg) => { await save(JSON.parse(msg.value!.toString())); },
   * });
   * ```
   * @throws (rejects) {@link InvalidArgumentError} for bad options, {@link InvalidStateError}
   *   when a run or iteration already took place, {@link ConsumerClosedError} after close.
   */
  run(options: BatchRunOptions<K, V>): Promise<void>;
  run(options: MessageRunOptions<K, V>): Promise<void>;
  run(options: RunOptions<K, V>): Promise<void>;
  run(options: RunOptions<K, V>): Promise<void> {
    try {
      return this.#begin('run', resolveRunOptions(options as RunOptions<unknown, unknown>)).done;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Hands out messages one at a time to `for await`. A message counts as processed when the loop
   * asks for the next one; leaving the loop (`break`, `return`, a throw) ends the consumption and
   * leaves the message in hand uncommitted (it is delivered again after a restart), while the
   * ones before it are committed: `return()` cannot tell a `break` after the work from one before
   * it or from a throw. Call {@link AIOConsumer.markProcessed} when the body has handled it. `close()` ends the loop too. A fatal client error makes the
   * waiting (and every later) `next()` reject with it, so the loop throws. Calls to `next()` that
   * overlap are served one after another, in call order; each one finishes the message the
   * previous one handed out.
   *
   * A second iteration (or one after `run()`) rejects its first `next()` with
   * {@link InvalidStateError}; one after close with {@link ConsumerClosedError}.
   *
   * After the loop is left the consumer no longer polls: until `close()`, the group's rebalances
   * wait for this member up to `max.poll.interval.ms`. Close it promptly.
   *
   * @example
   * ```ts
   * for await (const msg of consumer) {
   *   await handle(msg);
   *   if (shuttingDown) break;
   * }
   * await consumer.close();
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    let consumption: Consumption;
    try {
      consumption = this.#begin('iteration', undefined);
    } catch (err) {
      return {
        next: () => Promise.reject(err),
        return: () => Promise.resolve({ done: true, value: undefined }),
        throw: (thrown?: unknown) => Promise.reject(thrown),
      };
    }
    return consumption.iterator() as AsyncIterator<ConsumerMessage<K, V>>;
  }

  /**
   * Commits the finished offsets now (they are also committed every `commitIntervalMs`, on
   * revocation, when a consumption ends and on close).
   *
   * @throws (rejects) the commit's error ({@link AIOKafkaError}), {@link OperationTimeoutError}
   *   when the coordinator did not answer in time (a refusal such as `ERR_REBALANCE_IN_PROGRESS`
   *   has `retriable: true`), {@link InvalidStateError} when nothing consumes (an answer comes
   *   only while `run()` or an iteration polls), {@link ConsumerClosedError} after close or a fatal
   *   error (its `cause`).
   */
  async commit(): Promise<void> {
    if (this.#engine.rebalancer.disconnecting) throw new ConsumerClosedError('commit: the consumer is closed');
    // A fatally failed librdkafka commits nothing; the consumer counts as closed (docs/consumer.md).
    const fatal = this.fatalError;
    if (fatal !== undefined) throw new ConsumerClosedError(`commit: the consumer is closed (${fatal.message})`, { cause: fatal });
    if (!this.#engine.loop.polling) {
      throw new InvalidStateError('commit: nothing is consuming; commits are answered while run() or an iteration polls');
    }
    const err = await this.#engine.committer.commit(this.#engine.planner.plan(), 'commit');
    if (err !== undefined) throw err;
  }

  /**
   * Closes the consumer by `timeoutMs`, one deadline for all of it: no message is started any
   * more; running handlers get the time up to the deadline; the finished offsets are committed
   * (a message still running stays uncommitted and is delivered again to the next owner of its
   * partition), a running `run()` resolves, a waiting iteration ends, and the client leaves the
   * group and disconnects. At the deadline what still waits is answered ({@link ConsumerClosedError})
   * and the disconnect follows the native work still running, in the background.
   * `timeoutMs: Infinity` waits for every running handler. Nothing in close blocks the event
   * loop. Idempotent: every call returns the same Promise. Afterwards nothing of the consumer
   * keeps the process alive.
   */
  override close(options: ConsumerCloseOptions = {}): Promise<void> {
    return super.close(options);
  }

  protected closeClient(timeoutMs: number): Promise<void> {
    return consumerChannels.close.trace(() => ({ timeoutMs }), () => this.#engine.shutdown.close(timeoutMs));
  }

  /** Starts the one consumption of this consumer, and the loop that feeds it. */
  #begin(what: 'run' | 'iteration', run: ReturnType<typeof resolveRunOptions> | undefined): Consumption {
    if (this.closed) throw new ConsumerClosedError(`${what}: the consumer is closed`);
    return this.#engine.begin(what, run);
  }

  /** Checks a list of partitions of a pause, resume or seek (copies), refused once closed. */
  #checkPartitions(what: string, partitions: unknown): TopicPartition[] {
    if (this.closed) throw new ConsumerClosedError(`${what}: the consumer is closed`);
    return checkPartitions(what, partitions, this.#options.topics);
  }

  /** A failed consume call: reported; a fatal one stops the consumer. */
  #failed(err: unknown, what: string): void {
    if (err instanceof AIOKafkaError && err.fatal) this.enterFatal(err);
    else this.events.error(err, what);
  }

  /** A fatal librdkafka error: the consumption ends with it (run() rejects, the iteration throws). */
  protected onFatal(err: AIOKafkaError): void {
    if (this.#engine.consumption !== undefined) void this.#engine.consumption.end(err);
  }
}
