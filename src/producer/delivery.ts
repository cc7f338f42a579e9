import type pDefer from 'p-defer';
import type { ClientEvents } from '../core/client-events';
import { DeliveryError, ProducerClosedError, type AIOKafkaError, type MessageTarget } from '../core/errors';
import type { DeliveryReport } from './delivery-report';
import type { DeliveryCallback } from './options';

/** One message handed to librdkafka (or waiting for room), and who hears of its outcome. */
export interface Delivery {
  readonly topic: string;
  /** The partition asked for, -1 for the partitioner's choice. */
  readonly partition: number;
  /** Absent for fire-and-forget: no Promise is allocated. */
  readonly deferred: pDefer.DeferredPromise<DeliveryReport> | undefined;
  readonly onDelivery: DeliveryCallback | undefined;
  /** produce2 / fire-and-forget: a failure is also reported out of band. */
  readonly outOfBand: boolean;
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
  if (delivery.onDelivery !== undefined) {
    try {
      delivery.onDelivery(err, report);
    } catch (thrown) {
      events.error(thrown, 'an onDelivery callback threw');
    }
  } else if (err !== null && delivery.outOfBand) {
    events.emitOrReport('deliveryError', err, 'delivery failed');
  }
  if (delivery.deferred !== undefined) {
    if (err === null) delivery.deferred.resolve(report!);
    else delivery.deferred.reject(err);
  }
}

/**
 * Settles a delivery refused before it reached librdkafka. The Promise rejects now (its handlers
 * run later anyway); callbacks and events run in a microtask, never inside the refused call.
 */
export function settleDeliveryLater(delivery: Delivery, err: AIOKafkaError, events: ClientEvents): void {
  if (delivery.onDelivery === undefined && !delivery.outOfBand) {
    delivery.deferred?.reject(err);
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
 * The error of a message `close()` gave up on. `sent`: librdkafka had taken it, so it may or may
 * not have been delivered; otherwise it was still waiting for room and was never sent.
 */
export function closedDeliveryError(target: MessageTarget, sent: boolean): ProducerClosedError {
  const what = sent
    ? `before delivery to topic "${target.topic}" was confirmed; the message may or may not have been delivered`
    : `while the message for topic "${target.topic}" waited for room in the local queue; it was not sent`;
  return new ProducerClosedError(`producer closed ${what}`, { possiblyDelivered: sent });
}
