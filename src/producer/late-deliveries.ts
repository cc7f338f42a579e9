import type { EventEmitter } from 'node:events';
import type { ClientEvents } from '../core/client-events';
import { AIOErrorCodes, DeliveryError, type MessageTarget } from '../core/errors';
import { fromLibrdkafka } from '../native/errors';
import type { NativeDeliveryReport } from '../native/producer';
import { toDeliveryReport } from './delivery-report';
import type { LateDelivery } from './events';
import { publishLateDelivery, type ProduceTrace } from './tracing';

/** How many timed-out messages are remembered for a `lateDelivery` report. */
const MAX_REMEMBERED = 100_000;

/** The error a message gets when `deliveryTimeoutMs` passed without a report. */
export function deliveryTimeoutError(target: MessageTarget, timeoutMs: number): DeliveryError {
  return new DeliveryError(
    `no delivery report for the message to topic "${target.topic}" within ${timeoutMs} ms ` +
      '(deliveryTimeoutMs); librdkafka may still deliver it: see the lateDelivery event',
    {
      code: AIOErrorCodes.DELIVERY_TIMEOUT,
      retriable: true,
      topic: target.topic,
      partition: target.partition,
      possiblyDelivered: true,
    },
  );
}

/**
 * The messages `deliveryTimeoutMs` failed, remembered (the newest {@link MAX_REMEMBERED}) until
 * librdkafka's own report comes, which is then emitted as `lateDelivery`: the caller was told
 * "timed out", and this is what really happened.
 */
export class LateDeliveries {
  readonly #timedOut = new Map<number, MessageTarget & { readonly trace?: ProduceTrace | undefined }>();
  readonly #emitter: EventEmitter;
  readonly #events: ClientEvents;

  constructor(emitter: EventEmitter, events: ClientEvents) {
    this.#emitter = emitter;
    this.#events = events;
  }

  /** How many timed-out messages wait for their report. */
  get size(): number {
    return this.#timedOut.size;
  }

  /** Remembers a message failed before its report (by the deadline or an abort), by its id. */
  remember(id: number, target: MessageTarget & { readonly trace?: ProduceTrace | undefined }): void {
    this.#timedOut.set(id, target);
    if (this.#timedOut.size > MAX_REMEMBERED) this.#timedOut.delete(this.#timedOut.keys().next().value!);
  }

  /** A report for `id`, if it was a timed-out message: emits `lateDelivery` (or writes to stderr). */
  report(id: number, err: Error | null, report: NativeDeliveryReport): void {
    const target = this.#timedOut.get(id);
    if (target === undefined) return;
    this.#timedOut.delete(id);
    this.#emit(target, err, report);
  }

  /**
   * A report of a fire-and-forget message sent without an opaque, which came after the deadline
   * had failed messages of its topic (src/producer/untracked.ts): emits `lateDelivery` for it.
   */
  reportUntracked(err: Error | null, report: NativeDeliveryReport): void {
    this.#emit({ topic: report.topic, partition: report.partition }, err, report);
  }

  #emit(target: MessageTarget & { readonly trace?: ProduceTrace | undefined }, err: Error | null, report: NativeDeliveryReport): void {
    const late: LateDelivery = {
      topic: report.topic ?? target.topic,
      partition: report.partition ?? target.partition,
      report: err ? undefined : toDeliveryReport(report),
      error: err ? fromLibrdkafka(err, { kind: 'delivery', target }) : undefined,
    };
    if (target.trace !== undefined) publishLateDelivery(target.trace, late);
    if (this.#emitter.listenerCount('lateDelivery') > 0) {
      this.#events.emit('lateDelivery', late);
      return;
    }
    const what = late.report
      ? 'a message already failed (deliveryTimeoutMs, or its AbortSignal) was delivered after all (a retry may have duplicated it)'
      : 'a message already failed (deliveryTimeoutMs, or its AbortSignal) was then reported failed by librdkafka';
    this.#events.warn(
      `${what}; listen for "lateDelivery" to handle it`,
      'AIO_LATE_DELIVERY',
      late.error ?? `topic "${late.topic}" partition ${late.partition} offset ${late.report?.offset}`,
    );
  }

  /** Forgets every timed-out message (on close). */
  clear(): void {
    this.#timedOut.clear();
  }
}
