import '../../helpers/dispose-symbols';
import { AIOErrorCodes, AIOKafkaError, InvalidStateError, ProducerClosedError, TransactionError } from '../../../src/core/errors';
import { fromTransactional } from '../../../src/native/errors';
import type { NativeTransactionCallback, NativeTransactions } from '../../../src/native/producer';
import type { DeliveryReport } from '../../../src/producer/delivery-report';
import { Transactions, type TransactionsHost } from '../../../src/producer/transaction';

/** A librdkafka transactional error as node-rdkafka hands it to the callbacks of init/commit/abort/sendOffsets. */
function txnError(code: number, message: string, flags: { fatal?: boolean; retriable?: boolean; abort?: boolean } = {}): Error {
  return Object.assign(new Error(message), {
    code,
    errno: code,
    origin: 'kafka',
    isFatal: flags.fatal ?? false,
    isRetriable: flags.retriable ?? false,
    isTxnRequiresAbort: flags.abort ?? false,
  });
}

type Call = { name: keyof NativeTransactions; timeoutMs?: number; cb: NativeTransactionCallback; offsets?: unknown; consumer?: unknown };

/** Records each transactional call; the test answers it with `answer()`. */
class FakeTransactions implements NativeTransactions {
  readonly calls: Call[] = [];
  initTransactions(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'initTransactions', timeoutMs, cb });
  }
  beginTransaction(cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'beginTransaction', cb });
  }
  commitTransaction(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'commitTransaction', timeoutMs, cb });
  }
  abortTransaction(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'abortTransaction', timeoutMs, cb });
  }
  sendOffsetsToTransaction(offsets: unknown[], consumer: object, timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'sendOffsetsToTransaction', timeoutMs, cb, offsets, consumer });
  }
  names(): string[] {
    return this.calls.map((c) => c.name);
  }
  /** Answers the oldest unanswered call named `name` (asynchronously, as node-rdkafka does). */
  answer(name: keyof NativeTransactions, err: Error | null = null): void {
    const i = this.calls.findIndex((c) => c.name === name && !(c as { answered?: boolean }).answered);
    if (i < 0) throw new Error(`no pending ${name}`);
    const call = this.calls[i]!;
    (call as { answered?: boolean }).answered = true;
    setImmediate(() => call.cb(err));
  }
}

/** Lets queued callbacks, microtasks and setImmediate answers run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

interface Harness {
  native: FakeTransactions;
  transactions: Transactions;
  deliveries: Array<{ resolve: (r: DeliveryReport) => void; reject: (e: AIOKafkaError) => void }>;
  host: { unusable: AIOKafkaError | undefined };
}

function harness(): Harness {
  const native = new FakeTransactions();
  const deliveries: Harness['deliveries'] = [];
  const state = { unusable: undefined as AIOKafkaError | undefined };
  const host: TransactionsHost = {
    native,
    produce: (topic) =>
      new Promise<DeliveryReport>((resolve, reject) => deliveries.push({ resolve, reject: (e) => reject(e) }) && void topic),
    unusable: () => state.unusable,
  };
  return { native, transactions: new Transactions(host), deliveries, host: state };
}

async function begun(h: Harness) {
  const beginning = h.transactions.begin();
  h.native.answer('beginTransaction');
  return beginning;
}

const fakeConsumer = { nativeForTransaction: () => ({ kind: 'native consumer' }) } as never;

describe('fromTransactional', () => {
  it.each([
    ['abortable', txnError(29, 'Broker: Topic authorization failed', { abort: true }), { abortable: true, fatal: false, retriable: false, code: 'ERR_TOPIC_AUTHORIZATION_FAILED' }],
    ['fatal', txnError(-144, 'Local: This instance has been fenced by a newer instance', { fatal: true }), { abortable: false, fatal: true, retriable: false, code: 'ERR__FENCED' }],
    ['retriable', txnError(-185, 'Local: Timed out', { retriable: true }), { abortable: false, fatal: false, retriable: true, code: 'ERR__TIMED_OUT' }],
  ])('reads librdkafka\'s flags (%s) and keeps the native error as cause', (_, native, expected) => {
    const err = fromTransactional(native, 'commit');
    expect(err).toBeInstanceOf(TransactionError);
    expect(err).toMatchObject({ name: 'TransactionError', ...expected });
    expect(err.cause).toBe(native);
    expect(err.message).toMatch(/^commit failed: /);
  });

  it('without flags (beginTransaction\'s errors) a fenced or fatal code is fatal, a state error is not', () => {
    const fenced = Object.assign(new Error('Failed to end transaction: fenced'), { code: -144 });
    expect(fromTransactional(fenced, 'begin')).toMatchObject({ fatal: true, abortable: false, code: 'ERR__FENCED' });
    const state = Object.assign(new Error('Operation not valid in state InTransaction'), { code: -172 });
    expect(fromTransactional(state, 'begin')).toMatchObject({ fatal: false, abortable: false, retriable: false, code: 'ERR__STATE' });
  });
});

describe('Transactions', () => {
  it('runs one transaction at a time: a second begin is refused until the first ends', async () => {
    const h = harness();
    const tx = await begun(h);
    await expect(h.transactions.begin()).rejects.toBeInstanceOf(InvalidStateError);
    const committing = tx.commit();
    await settle();
    h.native.answer('commitTransaction');
    await committing;
    await expect(begun(h)).resolves.toBeDefined();
    expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction', 'beginTransaction']);
  });

  it('a refused begin leaves the producer free to begin again', async () => {
    const h = harness();
    const first = h.transactions.begin();
    h.native.answer('beginTransaction', Object.assign(new Error('Local: Erroneous state'), { code: -172 }));
    await expect(first).rejects.toBeInstanceOf(TransactionError);
    await expect(begun(h)).resolves.toBeDefined();
  });

  it('commit waits for every message of the transaction before librdkafka commits', async () => {
    const h = harness();
    const tx = await begun(h);
    const a = tx.produce('t', 'a');
    void tx.produce('t', 'b');
    const committing = tx.commit();
    await settle();
    expect(h.native.names()).not.toContain('commitTransaction');
    h.deliveries[0]!.resolve({ topic: 't', partition: 0, offset: 0, size: 1 });
    await a;
    await settle();
    expect(h.native.names()).not.toContain('commitTransaction');
    h.deliveries[1]!.resolve({ topic: 't', partition: 0, offset: 1, size: 1 });
    await settle();
    expect(h.native.names()).toContain('commitTransaction');
    h.native.answer('commitTransaction');
    await committing;
    expect(tx.state).toBe('committed');
  });

  it('a failed message makes commit refuse without asking librdkafka; the rejection is handled', async () => {
    const h = harness();
    const tx = await begun(h);
    void tx.produce('t', 'a'); // not awaited: its rejection must not be unhandled
    const failure = new AIOKafkaError('queue full', { code: 'ERR__QUEUE_FULL', retriable: true });
    h.deliveries[0]!.reject(failure);
    const err = (await tx.commit().catch((e: unknown) => e)) as TransactionError;
    expect(err).toMatchObject({ code: AIOErrorCodes.TRANSACTION_PRODUCE_FAILED, abortable: true });
    expect(err.cause).toBe(failure);
    expect(h.native.names()).not.toContain('commitTransaction');
    await expect(tx.commit()).rejects.toBe(err);
    const aborting = tx.abort();
    await settle();
    h.native.answer('abortTransaction');
    await aborting;
    expect(tx.state).toBe('aborted');
  });

  it('serves one transaction\'s calls in call order: commit starts once sendOffsets returned', async () => {
    const h = harness();
    const tx = await begun(h);
    const sending = tx.sendOffsets(fakeConsumer, [{ topic: 'in', partition: 2, offset: 8 }]);
    const committing = tx.commit();
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'sendOffsetsToTransaction']);
    expect(h.native.calls[1]!.offsets).toEqual([{ topic: 'in', partition: 2, offset: 8 }]);
    expect(h.native.calls[1]!.consumer).toEqual({ kind: 'native consumer' });
    h.native.answer('sendOffsetsToTransaction');
    await sending;
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'sendOffsetsToTransaction', 'commitTransaction']);
    h.native.answer('commitTransaction');
    await committing;
  });

  it('an abortable commit error: later commits reject with it, leaving the scope aborts', async () => {
    const h = harness();
    let failed: unknown;
    let state = '';
    await (async () => {
      await using tx = await begun(h);
      const committing = tx.commit();
      await settle();
      h.native.answer('commitTransaction', txnError(10, 'Broker: Message size too large', { abort: true }));
      failed = await committing.catch((e: unknown) => e);
      await expect(tx.commit()).rejects.toBe(failed);
      // The scope's end calls abort; answer it when it comes.
      setTimeout(() => h.native.answer('abortTransaction'), 0);
      state = tx.state;
    })();
    expect(failed).toMatchObject({ abortable: true, code: 'ERR_MSG_SIZE_TOO_LARGE' });
    expect(state).toBe('committing');
    expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction', 'abortTransaction']);
  });

  it('a fatal answer ends the transaction: the next begin is refused with that error, leaving the scope calls nothing', async () => {
    const h = harness();
    let fatal: unknown;
    await (async () => {
      await using tx = await begun(h);
      const committing = tx.commit();
      await settle();
      h.native.answer('commitTransaction', txnError(-144, 'Local: fenced', { fatal: true }));
      fatal = await committing.catch((e: unknown) => e);
    })();
    expect(fatal).toMatchObject({ fatal: true, code: 'ERR__FENCED' });
    expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
    await expect(h.transactions.begin()).rejects.toBe(fatal);
  });

  it('a closed producer refuses every call without touching the native client', async () => {
    const h = harness();
    const tx = await begun(h);
    h.host.unusable = new ProducerClosedError('closed', { possiblyDelivered: false });
    await expect(tx.commit()).rejects.toBe(h.host.unusable);
    await expect(h.transactions.begin()).rejects.toBe(h.host.unusable);
    expect(h.native.names()).toEqual(['beginTransaction']);
  });

  it('close aborts the open transaction, even while the producer already counts as closed', async () => {
    const h = harness();
    const tx = await begun(h);
    h.host.unusable = new ProducerClosedError('closed', { possiblyDelivered: false });
    const closing = h.transactions.close(1000);
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'abortTransaction']);
    h.native.answer('abortTransaction');
    await closing;
    expect(tx.state).toBe('aborted');
    await expect(h.transactions.begin()).rejects.toBe(h.host.unusable);
  });

  describe('time limits', () => {
    afterEach(() => jest.useRealTimers());

    it('no answer within the limit (+ grace): retriable TransactionError; the next call waits for the native return', async () => {
      jest.useFakeTimers();
      const h = harness();
      const beginning = h.transactions.begin();
      h.native.calls[0]!.cb(null);
      const tx = await beginning;
      const committing = tx.commit({ timeoutMs: 1000 }).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(0);
      expect(h.native.calls[1]).toMatchObject({ name: 'commitTransaction', timeoutMs: 1000 });
      await jest.advanceTimersByTimeAsync(6001);
      expect(await committing).toMatchObject({ name: 'TransactionError', code: AIOErrorCodes.OPERATION_TIMEOUT, retriable: true });
      const again = tx.commit({ timeoutMs: 1000 });
      await jest.advanceTimersByTimeAsync(10);
      // The first native commit has not returned: the second one is not started yet.
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
      h.native.calls[1]!.cb(null);
      await jest.advanceTimersByTimeAsync(0);
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction', 'commitTransaction']);
      h.native.calls[2]!.cb(null);
      await expect(again).resolves.toBeUndefined();
    });
  });
});
