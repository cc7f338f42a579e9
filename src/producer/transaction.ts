/*
 * Kafka transactions on a producer configured with `transactional.id`: one transaction at a time,
 * whose messages and consumer offsets become visible to `read_committed` consumers all together
 * on commit, or never (abort).
 *
 * librdkafka does the protocol (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn); node-rdkafka runs each of its blocking calls on libuv's thread pool.
 * What this file adds: one transaction per producer, refused rather than queued; a commit that
 * first waits for every message produced in the transaction, and refuses to commit when one of
 * them failed, including the failures librdkafka never saw (a message refused before it reached
 * librdkafka, or failed by `deliveryTimeoutMs`); the calls of one transaction served one after
 * another; every failure typed (`TransactionError` with `abortable` / `fatal` / `retriable`).
 */
import pDefer from 'p-defer';
import type { AIOConsumer } from '../consumer/aio-consumer';
import {
  AIOErrorCodes,
  ConsumerClosedError,
  InvalidArgumentError,
  InvalidStateError,
  OperationTimeoutError,
  ProducerClosedError,
  TransactionError,
  type AIOKafkaError,
} from '../core/errors';
import { noop } from '../core/noop';
import { defineAsyncDispose } from '../core/dispose';
import { callWithDeadline, nativeTimeoutMs, settlesWithin } from '../core/timeouts';
import type { TopicPartitionOffset } from '../core/topic-partition';
import { callTimeoutMs, checkTopic, describe } from '../core/validation';
import { fromTransactional } from '../native/errors';
import type { NativeTransactionCallback, NativeTransactions } from '../native/producer';
import type { DeliveryReport } from './delivery-report';
import type { ProduceOptions } from './options';
import { producerChannels } from './tracing';

/** The default time limit of `sendOffsets`, `commit` and `abort`, in ms. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * Extra time our own timer gives librdkafka's timeout to answer first, in ms: its answer says
 * what state the transaction is in; ours can only say that none came.
 */
const NATIVE_GRACE_MS = 5_000;

/** Options of {@link Transaction.commit}, {@link Transaction.abort} and {@link Transaction.sendOffsets}. */
export interface TransactionCallOptions {
  /**
   * How long the call may take, in ms; passed to librdkafka, which answers `ERR__TIMED_OUT`
   * (`retriable: true`: make the same call again) when it runs out. `Infinity`: no limit.
   * @default 30000
   */
  timeoutMs?: number;
}

/** Where a {@link Transaction} is in its life. */
export type TransactionState = 'open' | 'committing' | 'aborting' | 'committed' | 'aborted';

/** What a transaction needs of its producer. */
export interface TransactionsHost {
  native: NativeTransactions;
  /** The producer's own awaitable produce. */
  produce(topic: string, value: unknown, options?: ProduceOptions<unknown>): Promise<DeliveryReport>;
  /** Why the producer can make no call any more (closed, or fatally failed), or undefined. */
  unusable(): AIOKafkaError | undefined;
}

/** A native transactional call in flight: its answer to the caller, and when node-rdkafka returned. */
interface NativeCall {
  answer: Promise<void>;
  returned: Promise<void>;
}

/**
 * The transactions of one producer: at most one open at a time. Created by the producer when its
 * config has `transactional.id`.
 * @internal
 */
export class Transactions {
  readonly #host: TransactionsHost;
  #active: Transaction<unknown, unknown> | 'beginning' | undefined;
  #phase: 'running' | 'closing' | 'closed' = 'running';
  /**
   * The first fatal error a transactional call reported: librdkafka's answer says so before the
   * producer itself learns it (from librdkafka's FATAL log line).
   */
  #fatal: TransactionError | undefined;
  /** Native calls that have not returned yet (close waits for them: disconnect must not overlap). */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(host: TransactionsHost) {
    this.#host = host;
  }

  /** The open transaction, if any. */
  get active(): Transaction<unknown, unknown> | undefined {
    return this.#active instanceof Transaction ? this.#active : undefined;
  }

  /**
   * librdkafka's `init_transactions`: gets the producer id and epoch for `transactional.id` from
   * the transaction coordinator, which fences any older instance with the same id and completes
   * (aborts) the transaction it left open. Called once, by `connect()`.
   */
  init(timeoutMs: number): Promise<void> {
    return this.call('connect: initTransactions', timeoutMs, (cb) =>
      this.#host.native.initTransactions(nativeTimeoutMs(timeoutMs), cb),
    ).answer;
  }

  /** Begins a transaction; see {@link AIOProducer.transaction}. */
  async begin(): Promise<Transaction<unknown, unknown>> {
    const unusable = this.#fatal ?? (this.#phase === 'running' ? this.#host.unusable() : (this.#host.unusable() ?? closedError()));
    if (unusable !== undefined) throw unusable;
    if (this.#active !== undefined) {
      throw new InvalidStateError(
        'transaction: one is already open on this producer; commit or abort it first (a producer runs one transaction at a time)',
      );
    }
    this.#active = 'beginning';
    try {
      // A local state change in librdkafka (nothing is sent): bounded by the default limit all the same.
      await this.call('transaction: beginTransaction', DEFAULT_TRANSACTION_TIMEOUT_MS, (cb) => this.#host.native.beginTransaction(cb))
        .answer;
    } catch (err) {
      this.#active = undefined;
      throw err;
    }
    const transaction = new Transaction<unknown, unknown>(this, this.#host);
    this.#active = transaction;
    return transaction;
  }

  /**
   * Before the producer disconnects (its state already says closed): refuses new transactions,
   * aborts the open one (within `timeoutMs`), and waits for the native calls in flight, which must
   * not overlap the disconnect. Afterwards every call is refused.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#phase !== 'running') return;
    this.#phase = 'closing';
    try {
      const open = this.active;
      if (open !== undefined && open.state !== 'committed' && open.state !== 'aborted') {
        await open.abort({ timeoutMs }).catch(noop);
      }
      // A call our own timer gave up on may still run on libuv's pool: wait for it to return.
      await settlesWithin(Promise.all([...this.#inFlight]), timeoutMs + NATIVE_GRACE_MS);
    } finally {
      this.#phase = 'closed';
    }
  }

  /**
   * Why no native call can be made: the producer's fatal error, or that it is closed. While
   * {@link Transactions.close} runs, its abort still goes through (nothing else can: begin is
   * refused, and the open transaction's other calls are queued behind that abort, which ends it).
   */
  #unusable(): AIOKafkaError | undefined {
    const err = this.#fatal ?? this.#host.unusable();
    if (err === undefined || (this.#phase === 'closing' && !err.fatal)) return undefined;
    return err;
  }

  /** Why no call can be made any more (fatal error, closed producer), or undefined. */
  get unusable(): AIOKafkaError | undefined {
    return this.#fatal ?? this.#host.unusable();
  }

  /** The transaction ended (committed, aborted, or its producer failed fatally): another may begin. */
  ended(transaction: Transaction<unknown, unknown>): void {
    if (this.#active === transaction) this.#active = undefined;
  }

  /**
   * Runs one native transactional call, bounded by `timeoutMs` (plus a grace for librdkafka's own
   * timeout to answer first). Refused at once, without touching the native client, when the
   * producer is closed or fatally failed.
   */
  call(what: string, timeoutMs: number, start: (cb: NativeTransactionCallback) => unknown): NativeCall {
    const unusable = this.#unusable();
    if (unusable !== undefined) return { answer: Promise.reject(unusable), returned: Promise.resolve() };
    const returned = pDefer<void>();
    this.#inFlight.add(returned.promise);
    const back = (): void => {
      this.#inFlight.delete(returned.promise);
      returned.resolve();
    };
    const answer = callWithDeadline<void>(
      what,
      timeoutMs,
      (done) => {
        try {
          return start((err) => {
            back();
            done(err ?? null, undefined);
          });
        } catch (err) {
          back();
          throw err;
        }
      },
      {
        graceMs: NATIVE_GRACE_MS,
        mapError: (err) => fromTransactional(err, what),
        timeoutMessage: `${what}: no answer from librdkafka within ${timeoutMs} ms`,
      },
    ).catch((err: unknown) => {
      if (err instanceof TransactionError && err.fatal) this.#fatal ??= err;
      if (err instanceof OperationTimeoutError) {
        throw new TransactionError(err.message, { code: AIOErrorCodes.OPERATION_TIMEOUT, retriable: true, cause: err });
      }
      throw err;
    });
    return { answer, returned: returned.promise };
  }
}

/**
 * One Kafka transaction, from {@link AIOProducer.transaction}: the messages produced with
 * {@link Transaction.produce} and the consumer offsets sent with {@link Transaction.sendOffsets}
 * become visible to `read_committed` consumers together when {@link Transaction.commit} resolves,
 * or never when it is aborted. Leaving an `await using` scope without a commit aborts it.
 *
 * Calls of one transaction (`sendOffsets`, `commit`, `abort`) are served one after another, in
 * call order; `produce` is not held back by them.
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
  readonly #owner: Transactions;
  readonly #host: TransactionsHost;
  #state: TransactionState = 'open';
  /** Set once the transaction can only be aborted: every commit rejects with it. */
  #mustAbort: TransactionError | undefined;
  /** Messages produced in the transaction and not settled yet. */
  #pending = 0;
  /** The first message of the transaction that failed. */
  #failed: AIOKafkaError | undefined;
  #failures = 0;
  #settledWaiters: Array<() => void> = [];
  /** The last call queued (settles when its native call returned, never rejects). */
  #chain: Promise<void> = Promise.resolve();
  #aborting: Promise<void> | undefined;

  /** Use {@link AIOProducer.transaction}. @internal */
  constructor(owner: Transactions, host: TransactionsHost) {
    this.#owner = owner;
    this.#host = host;
  }

  /**
   * `open` (produce and sendOffsets allowed), `committing` (commit called: it runs, or it failed
   * and may be called again or the transaction aborted), `aborting`, `committed`, `aborted`.
   */
  get state(): TransactionState {
    return this.#state;
  }

  /** Messages produced in this transaction whose delivery has not settled yet. */
  get inFlight(): number {
    return this.#pending;
  }

  /**
   * Produces one message in this transaction: the producer's own awaitable produce (it resolves
   * when the broker has the message, which `read_committed` consumers see only after the commit).
   * The promise need not be awaited: `commit()` waits for every message and refuses to commit if
   * one failed; a rejection not handled here causes no `unhandledRejection`.
   *
   * @throws (rejects) {@link InvalidStateError} once `commit()` or `abort()` was called (nothing
   *   sent), and whatever `producer.produce` rejects with.
   */
  produce(topic: string, value: V, options?: ProduceOptions<K>): Promise<DeliveryReport> {
    if (this.#state !== 'open') return this.#refused(`produce: the transaction is ${this.#state}; message for topic "${String(topic)}" not sent`);
    const delivery = this.#host.produce(topic, value, options);
    this.#pending++;
    delivery.then(
      () => this.#settled(undefined),
      (err: AIOKafkaError) => this.#settled(err),
    );
    return delivery;
  }

  /**
   * Adds a consumer group's offsets to this transaction: on commit they are committed for the
   * consumer's group, atomically with the messages, so a restarted consumer resumes right after
   * the input whose output was committed. `offsets` are the *next* offsets to read (the last
   * processed message's offset + 1). The consumer must be open (its group generation is sent
   * with the offsets, so a member that lost its partitions in a rebalance is refused) and must
   * not commit these offsets itself: see the consumer settings in docs/api.md, "Transactions".
   *
   * @throws (rejects) {@link TransactionError} (`abortable` when the group coordinator refused
   *   them, e.g. a stale generation), {@link InvalidArgumentError} for bad offsets or a consumer
   *   that is not an `AIOConsumer`, {@link ConsumerClosedError} when the consumer is closing,
   *   {@link InvalidStateError} once `commit()` or `abort()` was called.
   */
  sendOffsets(consumer: AIOConsumer, offsets: readonly TopicPartitionOffset[], options: TransactionCallOptions = {}): Promise<void> {
    let timeoutMs: number;
    let copy: TopicPartitionOffset[];
    try {
      timeoutMs = callTimeoutMs('sendOffsets', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
      copy = checkOffsets(offsets);
      if (typeof (consumer as Partial<AIOConsumer> | null)?.nativeForTransaction !== 'function') {
        throw new InvalidArgumentError(`sendOffsets: consumer must be an AIOConsumer, got ${describe(consumer)}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#state !== 'open') return this.#refused(`sendOffsets: the transaction is ${this.#state}; offsets not sent`);
    if (copy.length === 0) return Promise.resolve();
    return this.#queue(() => {
      // Read when the call starts, not when it was queued: the consumer may have closed since.
      const native = consumer.nativeForTransaction();
      if (native === undefined) {
        const refused = Promise.reject(new ConsumerClosedError('sendOffsets: the consumer is closed; offsets not sent'));
        return { answer: refused, returned: Promise.resolve() };
      }
      return this.#owner.call('sendOffsets', timeoutMs, (cb) =>
        this.#host.native.sendOffsetsToTransaction(copy, native, nativeTimeoutMs(timeoutMs), cb),
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
   *   call `commit()` again (or abort); `fatal` when the producer is unusable.
   *   {@link InvalidStateError} after `abort()`.
   */
  commit(options: TransactionCallOptions = {}): Promise<void> {
    return producerChannels.commitTransaction.trace(() => ({ inFlight: this.#pending }), () => this.#commit(options));
  }

  #commit(options: TransactionCallOptions): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = callTimeoutMs('commit', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#state === 'committed') return Promise.resolve();
    if (this.#state === 'aborting' || this.#state === 'aborted') return this.#refused(`commit: the transaction is ${this.#state}`);
    this.#state = 'committing';
    return this.#queue(() => {
      if (this.#state === 'committed') return { answer: Promise.resolve(), returned: Promise.resolve() };
      if (this.#state !== 'committing') {
        return { answer: Promise.reject(new InvalidStateError(`commit: the transaction is ${this.#state}`)), returned: Promise.resolve() };
      }
      if (this.#mustAbort !== undefined) return { answer: Promise.reject(this.#mustAbort), returned: Promise.resolve() };
      let returned: Promise<void> = Promise.resolve();
      const started = performance.now();
      const answer = this.#allSettled(timeoutMs).then(() => {
        if (this.#failed !== undefined) {
          this.#mustAbort = new TransactionError(
            `commit refused: ${this.#failures} message(s) produced in the transaction failed (the first: ${this.#failed.message}); abort the transaction`,
            { code: AIOErrorCodes.TRANSACTION_PRODUCE_FAILED, abortable: true, cause: this.#failed },
          );
          throw this.#mustAbort;
        }
        const left = Math.max(0, timeoutMs - (performance.now() - started));
        const call = this.#owner.call('commit', left, (cb) => this.#host.native.commitTransaction(nativeTimeoutMs(left), cb));
        returned = call.returned;
        return call.answer;
      });
      const outcome = answer.then(
        () => {
          this.#state = 'committed';
          this.#owner.ended(this);
        },
        (err: unknown) => {
          this.#failedWith(err);
          throw err;
        },
      );
      // The chain moves on once the native commit (if one started) returned.
      return { answer: outcome, returned: outcome.then(noop, noop).then(() => returned) };
    });
  }

  /**
   * Aborts the transaction: its messages are never shown to `read_committed` consumers and its
   * offsets are not committed. Messages still queued locally are purged (their promises reject).
   * Calling it again returns the same outcome.
   *
   * @throws (rejects) {@link TransactionError} (`retriable` when it timed out: call `abort()`
   *   again; `fatal` when the producer is unusable), {@link InvalidStateError} after the commit
   *   succeeded.
   */
  abort(options: TransactionCallOptions = {}): Promise<void> {
    return producerChannels.abortTransaction.trace(() => ({ inFlight: this.#pending }), () => this.#abort(options));
  }

  #abort(options: TransactionCallOptions): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = callTimeoutMs('abort', options?.timeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#state === 'aborted') return Promise.resolve();
    if (this.#aborting !== undefined) return this.#aborting;
    const aborting = this.#queue(() => {
      if (this.#state === 'committed') {
        return { answer: Promise.reject(new InvalidStateError('abort: the transaction is committed')), returned: Promise.resolve() };
      }
      if (this.#state === 'aborted') return { answer: Promise.resolve(), returned: Promise.resolve() };
      this.#state = 'aborting';
      const call = this.#owner.call('abort', timeoutMs, (cb) => this.#host.native.abortTransaction(nativeTimeoutMs(timeoutMs), cb));
      const answer = call.answer.then(
        () => {
          this.#state = 'aborted';
          this.#owner.ended(this);
        },
        (err: unknown) => {
          this.#failedWith(err);
          throw err;
        },
      );
      return { answer, returned: call.returned };
    });
    this.#aborting = aborting;
    // A failed abort may be tried again.
    aborting.catch(() => {
      if (this.#aborting === aborting) this.#aborting = undefined;
    });
    return aborting;
  }

  /**
   * Leaving an `await using` scope: aborts the transaction unless it was committed (or aborted).
   * Does nothing when the producer is closed or fatally failed (the coordinator aborts the
   * transaction when `transaction.timeout.ms` passes, or when the next producer with this
   * `transactional.id` connects). A commit still running is waited for first.
   */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  static {
    defineAsyncDispose(this.prototype, function (this: Transaction<unknown, unknown>) {
      return this.#dispose();
    });
  }

  async #dispose(): Promise<void> {
    await this.#chain;
    if (this.#state === 'committed' || this.#state === 'aborted') return;
    if (this.#owner.unusable !== undefined) {
      this.#owner.ended(this);
      return;
    }
    await this.abort();
  }

  /** Queues a call behind the previous ones of this transaction; the chain waits for its native return. */
  #queue(run: () => NativeCall): Promise<void> {
    const answer = pDefer<void>();
    this.#chain = this.#chain.then(async () => {
      let call: NativeCall;
      try {
        call = run();
      } catch (err) {
        answer.reject(err);
        return;
      }
      call.answer.then(answer.resolve, answer.reject);
      await call.returned;
      await call.answer.catch(noop);
    });
    return answer.promise;
  }

  /** A failure of commit or abort: a fatal one ends the transaction, an abortable one dooms it. */
  #failedWith(err: unknown): void {
    if (err instanceof TransactionError) {
      if (err.fatal) {
        this.#owner.ended(this);
        return;
      }
      if (err.abortable) this.#mustAbort ??= err;
    }
    if (this.#owner.unusable !== undefined) this.#owner.ended(this);
  }

  #refused(message: string): Promise<never> {
    return Promise.reject(new InvalidStateError(message));
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
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when every message of the transaction settled; rejects (retriable) at `timeoutMs`. */
  async #allSettled(timeoutMs: number): Promise<void> {
    if (this.#pending === 0) return;
    const all = new Promise<void>((resolve) => this.#settledWaiters.push(resolve));
    if (!(await settlesWithin(all, timeoutMs))) {
      throw new TransactionError(`commit: ${this.#pending} message(s) of the transaction still undelivered after ${timeoutMs} ms`, {
        code: AIOErrorCodes.OPERATION_TIMEOUT,
        retriable: true,
      });
    }
  }
}

function isPurge(err: AIOKafkaError): boolean {
  return err.code === 'ERR__PURGE_QUEUE' || err.code === 'ERR__PURGE_INFLIGHT';
}

function closedError(): AIOKafkaError {
  return new ProducerClosedError('transaction: the producer is closed', { possiblyDelivered: false });
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
