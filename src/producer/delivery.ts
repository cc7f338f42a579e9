import type { ClientEvents } from '../core/client-events';
import { DeliveryError, ProducerClosedError, type AIOKafkaError, type MessageTarget } from '../core/errors';
import type { BatchResults } from './batch';
import type { DeliveryReport } from './delivery-report';
import type { DeliveryCallback } from './options';
import type { NativeHeader } from '../native/producer';
import { producerChannels, type ProduceTrace } from './tracing';

/**
 * A Promise with the functions that settle it: what p-defer returns, named here (structurally)
 * so that the published declarations import no third-party default export, which a user's
 * tsconfig could only read with `esModuleInterop`.
 */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason?: unknown): void;
}

/** What `enqueue()` resolves with once librdkafka took the message. */
export interface Enqueued {
  /** Settles with the message's outcome; never an `unhandledRejection` if left alone. */
  delivered: Promise<DeliveryReport>;
}

/** enqueue(): its Promise, settled when librdkafka takes the message (or refuses it), and what it resolves with. */
export interface Acceptance {
  readonly deferred: Deferred<Enqueued>;
  readonly enqueued: Enqueued;
}

/**
 * One message on its way (being serialized, waiting for room, or in librdkafka), and who hears
 * of its outcome. Every field is always present, so that every Delivery has one shape.
 */
export interface Delivery {
  readonly topic: string;
  /** The partition asked for, -1 for the partitioner's choice. */
  readonly partition: number;
  /**
   * The functions that settle the call's Promise (produce, awaitable produce2, enqueue's
   * `delivered`: see {@link deliveryPromise}); absent for fire-and-forget and batch messages.
   * Kept on the Delivery itself, not in a Deferred object: one object less per awaited message.
   */
  resolve: ((report: DeliveryReport) => void) | undefined;
  reject: ((err: AIOKafkaError) => void) | undefined;
  readonly onDelivery: DeliveryCallback | undefined;
  /** produce2 / fire-and-forget: a failure is also reported out of band. */
  readonly outOfBand: boolean;
  /** produceBatch: the batch this message's outcome goes to, at `index`. */
  readonly batch: BatchResults | undefined;
  readonly index: number;
  /** enqueue(): resolved when librdkafka takes the message, rejected if it never does. */
  readonly acceptance: Acceptance | undefined;
  /** The pending-registry id once librdkafka took the message; -1 before. */
  id: number;
  /**
   * Set once its outcome is decided (refused, aborted, settled): whoever still holds it (the
   * admission queue, the serializer) drops it, and no second outcome is ever given.
   */
  decided: boolean;
  /** Whether it is in the admission queue, waiting for room. */
  waiting: boolean;
  /** Removes the AbortSignal listener; undefined without a signal. */
  unwatch: (() => void) | undefined;
  /** The produce channel's payload; undefined when nobody subscribed at the call. */
  trace: ProduceTrace | undefined;
  /** `propagateTraceContext`: the trace-context headers read at the call, to append when sending. */
  traceHeaders: NativeHeader[] | undefined;
}

/** A Delivery with every field in place. */
export function newDelivery(
  topic: string,
  partition: number,
  fields: Partial<Pick<Delivery, 'onDelivery' | 'outOfBand' | 'batch' | 'index' | 'acceptance'>>,
): Delivery {
  return {
    topic,
    partition,
    resolve: undefined,
    reject: undefined,
    onDelivery: fields.onDelivery,
    outOfBand: fields.outOfBand ?? false,
    batch: fields.batch,
    index: fields.index ?? -1,
    acceptance: fields.acceptance,
    id: -1,
    decided: false,
    waiting: false,
    unwatch: undefined,
    trace: undefined,
    traceHeaders: undefined,
  };
}

/** The partition a message asks for, -1 when it leaves the choice to the partitioner. */
export function partitionOf(options: { partition?: number | null } | null | undefined): number {
  const partition = options?.partition;
  return typeof partition === 'number' ? partition : -1;
}

/** The delivery whose Promise {@link deliveryPromise} is creating (its executor runs at once). */
let creating: Delivery | undefined;

/** A Promise executor shared by every delivery: no closure allocated per message. */
function captureSettlers(resolve: (report: DeliveryReport) => void, reject: (err: AIOKafkaError) => void): void {
  creating!.resolve = resolve;
  creating!.reject = reject;
}

/** The Promise of `delivery`'s outcome, which {@link settleDelivery} settles. */
export function deliveryPromise(delivery: Delivery): Promise<DeliveryReport> {
  creating = delivery;
  try {
    return new Promise<DeliveryReport>(captureSettlers);
  } finally {
    creating = undefined;
  }
}

/** librdkafka took the message: an `enqueue()` caller may go on. */
export function deliveryAccepted(delivery: Delivery): void {
  delivery.acceptance?.deferred.resolve(delivery.acceptance.enqueued);
}

/**
 * Settles one delivery: `onDelivery` (or, for an out-of-band failure without one, the
 * `deliveryError` event) first, then the Promise. A throwing callback is reported as `error`.
 * Never throws.
 */
export function settleDelivery(
  delivery: Delivery,
  err: AIOKafkaError | null,
  report: DeliveryReport | undefined,
  events: ClientEvents,
): void {
  delivery.decided = true;
  // The span ends at the report: before callbacks and the Promise see the outcome.
  if (delivery.trace !== undefined) producerChannels.produce.settle(delivery.trace, err, report);
  if (delivery.unwatch !== undefined) {
    delivery.unwatch();
    delivery.unwatch = undefined;
  }
  // Refused before librdkafka took it: the enqueue() call itself fails (and `delivered` with it).
  if (err !== null && delivery.id < 0) delivery.acceptance?.deferred.reject(err);
  if (delivery.batch !== undefined) {
    delivery.batch.settle(delivery.index, err, report);
    return;
  }
  if (delivery.onDelivery !== undefined) {
    try {
      delivery.onDelivery(err, report);
    } catch (thrown) {
      events.error(thrown, 'an onDelivery callback threw');
    }
  } else if (err !== null && delivery.outOfBand) {
    events.emitOrReport('deliveryError', err, 'delivery failed');
  }
  if (delivery.resolve !== undefined) {
    if (err === null) delivery.resolve(report!);
    else delivery.reject!(err);
  }
}

/**
 * Settles a delivery refused before it reached librdkafka. The Promise rejects now (its handlers
 * run later anyway); callbacks and events run in a microtask, never inside the refused call.
 */
export function settleDeliveryLater(delivery: Delivery, err: AIOKafkaError, events: ClientEvents): void {
  if (delivery.onDelivery === undefined && !delivery.outOfBand) {
    settleDelivery(delivery, err, undefined, events);
    return;
  }
  queueMicrotask(() => settleDelivery(delivery, err, undefined, events));
}

/**
 * The error of a message caught by a fatal error. `sent`: librdkafka had taken it, so it may have
 * been delivered (`possiblyDelivered: true`); otherwise it was never sent.
 */
export function fatalDeliveryError(fatal: AIOKafkaError, target: MessageTarget, sent: boolean): DeliveryError {
  const what = sent ? `delivery to topic "${target.topic}" unconfirmed` : `message for topic "${target.topic}" not delivered`;
  return new DeliveryError(`producer stopped by a fatal error (${fatal.message}); ${what}`, {
    code: fatal.code,
    fatal: true,
    cause: fatal,
    topic: target.topic,
    partition: target.partition,
    possiblyDelivered: sent,
  });
}

/**
 * The error of a message `close()` gave up on, by where it was: `sent` (librdkafka had taken it,
 * so it may or may not have been delivered), `waiting` for room in the local queue, or
 * `serializing` (in a serializer, or queued behind one); the last two were never sent.
 */
export function closedDeliveryError(target: MessageTarget, stage: 'sent' | 'waiting' | 'serializing'): ProducerClosedError {
  const what =
    stage === 'sent'
      ? `before delivery to topic "${target.topic}" was confirmed; the message may or may not have been delivered`
      : stage === 'waiting'
        ? `while the message for topic "${target.topic}" waited for room in the local queue; it was not sent`
        : `while the message for topic "${target.topic}" was still being serialized (or queued behind one that was); it was not sent`;
  return new ProducerClosedError(`producer closed ${what}`, { possiblyDelivered: stage === 'sent' });
}
