import { Fifo } from '../core/fifo';

/**
 * Per-message delivery deadlines at no cost per message.
 *
 * Ids are handed out in increasing order and every message gets the same timeout, so the messages
 * expire in id order. Instead of a timestamp per message this keeps checkpoints "every id below N
 * was handed out by time T", at most one per `granularityMs`. A message is declared expired when a
 * checkpoint that covers it is `timeoutMs` old: never early, and late by at most the granularity
 * plus two poll periods (the producer fails it one tick after finding it expired, so that a report
 * already served by poll() can still arrive).
 */
export class DeliveryDeadlines {
  readonly #timeoutMs: number;
  readonly #granularityMs: number;
  readonly #checkpoints = new Fifo<{ id: number; at: number }>();
  /** The id limit of the newest checkpoint. */
  #lastId = 0;
  #lastAt = -Infinity;

  constructor(timeoutMs: number, granularityMs = Math.min(100, Math.max(1, timeoutMs / 20))) {
    this.#timeoutMs = timeoutMs;
    this.#granularityMs = granularityMs;
  }

  /**
   * Notes that every id below `nextId` has been handed out by `now` (call it on every poll), and
   * returns the id limit below which messages have expired (0 when none have).
   */
  expiredBelow(nextId: number, now: number): number {
    if (nextId > this.#lastId && now - this.#lastAt >= this.#granularityMs) {
      this.#checkpoints.push({ id: nextId, at: now });
      this.#lastId = nextId;
      this.#lastAt = now;
    }
    let limit = 0;
    let checkpoint: { id: number; at: number } | undefined;
    while ((checkpoint = this.#checkpoints.peek()) !== undefined && now - checkpoint.at >= this.#timeoutMs) {
      limit = checkpoint.id;
      this.#checkpoints.shift();
    }
    return limit;
  }
}
