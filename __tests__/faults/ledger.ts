import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AIOKafkaError, isAIOKafkaError, type AIOProducer, type DeliveryReport } from '../../src';
import type { ReadMessage } from '../helpers/read-topic';

/** What happened to one numbered message, as its caller saw it. */
export interface Outcome {
  seq: number;
  key: string;
  /** How many times the caller heard of it (promise + onDelivery count once together). */
  settlements: number;
  report?: DeliveryReport;
  error?: AIOKafkaError;
  /** Anything the caller got that was not a typed error. */
  untyped?: unknown;
  /** performance.now() when the call was made. */
  calledAt?: number;
  /** performance.now() when it (first) settled. */
  settledAt?: number;
  /** Position among the ledger's settlements: 0 for the first call to settle. */
  settleIndex?: number;
}

/**
 * Produces numbered messages and records every outcome: each call is a produce2 with an
 * onDelivery callback, and the callback and the promise must agree and come exactly once.
 */
export class Ledger {
  readonly outcomes = new Map<number, Outcome>();
  #next = 0;
  #settledCount = 0;
  readonly #keys: number;

  constructor(readonly topic: string, keys = 8) {
    this.#keys = keys;
  }

  /** Value of message `seq`: its number, so a read-back can be matched. */
  static value(seq: number): string {
    return String(seq);
  }

  /** Key of message `seq` when the call does not choose one. */
  keyOf(seq: number): string {
    return `k${seq % this.#keys}`;
  }

  /** The number the next call will get. */
  get nextSeq(): number {
    return this.#next;
  }

  /** `options.key`: send this message under that key instead of its own (one of the ledger's keys, for the order check). */
  produce(producer: AIOProducer, options: { key?: string } = {}): Promise<void> {
    const seq = this.#next++;
    const outcome: Outcome = { seq, key: options.key ?? this.keyOf(seq), settlements: 0, calledAt: performance.now() };
    const mark = (): void => {
      if (outcome.settledAt !== undefined) return;
      outcome.settledAt = performance.now();
      outcome.settleIndex = this.#settledCount++;
    };
    this.outcomes.set(seq, outcome);
    let callback: { err: AIOKafkaError | null; report: DeliveryReport | undefined } | undefined;
    const promise = producer.produce2(this.topic, Ledger.value(seq), {
      key: outcome.key,
      onDelivery: (err, report) => {
        if (callback !== undefined) outcome.settlements++; // a second callback: counted as an extra settlement
        callback = { err, report };
      },
    });
    return promise.then(
      (report) => {
        mark();
        outcome.settlements++;
        outcome.report = report;
        if (callback?.report !== report) outcome.untyped = new Error('onDelivery and the promise disagree');
      },
      (err: unknown) => {
        mark();
        outcome.settlements++;
        if (isAIOKafkaError(err)) outcome.error = err;
        else outcome.untyped = err;
        if (callback?.err !== err) outcome.untyped = new Error('onDelivery and the promise disagree');
      },
    );
  }

  get delivered(): Outcome[] {
    return [...this.outcomes.values()].filter((o) => o.report !== undefined);
  }

  get failed(): Outcome[] {
    return [...this.outcomes.values()].filter((o) => o.error !== undefined);
  }

  /**
   * Checks a read-back of the topic against the ledger, per partition: every message reported
   * delivered is there, none twice, in call order per key, and none that was certainly not sent.
   */
  verify(read: ReadMessage[]): Verdict {
    const seen = new Map<number, ReadMessage[]>();
    for (const m of read) {
      const seq = Number(m.value!.toString());
      seen.set(seq, [...(seen.get(seq) ?? []), m]);
    }
    const missing = this.delivered.filter((o) => !seen.has(o.seq)).map((o) => o.seq);
    const duplicated = [...seen].filter(([, copies]) => copies.length > 1).map(([seq]) => seq);
    const wronglyPresent = this.failed.filter((o) => seen.has(o.seq) && !possiblyDelivered(o.error!)).map((o) => o.seq);
    const misplaced = this.delivered
      .filter((o) => seen.has(o.seq))
      .filter((o) => {
        const m = seen.get(o.seq)![0]!;
        return m.partition !== o.report!.partition || m.offset !== o.report!.offset;
      })
      .map((o) => o.seq);
    // Per key (one partition each), offsets must grow with the sequence number.
    const outOfOrder: number[] = [];
    const lastByKey = new Map<string, number>();
    for (const m of [...read].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      const seq = Number(m.value!.toString());
      const key = m.key!.toString();
      const last = lastByKey.get(key);
      if (last !== undefined && seq < last) outOfOrder.push(seq);
      lastByKey.set(key, seq);
    }
    const outcomes = [...this.outcomes.values()];
    return {
      produced: outcomes.length,
      delivered: this.delivered.length,
      failed: this.failed.length,
      failedCodes: countBy(this.failed.map((o) => o.error!.code)),
      readBack: read.length,
      missing,
      duplicated,
      outOfOrder,
      wronglyPresent,
      misplaced,
      notSettledOnce: outcomes.filter((o) => o.settlements !== 1).map((o) => o.seq),
      untyped: outcomes.filter((o) => o.untyped !== undefined).map((o) => o.seq),
    };
  }
}

export interface Verdict {
  produced: number;
  delivered: number;
  failed: number;
  failedCodes: Record<string, number>;
  readBack: number;
  missing: number[];
  duplicated: number[];
  outOfOrder: number[];
  wronglyPresent: number[];
  misplaced: number[];
  notSettledOnce: number[];
  untyped: number[];
}

function possiblyDelivered(err: AIOKafkaError): boolean {
  return (err as { possiblyDelivered?: boolean }).possiblyDelivered === true;
}

function countBy(items: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

/** Expects a clean verdict: nothing missing, duplicated, reordered, misplaced or unsettled. */
export function expectClean(verdict: Verdict): void {
  expect({
    missing: verdict.missing,
    duplicated: verdict.duplicated,
    outOfOrder: verdict.outOfOrder,
    wronglyPresent: verdict.wronglyPresent,
    misplaced: verdict.misplaced,
    notSettledOnce: verdict.notSettledOnce,
    untyped: verdict.untyped,
  }).toEqual({ missing: [], duplicated: [], outOfOrder: [], wronglyPresent: [], misplaced: [], notSettledOnce: [], untyped: [] });
}

/**
 * Records a scenario's figures for docs/reliability.md: printed, and appended as a JSON line to
 * FAULTS_REPORT when that variable names a file.
 */
export function record(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, ...figures });
  console.log(`FAULT-RESULT ${line}`);
  const file = process.env.FAULTS_REPORT;
  if (file) appendFileSync(resolve(file), `${line}\n`);
}

export { AIOKafkaError };
