import pDefer from 'p-defer';
import { ClientBase } from '../core/client';
import { abortedError, onAbort, signalOption } from '../core/abort';
import { AIOKafkaError, InvalidArgumentError, InvalidStateError } from '../core/errors';
import type { SerializerOptions } from '../core/serde';
import { disconnectNative } from '../core/lifecycle';
import { noop } from '../core/noop';
import { remainingMs, settlesWithin } from '../core/timeouts';
import { connectTrace } from '../core/tracing';
import { callTimeoutMs, checkOptionsObject, describe } from '../core/validation';
import { missingPluginWarning } from '../native/background-poll';
import { bootstrapOf, type LibrdkafkaConfig, type ProducerConfig } from '../native/config';
import { connectNative } from '../native/connect';
import { asAIOError } from '../native/errors';
import { NativeFatalSignals, probeFatal } from '../native/fatal';
import { hasTransactions, openNativeProducer, type NativeProducer } from '../native/producer';
import type { DeliveryReport } from './delivery-report';
import { BatchResults, type BatchMessage, type BatchResult } from './batch';
import { deliveryPromise, newDelivery, partitionOf, type Delivery, type Enqueued } from './delivery';
import type { AIOProducerEvents } from './events';
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
import { ProducePipeline } from './pipeline';
import { Serialization } from './serialize';
import type { Transaction } from './transaction';
import { Transactions } from './transactions';
import { producerChannels } from './tracing';

/* Typed listeners: the EventEmitter methods, narrowed to AIOProducerEvents. */
export interface AIOProducer<K = Buffer | string | null, V = Buffer | string | null> {
  on<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  once<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  off<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  addListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  removeListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  emit<E extends keyof AIOProducerEvents>(event: E, ...args: Parameters<AIOProducerEvents[E]>): boolean;
}

/**
 * An async/await Kafka producer over librdkafka (node-rdkafka or @confluentinc/kafka-javascript:
 * the `binding` option). One instance serves any number of concurrent
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
  /** A message's way from the caller to its outcome (pipeline.ts). */
  readonly #pipeline: ProducePipeline<K, V>;
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
        report: (err, context) => this.events.error(err, context),
        holdReports: () => this.#pipeline.holdReports(),
      });
    }
    this.#native = native;
    this.#pipeline = new ProducePipeline<K, V>(native, options, serialization, {
      emitter: this,
      events: this.events,
      fatalState: this.fatalState,
      enterFatal: (err) => this.enterFatal(err),
      outsideTransaction: () => this.#transactions !== undefined && !this.#transactions.open,
      transactional,
    });
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
   * @throws {TransactionError} with `transactional.id`, when initTransactions failed, or got no
   *   answer within what was left of `connectTimeoutMs` (code `AIO_OPERATION_TIMEOUT`, retriable).
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
    const started = performance.now();
    const resolvedConfig = resolveConfig(config);
    const { keySerializer, valueSerializer, ...producerOptions } = options ?? {};
    const resolved = resolveOptions(producerOptions, resolvedConfig);
    const serialization = new Serialization<K, V, Delivery>(keySerializer, valueSerializer);
    // The background poll needs librdkafka itself: never with a unit test's fake.
    const wantsBackground = resolved.backgroundPoll && internal.createNative === undefined;
    const { native, backgroundPoll } =
      internal.createNative === undefined
        ? openNativeProducer(resolved.binding, resolvedConfig, wantsBackground)
        : { native: internal.createNative(resolvedConfig), backgroundPoll: false };
    const transactional = typeof resolvedConfig['transactional.id'] === 'string' && resolvedConfig['transactional.id'] !== '';
    const producer = new AIOProducer<K, V>(native, resolved, serialization, transactional);
    // Connected after connect() gave up: release what librdkafka opened.
    await producer.openWith(() =>
      connectNative(native, resolved.connectTimeoutMs, () => native.disconnect(0, noop), bootstrapOf(resolvedConfig)),
    );
    if (wantsBackground && !backgroundPoll) {
      const missing = missingPluginWarning();
      if (missing === undefined) producer.events.debug('background poll plugin not used: polling on the timer alone');
      else producer.events.warn('the background poll plugin is missing', 'AIO_NO_BACKGROUND_POLL', missing);
    }
    producer.#pipeline.start(backgroundPoll);
    if (producer.#transactions !== undefined) {
      try {
        // What is left of connect's limit: connect is one wait, however many steps it takes.
        await producer.#transactions.init(Math.max(1, remainingMs(started, resolved.connectTimeoutMs)));
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
    return this.#pipeline.backgroundPoll;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#pipeline.inFlight;
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
    const delivery = newDelivery(String(topic), partitionOf(options), {});
    const promise = deliveryPromise(delivery);
    this.#pipeline.accept(delivery, topic, value, options, false);
    return promise;
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
      // Nobody to tell but the deliveryError event: counted, not registered.
      if (onDelivery === undefined && options.signal === undefined && this.#pipeline.untrackedLane(topic)) {
        this.#pipeline.sendUntracked(topic, value, options);
        return;
      }
      const delivery = newDelivery(String(topic), partitionOf(options), { onDelivery, outOfBand: true });
      const err = this.#pipeline.accept(delivery, topic, value, options, true);
      if (err !== undefined) throw err;
      return;
    }
    const delivery = newDelivery(String(topic), partitionOf(options), { onDelivery, outOfBand: true });
    const promise = deliveryPromise(delivery);
    // Out of band: the failure has been (or will be) reported to onDelivery / deliveryError.
    promise.catch(noop);
    if (badCallback) delivery.reject!(new InvalidArgumentError('onDelivery must be a function'));
    else this.#pipeline.accept(delivery, topic, value, options, false);
    return promise;
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
    const deferred = pDefer<Enqueued>();
    const enqueued: Enqueued = { delivered: undefined! };
    const delivery = newDelivery(String(topic), partitionOf(options), { acceptance: { deferred, enqueued } });
    enqueued.delivered = deliveryPromise(delivery);
    enqueued.delivered.catch(noop);
    this.#pipeline.accept(delivery, topic, value, options, false);
    return deferred.promise;
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
      this.#pipeline.accept(delivery, message.topic, message.value, message, false, signal, false);
    }
    if (signal !== undefined) {
      // One listener for the whole batch, not one per message.
      const stop = onAbort(signal, () => {
        for (const delivery of deliveries!) this.#pipeline.abort(delivery, signal!);
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
   * @param timeoutMs give up after this long. @default no limit: once serialized, every message is
   *   itself bounded by `enqueueTimeoutMs` + `deliveryTimeoutMs` (unless `deliveryTimeoutMs` is
   *   `Infinity`); an asynchronous serializer is bounded by nothing but its own code (a message
   *   aborted by its `signal` stops counting at once)
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
    if (signal === undefined) return this.#pipeline.flushWaiters.wait(limit);
    if (signal.aborted) return Promise.reject(abortedError('flush', signal, false));
    return this.#pipeline.flushWaiters.wait(limit, signal);
  }

  /**
   * Closes the producer: later calls reject with {@link ProducerClosedError}; pending deliveries
   * (and messages still in an asynchronous serializer) get up to `timeoutMs` to settle, then
   * whatever is left rejects with `ProducerClosedError`: `possiblyDelivered: true` when librdkafka
   * had it (it may or may not have been delivered), `false` when it was still waiting for room or
   * in a serializer (never sent, whatever the serializer returns later); the poll timer stops and
   * the client disconnects (past the limit, in the background). Every call has settled when the
   * Promise resolves; idempotent. Then nothing of the producer holds the process but that disconnect.
   */
  override close(options: CloseOptions = {}): Promise<void> {
    return super.close(options);
  }

  protected closeClient(timeoutMs: number): Promise<void> {
    this.#pipeline.closing();
    return producerChannels.close.trace(() => ({ timeoutMs }), () => this.#close(timeoutMs));
  }

  async #close(timeoutMs: number): Promise<void> {
    const started = performance.now();
    // An open transaction is aborted, within the same limit.
    await this.#transactions?.close(timeoutMs);
    try {
      await this.flush(remainingMs(started, timeoutMs));
    } catch {
      // Timed out: what is still pending is rejected below.
    }
    this.#pipeline.giveUp();
    // A transactional call close gave up on still holds librdkafka's client, which node-rdkafka's
    // disconnect would delete under it: the disconnect waits for it. node-rdkafka disconnects on
    // libuv's pool, behind whatever else the app runs there, and librdkafka's threads must end:
    // close waits for it until its limit, then lets it finish in the background.
    const running = this.#transactions?.running();
    const disconnected = running === undefined ? this.#disconnect() : running.then(() => this.#disconnect());
    await settlesWithin(disconnected, remainingMs(started, timeoutMs));
    this.#pipeline.closed();
  }

  async #disconnect(): Promise<void> {
    // Our own flush already waited; librdkafka's is given no more time.
    const err = await disconnectNative((cb) => this.#native.disconnect(0, cb));
    if (err !== undefined) this.events.error(err, 'disconnect failed');
    this.events.close();
  }

  /** A fatal librdkafka error: this producer can produce no more; what waits or is pending fails. */
  protected onFatal(err: AIOKafkaError): void {
    this.#pipeline.fatal(err);
  }
}
