/*
 * The produce pipeline, a message's way from the caller to its outcome: accept (tracing, checks,
 * the signal), serialize, dispatch (send, or wait in order for room in librdkafka's queue),
 * refuse or abort, and the poll tick that admits waiting messages, fails what passed
 * `deliveryTimeoutMs` and serves the delivery reports that settle each message once. The facade
 * (aio-producer.ts) holds one pipeline and calls it once per message: nothing is allocated here per
 * message but the delivery itself.
 */
import { abortedError, onAbort, signalOption } from '../core/abort';
import type { ClientEvents } from '../core/client-events';
import { AIOKafkaError, ProducerClosedError, SerializationError } from '../core/errors';
import type { Wire } from '../core/serde';
import { asAIOError, fromLibrdkafka, nativeCodeName } from '../native/errors';
import type { NativeDeliveryReport, NativeProducer } from '../native/producer';
import { AdmissionQueue, queueFullError, type Send, type Waiting } from './admission';
import { DeliveryDeadlines } from './delivery-deadlines';
import { closedDeliveryError, deliveryAccepted, fatalDeliveryError, settleDelivery, settleDeliveryLater, type Delivery } from './delivery';
import type { DeliveryReport } from './delivery-report';
import { FlushWaiters } from './flush-waiters';
import { LateDeliveries, deliveryTimeoutError } from './late-deliveries';
import type { ProduceOptions, ResolvedOptions } from './options';
import { emptyNativeMessage, toNativeMessage, type NativeMessage } from './outgoing-message';
import { PendingRegistry } from './pending';
import { PollLoop } from './poll-loop';
import { ReportOrder } from './report-order';
import { ReportOutcomes } from './report-outcome';
import type { Serialization } from './serialize';
import { headersToPropagate, produceTrace, producerChannels, withTraceHeaders } from './tracing';
import type { EventEmitter } from 'node:events';

/** Busy poll period without the background poll: each report waits for the next tick. */
const TIMER_ONLY_POLL_MS = 1;
/** Busy poll period with the background poll: a safety net for deadlines and a full queue's retries. */
const BACKGROUND_SAFETY_POLL_MS = 10;
/** What a plain `produce` on a transactional producer, outside a transaction, is told to do. */
const OUTSIDE_TRANSACTION =
  'this producer is transactional: produce in a transaction, with tx.produce() on the transaction `await producer.transaction()` begins';

const enum State {
  Open,
  Closing,
  Closed,
}

/** What the pipeline needs of its producer. */
export interface PipelineHost {
  /** The producer (its `lateDelivery` event). */
  readonly emitter: EventEmitter;
  readonly events: ClientEvents;
  /** The producer's fatal state: its `error`, once librdkafka is fatal. */
  readonly fatalState: { readonly error: AIOKafkaError | undefined };
  /** A fatal error met in the pipeline: the producer enters its fatal state. */
  enterFatal(err: AIOKafkaError): void;
  /** Whether the producer is transactional and has no transaction open (a plain produce then gets a hint). */
  outsideTransaction(): boolean;
}

/** One producer's produce pipeline; see the file's comment. */
export class ProducePipeline<K, V> {
  readonly #native: NativeProducer;
  readonly #options: ResolvedOptions;
  readonly #host: PipelineHost;
  readonly #events: ClientEvents;
  readonly #fatalState: PipelineHost['fatalState'];
  readonly #pending = new PendingRegistry<Delivery>();
  readonly #waiting: AdmissionQueue;
  readonly loop: PollLoop;
  readonly flushWaiters = new FlushWaiters(() => this.inFlight);
  /**
   * The message being sent, reused call after call: it is read synchronously by node-rdkafka
   * (which copies what it keeps) and copied when the message has to wait for room.
   */
  readonly #outgoing = emptyNativeMessage();
  /** The binding sends Buffer header values byte for byte (CKJS): see core/headers.ts. */
  readonly #binaryHeaders: boolean;
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
  /** Reports held in a transaction's abort, settled in produce order (report-order.ts). */
  readonly #order: ReportOrder<Delivery>;
  /** Settles a delivery with its report (report-outcome.ts). */
  readonly #outcomes: ReportOutcomes;
  readonly #serialization: Serialization<K, V, Delivery>;

  constructor(native: NativeProducer, options: ResolvedOptions, serialization: Serialization<K, V, Delivery>, host: PipelineHost) {
    this.#native = native;
    this.#binaryHeaders = native.binaryHeaderValues === true;
    this.#options = options;
    this.#serialization = serialization;
    this.#host = host;
    this.#events = host.events;
    this.#fatalState = host.fatalState;
    this.#late = new LateDeliveries(host.emitter, host.events);
    this.#outcomes = new ReportOutcomes(native, host);
    this.#order = new ReportOrder<Delivery>(this.#pending, (delivery, err, report) => this.#outcomes.settle(delivery, err, report));
    this.#waiting = new AdmissionQueue(options.enqueueTimeoutMs);
    this.#deadlines = options.deliveryTimeoutMs === Infinity ? undefined : new DeliveryDeadlines(options.deliveryTimeoutMs);
    this.loop = new PollLoop(
      { tick: this.#tick, isBusy: () => this.inFlight > 0, onError: (err) => host.events.error(err, 'poll failed') },
      { busyMs: options.pollIntervalMs ?? TIMER_ONLY_POLL_MS, idleMs: options.idlePollIntervalMs },
    );
    native.on('delivery-report', this.#onDeliveryReport);
  }

  /** Whether librdkafka's background poll thread serves the reports. */
  get backgroundPoll(): boolean {
    return this.#backgroundPoll;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#pending.size + this.#waiting.length + this.#serialization.active;
  }

  /** Connected: polls, on the timer alone or with librdkafka's background poll thread. */
  start(backgroundPoll: boolean): void {
    this.#backgroundPoll = backgroundPoll;
    if (backgroundPoll) this.loop.setBusyMs(this.#options.pollIntervalMs ?? BACKGROUND_SAFETY_POLL_MS);
    this.loop.start();
  }

  /** A transaction's abort begins: its reports are settled in produce order (report-order.ts). */
  holdReports(): void {
    this.#order.hold();
  }

  /** close() began: messages accepted before still get close's time; new ones are refused. */
  closing(): void {
    this.#state = State.Closing;
  }

  /**
   * close() stops waiting: what is pending or waiting for room fails with ProducerClosedError
   * (possibly delivered, or not sent), what is still in a serializer is never sent; the poll
   * stops.
   */
  giveUp(): void {
    this.#gaveUp = true;
    this.failAll(
      (delivery) => closedDeliveryError(delivery, 'sent'),
      (waiting) => closedDeliveryError(waiting.delivery, 'waiting'),
      false,
    );
    // Still in a serializer (or queued behind one): never sent; what it returns later is dropped.
    for (const delivery of this.#serialization.abandon()) this.#refuse(delivery, closedDeliveryError(delivery, 'serializing'), false);
    this.loop.stop();
    this.#late.clear();
  }

  /** The producer is closed: the tick does nothing any more. */
  closed(): void {
    this.#state = State.Closed;
  }

  /** A fatal error: what waits or is pending fails, in a microtask (it may be met inside a produce call). */
  fatal(err: AIOKafkaError): void {
    this.failAll(
      (delivery) => fatalDeliveryError(err, delivery, true),
      (waiting) => fatalDeliveryError(err, waiting.delivery, false),
      true,
    );
  }

  /**
   * Takes one message in: checks, serializes, then sends or queues it. Every outcome goes to
   * `delivery`; with `sync` (fire-and-forget) a refusal found during the call is returned instead,
   * for the caller to throw. `watch`: listen to `signal` for this message alone (a batch listens
   * once for all).
   */
  accept(
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

  /** {@link ProducePipeline.accept} past tracing. */
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
    if (signal !== undefined && watch) delivery.unwatch = onAbort(signal, () => this.abort(delivery, signal));
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
      this.notifyIfIdle();
      return undefined;
    }
    let message: NativeMessage;
    try {
      // Accepted before close() began: it still gets close's time, unless close gave up already.
      if (this.#state === State.Closing && !this.#gaveUp) this.#assertNotFatal(topic);
      else this.#assertOpen(topic);
      const wireOptions = key === options?.key ? (options as ProduceOptions | undefined) : { ...options, key };
      message = toNativeMessage(topic as string, value, wireOptions, this.#outgoing, this.#binaryHeaders);
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
      this.notifyIfIdle();
      return undefined;
    }
    delivery.decided = true;
    settleDeliveryLater(delivery, err, this.#events);
    if (this.#serialization.active === 0) queueMicrotask(() => this.notifyIfIdle());
    return undefined;
  }

  /**
   * `signal` aborted: a message librdkafka has not taken is dropped (not sent); one it has is
   * settled now as possibly delivered, and its report, when it comes, is emitted as lateDelivery.
   * Settled in a microtask: not inside the caller's `abort()`.
   */
  abort(delivery: Delivery, signal: AbortSignal): void {
    if (delivery.decided) return;
    const sent = delivery.id >= 0;
    if (sent) {
      if (this.#pending.take(delivery.id) === undefined) return; // its report is being settled
      this.#late.remember(delivery.id, delivery);
      if (this.#order.holding) queueMicrotask(() => this.#order.release());
    } else {
      // Waiting for room (dropped from the wait), or being serialized (dropped when it is done).
      this.#waiting.cancel(delivery);
    }
    delivery.decided = true;
    const err = abortedError(`message for topic "${delivery.topic}"`, signal, sent);
    queueMicrotask(() => {
      this.#settle(delivery, err, undefined);
      this.notifyIfIdle();
    });
  }

  #assertNotFatal(topic: unknown): void {
    const fatal = this.#fatalState.error;
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
      const hint = code === 'ERR__STATE' && this.#host.outsideTransaction() ? OUTSIDE_TRANSACTION : undefined;
      const typed = fromLibrdkafka(err, { kind: 'produce', target: delivery, hint });
      if (typed.fatal) this.#host.enterFatal(typed);
      return typed;
    }
    this.loop.wake();
    if (delivery.acceptance !== undefined) deliveryAccepted(delivery);
    return undefined;
  };

  #wait(delivery: Delivery, message: NativeMessage): void {
    this.#waiting.hold(delivery, message);
    this.loop.wake();
  }

  readonly #tick = (): void => {
    if (this.#state === State.Closed) return;
    this.#outcomes.tick();
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
      this.#order.release();
    }
    // With the background poll its thread alone serves librdkafka's queue: two threads serving it
    // at once could hand one partition's reports to JavaScript out of order.
    if (!this.#backgroundPoll) this.#native.poll();
    if (this.#deadlines !== undefined) this.#expireBelow = this.#deadlines.expiredBelow(this.#pending.nextId, performance.now());
    this.notifyIfIdle();
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
    if (this.#order.holding) this.#order.add(id, delivery, err, report);
    else this.#outcomes.settle(delivery, err, report);
    if (this.#pending.size === 0) this.notifyIfIdle();
  };

  #settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    settleDelivery(delivery, err, report, this.#events);
  }

  notifyIfIdle(): void {
    this.flushWaiters.notifyIfIdle();
  }

  /**
   * Takes every waiting and pending message out at once and fails it; `later`: settles them in a
   * microtask, for a failure found inside an unrelated call (a fatal refusal in produce()), so
   * that no other message's callback runs inside that call.
   */
  failAll(
    pendingError: (delivery: Delivery) => AIOKafkaError,
    waitingError: (waiting: Waiting) => AIOKafkaError,
    later: boolean,
  ): void {
    const failed: Array<[Delivery, AIOKafkaError]> = [];
    // Reports held since an abort began: their outcomes are known, settled first, in order.
    const held = this.#order.takeAll();
    for (const waiting of this.#waiting.drain()) failed.push([waiting.delivery, waitingError(waiting)]);
    for (const delivery of this.#pending.takeAll()) failed.push([delivery, pendingError(delivery)]);
    // Decided now, settled maybe later: an abort in between must not give a second outcome.
    for (const [delivery] of failed) delivery.decided = true;
    const settleAll = (): void => {
      for (const r of held) this.#outcomes.settle(r.delivery, r.err, r.report);
      for (const [delivery, err] of failed) this.#settle(delivery, err, undefined);
      this.notifyIfIdle();
    };
    if (later) queueMicrotask(settleAll);
    else settleAll();
  }
}
