/*
 * The handle of one transaction, as the user holds it. Every call asks the table in
 * transaction-states.ts, when it is made and again when its turn comes (the calls of one
 * transaction reach librdkafka one after another); librdkafka's answers move the state through
 * the same table. A commit first waits for every message produced in the transaction, and
 * refuses to commit when one of them failed, including the failures librdkafka never saw
 * (transaction-messages.ts).
 */
import pDefer, { type DeferredPromise } from 'p-defer';
import { ConsumerClosedError, InvalidArgumentError, InvalidStateError, ProducerClosedError, type AIOKafkaError, type TransactionError } from '../core/errors';
import { defineAsyncDispose } from '../core/dispose';
import { lendNative, type LendsNative } from '../core/lease';
import { Serial } from '../core/serial';
import { nativeTimeoutMs, remainingMs } from '../core/timeouts';
import type { TopicPartitionOffset } from '../core/topic-partition';
import { callTimeoutMs, checkTopic, describe } from '../core/validation';
import type { NativeTransactionCallback, NativeTransactions } from '../native/producer';
import type { DeliveryReport } from './delivery-report';
import type { ProduceOptions } from './options';
import { producerChannels } from './tracing';
import { TransactionMessages } from './transaction-messages';
import {
  afterEvent,
  failureEvent,
  hasEnded,
  stepOf,
  type Refusal,
  type Step,
  type TransactionEvent,
  type TransactionOp,
  type TransactionState,
} from './transaction-states';

export type { TransactionState } from './transaction-states';

/** The default time limit of `sendOffsets`, `commit` and `abort`, in ms. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 30_000;

/** What the transactions need of their producer. */
export interface TransactionsHost {
  native: NativeTransactions;
  /** The producer's own awaitable produce. */
  produce(topic: string, value: unknown, options?: ProduceOptions<unknown>): Promise<DeliveryReport>;
  /** The producer's fatal error, or undefined: its one fatal state (src/producer/fatal.ts). */
  fatal(): AIOKafkaError | undefined;
  /** A transactional call said librdkafka is fatal: the producer enters its fatal state with `err`. */
  enterFatal(err: AIOKafkaError): void;
  /** A failure no caller hears of (close's abort): the producer's `error` event, or its logger. */
  report(err: AIOKafkaError, context: string): void;
  /** An abort begins: the producer settles the reports of what was produced before it in produce order (report-order.ts). */
  holdReports(): void;
}

/** A native transactional call in flight: its answer to the caller, and when node-rdkafka returned. */
export interface NativeCall {
  answer: Promise<void>;
  returned: Promise<void>;
}

/** What a transaction needs of its producer's transactions (src/producer/transactions.ts). */
export interface TransactionOwner {
  /** The producer's fatal error as a transactional call's failure, or undefined. */
  fatal(): TransactionError | undefined;
  /** The error of a call refused as `unusable`: the producer's fatal error, or that it closed. */
  unusable(what: string): AIOKafkaError;
  /** Runs one native transactional call, bounded; see `Transactions.call`. */
  call(
    what: string,
    timeoutMs: number,
    start: (cb: NativeTransactionCallback) => unknown,
    returned?: (failure: TransactionError | undefined) => void,
  ): NativeCall;
}

/** Options of {@link Transaction.commit}, {@link Transaction.abort} and {@link Transaction.sendOffsets}. */
export interface TransactionCallOptions {
  /**
   * How long the call may take, in ms; passed to librdkafka, which answers `ERR__TIMED_OUT`
   * (`retriable: true`: make the same call again) when it runs out. `Infinity`: no limit.
   * @default 30000
   */
  timeoutMs?: number;
}

/** The calls of a transaction that reach librdkafka, one after another, and their turns in the table. */
const TURNS = { sendOffsets: 'runSendOffsets', commit: 'runCommit', abort: 'runAbort' } as const;
type QueuedCallName = keyof typeof TURNS;

/** A call of the transaction queued or running, until its caller has the answer. */
interface QueuedCall {
  readonly call: QueuedCallName;
  readonly answer: DeferredPromise<void>;
  /** Its native call started (and may still run). */
  native: boolean;
}

/**
 * One Kafka transaction, from {@link AIOProducer.transaction}: the messages produced with
 * {@link Transaction.produce} and the consumer offsets sent with {@link Transaction.sendOffsets}
 * become visible to `read_committed` consumers together when {@link Transaction.commit} resolves,
 * or never when it is aborted. Leaving an `await using` scope without a commit aborts it.
 *
 * Calls of one transaction (`sendOffsets`, `commit`, `abort`) are served one after another, in
 * call order; `produce` is not held back by them. See {@link TransactionState} for what each
 * state takes.
 *
 * @example
 * ```ts
 * {
 *   await using tx = await producer.transaction();
 *   await tx.produce('totals', JSON.stringify(total), { key: account });
 *   await tx.sendOffsets(consumer, [{ topic: msg.topic, partition: msg.partition, offset: msg.offset + 1 }]);
 *   await tx.commit();
 * } // a throw before commit() resolved: the transaction is aborted here
 * ```
 */
export class Transaction<K = Buffer | string | null, V = Buffer | string | null> implements AsyncDisposable {
  readonly #owner: TransactionOwner;
  readonly #host: TransactionsHost;
  #state: TransactionState = 'open';
  /** Why the transaction can only be aborted (in state `abortable`): every commit rejects with it. */
  #mustAbort: TransactionError | undefined;
  readonly #messages = new TransactionMessages();
  /** The calls of this transaction, one after another: each done when its native call returned. */
  readonly #calls = new Serial();
  readonly #waiting = new Set<QueuedCall>();
  #aborting: Promise<void> | undefined;
  /** Resolves when the producer's close is done with the transaction. */
  readonly #closed = pDefer<void>();

  /** Use {@link AIOProducer.transaction}. @internal */
  constructor(owner: TransactionOwner, host: TransactionsHost) {
    this.#owner = owner;
    this.#host = host;
  }

  /** Where the transaction is: see {@link TransactionState}. */
  get state(): TransactionState {
    this.#sync();
    return this.#state;
  }

  /** Messages produced in this transaction whose delivery has not settled yet. */
  get inFlight(): number {
    return this.#messages.pending;
  }

  /**
   * Produces one message in this transaction: the producer's own awaitable produce (it resolves
   * when the broker has the message, which `read_committed` consumers see only after the commit).
   * The promise need not be awaited: `commit()` waits for every message and refuses to commit if
   * one failed; a rejection not handled here causes no `unhandledRejection`.
   *
   * @throws (rejects) {@link InvalidStateError} once `commit()` or `abort()` was called (nothing
   *   sent), the abortable {@link TransactionError} once the transaction must be aborted, the
   *   `fatal` one once the producer failed, and whatever `producer.produce` rejects with.
   */
  produce(topic: string, value: V, options?: ProduceOptions<K>): Promise<DeliveryReport> {
    const refused = this.#admit('produce', `message for topic "${String(topic)}" not sent`);
    if (refused !== undefined) return refused as Promise<never>;
    const delivery = this.#host.produce(topic, value, options);
    this.#messages.track(delivery);
    return delivery;
  }

  /**
   * Adds a consumer group's offsets to this transaction: on commit they are committed for the
   * consumer's group, atomically with the messages, so a restarted consumer resumes right after
   * the input whose output was committed. `offsets` are the *next* offsets to read (the last
   * processed message's offset + 1). The consumer must be open (its group generation is sent
   * with the offsets, so a member that lost its partitions in a rebalance is refused; it does not
   * disconnect while the call reads it) and must not commit these offsets itself: see the
   * consumer settings in docs/api.md, "Transactions".
   *
   * @param consumer an `AIOConsumer`.
   * @throws (rejects) {@link TransactionError} (`abortable` when the group coordinator refused
   *   them, e.g. a stale generation), {@link InvalidArgumentError} for bad offsets or a consumer
   *   that is not an `AIOConsumer`, {@link ConsumerClosedError} when the consumer is closing,
   *   {@link InvalidStateError} once `commit()` or `abort()` was called.
   */
  sendOffsets(consumer: LendsNative, offsets: readonly TopicPartitionOffset[], options: TransactionCallOptions = {}): Promise<void> {
    let timeoutMs: number;
    let copy: TopicPartitionOffset[];
    try {
      timeoutMs = callTimeoutMs('sendOffsets', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
      copy = checkOffsets(offsets);
      if (typeof (consumer as Partial<LendsNative> | null)?.[lendNative] !== 'function') {
        throw new InvalidArgumentError(`sendOffsets: consumer must be an AIOConsumer, got ${describe(consumer)}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const refused = this.#admit('sendOffsets', 'offsets not sent');
    if (refused !== undefined) return refused;
    if (copy.length === 0) return Promise.resolve();
    return this.#queue('sendOffsets', async (call) => {
      if (this.#refusedAtTurn(call)) return;
      // Leased when the call starts, not when it was queued: the consumer may have closed since.
      const lease = consumer[lendNative]();
      if (lease === undefined) return this.#settle(call, new ConsumerClosedError('sendOffsets: the consumer is closed; offsets not sent'));
      await this.#native(
        call,
        timeoutMs,
        (cb) => this.#host.native.sendOffsetsToTransaction(copy, lease.native, nativeTimeoutMs(timeoutMs), cb),
        undefined,
        lease.release,
      );
    });
  }

  /**
   * Commits the transaction: first waits for every message produced in it, then (when all were
   * delivered) has librdkafka flush and commit. Resolves once the messages and offsets are
   * visible to `read_committed` consumers. Calling it again after it resolved resolves again.
   *
   * @throws (rejects) {@link TransactionError}: `abortable` when the transaction can no longer
   *   commit (code `AIO_TRANSACTION_PRODUCE_FAILED` when one of its messages failed, `cause` that
   *   message's error; otherwise librdkafka's code): abort it; `retriable` when it timed out:
   *   call `commit()` again (or abort); `fatal` when the producer is unusable (fenced, or
   *   librdkafka failed fatally): close it. {@link InvalidStateError} after `abort()`;
   *   {@link ProducerClosedError} when the producer closed first (`possiblyDelivered: true`: the
   *   commit was under way in librdkafka, which may still complete it).
   */
  commit(options: TransactionCallOptions = {}): Promise<void> {
    return producerChannels.commitTransaction.trace(() => ({ inFlight: this.inFlight }), () => this.#commit(options));
  }

  /**
   * Aborts the transaction: its messages are never shown to `read_committed` consumers and its
   * offsets are not committed. Messages still queued locally are purged (their promises reject).
   * Calling it again returns the same outcome.
   *
   * @throws (rejects) {@link TransactionError} (`retriable` when it timed out: call `abort()`
   *   again; `fatal` when the producer is unusable: close it), {@link InvalidStateError} after
   *   the commit succeeded, {@link ProducerClosedError} when the producer closed first.
   */
  abort(options: TransactionCallOptions = {}): Promise<void> {
    return producerChannels.abortTransaction.trace(() => ({ inFlight: this.inFlight }), () => this.#abort(options));
  }

  /**
   * Leaving an `await using` scope: aborts the transaction unless it ended (committed, aborted,
   * or `failed`: the producer failed fatally or closed, and the coordinator aborts it). A commit
   * still running is waited for first.
   */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  static {
    defineAsyncDispose(this.prototype, function (this: Transaction<unknown, unknown>) {
      return this.#dispose();
    });
  }

  async #dispose(): Promise<void> {
    if (!hasEnded(this.state)) await Promise.race([this.#calls.idle(), this.#closed.promise]);
    if ('done' in this.#ask('dispose')) return;
    await this.abort();
  }

  /**
   * @internal The producer's close is done with this transaction: the calls still waiting are
   * answered ({@link ProducerClosedError}, `possiblyDelivered` when librdkafka still runs one),
   * and a transaction that did not end is `failed`.
   */
  producerClosed(reason: string): void {
    for (const call of [...this.#waiting]) {
      const outcome = call.native ? 'librdkafka still runs it: its outcome is unknown' : 'it was not started';
      this.#settle(call, new ProducerClosedError(`${call.call}: ${reason}; ${outcome}`, { possiblyDelivered: call.native }));
    }
    this.#apply('closed');
    this.#closed.resolve();
  }

  #commit(options: TransactionCallOptions): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = callTimeoutMs('commit', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    } catch (err) {
      return Promise.reject(err);
    }
    const refused = this.#admit('commit');
    if (refused !== undefined) return refused;
    return this.#queue('commit', async (call) => {
      const started = performance.now();
      if (this.#refusedAtTurn(call)) return;
      try {
        await this.#messages.settled(timeoutMs);
      } catch (err) {
        return this.#settle(call, err);
      }
      // Asked again: close (its limit passed) or a fatal error may have come while the messages settled.
      if (this.#refusedAtTurn(call)) return;
      const failed = this.#messages.failure();
      if (failed !== undefined) {
        this.#apply('abortable', failed);
        return this.#settle(call, failed);
      }
      const left = remainingMs(started, timeoutMs);
      await this.#native(call, left, (cb) => this.#host.native.commitTransaction(nativeTimeoutMs(left), cb), 'committed');
    });
  }

  #abort(options: TransactionCallOptions): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = callTimeoutMs('abort', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    } catch (err) {
      return Promise.reject(err);
    }
    const refused = this.#admit('abort');
    if (refused !== undefined) return refused;
    if (this.#aborting !== undefined) return this.#aborting;
    const aborting = this.#queue('abort', async (call) => {
      if (this.#refusedAtTurn(call)) return;
      // librdkafka's abort serves reports from a second thread: keep each partition's order.
      this.#host.holdReports();
      await this.#native(call, timeoutMs, (cb) => this.#host.native.abortTransaction(nativeTimeoutMs(timeoutMs), cb), 'aborted');
    });
    this.#aborting = aborting;
    // A failed abort may be tried again.
    aborting.catch(() => {
      if (this.#aborting === aborting) this.#aborting = undefined;
    });
    return aborting;
  }

  /** The producer's fatal state, shared: a transaction that did not end fails with it. */
  #sync(): void {
    if (!hasEnded(this.#state) && this.#owner.fatal() !== undefined) this.#apply('fatal');
  }

  /** Looks `op` up in the table, in the state now, and moves to the state it says. */
  #ask(op: TransactionOp): Step {
    this.#sync();
    const step = stepOf(this.#state, op);
    if ('to' in step) this.#state = step.to;
    return step;
  }

  #apply(event: TransactionEvent, failure?: TransactionError): void {
    this.#state = afterEvent(this.#state, event);
    if (event === 'abortable') this.#mustAbort ??= failure;
  }

  /** A call being made: its refusal, `done` (resolved at once), or undefined to go on. */
  #admit(call: TransactionOp, detail?: string): Promise<void> | undefined {
    const step = this.#ask(call);
    if ('refuse' in step) return Promise.reject(this.#refusal(step.refuse, call, detail));
    if ('done' in step) return Promise.resolve();
    return undefined;
  }

  /** A queued call's turn came: asks the table again; true when the call was answered (refused or done). */
  #refusedAtTurn(queued: QueuedCall): boolean {
    const step = this.#ask(TURNS[queued.call]);
    if ('to' in step) return false;
    this.#settle(queued, 'refuse' in step ? this.#refusal(step.refuse, queued.call) : undefined);
    return true;
  }

  #refusal(why: Refusal, call: string, detail?: string): AIOKafkaError {
    switch (why) {
      case 'mustAbort':
        return this.#mustAbort!;
      case 'unusable':
        return this.#owner.unusable(call);
      case 'ended':
        return new InvalidStateError(`${call}: the transaction is ${this.#state}${detail === undefined ? '' : `; ${detail}`}`);
    }
  }

  /**
   * Runs the native call of a queued call: its answer goes to the caller; librdkafka's answer,
   * when node-rdkafka returns, moves the state (`success` when it succeeded). Resolves once it
   * returned.
   */
  async #native(
    queued: QueuedCall,
    timeoutMs: number,
    start: (cb: NativeTransactionCallback) => unknown,
    success: TransactionEvent | undefined,
    returned?: () => void,
  ): Promise<void> {
    queued.native = true;
    const call = this.#owner.call(queued.call, timeoutMs, start, (failure) => {
      returned?.();
      if (failure === undefined) {
        if (success !== undefined) this.#apply(success);
        return;
      }
      const event = failureEvent(failure);
      if (event !== undefined) this.#apply(event, failure);
    });
    call.answer.then(
      () => this.#settle(queued),
      (err: unknown) => this.#settle(queued, err),
    );
    await call.returned;
  }

  /** Queues a call behind the previous ones of this transaction; the chain waits for its native return. */
  #queue(call: QueuedCallName, run: (queued: QueuedCall) => Promise<void>): Promise<void> {
    const queued: QueuedCall = { call, answer: pDefer<void>(), native: false };
    this.#waiting.add(queued);
    void this.#calls.run(() => run(queued)).catch((err: unknown) => this.#settle(queued, err));
    return queued.answer.promise;
  }

  /** Answers a queued call (once: a later answer is ignored). */
  #settle(queued: QueuedCall, err?: unknown): void {
    if (!this.#waiting.delete(queued)) return;
    if (err === undefined) queued.answer.resolve();
    else queued.answer.reject(err);
  }
}

/** Checks `offsets` for sendOffsets and copies them (never passing the caller's objects on). */
function checkOffsets(offsets: unknown): TopicPartitionOffset[] {
  if (!Array.isArray(offsets)) throw new InvalidArgumentError(`sendOffsets: offsets must be an array, got ${describe(offsets)}`);
  return offsets.map((o: unknown, i) => {
    if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`sendOffsets: offsets[${i}] must be an object, got ${describe(o)}`);
    const { topic, partition, offset } = o as Record<string, unknown>;
    checkTopic(topic, `sendOffsets: offsets[${i}].topic`);
    if (!(typeof partition === 'number' && Number.isSafeInteger(partition) && partition >= 0)) {
      throw new InvalidArgumentError(`sendOffsets: offsets[${i}].partition must be an integer >= 0, got ${describe(partition)}`);
    }
    if (!(typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0)) {
      throw new InvalidArgumentError(
        `sendOffsets: offsets[${i}].offset must be an integer >= 0 (the next offset to read: the message's offset + 1), got ${describe(offset)}`,
      );
    }
    return { topic, partition, offset };
  });
}
