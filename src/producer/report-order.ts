/*
 * Delivery reports held back around a transaction's abort, and settled in the order their
 * messages were produced.
 *
 * librdkafka's abort (and commit) flushes, and a flush serves the client's queue from the thread
 * that runs it (a thread of libuv's pool here) while another thread serves it too: the background
 * poll thread (node-rdkafka: this package's plugin; CKJS: librdkafka's own) or the poll timer. Each
 * takes a batch of reports and hands them to JavaScript without a lock between them, so one
 * partition's reports can come out of order: measured on both bindings, a few inversions per
 * 18,000 messages aborted (__tests__/integration/transactions-order.test.ts). A commit is not
 * affected: it waits for every message of the transaction before librdkafka flushes.
 *
 * So from the moment an abort starts, reports are held until none of the messages produced before
 * it is pending any more; then they are settled by id, which is produce order, so each
 * partition's order is kept. A message that never gets a report is failed as always (its
 * deadline, close, a fatal error), and the hold ends then.
 */
import type { NativeDeliveryReport } from '../native/producer';
import type { PendingRegistry } from './pending';

/** A report held back, with the delivery it settles. */
export interface HeldReport<D> {
  readonly id: number;
  readonly delivery: D;
  readonly err: Error | null;
  readonly report: NativeDeliveryReport;
}

/** One producer's reports, held in an abort and settled in produce order. */
export class ReportOrder<D> {
  readonly #pending: PendingRegistry<D>;
  readonly #settle: (delivery: D, err: Error | null, report: NativeDeliveryReport) => void;
  /** Messages with an id below this one were produced before the abort began; 0: not holding. */
  #below = 0;
  #held: Array<HeldReport<D>> = [];

  constructor(pending: PendingRegistry<D>, settle: (delivery: D, err: Error | null, report: NativeDeliveryReport) => void) {
    this.#pending = pending;
    this.#settle = settle;
  }

  /** Whether reports are being held (read for every report: a field, no work). */
  get holding(): boolean {
    return this.#below !== 0;
  }

  /** An abort begins: hold the reports until none of the messages produced so far is pending. */
  hold(): void {
    if (this.#below === 0) this.#below = this.#pending.nextId;
    this.release();
  }

  /** Holds one report (its delivery already taken out of the registry). */
  add(id: number, delivery: D, err: Error | null, report: NativeDeliveryReport): void {
    this.#held.push({ id, delivery, err, report });
    this.release();
  }

  /** Settles the held reports, by id, once no message produced before the hold is pending. */
  release(): void {
    if (this.#below === 0 || this.#pending.hasBelow(this.#below)) return;
    for (const r of this.takeAll()) this.#settle(r.delivery, r.err, r.report);
  }

  /** Ends the hold: every report held, by id, for the caller to settle (close, a fatal error). */
  takeAll(): Array<HeldReport<D>> {
    const held = this.#held.sort((a, b) => a.id - b.id);
    this.#held = [];
    this.#below = 0;
    return held;
  }
}
