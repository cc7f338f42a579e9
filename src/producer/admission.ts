import { QueueFullError, type AIOKafkaError, type MessageTarget } from '../core/errors';
import { Fifo } from '../core/fifo';
import { fromLibrdkafka, nativeCodeName } from '../native/errors';
import type { Delivery } from './delivery';
import type { NativeMessage } from './outgoing-message';

/** A message that found librdkafka's queue full and waits for room, in call order. */
export interface Waiting {
  readonly delivery: Delivery;
  readonly message: NativeMessage;
  /** performance.now() after which it gives up with QueueFullError. */
  readonly deadline: number;
}

/**
 * Why there is no room: librdkafka's queue is full, or the producer holds
 * `queue.buffering.max.messages` messages whose report has not reached JavaScript yet (a report
 * served by librdkafka no longer counts in its queue, but may still wait in the binding).
 */
export const NO_ROOM =
  "librdkafka's local queue is full, or queue.buffering.max.messages messages await their delivery report";

/** How {@link AdmissionQueue.admit} hands a message to librdkafka: see `ProducePipeline#send`. */
export type Send = (delivery: Delivery, message: NativeMessage) => AIOKafkaError | 'full' | undefined;

/**
 * Backpressure for awaitable calls: messages that found no room ({@link NO_ROOM}) wait here, in
 * call order, up to `enqueueTimeoutMs`, and are handed over as room appears (on each poll).
 */
export class AdmissionQueue {
  readonly #waiting = new Fifo<Waiting>();
  readonly #timeoutMs: number;
  /** Entries still in the Fifo whose message was aborted: skipped when reached. */
  #cancelled = 0;

  constructor(enqueueTimeoutMs: number) {
    this.#timeoutMs = enqueueTimeoutMs;
  }

  /** How many messages wait for room. */
  get length(): number {
    return this.#waiting.length - this.#cancelled;
  }

  /**
   * Queues a message behind the others. It is sent later: the (reused) message is copied, and
   * its header records, rather than holding on to the caller's checked objects.
   */
  hold(delivery: Delivery, message: NativeMessage): void {
    const held = { ...message, headers: message.headers?.map((h) => ({ ...h })) };
    delivery.waiting = true;
    this.#waiting.push({ delivery, message: held, deadline: performance.now() + this.#timeoutMs });
  }

  /**
   * Sends waiting messages, oldest first, while librdkafka takes them; fails those whose deadline
   * passed (QueueFullError) or that librdkafka refused, through `fail`.
   */
  admit(send: Send, fail: (delivery: Delivery, err: AIOKafkaError) => void): void {
    let waiting: Waiting | undefined;
    while ((waiting = this.#waiting.peek()) !== undefined) {
      if (!waiting.delivery.waiting) {
        // Aborted while it waited: its outcome is given already.
        this.#waiting.shift();
        this.#cancelled--;
        continue;
      }
      const err = send(waiting.delivery, waiting.message);
      // A fatal refusal stopped the producer, and that already took every waiting message.
      if (this.#waiting.peek() !== waiting) return;
      if (err === 'full') {
        if (performance.now() < waiting.deadline) return;
        this.#waiting.shift();
        waiting.delivery.waiting = false;
        fail(
          waiting.delivery,
          new QueueFullError(
            `no room for ${this.#timeoutMs} ms (enqueueTimeoutMs): ${NO_ROOM}; ` +
              `message for topic "${waiting.delivery.topic}" not sent`,
          ),
        );
        continue;
      }
      this.#waiting.shift();
      waiting.delivery.waiting = false;
      if (err !== undefined) fail(waiting.delivery, err);
    }
  }

  /**
   * Takes an aborted message out of the wait (lazily: its entry is skipped when reached).
   * Returns false when it was not waiting.
   */
  cancel(delivery: Delivery): boolean {
    if (!delivery.waiting) return false;
    delivery.waiting = false;
    this.#cancelled++;
    return true;
  }

  /** Removes and returns every waiting message, oldest first. */
  drain(): Waiting[] {
    const all = this.#waiting.drain().filter((waiting) => waiting.delivery.waiting);
    for (const waiting of all) waiting.delivery.waiting = false;
    this.#cancelled = 0;
    return all;
  }
}

/**
 * The QueueFullError of a fire-and-forget message that found no room ({@link NO_ROOM}), or
 * `waitingCount` awaitable messages already waiting for room.
 */
export function queueFullError(target: { topic: string }, waitingCount: number): QueueFullError {
  const why = waitingCount > 0 ? `${waitingCount} awaitable message(s) wait for room (${NO_ROOM})` : NO_ROOM;
  return new QueueFullError(`${why}; fire-and-forget message for topic "${target.topic}" not sent`);
}

/** What a plain `produce` on a transactional producer, outside a transaction, is told to do. */
const OUTSIDE_TRANSACTION =
  'this producer is transactional: produce in a transaction, with tx.produce() on the transaction `await producer.transaction()` begins';

/**
 * What librdkafka's refusal of a message (a throw of `produce()`) means: `'full'` (its queue is
 * full: wait or QueueFullError) or the typed error. `outsideTransaction`: the producer is
 * transactional with no transaction open, where librdkafka refuses with ERR__STATE.
 */
export function sendRefusal(err: unknown, target: MessageTarget, outsideTransaction: boolean): AIOKafkaError | 'full' {
  const code = nativeCodeName(err);
  if (code === 'ERR__QUEUE_FULL') return 'full';
  const hint = code === 'ERR__STATE' && outsideTransaction ? OUTSIDE_TRANSACTION : undefined;
  return fromLibrdkafka(err, { kind: 'produce', target, hint });
}
