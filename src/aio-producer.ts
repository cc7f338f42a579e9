import { EventEmitter } from 'node:events';
import pDefer from 'p-defer';
import { toDeliveryReport, type DeliveryReport } from './delivery-report';
import { DeliveryDeadlines } from './delivery-deadlines';
import {
  AIOErrorCodes,
  AIOKafkaError,
  DeliveryError,
  InvalidArgumentError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  fromLibrdkafka,
  nativeCodeName,
} from './errors';
import { Fifo } from './fifo';
import { emptyNativeMessage, toNativeMessage, type NativeMessage } from './message';
import {
  resolveConfig,
  resolveOptions,
  timeoutArgumentProblem,
  type AIOProducerOptions,
  type CloseOptions,
  type DeliveryCallback,
  type InternalOptions,
  type Produce2Options,
  type ProduceOptions,
  type ResolvedOptions,
} from './options';
import {
  createNativeProducer,
  type LibrdkafkaConfig,
  type NativeDeliveryReport,
  type NativeLogEvent,
  type NativeProducer,
} from './native';
import { PendingRegistry } from './pending';
import { PollLoop } from './poll-loop';
import { RateLimitedReporter } from './stderr-reporter';

/** A librdkafka log line (`event.log`), emitted as `log` when `debug` is set. */
export interface LogEntry {
  /** syslog severity: 0 emergency … 7 debug. */
  severity: number;
  /** librdkafka facility, e.g. `BROKER`, `MSG`. */
  facility: string;
  message: string;
}

/** librdkafka's statistics object (see librdkafka's STATISTICS.md); top-level fields typed. */
export interface LibrdkafkaStats {
  name: string;
  client_id: string;
  type: string;
  ts: number;
  time: number;
  msg_cnt: number;
  msg_size: number;
  txmsgs: number;
  [field: string]: unknown;
}

/**
 * A delivery report that arrived after `deliveryTimeoutMs` had already failed the message: the
 * caller was told "timed out", and this is what really happened.
 */
export interface LateDelivery {
  topic: string;
  partition: number;
  /** Set when the message was delivered after all: a retry by the caller may have duplicated it. */
  report: DeliveryReport | undefined;
  /** Set when librdkafka finally reported a failure. */
  error: AIOKafkaError | undefined;
}

/** The events of an {@link AIOProducer} and their listeners. */
export interface AIOProducerEvents {
  /** A fire-and-forget or `produce2` message failed and no `onDelivery` was given for it. */
  deliveryError: (err: AIOKafkaError) => void;
  /**
   * A librdkafka client error (broker down, authentication, …), a throwing callback or listener.
   * Unlike a plain EventEmitter, an `error` with no listener does not crash the process: it is
   * written to stderr, rate-limited. An error with `fatal: true` means the producer has stopped.
   */
  error: (err: AIOKafkaError) => void;
  /** Parsed librdkafka statistics, every `statistics.interval.ms`. */
  stats: (stats: LibrdkafkaStats) => void;
  /** librdkafka log lines (set `debug` in the config to get them). */
  log: (entry: LogEntry) => void;
  /** librdkafka reported a message that `deliveryTimeoutMs` had already failed. */
  lateDelivery: (late: LateDelivery) => void;
}

/* Typed listeners: the EventEmitter methods, narrowed to AIOProducerEvents. */
export interface AIOProducer {
  on<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  once<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  off<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  addListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  removeListener<E extends keyof AIOProducerEvents>(event: E, listener: AIOProducerEvents[E]): this;
  emit<E extends keyof AIOProducerEvents>(event: E, ...args: Parameters<AIOProducerEvents[E]>): boolean;
}

/** One message handed to librdkafka (or waiting for room), and who hears of its outcome. */
interface Delivery {
  readonly topic: string;
  /** The partition asked for, -1 for the partitioner's choice. */
  readonly partition: number;
  /** Absent for fire-and-forget: no Promise is allocated. */
  readonly deferred: pDefer.DeferredPromise<DeliveryReport> | undefined;
  readonly onDelivery: DeliveryCallback | undefined;
  /** produce2 / fire-and-forget: a failure is also reported out of band. */
  readonly outOfBand: boolean;
}

/** A message that found librdkafka's queue full and waits for room, in call order. */
interface Waiting {
  readonly delivery: Delivery;
  readonly message: NativeMessage;
  /** performance.now() after which it gives up with QueueFullError. */
  readonly deadline: number;
}

const enum State {
  Open,
  Closing,
  Closed,
}

const noop = (): void => {};

/** How many timed-out messages are remembered for a `lateDelivery` report. */
const MAX_REMEMBERED_TIMEOUTS = 100_000;

/** Longer delays overflow Node's timers (they fire after 1 ms): treated as "no limit". */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `thrown` itself when it is one of ours; otherwise wrapped, keeping it as `cause`. */
function asTyped(thrown: unknown, what: string): AIOKafkaError {
  if (thrown instanceof AIOKafkaError) return thrown;
  return new AIOKafkaError(`${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, {
    code: AIOErrorCodes.UNKNOWN,
    cause: thrown,
  });
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
  readonly #waiting = new Fifo<Waiting>();
  readonly #loop: PollLoop;
  readonly #reporter = new RateLimitedReporter();
  readonly #flushWaiters = new Set<() => void>();
  /**
   * The message being sent, reused call after call: it is read synchronously by node-rdkafka
   * (which copies what it keeps) and copied when the message has to wait for room.
   */
  readonly #outgoing = emptyNativeMessage();
  readonly #deadlines: DeliveryDeadlines | undefined;
  /** Messages failed by deliveryTimeoutMs whose report has not come yet, by id (oldest first). */
  readonly #timedOut = new Map<number, Delivery>();
  #state = State.Open;
  #fatal: AIOKafkaError | undefined;
  #closing: Promise<void> | undefined;

  /** Use {@link AIOProducer.connect}. */
  private constructor(native: NativeProducer, options: ResolvedOptions) {
    super();
    this.#native = native;
    this.#options = options;
    this.#deadlines = options.deliveryTimeoutMs === Infinity ? undefined : new DeliveryDeadlines(options.deliveryTimeoutMs);
    this.#loop = new PollLoop(
      { tick: this.#tick, isBusy: () => this.inFlight > 0, onError: (err) => this.#reportError(err, 'poll failed') },
      { busyMs: options.pollIntervalMs, idleMs: options.idlePollIntervalMs },
    );
    native.on('delivery-report', this.#onDeliveryReport);
    native.on('event.error', (err) => this.#onClientError(err));
    native.on('event.stats', (stats) => this.#onStats(stats));
    native.on('event.log', (log) => this.#onLog(log));
  }

  /**
   * Creates a producer and connects it: resolves once librdkafka has fetched the cluster's
   * metadata.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, `linger.ms`, …), copied, never
   *   changed. Delivery reports are forced on; `enable.idempotence` defaults to `true` and
   *   `partitioner` to `murmur2_random` (Java-compatible key placement) unless set here.
   * @param options how the wrapper polls and waits; see {@link AIOProducerOptions}.
   * @throws {InvalidArgumentError} for a bad config or option.
   * @throws {OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`.
   * @throws {AIOKafkaError} when librdkafka refused to connect.
   */
  static connect(config: LibrdkafkaConfig, options: AIOProducerOptions = {}): Promise<AIOProducer> {
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
    let native: NativeProducer;
    try {
      native = (internal.createNative ?? createNativeProducer)(resolvedConfig);
    } catch (err) {
      throw new InvalidArgumentError(`librdkafka refused the configuration: ${(err as Error).message}`, { cause: err });
    }
    const producer = new AIOProducer(native, resolved);
    await connectNative(native, resolved.connectTimeoutMs);
    producer.#loop.start();
    return producer;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#pending.size + this.#waiting.length;
  }

  /** Whether `close()` has been called (or a fatal error stopped the producer). */
  get closed(): boolean {
    return this.#state !== State.Open || this.#fatal !== undefined;
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
    const invalid = timeoutMs === undefined ? undefined : timeoutArgumentProblem('flush', timeoutMs);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#flushWaiters.add(done);
      if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
        timer = setTimeout(() => {
          this.#flushWaiters.delete(done);
          reject(new OperationTimeoutError(`flush: ${this.inFlight} message(s) still in flight after ${timeoutMs} ms`, timeoutMs));
        }, timeoutMs);
      }
    });
  }

  /**
   * Closes the producer: later calls reject with {@link ProducerClosedError}; pending deliveries
   * get up to `timeoutMs` to settle, then whatever is left rejects with `ProducerClosedError`
   * (`possiblyDelivered: true`: it may or may not have been delivered); the poll timer stops and
   * the client disconnects. Idempotent: every call returns the same Promise. Afterwards nothing of
   * the producer keeps the process alive.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing === undefined) {
      const timeoutMs = options.timeoutMs ?? this.#options.closeTimeoutMs;
      const invalid = timeoutArgumentProblem('close', timeoutMs);
      if (invalid !== undefined) return Promise.reject(invalid);
      this.#state = State.Closing;
      this.#closing = this.#close(timeoutMs);
    }
    return this.#closing;
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
    this.#rejectAll(
      (delivery) =>
        new ProducerClosedError(
          `producer closed before delivery to topic "${delivery.topic}" was confirmed; the message may or may not have been delivered`,
          { possiblyDelivered: true },
        ),
      (waiting) =>
        new ProducerClosedError(
          `producer closed while the message for topic "${waiting.delivery.topic}" waited for room in the local queue; it was not sent`,
          { possiblyDelivered: false },
        ),
    );
    this.#loop.stop();
    this.#timedOut.clear();
    await new Promise<void>((resolve) => {
      try {
        // Our own flush already waited; librdkafka's is given no more time.
        this.#native.disconnect(0, (err) => {
          if (err) this.#reportError(fromLibrdkafka(err, { kind: 'client' }), 'disconnect failed');
          resolve();
        });
      } catch (err) {
        this.#reportError(err, 'disconnect failed');
        resolve();
      }
    });
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
      this.#settleLater({ topic: String(topic), partition: -1, deferred, onDelivery, outOfBand }, asTyped(err, 'produce refused'));
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
    else if (err !== undefined) this.#settleLater(delivery, err);
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
    if (this.#fatal !== undefined) throw this.#fatalFor(String(topic), -1);
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
  #send(delivery: Delivery, message: NativeMessage): AIOKafkaError | 'full' | undefined {
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
  }

  #wait(delivery: Delivery, message: NativeMessage): void {
    // It is sent later: copy the (reused) message, and the header records rather than hold the
    // caller's checked objects.
    const held = { ...message, headers: message.headers?.map((h) => ({ ...h })) };
    this.#waiting.push({ delivery, message: held, deadline: performance.now() + this.#options.enqueueTimeoutMs });
    this.#loop.wake();
  }

  /** Moves waiting messages into librdkafka while it has room; fails those past their deadline. */
  #admitWaiting(): void {
    let waiting: Waiting | undefined;
    while ((waiting = this.#waiting.peek()) !== undefined) {
      const err = this.#send(waiting.delivery, waiting.message);
      // A fatal refusal stopped the producer, and that already settled every waiting message.
      if (this.#waiting.peek() !== waiting) return;
      if (err === 'full') {
        if (performance.now() < waiting.deadline) return;
        this.#waiting.shift();
        this.#settle(
          waiting.delivery,
          new QueueFullError(
            `librdkafka's local queue stayed full for ${this.#options.enqueueTimeoutMs} ms (enqueueTimeoutMs); ` +
              `message for topic "${waiting.delivery.topic}" not sent`,
          ),
          undefined,
        );
        continue;
      }
      this.#waiting.shift();
      if (err !== undefined) this.#settle(waiting.delivery, err, undefined);
    }
  }

  readonly #tick = (): void => {
    if (this.#state === State.Closed) return;
    if (this.#waiting.length > 0) this.#admitWaiting();
    this.#native.poll();
    if (this.#deadlines !== undefined) {
      const expiredBelow = this.#deadlines.expiredBelow(this.#pending.nextId, performance.now());
      if (expiredBelow > 0) this.#expire(expiredBelow);
    }
    this.#notifyIfIdle();
  };

  /** Fails the messages past deliveryTimeoutMs; remembers them to report a late outcome. */
  #expire(idLimit: number): void {
    for (const [id, delivery] of this.#pending.takeBelow(idLimit)) {
      this.#timedOut.set(id, delivery);
      if (this.#timedOut.size > MAX_REMEMBERED_TIMEOUTS) this.#timedOut.delete(this.#timedOut.keys().next().value!);
      this.#settle(
        delivery,
        new DeliveryError(
          `no delivery report for the message to topic "${delivery.topic}" within ${this.#options.deliveryTimeoutMs} ms ` +
            '(deliveryTimeoutMs); librdkafka may still deliver it: see the lateDelivery event',
          {
            code: AIOErrorCodes.DELIVERY_TIMEOUT,
            retriable: true,
            topic: delivery.topic,
            partition: delivery.partition,
            possiblyDelivered: true,
          },
        ),
        undefined,
      );
    }
  }

  #onLateReport(id: number, err: Error | null, report: NativeDeliveryReport): void {
    const delivery = this.#timedOut.get(id);
    if (delivery === undefined) return;
    this.#timedOut.delete(id);
    const late: LateDelivery = {
      topic: report.topic ?? delivery.topic,
      partition: report.partition ?? delivery.partition,
      report: err ? undefined : toDeliveryReport(report),
      error: err ? fromLibrdkafka(err, { kind: 'delivery', target: delivery }) : undefined,
    };
    if (this.listenerCount('lateDelivery') > 0) {
      this.#emitSafely('lateDelivery', late);
      return;
    }
    const what = late.report
      ? 'a message failed by deliveryTimeoutMs was delivered after all (a retry may have duplicated it)'
      : 'a message failed by deliveryTimeoutMs was then reported failed by librdkafka';
    this.#reporter.report(`${what}; listen for "lateDelivery" to handle it`, 'AIO_LATE_DELIVERY', late.error ?? `topic "${late.topic}" partition ${late.partition} offset ${late.report?.offset}`);
  }

  readonly #onDeliveryReport = (err: Error | null, report: NativeDeliveryReport): void => {
    const id = report?.opaque;
    if (typeof id !== 'number') return; // not ours
    const delivery = this.#pending.take(id);
    if (delivery === undefined) {
      // Failed already by deliveryTimeoutMs (report it as late), or by close / a fatal error.
      if (this.#timedOut.size > 0) this.#onLateReport(id, err, report);
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

  /** Settles one delivery: onDelivery (or deliveryError) first, then the Promise. Never throws. */
  #settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    if (delivery.onDelivery !== undefined) {
      try {
        delivery.onDelivery(err, report);
      } catch (thrown) {
        this.#reportError(thrown, 'an onDelivery callback threw');
      }
    } else if (err !== null && delivery.outOfBand) {
      this.#reportDeliveryError(err);
    }
    if (delivery.deferred !== undefined) {
      if (err === null) delivery.deferred.resolve(report!);
      else delivery.deferred.reject(err);
    }
  }

  /** Settles a delivery that failed before reaching librdkafka: callbacks stay asynchronous. */
  #settleLater(delivery: Delivery, err: AIOKafkaError): void {
    if (delivery.onDelivery === undefined && !delivery.outOfBand) {
      delivery.deferred?.reject(err);
      return;
    }
    queueMicrotask(() => this.#settle(delivery, err, undefined));
  }

  #notifyIfIdle(): void {
    if (this.#flushWaiters.size === 0 || this.inFlight > 0) return;
    const waiters = [...this.#flushWaiters];
    this.#flushWaiters.clear();
    for (const done of waiters) done();
  }

  #rejectAll(pendingError: (delivery: Delivery) => AIOKafkaError, waitingError: (waiting: Waiting) => AIOKafkaError): void {
    for (const waiting of this.#waiting.drain()) this.#settle(waiting.delivery, waitingError(waiting), undefined);
    for (const delivery of this.#pending.takeAll()) this.#settle(delivery, pendingError(delivery), undefined);
    this.#notifyIfIdle();
  }

  #fatalFor(topic: string, partition: number): DeliveryError {
    const fatal = this.#fatal!;
    return new DeliveryError(`producer stopped by a fatal error (${fatal.message}); message for topic "${topic}" not delivered`, {
      code: fatal.code,
      fatal: true,
      cause: fatal,
      topic,
      partition,
      possiblyDelivered: false,
    });
  }

  /** A fatal librdkafka error: this client can produce no more. Fail everything, now and later. */
  #enterFatal(err: AIOKafkaError): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = err;
    this.#rejectAll(
      (delivery) =>
        new DeliveryError(`producer stopped by a fatal error (${err.message}); delivery to topic "${delivery.topic}" unconfirmed`, {
          code: err.code,
          fatal: true,
          cause: err,
          topic: delivery.topic,
          partition: delivery.partition,
          possiblyDelivered: true,
        }),
      (waiting) => this.#fatalFor(waiting.delivery.topic, waiting.delivery.partition),
    );
  }

  #onClientError(err: Error): void {
    const typed = fromLibrdkafka(err, { kind: 'client' });
    if (typed.fatal) this.#enterFatal(typed);
    this.#emitError(typed, 'client error');
  }

  #onStats(stats: { message: string }): void {
    if (this.listenerCount('stats') === 0) return;
    let parsed: LibrdkafkaStats;
    try {
      parsed = JSON.parse(stats.message) as LibrdkafkaStats;
    } catch (err) {
      this.#reportError(err, 'librdkafka statistics were not valid JSON');
      return;
    }
    this.#emitSafely('stats', parsed);
  }

  #onLog(log: NativeLogEvent): void {
    if (this.listenerCount('log') === 0) return;
    this.#emitSafely('log', { severity: log.severity, facility: log.fac, message: log.message });
  }

  #emitSafely<E extends 'stats' | 'log' | 'deliveryError' | 'lateDelivery'>(event: E, ...args: Parameters<AIOProducerEvents[E]>): void {
    try {
      this.emit(event, ...args);
    } catch (thrown) {
      this.#reportError(thrown, `a "${event}" listener threw`);
    }
  }

  #reportDeliveryError(err: AIOKafkaError): void {
    if (this.listenerCount('deliveryError') > 0) this.#emitSafely('deliveryError', err);
    else this.#reporter.report('delivery failed and nothing listens for "deliveryError"', err.code, err);
  }

  /** Wraps anything thrown into an AIOKafkaError (keeping it as cause) and emits it as `error`. */
  #reportError(thrown: unknown, what: string): void {
    this.#emitError(asTyped(thrown, what), what);
  }

  /** `error` without a listener, or from a throwing listener, goes to stderr instead of crashing. */
  #emitError(err: AIOKafkaError, what: string): void {
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', err);
        return;
      } catch (thrown) {
        this.#reporter.report('an "error" listener threw', 'AIO_LISTENER', thrown);
      }
    }
    this.#reporter.report(what, err.code, err);
  }
}

/** node-rdkafka's connect (which fetches metadata), bounded by our own timer as well. */
function connectNative(native: NativeProducer, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      reject(new OperationTimeoutError(`connect: no metadata from the cluster within ${timeoutMs} ms`, timeoutMs));
    }, Math.min(timeoutMs + 1000, MAX_TIMER_MS));
    native.connect({ timeout: timeoutMs }, (err) => {
      clearTimeout(timer);
      if (gaveUp) {
        // We stopped waiting already; release what librdkafka opened.
        if (!err) native.disconnect(0, noop);
        return;
      }
      if (err) reject(toConnectError(err, timeoutMs));
      else resolve();
    });
  });
}

function toConnectError(err: Error, timeoutMs: number): AIOKafkaError {
  const typed = fromLibrdkafka(err, { kind: 'client' });
  if (typed.code === 'ERR__TIMED_OUT' || typed.code === 'ERR__TRANSPORT') {
    return new OperationTimeoutError(`connect: no metadata from the cluster within ${timeoutMs} ms (${typed.message})`, timeoutMs, typed);
  }
  return typed;
}
