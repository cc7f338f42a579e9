/*
 * The life of a transaction as one table: every call a transaction (or its producer) takes is
 * looked up here, in the state it finds, and the table says the next state or why the call is
 * refused. Nothing else decides whether a call may go on. The answers of librdkafka move the state
 * too, through the events below, classified in one place (`failureEvent`).
 *
 * The shape follows librdkafka's own transaction states (rd_kafka_txn_state_t), seen from the
 * application: IN_TRANSACTION is `open`, ABORTABLE_ERROR is `abortable`, FATAL_ERROR is `failed`.
 */
import { TransactionError, type AIOKafkaError } from '../core/errors';

/**
 * Where a {@link Transaction} is in its life:
 * - `open`: `produce` and `sendOffsets` are taken;
 * - `committing`: `commit()` was called: it runs, or it failed and may be called again (or the
 *   transaction aborted);
 * - `abortable`: it can no longer commit (a message failed, or librdkafka said so): abort it;
 * - `aborting`: `abort()` was called (or `close()` aborts it): it runs, or it failed and may be
 *   called again;
 * - `committed`, `aborted`: it ended;
 * - `failed`: it ended without a commit or an abort of this producer, which failed fatally or
 *   closed first; the coordinator aborts it (after `transaction.timeout.ms`, or when the next
 *   producer with the same `transactional.id` connects). A commit that `close()` gave up on while
 *   librdkafka still ran it turns it `committed` if librdkafka's answer, when it comes, says so.
 */
export type TransactionState = 'open' | 'committing' | 'abortable' | 'aborting' | 'committed' | 'aborted' | 'failed';

/**
 * What is asked of a transaction: a call being made (`produce` ... `dispose`), or the turn of a
 * queued call's native call (`run*`: the calls of one transaction reach librdkafka one after
 * another, and an earlier call's answer may have moved the state since it was made).
 */
export type TransactionOp =
  | 'produce'
  | 'sendOffsets'
  | 'commit'
  | 'abort'
  | 'dispose'
  | 'runSendOffsets'
  | 'runCommit'
  | 'runAbort';

/**
 * What happened to a transaction: librdkafka answered a call (`committed`, `aborted`, or a
 * failure by its kind), or its producer failed fatally or closed. Never refused.
 */
export type TransactionEvent = 'committed' | 'aborted' | 'retriable' | 'abortable' | 'fatal' | 'closed';

/**
 * Why a call is refused, which says the error:
 * - `ended`: the transaction's state does not take it ({@link InvalidStateError});
 * - `mustAbort`: the transaction can only be aborted (the abortable {@link TransactionError} that
 *   made it so);
 * - `unusable`: the producer failed fatally (a `fatal` TransactionError) or closed
 *   ({@link ProducerClosedError}).
 */
export type Refusal = 'ended' | 'mustAbort' | 'unusable';

/** A step: the state the call moves to (and goes on in), its refusal, or `done` (it already happened). */
export type Step = { readonly to: TransactionState } | { readonly refuse: Refusal } | { readonly done: true };

const open: Step = { to: 'open' };
const committing: Step = { to: 'committing' };
const aborting: Step = { to: 'aborting' };
const ended: Step = { refuse: 'ended' };
const mustAbort: Step = { refuse: 'mustAbort' };
const unusable: Step = { refuse: 'unusable' };
const done: Step = { done: true };

/**
 * The table. Notes on some cells:
 * - `commit` in `committing`: again after a retriable failure, or queued behind the commit that
 *   runs (which may succeed: its turn is then `done`);
 * - `abort` in `committing`: queued behind the commit that runs; if that one succeeds, the
 *   abort's turn is refused (the transaction committed);
 * - `runSendOffsets` in `committing`: the offsets were sent before `commit()` was called, which
 *   waits behind them;
 * - `runSendOffsets`, `runCommit` in `aborting`: made before `abort()` was called, they run first,
 *   in call order (a commit that succeeds leaves nothing to abort: the abort's turn is refused);
 * - `dispose` in `failed`: nothing to do, the coordinator aborts it.
 */
const STEPS: Readonly<Record<TransactionState, Readonly<Record<TransactionOp, Step>>>> = {
  open: {
    produce: open, sendOffsets: open, commit: committing, abort: aborting, dispose: aborting,
    runSendOffsets: open, runCommit: committing, runAbort: aborting,
  },
  committing: {
    produce: ended, sendOffsets: ended, commit: committing, abort: aborting, dispose: aborting,
    runSendOffsets: committing, runCommit: committing, runAbort: aborting,
  },
  abortable: {
    produce: mustAbort, sendOffsets: mustAbort, commit: mustAbort, abort: aborting, dispose: aborting,
    runSendOffsets: mustAbort, runCommit: mustAbort, runAbort: aborting,
  },
  aborting: {
    produce: ended, sendOffsets: ended, commit: ended, abort: aborting, dispose: aborting,
    runSendOffsets: aborting, runCommit: aborting, runAbort: aborting,
  },
  committed: {
    produce: ended, sendOffsets: ended, commit: done, abort: ended, dispose: done,
    runSendOffsets: ended, runCommit: done, runAbort: ended,
  },
  aborted: {
    produce: ended, sendOffsets: ended, commit: ended, abort: done, dispose: done,
    runSendOffsets: ended, runCommit: ended, runAbort: done,
  },
  failed: {
    produce: unusable, sendOffsets: unusable, commit: unusable, abort: unusable, dispose: done,
    runSendOffsets: unusable, runCommit: unusable, runAbort: unusable,
  },
};

/** The events, by state; an event a state does not list leaves it as it is. */
const EVENTS: Readonly<Record<TransactionState, Partial<Readonly<Record<TransactionEvent, TransactionState>>>>> = {
  open: { abortable: 'abortable', fatal: 'failed', closed: 'failed' },
  committing: { committed: 'committed', abortable: 'abortable', fatal: 'failed', closed: 'failed' },
  abortable: { fatal: 'failed', closed: 'failed' },
  // `committed`: the commit that ran when abort() was called succeeded; the abort is refused at its turn.
  aborting: { committed: 'committed', aborted: 'aborted', fatal: 'failed', closed: 'failed' },
  committed: {},
  aborted: {},
  // librdkafka's answer to a call close() gave up on, when it comes, says what really happened.
  failed: { committed: 'committed', aborted: 'aborted' },
};

/** The step of `op` in `state`. */
export function stepOf(state: TransactionState, op: TransactionOp): Step {
  return STEPS[state][op];
}

/** The state after `event` in `state`. */
export function afterEvent(state: TransactionState, event: TransactionEvent): TransactionState {
  return EVENTS[state][event] ?? state;
}

/** Whether the transaction ended: no call of it reaches librdkafka any more. */
export function hasEnded(state: TransactionState): boolean {
  return state === 'committed' || state === 'aborted' || state === 'failed';
}

/**
 * What a failed transactional call means for its transaction: the one place that decides.
 * librdkafka's own classification, as {@link fromTransactional} read it into the error's flags
 * (`isFatal`, `isTxnRequiresAbort`, `isRetriable`), in that order; undefined for a failure that
 * changes nothing (a refusal of ours, a state error).
 */
export function failureEvent(err: unknown): 'fatal' | 'abortable' | 'retriable' | undefined {
  if (!(err instanceof TransactionError)) return undefined;
  if (err.fatal) return 'fatal';
  if (err.abortable) return 'abortable';
  if (err.retriable) return 'retriable';
  return undefined;
}

/**
 * The producer's fatal error as a transactional call's failure: itself when a transactional call
 * reported it, else a `fatal` {@link TransactionError} with it as `cause`. node-rdkafka drops
 * librdkafka's fatal flag from most errors, so the producer's fatal state (src/producer/fatal.ts)
 * is what says librdkafka is fatal; whatever a transactional call answered, it is then fatal too.
 */
export function fatalTransactionError(fatal: AIOKafkaError): TransactionError {
  if (fatal instanceof TransactionError && fatal.fatal) return fatal;
  return new TransactionError(`the producer is fatally failed (${fatal.message}): close it and connect a new one`, {
    code: fatal.code,
    fatal: true,
    cause: fatal,
  });
}

/*
 * The producer's side: whether a transaction may begin. `fatal` comes first (the producer's one
 * fatal state), then close, then the transaction in progress.
 */

/** Where a transactional producer is, as far as beginning a transaction goes. */
export type ProducerPhase = 'ready' | 'beginning' | 'inTransaction' | 'closing' | 'closed' | 'fatal';

/** Why `transaction()` is refused: one is already in progress, the producer closed, or it is fatally failed. */
export type BeginRefusal = 'busy' | 'closed' | 'fatal';

const BEGIN: Readonly<Record<ProducerPhase, { readonly refuse: BeginRefusal } | { readonly to: 'beginning' }>> = {
  ready: { to: 'beginning' },
  beginning: { refuse: 'busy' },
  inTransaction: { refuse: 'busy' },
  closing: { refuse: 'closed' },
  closed: { refuse: 'closed' },
  fatal: { refuse: 'fatal' },
};

/** The step of `transaction()` in `phase`. */
export function beginStep(phase: ProducerPhase): { readonly refuse: BeginRefusal } | { readonly to: 'beginning' } {
  return BEGIN[phase];
}
