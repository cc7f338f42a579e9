import { EventEmitter } from 'node:events';
import pDefer from 'p-defer';
import { ClientEvents } from '../core/client-events';
import { AIOKafkaError, DeliveryError, InvalidArgumentError, ProducerClosedError, QueueFullError } from '../core/errors';
import { CloseOnce, connectNative, createNative, disconnectNative } from '../core/lifecycle';
import { noop } from '../core/noop';
import { callTimeoutMs } from '../core/validation';
import { bootstrapOf, type LibrdkafkaConfig, type ProducerConfig } from '../native/config';
import { asAIOError, fromLibrdkafka, nativeCodeName } from '../native/errors';
import {
  createNativeProducer,
  type NativeDeliveryReport,
  type NativeLogEvent,
  type NativeProducer,
} from '../native/producer';
import { toDeliveryReport, type DeliveryReport } from './delivery-report';
import { AdmissionQueue, type Send, type Waiting } from './admission';
import { DeliveryDeadlines } from './delivery-deadlines';
import { closedDeliveryError, fatalDeliveryError, settleDelivery, settleDeliveryLater, type Delivery } from './delivery';
import type { AIOProducerEvents } from './events';
import { LateDeliveries, deliveryTimeoutError } from './late-deliveries';
import {
  resolveConfig,
  resolveOptions,
  type AIOProducerOptions,
  type CloseOptions,
  type DeliveryCallback,
  type InternalOptions,
  type Produce2Options,
  type ProduceOptions,
  type ResolvedOptions,
} from './options';
import { emptyNativeMessage, toNativeMessage, type NativeMessage } from './outgoing-message';
import { FatalWatch } from './fatal';
import { FlushWaiters } from './flush-waiters';
import { PendingRegistry } from './pending';
import { PollLoop } from './poll-loop';

/* Typed listeners: the EventEmitter methods, narrowed to AIOProducerEvents. */
export interface AIOProducer {
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
export class AIOProducer extends EventEmitter implements AsyncDisposable {
  readonly #native: NativeProducer;
  readonly #options: ResolvedOptions;
  readonly #pending = new PendingRegistry<Delivery>();
  readonly #waiting: AdmissionQueue;
  readonly #loop: PollLoop;
  readonly #events: ClientEvents;
  readonly #closer = new CloseOnce();
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
  readonly #fatal: FatalWatch;

  /** Use {@link AIOProducer.connect}. */
  private constructor(native: NativeProducer, options: ResolvedOptions) {
    super();
    this.#native = native;
    this.#options = options;
    this.#events = new ClientEvents(this, options.logger);
    this.#fatal = new FatalWatch(native, options.messageMaxBytes);
    this.#late = new LateDeliveries(this, this.#events);
    this.#waiting = new AdmissionQueue(options.enqueueTimeoutMs);
    this.#deadlines = options.deliveryTimeoutMs === Infinity ? undefined : new DeliveryDeadlines(options.deliveryTimeoutMs);
    this.#loop = new PollLoop(
      { tick: this.#tick, isBusy: () => this.inFlight > 0, onError: (err) => this.#events.error(err, 'poll failed') },
      { busyMs: options.pollIntervalMs, idleMs: options.idlePollIntervalMs },
    );
    native.on('delivery-report', this.#onDeliveryReport);
    native.on('event.error', (err) => this.#onClientError(err));
    native.on('event.stats', (stats) => this.#events.stats(stats));
    native.on('event.log', (log) => this.#onLog(log));
  }

  /**
   * Creates a producer and connects it: resolves once librdkafka has fetched the cluster's
   * metadata.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, `linger.ms`, …), copied, never
   *   changed. Delivery reports are forced on; `enable.idempotence` defaults to `true` and
   *   `partitioner` to `murmur2_random` (Java-compatible key placement) unless set here. With the
   *   idempotence default, a property it forbids (`acks: 1`, ...) is refused, saying so.
   * @param options how the wrapper polls and waits; see {@link AIOProducerOptions}.
   * @throws {InvalidArgumentError} for a bad config or option.
   * @throws {OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`.
   * @throws {AIOKafkaError} when librdkafka refused to connect.
   */
  static connect(config: ProducerConfig, options: AIOProducerOptions = {}): Promise<AIOProducer> {
    return AIOProducer.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factory replaceable: the seam unit tests use. */
  static async connectWith(
    config: LibrdkafkaConfig,
    options: AIOProducerOptions,
    internal: InternalOptions,
  ): Promise<AIOProducer> {
    const resolvedConfig = resolveConfig(config);
    const resolved = resolveOptions(options, resolvedConfig);
    const native = createNative(() => (internal.createNative ?? createNativeProducer)(resolvedConfig));
    const producer = new AIOProducer(native, resolved);
    try {
      // Connected after connect() gave up: release what librdkafka opened.
      await connectNative(native, resolved.connectTimeoutMs, () => native.disconnect(0, noop), bootstrapOf(resolvedConfig));
    } catch (err) {
      producer.#state = State.Closed;
      producer.#events.mute();
      throw err;
    }
    producer.#loop.start();
    return producer;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#pending.size + this.#waiting.length;
  }

  /** Whether `close()` has been called (or a fatal error stopped the producer). */
  get closed(): boolean {
    return this.#state !== State.Open || this.#fatal.error !== undefined;
  }

  /**
   * Produces one message and resolves when the broker acknowledged it.
   *
   * @param topic a legal Kafka topic name.
   * @param value the message value: a Buffer, a string (sent as UTF-8) or null.
   * @param options key, partition, headers, timestamp.
   * @returns the {@link DeliveryReport}: topic, partition, offset, timestamp.
   * @throws (rejects) {@link InvalidArgumentError} for bad input (nothing sent),
   *   {@link QueueFullError} when the local queue stayed full for `enqueueTimeoutMs`,
   *   {@link DeliveryError} when delivery failed or timed out (`deliveryTimeoutMs`), or with
   *   `fatal: true` once a fatal error stopped the producer; {@link ProducerClosedError} after
   *   `close()`.
   */
  produce(topic: string, value: Buffer | string | null, options?: ProduceOptions): Promise<DeliveryReport> {
    return this.#produceAwaitable(topic, value, options, undefined, false);
  }

  /**
   * Produces one message and reports its outcome out of band, to `onDelivery` (called exactly
   * once) or, without one, to the `deliveryError` event. The returned Promise may be awaited or
   * ignored: it never causes an `unhandledRejection`.
   *
   * With `fireAndForget: true` nothing is returned and no Promise is allocated; bad input, a
   * closed producer and a full local queue throw synchronously instead.
   *
   * @example
   * ```ts
   * producer.produce2('clicks', payload, {
   *   fireAndForget: true,
   *   onDelivery: (err) => { if (err) metrics.increment('kafka.lost', { code: err.code }); },
   * });
   * ```
   */
  produce2(topic: string, value: Buffer | string | null, options: Produce2Options & { fireAndForget: true }): void;
  produce2(
    topic: string,
    value: Buffer | string | null,
    options?: Produce2Options & { fireAndForget?: false },
  ): Promise<DeliveryReport>;
  produce2(topic: string, value: Buffer | string | null, options?: Produce2Options): Promise<DeliveryReport> | void;
  produce2(topic: string, value: Buffer | string | null, options?: Produce2Options): Promise<DeliveryReport> | void {
    if (options?.fireAndForget === true) {
      this.#produceFireAndForget(topic, value, options);
      return;
    }
    const onDelivery = options?.onDelivery;
    if (onDelivery !== undefined && typeof onDelivery !== 'function') {
      const promise = Promise.reject(new InvalidArgumentError('onDelivery must be a function'));
      promise.catch(noop);
      return promise;
    }
    const promise = this.#produceAwaitable(topic, value, options, onDelivery, true);
    // Out of band: the failure has been (or will be) reported to onDelivery / deliveryError.
    promise.catch(noop);
    return promise;
  }

  /**
   * Resolves when every message in flight has settled (delivered or failed).
   *
   * @param timeoutMs give up after this long. @default no limit: every message is itself bounded
   *   by `enqueueTimeoutMs` + `deliveryTimeoutMs` (unless `deliveryTimeoutMs` is `Infinity`)
   * @throws (rejects) {@link OperationTimeoutError} when messages are still in flight at the limit.
   */
  flush(timeoutMs?: number): Promise<void> {
    let limit: number;
    try {
      limit = callTimeoutMs('flush', timeoutMs, Infinity);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#flushWaiters.wait(limit);
  }

  /**
   * Closes the producer: later calls reject with {@link ProducerClosedError}; pending deliveries
   * get up to `timeoutMs` to settle, then whatever is left rejects with `ProducerClosedError`
   * (`possiblyDelivered: true`: it may or may not have been delivered); the poll timer stops and
   * the client disconnects. Idempotent: every call returns the same Promise. Afterwards nothing of
   * the producer keeps the process alive.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#closer.run(
      () => callTimeoutMs('close', options?.timeoutMs, this.#options.closeTimeoutMs),
      (timeoutMs) => {
        this.#state = State.Closing;
        return this.#close(timeoutMs);
      },
    );
  }

  /** `await using producer = await AIOProducer.connect(...)`: closes with the default timeout. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(timeoutMs: number): Promise<void> {
    try {
      await this.flush(timeoutMs);
    } catch {
      // Timed out: what is still pending is rejected below.
    }
    this.#failAll(
      (delivery) => closedDeliveryError(delivery, true),
      (waiting) => closedDeliveryError(waiting.delivery, false),
      false,
    );
    this.#loop.stop();
    this.#late.clear();
    // Our own flush already waited; librdkafka's is given no more time.
    const err = await disconnectNative((cb) => this.#native.disconnect(0, cb));
    if (err !== undefined) this.#events.error(err, 'disconnect failed');
    this.#state = State.Closed;
  }

  #produceAwaitable(
    topic: string,
    value: Buffer | string | null,
    options: ProduceOptions | undefined,
    onDelivery: DeliveryCallback | undefined,
    outOfBand: boolean,
  ): Promise<DeliveryReport> {
    const deferred = pDefer<DeliveryReport>();
    let message: NativeMessage;
    try {
      this.#assertOpen(topic);
      message = toNativeMessage(topic, value, options, this.#outgoing);
    } catch (err) {
      settleDeliveryLater(
        { topic: String(topic), partition: -1, deferred, onDelivery, outOfBand },
        asAIOError(err, 'produce refused'),
        this.#events,
      );
      return deferred.promise;
    }
    const delivery: Delivery = { topic, partition: message.partition ?? -1, deferred, onDelivery, outOfBand };
    if (this.#waiting.length > 0) {
      // Others already wait for room: queue behind them so that call order is send order.
      this.#wait(delivery, message);
      return deferred.promise;
    }
    const err = this.#send(delivery, message);
    if (err === 'full') this.#wait(delivery, message);
    else if (err !== undefined) settleDeliveryLater(delivery, err, this.#events);
    return deferred.promise;
  }

  #produceFireAndForget(topic: string, value: Buffer | string | null, options: Produce2Options): void {
    this.#assertOpen(topic);
    const message = toNativeMessage(topic, value, options, this.#outgoing);
    const onDelivery = options.onDelivery;
    if (onDelivery !== undefined && typeof onDelivery !== 'function') {
      throw new InvalidArgumentError('onDelivery must be a function');
    }
    if (this.#waiting.length > 0) {
      throw new QueueFullError(
        `librdkafka's local queue is full and ${this.#waiting.length} awaitable message(s) wait for room; ` +
          `fire-and-forget message for topic "${topic}" not sent`,
      );
    }
    const err = this.#send({ topic, partition: message.partition ?? -1, deferred: undefined, onDelivery, outOfBand: true }, message);
    if (err === 'full') {
      throw new QueueFullError(`librdkafka's local queue is full; fire-and-forget message for topic "${topic}" not sent`);
    }
    if (err !== undefined) throw err;
  }

  #assertOpen(topic: unknown): void {
    const fatal = this.#fatal.error;
    if (fatal !== undefined) throw fatalDeliveryError(fatal, { topic: String(topic), partition: -1 }, false);
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
      this.#fatal.sent(message.topic);
    } catch (err) {
      this.#pending.take(id);
      const code = nativeCodeName(err);
      if (code === 'ERR__QUEUE_FULL') return 'full';
      const typed = fromLibrdkafka(err, { kind: 'produce', target: delivery });
      if (typed.fatal) this.#enterFatal(typed);
      return typed;
    }
    this.#loop.wake();
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
    this.#native.poll();
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
      if (typed.fatal) this.#enterFatal(typed);
    } else {
      this.#settle(delivery, null, toDeliveryReport(report));
    }
    if (this.#pending.size === 0) this.#notifyIfIdle();
  };

  #settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    settleDelivery(delivery, err, report, this.#events);
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
    const settleAll = (): void => {
      for (const [delivery, err] of failed) this.#settle(delivery, err, undefined);
      this.#notifyIfIdle();
    };
    if (later) queueMicrotask(settleAll);
    else settleAll();
  }

  /**
   * A fatal librdkafka error: this client can produce no more. Fail everything, now and later,
   * and announce it as `error` once, in a microtask: it may have been met inside a produce() call.
   */
  #enterFatal(err: AIOKafkaError): void {
    if (this.#fatal.enter(err)) {
      this.#failAll(
        (delivery) => fatalDeliveryError(err, delivery, true),
        (waiting) => fatalDeliveryError(err, waiting.delivery, false),
        true,
      );
    }
    const announced = this.#fatal.announce(err);
    if (announced !== undefined) queueMicrotask(() => this.#events.error(announced, 'librdkafka is fatally failed'));
  }

  /** A client error: node-rdkafka drops librdkafka's fatal flag, so librdkafka is asked (fatal.ts). */
  #onClientError(err: Error): void {
    const typed = this.#fatal.clientError(err);
    if (typed === undefined) return;
    if (typed.fatal) this.#enterFatal(typed);
    // A fatal error is announced once, by #enterFatal; later ones are reported as they come.
    if (!typed.fatal || this.#fatal.error !== typed) this.#events.error(typed, 'client error');
  }

  /** A librdkafka log line; a FATAL one stops the producer at once. */
  #onLog(log: NativeLogEvent): void {
    const fatal = this.#fatal.fromLog(log);
    if (fatal !== undefined) this.#enterFatal(fatal);
    this.#events.log(log);
  }
}
