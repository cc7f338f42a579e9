import pDefer from 'p-defer';
import { ClientBase } from '../core/client';
import { abortedError, onAbort, signalOption } from '../core/abort';
import { AIOKafkaError, DeliveryError, InvalidArgumentError, InvalidStateError, ProducerClosedError, SerializationError } from '../core/errors';
import type { SerializerOptions, Wire } from '../core/serde';
import { disconnectNative } from '../core/lifecycle';
import { connectNative } from '../native/connect';
import { noop } from '../core/noop';
import { connectTrace } from '../core/tracing';
import { callTimeoutMs, checkOptionsObject, describe } from '../core/validation';
import { bootstrapOf, type LibrdkafkaConfig, type ProducerConfig } from '../native/config';
import { asAIOError, fromLibrdkafka, nativeCodeName } from '../native/errors';
import {
  createNativeProducer,
  hasTransactions,
  type NativeDeliveryReport,
  type NativeProducer,
} from '../native/producer';
import { toDeliveryReport, type DeliveryReport } from './delivery-report';
import { AdmissionQueue, queueFullError, type Send, type Waiting } from './admission';
import { BatchResults, type BatchMessage, type BatchResult } from './batch';
import { DeliveryDeadlines } from './delivery-deadlines';
import {
  closedDeliveryError,
  deliveryAccepted,
  fatalDeliveryError,
  newDelivery,
  partitionOf,
  settleDelivery,
  settleDeliveryLater,
  type Delivery,
  type Enqueued,
} from './delivery';
import type { AIOProducerEvents } from './events';
import { LateDeliveries, deliveryTimeoutError } from './late-deliveries';
import {
  resolveConfig,
  resolveOptions,
  type AIOProducerOptions,
  type ProduceBatchOptions,
  type CloseOptions,
  type FlushOptions,
  type InternalOptions,
  type Produce2Options,
  type ProduceOptions,
  type ResolvedOptions,
} from './options';
import { emptyNativeMessage, toNativeMessage, type NativeMessage } from './outgoing-message';
import { FlushWaiters } from './flush-waiters';
import { PendingRegistry } from './pending';
import { PollLoop } from './poll-loop';
import { Serialization } from './serialize';
import type { Transaction } from './transaction';
import { Transactions } from './transactions';
import { createWithBackgroundPoll } from '../native/background-poll';
import { NativeFatalSignals, probeFatal } from '../native/fatal';
import { headersToPropagate, produceTrace, producerChannels, withTraceHeaders } from './tracing';

/** Busy poll period without the background poll: each report waits for the next tick. */
const TIMER_ONLY_POLL_MS = 1;
/** Busy poll period with the background poll: a safety net for deadlines and a full queue's retries. */
const BACKGROUND_SAFETY_POLL_MS = 10;
/** What a plain `produce` on a transactional producer, outside a transaction, is told to do. */
const OUTSIDE_TRANSACTION =
  'this producer is transactional: produce in a transaction, with tx.produce() on the transaction `await producer.transaction()` begins';

/* Typed listeners: the EventEmitter methods, narrowed to AIOProducerEvents. */
export interface AIOProducer<K = Buffer | string | null, V = Buffer | string | null> {
  on<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  once<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  off<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  addListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  removeListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  emit<E extends keyof AIOProducerEvents>(event: E, ...args: Parameters<AIOProducerEvents[E]>): boolean;
}

const enum State {
  Open,
  Closing,
  Closed,
}

/**
 * An async/await Kafka producer over node-rdkafka. One instance serves any number of concurrent
 * callers; create it with {@link AIOProducer.connect} and close it with {@link AIOProducer.close}
 * (or `await using`).
 *
 * @example
 * ```ts
 * await using producer = await AIOProducer.connect({ 'bootstrap.servers': 'localhost:9092' });
 * const { partition, offset } = await producer.produce('items', 'hello', { key: 'k1' });
 * ```
 */
export class AIOProducer<K = Buffer | string | null, V = Buffer | string | null> extends ClientBase {
  readonly #native: NativeProducer;
  readonly #options: ResolvedOptions;
  readonly #pending = new PendingRegistry<Delivery>();
  readonly #waiting: AdmissionQueue;
  readonly #loop: PollLoop;
  readonly #flushWaiters = new FlushWaiters(() => this.inFlight);
  /**
   * The message being sent, reused call after call: it is read synchronously by node-rdkafka
   * (which copies what it keeps) and copied when the message has to wait for room.
   */
  readonly #outgoing = emptyNativeMessage();
  readonly #deadlines: DeliveryDeadlines | undefined;
  /** Ids below this one passed their deadline at the last tick: failed at the next, if still pending. */
  #expireBelow = 0;
  /** Messages failed by deliveryTimeoutMs whose report has not come yet. */
  readonly #late: LateDeliveries;
  #state = State.Open;
  /** close() stopped waiting: nothing more is sent, even what was accepted before it began. */
  #gaveUp = false;
  /** Whether librdkafka's background poll thread serves the reports (native/poller.c). */
  #backgroundPoll = false;
  readonly #serialization: Serialization<K, V, Delivery>;
  /** Present when the config has `transactional.id`. */
  readonly #transactions: Transactions | undefined;

  /** Use {@link AIOProducer.connect}. */
  private constructor(native: NativeProducer, options: ResolvedOptions, serialization: Serialization<K, V, Delivery>, transactional = false) {
    super({
      closeTimeoutMs: options.closeTimeoutMs,
      logger: options.logger,
      typeError: asAIOError,
      fatalSignals: new NativeFatalSignals(() => probeFatal(native)),
    });
    if (transactional && hasTransactions(native)) {
      this.#transactions = new Transactions({
        native,
        produce: (topic, value, produceOptions) => this.produce(topic, value as V, produceOptions as ProduceOptions<K> | undefined),
        // One fatal state: a transactional call's fatal answer stops the producer, and a fatal producer fails its transactions.
        fatal: () => this.fatalError,
        enterFatal: (err) => this.enterFatal(err),
      });
    }
    this.#native = native;
    this.#options = options;
    this.#serialization = serialization;
    this.#late = new LateDeliveries(this, this.events);
    this.#waiting = new AdmissionQueue(options.enqueueTimeoutMs);
    this.#deadlines = options.deliveryTimeoutMs === Infinity ? undefined : new DeliveryDeadlines(options.deliveryTimeoutMs);
    this.#loop = new PollLoop(
      { tick: this.#tick, isBusy: () => this.inFlight > 0, onError: (err) => this.events.error(err, 'poll failed') },
      { busyMs: options.pollIntervalMs ?? TIMER_ONLY_POLL_MS, idleMs: options.idlePollIntervalMs },
    );
    native.on('delivery-report', this.#onDeliveryReport);
    native.on('event.error', (err) => this.clientError(err));
    native.on('event.stats', (stats) => this.events.stats(stats));
    native.on('event.log', (log) => this.nativeLog(log));
  }

  /**
   * Creates a producer and connects it: resolves once librdkafka has fetched the cluster's
   * metadata.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, `linger.ms`, …), copied, never
   *   changed. Delivery reports are forced on; `enable.idempotence` defaults to `true` and
   *   `partitioner` to `murmur2_random` (Java-compatible key placement) unless set here. With the
   *   idempotence default, a property it forbids (`acks: 1`, ...) is refused, saying so.
   * @param options how the wrapper polls and waits, and the key and value serializers; see
   *   {@link AIOProducerOptions} and {@link SerializerOptions}. `K` and `V`, the types `produce`
   *   takes as key and value, follow from the serializers.
   * @throws {InvalidArgumentError} for a bad config or option.
   * @throws {OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`.
   * @throws {AIOKafkaError} when librdkafka refused to connect.
   * @example
   * ```ts
   * const events = await AIOProducer.connect<string, { id: number }>(
   *   { 'bootstrap.servers': brokers },
   *   { keySerializer: serializers.string, valueSerializer: serializers.json },
   * );
   * await events.produce('events', { id: 1 }, { key: 'user-1' });
   * ```
   */
  static connect<K = Buffer | string | null, V = Buffer | string | null>(
    config: ProducerConfig,
    options: AIOProducerOptions & SerializerOptions<K, V> = {},
  ): Promise<AIOProducer<K, V>> {
    return AIOProducer.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factory replaceable: the seam unit tests use. */
  static connectWith<K = Buffer | string | null, V = Buffer | string | null>(
    config: LibrdkafkaConfig,
    options: AIOProducerOptions & SerializerOptions<K, V>,
    internal: InternalOptions,
  ): Promise<AIOProducer<K, V>> {
    return producerChannels.connect.trace(
      () => connectTrace(config, undefined),
      () => AIOProducer.#connectWith<K, V>(config, options, internal),
    );
  }

  static async #connectWith<K, V>(
    config: LibrdkafkaConfig,
    options: AIOProducerOptions & SerializerOptions<K, V>,
    internal: InternalOptions,
  ): Promise<AIOProducer<K, V>> {
    const resolvedConfig = resolveConfig(config);
    const { keySerializer, valueSerializer, ...producerOptions } = options ?? {};
    const resolved = resolveOptions(producerOptions, resolvedConfig);
    const serialization = new Serialization<K, V, Delivery>(keySerializer, valueSerializer);
    const factory = internal.createNative ?? createNativeProducer;
    // The background poll needs librdkafka itself: never with a unit test's fake.
    const wantsBackground = resolved.backgroundPoll && internal.createNative === undefined;
    const { native, backgroundPoll } = createWithBackgroundPoll(factory, resolvedConfig, wantsBackground);
    const transactional = typeof resolvedConfig['transactional.id'] === 'string' && resolvedConfig['transactional.id'] !== '';
    const producer = new AIOProducer<K, V>(native, resolved, serialization, transactional);
    // Connected after connect() gave up: release what librdkafka opened.
    await producer.connectWith(() =>
      connectNative(native, resolved.connectTimeoutMs, () => native.disconnect(0, noop), bootstrapOf(resolvedConfig)),
    );
    producer.#backgroundPoll = backgroundPoll;
    if (backgroundPoll) producer.#loop.setBusyMs(resolved.pollIntervalMs ?? BACKGROUND_SAFETY_POLL_MS);
    else if (wantsBackground) producer.events.debug('background poll plugin not built here: polling on the timer alone');
    producer.#loop.start();
    if (producer.#transactions !== undefined) {
      try {
        await producer.#transactions.init(resolved.connectTimeoutMs);
      } catch (err) {
        await producer.close({ timeoutMs: 0 });
        throw err;
      }
    }
    return producer;
  }

  /**
   * Whether a librdkafka thread serves this producer's delivery reports as they arrive
   * ({@link AIOProducerOptions.backgroundPoll}); false: it polls on its timer alone.
   */
  get backgroundPoll(): boolean {
    return this.#backgroundPoll;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#pending.size + this.#waiting.length + this.#serialization.active;
  }

  /**
   * Produces one message and resolves when the broker acknowledged it.
   *
   * @param topic a legal Kafka topic name.
   * @param value the message value: a Buffer, a string (sent as UTF-8) or null, or whatever the
   *   `valueSerializer` takes.
   * @param options key, partition, headers, timestamp, signal.
   * @returns the {@link DeliveryReport}: topic, partition, offset, timestamp.
   * @throws (rejects) {@link InvalidArgumentError} for bad input (nothing sent),
   *   {@link SerializationError} when a serializer failed (nothing sent),
   *   {@link QueueFullError} when the local queue stayed full for `enqueueTimeoutMs`,
   *   {@link DeliveryError} when delivery failed or timed out (`deliveryTimeoutMs`), or with
   *   `fatal: true` once a fatal error stopped the producer; {@link AbortedError} when `signal`
   *   aborted; {@link ProducerClosedError} after `close()`.
   */
  produce(topic: string, value: V, options?: ProduceOptions<K>): Promise<DeliveryReport> {
    const deferred = pDefer<DeliveryReport>();
    this.#accept(newDelivery(String(topic), partitionOf(options), { deferred }), topic, value, options, false);
    return deferred.promise;
  }

  /**
   * Produces one message and reports its outcome out of band, to `onDelivery` (called exactly
   * once) or, without one, to the `deliveryError` event. The returned Promise may be awaited or
   * ignored: it never causes an `unhandledRejection`.
   *
   * With `fireAndForget: true` nothing is returned and no Promise is allocated; bad input, a
   * closed producer and a full local queue throw synchronously instead (with an asynchronous
   * serializer, a serializer failure goes to `onDelivery` / `deliveryError`).
   *
   * @example
   * ```ts
   * producer.produce2('clicks', payload, {
   *   fireAndForget: true,
   *   onDelivery: (err) => { if (err) metrics.increment('kafka.lost', { code: err.code }); },
   * });
   * ```
   */
  produce2(topic: string, value: V, options: Produce2Options<K> & { fireAndForget: true }): void;
  produce2(topic: string, value: V, options?: Produce2Options<K> & { fireAndForget?: false }): Promise<DeliveryReport>;
  produce2(topic: string, value: V, options?: Produce2Options<K>): Promise<DeliveryReport> | void;
  produce2(topic: string, value: V, options?: Produce2Options<K>): Promise<DeliveryReport> | void {
    const onDelivery = options?.onDelivery;
    const badCallback = onDelivery !== undefined && typeof onDelivery !== 'function';
    if (options?.fireAndForget === true) {
      if (badCallback) throw new InvalidArgumentError('onDelivery must be a function');
      const delivery = newDelivery(String(topic), partitionOf(options), { onDelivery, outOfBand: true });
      const err = this.#accept(delivery, topic, value, options, true);
      if (err !== undefined) throw err;
      return;
    }
    const deferred = pDefer<DeliveryReport>();
    // Out of band: the failure has been (or will be) reported to onDelivery / deliveryError.
    deferred.promise.catch(noop);
    if (badCallback) deferred.reject(new InvalidArgumentError('onDelivery must be a function'));
    else this.#accept(newDelivery(String(topic), partitionOf(options), { deferred, onDelivery, outOfBand: true }), topic, value, options, false);
    return deferred.promise;
  }

  /**
   * Two-phase produce: resolves as soon as librdkafka took the message (after waiting for room
   * when its queue is full: that wait is the backpressure), with `delivered`, which settles
   * when the broker acknowledged it, as `produce()` would. A caller can pace itself on the first
   * and collect outcomes from the second. `delivered` never causes an `unhandledRejection` when
   * left alone.
   *
   * @throws (rejects) what `produce()` rejects with before sending: bad input, a serializer
   *   failure, a full queue past `enqueueTimeoutMs`, an abort, a closed or failed producer.
   * @example
   * ```ts
   * const outcomes: Array<Promise<unknown>> = [];
   * for (const line of ['a', 'b', 'c']) {
   *   const { delivered } = await producer.enqueue('lines', line); // waits only for room
   *   outcomes.push(delivered);
   * }
   * await Promise.all(outcomes);
   * ```
   */
  enqueue(topic: string, value: V, options?: ProduceOptions<K>): Promise<Enqueued> {
    const deferred = pDefer<DeliveryReport>();
    deferred.promise.catch(noop);
    const acceptance = pDefer<Enqueued>();
    this.#accept(newDelivery(String(topic), partitionOf(options), { deferred, acceptance }), topic, value, options, false);
    return acceptance.promise;
  }

  /**
   * Produces many messages with one call and one Promise, which resolves, once every message has
   * settled, with one {@link BatchResult} per message in the batch's order (the shape of
   * `Promise.allSettled`: a report or a typed error each, never one failure for all). Messages are
   * admitted in order under the same backpressure rules as `produce()`; a bad message fails
   * alone. The returned Promise never rejects, except for a batch that is not an array or bad
   * options.
   *
   * @example
   * ```ts
   * const results = await producer.produceBatch([
   *   { topic: 'items', value: 'a', key: 'k1' },
   *   { topic: 'audit', value: 'b', headers: { source: 'web' } },
   * ]);
   * const failed = results.filter((r) => r.status === 'rejected');
   * ```
   */
  produceBatch(messages: ReadonlyArray<BatchMessage<K, V>>, options?: ProduceBatchOptions): Promise<BatchResult[]> {
    return producerChannels.produceBatch.trace(
      () => ({ size: Array.isArray(messages) ? messages.length : 0 }),
      () => this.#produceBatch(messages, options),
    );
  }

  #produceBatch(messages: ReadonlyArray<BatchMessage<K, V>>, options: ProduceBatchOptions | undefined): Promise<BatchResult[]> {
    let signal: AbortSignal | undefined;
    try {
      if (!Array.isArray(messages)) throw new InvalidArgumentError(`produceBatch takes an array of messages, got ${describe(messages)}`);
      if (options !== undefined) checkOptionsObject(options, ' (produceBatch)');
      signal = signalOption('produceBatch', options?.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    const batch = new BatchResults(messages.length);
    const deliveries: Delivery[] | undefined = signal === undefined ? undefined : [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as BatchMessage<K, V> | null | undefined;
      if (typeof message !== 'object' || message === null) {
        batch.settle(i, new InvalidArgumentError(`message ${i} of the batch must be an object, got ${describe(message)}`), undefined);
        continue;
      }
      const delivery = newDelivery(String(message.topic), partitionOf(message), { batch, index: i });
      deliveries?.push(delivery);
      this.#accept(delivery, message.topic, message.value, message, false, signal, false);
    }
    if (signal !== undefined) {
      // One listener for the whole batch, not one per message.
      const stop = onAbort(signal, () => {
        for (const delivery of deliveries!) this.#abort(delivery, signal!);
      });
      batch.promise.then(stop, stop);
    }
    return batch.promise;
  }

  /**
   * Begins a Kafka transaction (the config must have `transactional.id`; `connect()` then
   * initialised transactions). Messages produced with `tx.produce` and offsets sent with
   * `tx.sendOffsets` become visible to `read_committed` consumers together on `tx.commit()`, or
   * never; leaving an `await using` scope without a commit aborts. One transaction at a time: a
   * second call while one is open is refused, not queued. See {@link Transaction}.
   *
   * @example
   * ```ts
   * await using tx = await producer.transaction();
   * await tx.produce('audit', JSON.stringify(event));
   * await tx.commit();
   * ```
   * @throws (rejects) {@link InvalidStateError} when the producer has no `transactional.id` or a
   *   transaction is already open; {@link TransactionError} when librdkafka refused to begin
   *   (`fatal` once the producer was fenced); {@link ProducerClosedError} after `close()`.
   */
  transaction(): Promise<Transaction<K, V>> {
    if (this.#transactions === undefined) {
      return Promise.reject(
        new InvalidStateError('transaction: this producer has no "transactional.id" in its config; set one to use transactions'),
      );
    }
    return this.#transactions.begin() as Promise<Transaction<K, V>>;
  }

  /**
   * Resolves when every message in flight has settled (delivered or failed).
   *
   * @param timeoutMs give up after this long. @default no limit: every message is itself bounded
   *   by `enqueueTimeoutMs` + `deliveryTimeoutMs` (unless `deliveryTimeoutMs` is `Infinity`)
   * @throws (rejects) {@link OperationTimeoutError} when messages are still in flight at the limit;
   *   {@link AbortedError} when `signal` aborted first.
   */
  flush(timeoutMs?: number): Promise<void>;
  flush(options?: FlushOptions): Promise<void>;
  flush(arg?: number | FlushOptions): Promise<void> {
    let limit: number;
    let signal: AbortSignal | undefined;
    try {
      const options = typeof arg === 'object' && arg !== null ? arg : { timeoutMs: arg };
      limit = callTimeoutMs('flush', options.timeoutMs, Infinity);
      signal = signalOption('flush', options.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal === undefined) return this.#flushWaiters.wait(limit);
    if (signal.aborted) return Promise.reject(abortedError('flush', signal, false));
    return this.#flushWaiters.wait(limit, signal);
  }

  /**
   * Closes the producer: later calls reject with {@link ProducerClosedError}; pending deliveries
   * (and messages still in an asynchronous serializer) get up to `timeoutMs` to settle, then
   * whatever is left rejects with `ProducerClosedError`: `possiblyDelivered: true` when librdkafka
   * had it (it may or may not have been delivered), `false` when it was still waiting for room or
   * in a serializer (never sent, whatever the serializer returns later); the poll timer stops and
   * the client disconnects. Every call has settled when the Promise resolves. Idempotent: every
   * call returns the same Promise. Afterwards nothing of the producer keeps the process alive.
   */
  override close(options: CloseOptions = {}): Promise<void> {
    return super.close(options);
  }

  protected closeClient(timeoutMs: number): Promise<void> {
    this.#state = State.Closing;
    return producerChannels.close.trace(() => ({ timeoutMs }), () => this.#close(timeoutMs));
  }

  async #close(timeoutMs: number): Promise<void> {
    const started = performance.now();
    // An open transaction is aborted, within the same limit.
    await this.#transactions?.close(timeoutMs);
    try {
      await this.flush(Math.max(0, timeoutMs - (performance.now() - started)));
    } catch {
      // Timed out: what is still pending is rejected below.
    }
    this.#gaveUp = true;
    this.#failAll(
      (delivery) => closedDeliveryError(delivery, 'sent'),
      (waiting) => closedDeliveryError(waiting.delivery, 'waiting'),
      false,
    );
    // Still in a serializer (or queued behind one): never sent; what it returns later is dropped.
    for (const delivery of this.#serialization.abandon()) this.#refuse(delivery, closedDeliveryError(delivery, 'serializing'), false);
    this.#loop.stop();
    this.#late.clear();
    // A transactional call close gave up on still holds librdkafka's client, which node-rdkafka's
    // disconnect would delete under it: the disconnect waits for it, in the background.
    const running = this.#transactions?.running();
    if (running === undefined) await this.#disconnect();
    else void running.then(() => this.#disconnect());
    this.#state = State.Closed;
  }

  async #disconnect(): Promise<void> {
    // Our own flush already waited; librdkafka's is given no more time.
    const err = await disconnectNative((cb) => this.#native.disconnect(0, cb));
    if (err !== undefined) this.events.error(err, 'disconnect failed');
    this.events.close();
  }

  /**
   * Takes one message in: checks, serializes, then sends or queues it. Every outcome goes to
   * `delivery`; with `sync` (fire-and-forget) a refusal found during the call is returned instead,
   * for the caller to throw. `watch`: listen to `signal` for this message alone (a batch listens
   * once for all).
   */
  #accept(
    delivery: Delivery,
    topic: unknown,
    value: V,
    options: ProduceOptions<K> | undefined,
    sync: boolean,
    signal: AbortSignal | undefined = options?.signal,
    watch = true,
  ): AIOKafkaError | undefined {
    // Tracing and propagation cost one check each when unused: nothing is allocated for them.
    const traced = producerChannels.produce.active;
    if (traced) producerChannels.produce.start((delivery.trace = produceTrace(topic, delivery.partition, value, options)));
    if (this.#options.propagateTraceContext) delivery.traceHeaders = headersToPropagate(delivery.trace?.traceContext);
    if (!traced) return this.#take(delivery, topic, value, options, sync, signal, watch);
    const trace = delivery.trace!;
    let thrown: AIOKafkaError | undefined;
    try {
      thrown = this.#take(delivery, topic, value, options, sync, signal, watch);
    } finally {
      producerChannels.produce.end(trace);
    }
    // Refused to a fire-and-forget caller (it throws): that is the message's outcome.
    if (thrown !== undefined) producerChannels.produce.settle(trace, thrown);
    return thrown;
  }

  /** {@link #accept} past tracing. */
  #take(
    delivery: Delivery,
    topic: unknown,
    value: V,
    options: ProduceOptions<K> | undefined,
    sync: boolean,
    signal: AbortSignal | undefined,
    watch: boolean,
  ): AIOKafkaError | undefined {
    try {
      this.#assertOpen(topic);
      if (watch) signal = signalOption('produce', signal);
      if (signal?.aborted) throw abortedError(`message for topic "${delivery.topic}"`, signal, false);
    } catch (err) {
      return this.#refuse(delivery, asAIOError(err, 'produce refused'), sync);
    }
    if (signal !== undefined && watch) delivery.unwatch = onAbort(signal, () => this.#abort(delivery, signal));
    if (this.#serialization.none) return this.#dispatch(delivery, topic, value as Wire, options?.key as Wire | undefined, options, sync);
    const key = options?.key;
    const failed = this.#serialization.run(
      delivery.topic,
      value,
      key,
      key !== undefined,
      delivery,
      // Inline (the serializers answered at once, nothing queued before): still the caller's call.
      (wireValue, wireKey, inline) => this.#dispatch(delivery, topic, wireValue, wireKey, options, inline && sync),
      (err) => void this.#refuse(delivery, err, false),
    );
    // A serializer's own failure is still to be refused; anything else came back from #dispatch.
    return failed instanceof SerializationError ? this.#refuse(delivery, failed, sync) : failed;
  }

  /** Sends a message whose key and value are bytes now, or queues it behind those waiting for room. */
  #dispatch(
    delivery: Delivery,
    topic: unknown,
    value: Wire,
    key: Wire | undefined,
    options: ProduceOptions<K> | undefined,
    sync: boolean,
  ): AIOKafkaError | undefined {
    if (delivery.decided) {
      // Aborted while its serializer ran: settled already; a flush may have waited for it.
      this.#notifyIfIdle();
      return undefined;
    }
    let message: NativeMessage;
    try {
      // Accepted before close() began: it still gets close's time, unless close gave up already.
      if (this.#state === State.Closing && !this.#gaveUp) this.#assertNotFatal(topic);
      else this.#assertOpen(topic);
      const wireOptions = key === options?.key ? (options as ProduceOptions | undefined) : { ...options, key };
      message = toNativeMessage(topic as string, value, wireOptions, this.#outgoing);
      if (delivery.traceHeaders !== undefined) message.headers = withTraceHeaders(message.headers, delivery.traceHeaders);
    } catch (err) {
      return this.#refuse(delivery, asAIOError(err, 'produce refused'), sync);
    }
    if (this.#waiting.length > 0) {
      // Others already wait for room: queue behind them so that call order is send order.
      if (sync) return this.#refuse(delivery, queueFullError(delivery, this.#waiting.length), true);
      this.#wait(delivery, message);
      return undefined;
    }
    const err = this.#send(delivery, message);
    if (err === 'full') {
      if (sync) return this.#refuse(delivery, queueFullError(delivery, 0), true);
      this.#wait(delivery, message);
    } else if (err !== undefined) return this.#refuse(delivery, err, sync);
    return undefined;
  }

  /** A message refused before librdkafka took it: returned to a synchronous caller, else settled. */
  #refuse(delivery: Delivery, err: AIOKafkaError, sync: boolean): AIOKafkaError | undefined {
    if (sync) {
      delivery.unwatch?.();
      return err;
    }
    if (delivery.decided) {
      // Aborted while its serializer ran: it has its outcome; a flush may have waited for it.
      this.#notifyIfIdle();
      return undefined;
    }
    delivery.decided = true;
    settleDeliveryLater(delivery, err, this.events);
    if (this.#serialization.active === 0) queueMicrotask(() => this.#notifyIfIdle());
    return undefined;
  }

  /**
   * `signal` aborted: a message librdkafka has not taken is dropped (not sent); one it has is
   * settled now as possibly delivered, and its report, when it comes, is emitted as lateDelivery.
   * Settled in a microtask: not inside the caller's `abort()`.
   */
  #abort(delivery: Delivery, signal: AbortSignal): void {
    if (delivery.decided) return;
    const sent = delivery.id >= 0;
    if (sent) {
      if (this.#pending.take(delivery.id) === undefined) return; // its report is being settled
      this.#late.remember(delivery.id, delivery);
    } else {
      // Waiting for room (dropped from the wait), or being serialized (dropped when it is done).
      this.#waiting.cancel(delivery);
    }
    delivery.decided = true;
    const err = abortedError(`message for topic "${delivery.topic}"`, signal, sent);
    queueMicrotask(() => {
      this.#settle(delivery, err, undefined);
      this.#notifyIfIdle();
    });
  }

  #assertNotFatal(topic: unknown): void {
    const fatal = this.fatalError;
    if (fatal !== undefined) throw fatalDeliveryError(fatal, { topic: String(topic), partition: -1 }, false);
  }

  #assertOpen(topic: unknown): void {
    this.#assertNotFatal(topic);
    if (this.#state !== State.Open) {
      throw new ProducerClosedError(`producer is closed; message for topic "${String(topic)}" not sent`, {
        possiblyDelivered: false,
      });
    }
  }

  /**
   * Hands one message to librdkafka. Returns undefined when it was taken, `'full'` when the local
   * queue is full, or the error for any other refusal (nothing registered in either case).
   */
  readonly #send: Send = (delivery, message) => {
    const id = this.#pending.add(delivery);
    delivery.id = id;
    try {
      this.#native.produce(
        message.topic,
        message.partition,
        message.value,
        message.key,
        message.timestamp,
        id,
        message.headers,
      );
    } catch (err) {
      this.#pending.take(id);
      delivery.id = -1;
      const code = nativeCodeName(err);
      if (code === 'ERR__QUEUE_FULL') return 'full';
      // librdkafka refuses a message outside a transaction on a transactional producer (ERR__STATE).
      const hint = code === 'ERR__STATE' && this.#transactions !== undefined && !this.#transactions.open ? OUTSIDE_TRANSACTION : undefined;
      const typed = fromLibrdkafka(err, { kind: 'produce', target: delivery, hint });
      if (typed.fatal) this.enterFatal(typed);
      return typed;
    }
    this.#loop.wake();
    if (delivery.acceptance !== undefined) deliveryAccepted(delivery);
    return undefined;
  };

  #wait(delivery: Delivery, message: NativeMessage): void {
    this.#waiting.hold(delivery, message);
    this.#loop.wake();
  }

  readonly #tick = (): void => {
    if (this.#state === State.Closed) return;
    if (this.#waiting.length > 0) this.#waiting.admit(this.#send, (delivery, err) => this.#settle(delivery, err, undefined));
    // node-rdkafka hands the reports a poll() serves to JavaScript later (through uv_async), so
    // right after poll() a report may still be on its way. A message found past its deadline is
    // therefore failed at the next tick, once every report librdkafka held at this one has come.
    if (this.#expireBelow > 0) {
      for (const [id, delivery] of this.#pending.takeBelow(this.#expireBelow)) {
        this.#late.remember(id, delivery);
        this.#settle(delivery, deliveryTimeoutError(delivery, this.#options.deliveryTimeoutMs), undefined);
      }
      this.#expireBelow = 0;
    }
    // With the background poll its thread alone serves librdkafka's queue: two threads serving it
    // at once could hand one partition's reports to JavaScript out of order.
    if (!this.#backgroundPoll) this.#native.poll();
    if (this.#deadlines !== undefined) this.#expireBelow = this.#deadlines.expiredBelow(this.#pending.nextId, performance.now());
    this.#notifyIfIdle();
  };

  readonly #onDeliveryReport = (err: Error | null, report: NativeDeliveryReport): void => {
    const id = report?.opaque;
    if (typeof id !== 'number') return; // not ours
    const delivery = this.#pending.take(id);
    if (delivery === undefined) {
      // Failed already by deliveryTimeoutMs (report it as late), or by close / a fatal error.
      if (this.#late.size > 0) this.#late.report(id, err, report);
      return;
    }
    if (err) {
      const typed = fromLibrdkafka(err, {
        kind: 'delivery',
        target: { topic: report.topic ?? delivery.topic, partition: report.partition ?? delivery.partition },
      });
      this.#settle(delivery, typed, undefined);
      if (typed.fatal) this.enterFatal(typed);
    } else {
      this.#settle(delivery, null, toDeliveryReport(report));
    }
    if (this.#pending.size === 0) this.#notifyIfIdle();
  };

  #settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    settleDelivery(delivery, err, report, this.events);
  }

  #notifyIfIdle(): void {
    this.#flushWaiters.notifyIfIdle();
  }

  /**
   * Takes every waiting and pending message out at once and fails it; `later`: settles them in a
   * microtask, for a failure found inside an unrelated call (a fatal refusal in produce()), so
   * that no other message's callback runs inside that call.
   */
  #failAll(
    pendingError: (delivery: Delivery) => AIOKafkaError,
    waitingError: (waiting: Waiting) => AIOKafkaError,
    later: boolean,
  ): void {
    const failed: Array<[Delivery, AIOKafkaError]> = [];
    for (const waiting of this.#waiting.drain()) failed.push([waiting.delivery, waitingError(waiting)]);
    for (const delivery of this.#pending.takeAll()) failed.push([delivery, pendingError(delivery)]);
    // Decided now, settled maybe later: an abort in between must not give a second outcome.
    for (const [delivery] of failed) delivery.decided = true;
    const settleAll = (): void => {
      for (const [delivery, err] of failed) this.#settle(delivery, err, undefined);
      this.#notifyIfIdle();
    };
    if (later) queueMicrotask(settleAll);
    else settleAll();
  }

  /** A fatal librdkafka error: this producer can produce no more; what waits or is pending fails. */
  protected onFatal(err: AIOKafkaError): void {
    this.#failAll(
      (delivery) => fatalDeliveryError(err, delivery, true),
      (waiting) => fatalDeliveryError(err, waiting.delivery, false),
      true,
    );
  }
}
