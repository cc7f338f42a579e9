/*
 * The messages produced in one transaction, as commit sees them: how many have not settled, and
 * the first that failed. librdkafka commits whatever it delivered; a message that failed before
 * it reached librdkafka (refused, a serializer's throw) or that `deliveryTimeoutMs` failed is
 * invisible to it, so commit asks here first.
 */
import { AIOErrorCodes, TransactionError, type AIOKafkaError } from '../core/errors';
import { settlesWithin } from '../core/timeouts';
import { isPurge } from '../native/errors';

export class TransactionMessages {
  /** Messages not settled yet. */
  #pending = 0;
  /** The first message that failed (a purge only until another failure shows its cause). */
  #failed: AIOKafkaError | undefined;
  #failures = 0;
  #waiters: Array<() => void> = [];

  /** Messages produced in the transaction whose delivery has not settled yet. */
  get pending(): number {
    return this.#pending;
  }

  /** Counts one message in; its delivery is watched (a rejection is handled here: never unhandled). */
  track(delivery: Promise<unknown>): void {
    this.#pending++;
    delivery.then(
      () => this.#settled(undefined),
      (err: AIOKafkaError) => this.#settled(err),
    );
  }

  /**
   * The failure to refuse a commit with when a message failed, else undefined: `abortable`,
   * `cause` the first failure. (When that failure stopped the producer, the producer's fatal
   * state says so first: see transaction-states.ts.)
   */
  failure(): TransactionError | undefined {
    const failed = this.#failed;
    if (failed === undefined) return undefined;
    return new TransactionError(
      `commit refused: ${this.#failures} message(s) produced in the transaction failed (the first: ${failed.message}); abort the transaction`,
      { code: AIOErrorCodes.TRANSACTION_PRODUCE_FAILED, abortable: true, cause: failed },
    );
  }

  /** Resolves when every message settled; rejects (retriable) at `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.#pending === 0) return;
    const all = new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (!(await settlesWithin(all, timeoutMs))) {
      throw new TransactionError(`commit: ${this.#pending} message(s) of the transaction still undelivered after ${timeoutMs} ms`, {
        code: AIOErrorCodes.OPERATION_TIMEOUT,
        retriable: true,
      });
    }
  }

  #settled(err: AIOKafkaError | undefined): void {
    this.#pending--;
    if (err !== undefined) {
      this.#failures++;
      // A purge is the consequence of another failure (librdkafka purges when the transaction
      // must abort): the cause to show is that other one, when one of ours saw it.
      if (this.#failed === undefined || (isPurge(this.#failed) && !isPurge(err))) this.#failed = err;
    }
    if (this.#pending === 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }
}
