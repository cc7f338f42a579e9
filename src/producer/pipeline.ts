/*
 * The produce pipeline, a message's way from the caller to its outcome: accept (tracing, checks,
 * the signal), serialize, dispatch (send, or wait in order for room in librdkafka's queue),
 * refuse or abort, and the poll tick that admits waiting messages and serves the delivery reports;
 * report-intake.ts turns reports, deadlines and purges into each message's one outcome. The facade
 * (aio-producer.ts) holds one pipeline and calls it once per message: nothing is allocated here per
 * message but the delivery itself.
 */
import { abortedError, onAbort, signalOption } from '../core/abort';
import { ProducerClosedError, SerializationError, type AIOKafkaError, type MessageTarget } from '../core/errors';
import type { Wire } from '../core/serde';
import { asAIOError } from '../native/errors';
import type { NativeProducer } from '../native/producer';
import { AdmissionQueue, queueFullError, sendRefusal, type Send, type Waiting } from './admission';
import { closedDeliveryError, deliveryAccepted, fatalDeliveryError, settleDelivery, settleDeliveryLater, type Delivery } from './delivery';
import type { DeliveryReport } from './delivery-report';
import { FlushWaiters } from './flush-waiters';
import type { ProduceOptions, ResolvedOptions } from './options';
import { emptyNativeMessage, toNativeMessage, type NativeMessage } from './outgoing-message';
import { PollLoop, producerPollIntervals } from './poll-loop';
import { ReportIntake, type IntakeProducer } from './report-intake';
import type { Serialization } from './serialize';
import { headersToPropagate, produceTrace, producerChannels, withTraceHeaders } from './tracing';

const enum State {
  Open,
  Closing,
  Closed,
}

/** What the pipeline needs of its producer. */
export interface PipelineHost extends IntakeProducer {
  /** Whether the producer is transactional and has no transaction open (a plain produce then gets a hint). */
  outsideTransaction(): boolean;
  /** Whether the producer is transactional. */
  readonly transactional: boolean;
}

/** One producer's produce pipeline; see the file's comment. */
export class ProducePipeline<K, V> {
  readonly #native: NativeProducer;
  readonly #options: ResolvedOptions;
  readonly #host: PipelineHost;
  /** What is sent and unreported, and how reports, deadlines and purges settle it. */
  readonly #intake: ReportIntake;
  /**
   * Whether a fire-and-forget message with nobody to tell but the `deliveryError` event may go
   * untracked: nothing per message is needed (no serializer, no trace headers to add, not
   * transactional). Tracing subscribers and a signal are checked per call.
   */
  readonly #untrackedLane: boolean;
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
  #state = State.Open;
  /** close() stopped waiting: nothing more is sent, even what was accepted before it began. */
  #gaveUp = false;
  /** Whether librdkafka's background poll thread serves the reports (native/poller.c). */
  #backgroundPoll = false;
  readonly #serialization: Serialization<K, V, Delivery>;

  constructor(native: NativeProducer, options: ResolvedOptions, serialization: Serialization<K, V, Delivery>, host: PipelineHost) {
    this.#native = native;
    this.#options = options;
    this.#serialization = serialization;
    this.#host = host;
    this.#binaryHeaders = native.binaryHeaderValues === true;
    this.#waiting = new AdmissionQueue(options.enqueueTimeoutMs);
    this.#intake = new ReportIntake(native, host, options.deliveryTimeoutMs, {
      settle: (delivery, err, report) => this.#settle(delivery, err, report),
      reported: () => this.#reported(),
    });
    this.#untrackedLane = serialization.none && !options.propagateTraceContext && !host.transactional;
    this.loop = new PollLoop(
      { tick: this.#tick, isBusy: () => this.inFlight > 0, onError: (err) => host.events.error(err, 'poll failed') },
      producerPollIntervals(options, false),
    );
    native.on('delivery-report', this.#intake.onReport);
  }

  /** Whether librdkafka's background poll thread serves the reports. */
  get backgroundPoll(): boolean {
    return this.#backgroundPoll;
  }

  /** Messages produced and not yet settled (including those waiting for room in a full queue). */
  get inFlight(): number {
    return this.#intake.size + this.#waiting.length + this.#serialization.active;
  }

  /**
   * Whether a fire-and-forget message without `onDelivery` or `signal` may be sent with
   * {@link ProducePipeline.sendUntracked}: see #untrackedLane; nobody traces produce calls; and
   * `topic` owes no late report ({@link UntrackedMessages.owesLate}).
   */
  untrackedLane(topic: string): boolean {
    return this.#untrackedLane && !producerChannels.produce.active && !this.#intake.untracked.owesLate(topic);
  }

  /** A transaction's abort begins: its reports are settled in produce order (report-order.ts). */
  holdReports(): void {
    this.#intake.order.hold();
  }

  /** Connected: polls, on the timer alone or with librdkafka's background poll thread. */
  start(backgroundPoll: boolean): void {
    this.#backgroundPoll = backgroundPoll;
    if (backgroundPoll) this.loop.setIntervals(producerPollIntervals(this.#options, true));
    this.loop.start();
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
    this.#intake.late.clear();
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

  /**
   * Sends a fire-and-forget message that has nobody to tell but the `deliveryError` event (see
   * {@link ProducePipeline.untrackedLane}) with no opaque: no Delivery, no registry slot, no
   * handle in the binding; {@link UntrackedMessages} counts it until its report. Throws what a
   * fire-and-forget call throws: bad input, closed or fatal, no room.
   */
  sendUntracked(topic: string, value: V, options: ProduceOptions<K>): void {
    this.#assertOpen(topic);
    const message = toNativeMessage(topic, value, options as ProduceOptions, this.#outgoing, this.#binaryHeaders);
    // Call order is send order: awaitable messages waiting for room go first.
    if (this.#waiting.length > 0) throw queueFullError(message, this.#waiting.length);
    if (!this.#hasRoom()) throw queueFullError(message, 0);
    try {
      this.#native.produce(message.topic, message.partition, message.value, message.key, message.timestamp, undefined, message.headers);
    } catch (err) {
      const refusal = this.#refusal(err, { topic: message.topic, partition: message.partition ?? -1 });
      throw refusal === 'full' ? queueFullError(message, 0) : refusal;
    }
    this.#intake.untracked.sent(message.topic);
    this.loop.wake();
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
    settleDeliveryLater(delivery, err, this.#host.events);
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
      if (this.#intake.pending.take(delivery.id) === undefined) return; // its report is being settled
      this.#intake.late.remember(delivery.id, delivery);
      if (this.#intake.order.holding) queueMicrotask(() => this.#intake.order.release());
    } else {
      // Waiting for room, or being serialized: dropped (what the serializers return is not sent).
      if (!this.#serialization.drop(delivery)) this.#waiting.cancel(delivery);
    }
    delivery.decided = true;
    const err = abortedError(`message for topic "${delivery.topic}"`, signal, sent);
    queueMicrotask(() => {
      this.#settle(delivery, err, undefined);
      this.notifyIfIdle();
    });
  }

  #assertNotFatal(topic: unknown): void {
    const fatal = this.#host.fatalState.error;
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
    if (!this.#hasRoom()) return 'full';
    const id = this.#intake.pending.add(delivery);
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
      this.#intake.pending.take(id);
      delivery.id = -1;
      return this.#refusal(err, delivery);
    }
    this.loop.wake();
    if (delivery.acceptance !== undefined) deliveryAccepted(delivery);
    return undefined;
  };

  /**
   * Whether one more message may be sent: fewer than `queue.buffering.max.messages` are sent and
   * unreported. librdkafka stops counting a message once its report is served, but the report may
   * then wait in the binding (src/native/producer.ts): counted until it reaches JavaScript, what
   * is unreported, and the memory and report lag it holds, stay bounded under sustained overload.
   */
  #hasRoom(): boolean {
    return this.#intake.size < this.#options.maxUnreported;
  }

  /** What librdkafka's refusal of a message means: `'full'` (its queue is full) or the typed error. */
  #refusal(err: unknown, target: MessageTarget): AIOKafkaError | 'full' {
    const refusal = sendRefusal(err, target, this.#host.outsideTransaction());
    if (refusal !== 'full' && refusal.fatal) this.#host.enterFatal(refusal);
    return refusal;
  }

  #wait(delivery: Delivery, message: NativeMessage): void {
    this.#waiting.hold(delivery, message);
    this.loop.wake();
  }

  readonly #tick = (): void => {
    if (this.#state === State.Closed) return;
    if (this.#waiting.length > 0) this.#admit();
    this.#intake.beforePoll();
    // With the background poll its thread alone serves librdkafka's queue: two threads serving it
    // at once could hand one partition's reports to JavaScript out of order.
    if (!this.#backgroundPoll) this.#native.poll();
    this.#intake.afterPoll();
    this.notifyIfIdle();
  };

  /** Sends what waits for room while there is room; fails what waited past `enqueueTimeoutMs`. */
  #admit(): void {
    this.#waiting.admit(this.#send, (delivery, err) => this.#settle(delivery, err, undefined));
  }

  /**
   * A report took a message out: a message waiting for room may have it now (librdkafka's queue
   * has room too: it counts a message until its report is served), or nothing is left in flight.
   */
  #reported(): void {
    if (this.#waiting.length > 0) this.#admit();
    else if (this.#intake.size === 0) this.notifyIfIdle();
  }

  #settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    settleDelivery(delivery, err, report, this.#host.events);
  }

  notifyIfIdle(): void {
    this.flushWaiters.notifyIfIdle();
  }

  /**
   * Takes every waiting, pending and untracked message out at once and fails it (an untracked one
   * through `pendingError`, with its topic and partition -1); `later`: settles them in a
   * microtask, for a failure found inside an unrelated call (a fatal refusal in produce()), so
   * that no other message's callback runs inside that call.
   */
  failAll(
    pendingError: (target: MessageTarget) => AIOKafkaError,
    waitingError: (waiting: Waiting) => AIOKafkaError,
    later: boolean,
  ): void {
    const settleInFlight = this.#intake.takeAll(pendingError);
    const waiting: Array<[Delivery, AIOKafkaError]> = [];
    for (const entry of this.#waiting.drain()) waiting.push([entry.delivery, waitingError(entry)]);
    // Decided now, settled maybe later: an abort in between must not give a second outcome.
    for (const [delivery] of waiting) delivery.decided = true;
    const settleAll = (): void => {
      settleInFlight();
      for (const [delivery, err] of waiting) this.#settle(delivery, err, undefined);
      this.notifyIfIdle();
    };
    if (later) queueMicrotask(settleAll);
    else settleAll();
  }
}
