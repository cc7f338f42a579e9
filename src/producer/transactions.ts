/*
 * The transactions of one producer configured with `transactional.id`: one transaction at a time,
 * whose messages and consumer offsets become visible to `read_committed` consumers all together
 * on commit, or never (abort).
 *
 * librdkafka does the protocol (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn); node-rdkafka runs each of its blocking calls on libuv's thread pool.
 * This file runs those calls (each bounded, each failure typed), shares the producer's one fatal
 * state, begins transactions (one at a time, refused rather than queued) and ends them at close.
 * What a transaction may do is decided by the table in transaction-states.ts; the handle the user
 * holds is transaction.ts.
 */
import pDefer from 'p-defer';
import { AIOErrorCodes, InvalidStateError, OperationTimeoutError, ProducerClosedError, TransactionError, type AIOKafkaError } from '../core/errors';
import { noop } from '../core/noop';
import { callWithDeadline, delay, LIBRDKAFKA_GRACE_MS, nativeTimeoutMs, remainingMs, settlesWithin } from '../core/timeouts';
import { fromTransactional } from '../native/errors';
import type { NativeTransactionCallback } from '../native/producer';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, Transaction, type NativeCall, type TransactionOwner, type TransactionsHost } from './transaction';
import { beginStep, fatalTransactionError, hasEnded, type BeginRefusal, type ProducerPhase } from './transaction-states';

/**
 * Extra time our own timer gives librdkafka's timeout to answer first, in ms: its answer says
 * what state the transaction is in; ours can only say that none came.
 */
const NATIVE_GRACE_MS = 5_000;

/** Pause before close tries again an abort librdkafka refused as retriable, in ms. */
const ABORT_RETRY_PAUSE_MS = 100;

/**
 * The transactions of one producer: at most one in progress at a time. Created by the producer
 * when its config has `transactional.id`.
 * @internal
 */
export class Transactions implements TransactionOwner {
  readonly #host: TransactionsHost;
  /** The last transaction begun (it may have ended). */
  #active: Transaction<unknown, unknown> | undefined;
  /** A begin under way: resolves (never rejects) once it has its outcome. */
  #beginning: Promise<void> | undefined;
  #closing: 'running' | 'closing' | 'closed' = 'running';
  /** Aborted when close gives up: every call still waiting for librdkafka is answered then. */
  readonly #gaveUp = new AbortController();
  /** Native calls that have not returned yet: the client must not be disconnected under them. */
  readonly #inFlight = new Set<Promise<void>>();
  /**
   * The fatal error transactional calls reject with once the producer is fatal: the first fatal
   * answer of a transactional call (librdkafka's own code, `ERR__FENCED`, ...), else the
   * producer's fatal error wrapped once.
   */
  #fatal: TransactionError | undefined;

  constructor(host: TransactionsHost) {
    this.#host = host;
  }

  /**
   * The producer's fatal error as every transactional call's failure (a `fatal`
   * {@link TransactionError}), or undefined while the producer is not fatally failed.
   */
  fatal(): TransactionError | undefined {
    const fatal = this.#host.fatal();
    if (fatal === undefined) return undefined;
    this.#fatal ??= fatalTransactionError(fatal);
    return this.#fatal;
  }

  /** Whether a transaction is open (begun and not yet committed or aborted). */
  get open(): boolean {
    return this.#active !== undefined && !hasEnded(this.#active.state);
  }

  /** The error of a call refused as `unusable`: the producer's fatal error, or that it closed. */
  unusable(what: string): AIOKafkaError {
    return this.fatal() ?? new ProducerClosedError(`${what}: the producer is closed`, { possiblyDelivered: false });
  }

  /**
   * librdkafka's `init_transactions`: gets the producer id and epoch for `transactional.id` from
   * the transaction coordinator, which fences any older instance with the same id and completes
   * (aborts) the transaction it left open. Called once, by `connect()`.
   */
  init(timeoutMs: number): Promise<void> {
    // Part of connect: bounded like connect's own wait (its limit plus librdkafka's grace).
    return this.call(
      'connect: initTransactions',
      timeoutMs,
      (cb) => this.#host.native.initTransactions(nativeTimeoutMs(timeoutMs), cb),
      undefined,
      LIBRDKAFKA_GRACE_MS,
    ).answer;
  }

  /** Begins a transaction; see {@link AIOProducer.transaction}. */
  async begin(): Promise<Transaction<unknown, unknown>> {
    const step = beginStep(this.#phase());
    if ('refuse' in step) throw this.#beginRefused(step.refuse);
    const begun = pDefer<void>();
    this.#beginning = begun.promise;
    let transaction: Transaction<unknown, unknown>;
    try {
      // A local state change in librdkafka (nothing is sent): bounded by the default limit all the same.
      await this.call('transaction: beginTransaction', DEFAULT_TRANSACTION_TIMEOUT_MS, (cb) => this.#host.native.beginTransaction(cb))
        .answer;
      transaction = new Transaction<unknown, unknown>(this, this.#host);
      this.#active = transaction;
    } finally {
      this.#beginning = undefined;
      begun.resolve();
    }
    // close() began meanwhile: it aborts what librdkafka began; the caller never gets it.
    if (this.#closing !== 'running') throw this.#beginRefused('closed');
    return transaction;
  }

  /**
   * Before the producer disconnects (its state already says closed): refuses new transactions,
   * aborts the one in progress (one being begun too, once begun), and returns by `timeoutMs`
   * whatever still runs: what still waits is then answered ({@link ProducerClosedError}), and a
   * native call librdkafka still runs is left to its own timeout ({@link Transactions.running}).
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closing !== 'running') return;
    this.#closing = 'closing';
    const started = performance.now();
    const aborted = (async () => {
      await this.#beginning;
      const open = this.#active;
      if (open !== undefined) await this.#abortAtClose(open, () => remainingMs(started, timeoutMs));
    })();
    const inTime = await settlesWithin(aborted, timeoutMs);
    this.#closing = 'closed';
    this.#active?.producerClosed(inTime ? 'the producer closed' : `the producer closed (close() gave up after ${timeoutMs} ms)`);
    // Our timers of the calls still running are cleared; their answers to the callers were given above.
    if (!inTime) this.#gaveUp.abort(new ProducerClosedError('the producer closed while librdkafka still ran the call', { possiblyDelivered: true }));
  }

  /**
   * Aborts the transaction close found open, again while librdkafka says a retry may succeed
   * and close's time lasts; a failure left is reported (the coordinator keeps the transaction
   * open until `transaction.timeout.ms`, holding back `read_committed` readers meanwhile).
   */
  async #abortAtClose(open: Transaction<unknown, unknown>, left: () => number): Promise<void> {
    for (;;) {
      try {
        await open.abort({ timeoutMs: left() });
        return;
      } catch (err) {
        // Refused because it ended already: nothing to abort.
        if (err instanceof InvalidStateError) return;
        const typed = err as AIOKafkaError;
        if (typed.retriable && left() > ABORT_RETRY_PAUSE_MS) {
          await delay(ABORT_RETRY_PAUSE_MS);
          continue;
        }
        this.#host.report(typed, 'close: the open transaction could not be aborted; the coordinator keeps it open until transaction.timeout.ms');
        return;
      }
    }
  }

  /**
   * Resolves when every native call made so far has returned; undefined when none is running.
   * node-rdkafka's disconnect deletes librdkafka's client without a lock against these calls, so
   * the producer disconnects only after this.
   */
  running(): Promise<void> | undefined {
    return this.#inFlight.size === 0 ? undefined : Promise.all([...this.#inFlight]).then(noop);
  }

  /**
   * Runs one native transactional call, bounded by `timeoutMs` (plus a grace for librdkafka's own
   * timeout to answer first). `returned(failure)` runs when node-rdkafka calls back (before the
   * answer settles), with the typed failure or undefined: the transaction's state follows
   * librdkafka's answer, even one that comes after our timer gave up on it.
   */
  call(
    what: string,
    timeoutMs: number,
    start: (cb: NativeTransactionCallback) => unknown,
    returned?: (failure: TransactionError | undefined) => void,
    graceMs = NATIVE_GRACE_MS,
  ): NativeCall {
    const back = pDefer<void>();
    this.#inFlight.add(back.promise);
    let answered = false;
    const onReturn = (err: unknown): TransactionError | undefined => {
      if (answered) return undefined;
      answered = true;
      this.#inFlight.delete(back.promise);
      const failure = err ? this.#failure(err, what) : undefined;
      returned?.(failure);
      back.resolve();
      return failure;
    };
    const answer = callWithDeadline<void>(
      what,
      timeoutMs,
      (done) => {
        try {
          return start((err) => done(onReturn(err) ?? null, undefined));
        } catch (err) {
          throw onReturn(err) ?? err;
        }
      },
      {
        graceMs,
        timeoutMessage: `${what}: no answer from librdkafka within ${timeoutMs} ms`,
        signal: this.#gaveUp.signal,
      },
    ).catch((err: unknown) => {
      if (err instanceof OperationTimeoutError) {
        throw new TransactionError(err.message, { code: AIOErrorCodes.OPERATION_TIMEOUT, retriable: true, cause: err });
      }
      throw err;
    });
    return { answer, returned: back.promise };
  }

  /**
   * A native call's error, typed by librdkafka's flags. A fatal one becomes the producer's fatal
   * state (unless it has one already) and keeps its own code; any other failure of a fatally
   * failed producer is the fatal error.
   */
  #failure(err: unknown, what: string): TransactionError {
    const typed = fromTransactional(err, what);
    if (!typed.fatal) return this.fatal() ?? typed;
    this.#host.enterFatal(typed);
    this.#fatal ??= typed;
    return typed;
  }

  #phase(): ProducerPhase {
    if (this.#host.fatal() !== undefined) return 'fatal';
    if (this.#closing !== 'running') return this.#closing;
    if (this.#beginning !== undefined) return 'beginning';
    if (this.open) return 'inTransaction';
    return 'ready';
  }

  #beginRefused(why: BeginRefusal): AIOKafkaError {
    switch (why) {
      case 'fatal':
        return this.unusable('transaction');
      case 'closed':
        return new ProducerClosedError('transaction: the producer is closed', { possiblyDelivered: false });
      case 'busy':
        return new InvalidStateError(
          'transaction: one is already open on this producer; commit or abort it first (a producer runs one transaction at a time)',
        );
    }
  }
}
