import '../../helpers/dispose-symbols';
import { AIOConsumer } from '../../../src/consumer/aio-consumer';
import {
  AIOErrorCodes,
  AIOKafkaError,
  ConsumerClosedError,
  InvalidStateError,
  ProducerClosedError,
  TransactionError,
} from '../../../src/core/errors';
import { fromTransactional } from '../../../src/native/errors';
import { AIOProducer } from '../../../src/producer/aio-producer';
import type { DeliveryReport } from '../../../src/producer/delivery-report';
import type { TransactionsHost } from '../../../src/producer/transaction';
import { Transactions } from '../../../src/producer/transactions';
import { drive, FakeNativeConsumer } from '../../helpers/fake-native-consumer';
import { FakeTransactionalProducer, transactionError } from '../../helpers/fake-native-producer';
import { track } from '../../helpers/track';

/** Lets queued callbacks, microtasks and setImmediate answers run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

interface Harness {
  native: FakeTransactionalProducer;
  transactions: Transactions;
  deliveries: Array<{ resolve: (r: DeliveryReport) => void; reject: (e: AIOKafkaError) => void }>;
  /** The producer's fatal state, as the harness's host keeps it; `entered`: what transactions entered. */
  fatal: { error: AIOKafkaError | undefined; entered: AIOKafkaError[] };
  /** What transactions reported with no caller to hear it (the producer's `error` event). */
  reported: Array<{ err: AIOKafkaError; context: string }>;
  /** The native calls made when the host was asked to hold the reports (report-order.ts). */
  holds: string[][];
}

/** Transactions over the fake native producer, with a host that keeps the producer's fatal state. */
function harness(): Harness {
  const native = new FakeTransactionalProducer({});
  const deliveries: Harness['deliveries'] = [];
  const fatal: Harness['fatal'] = { error: undefined, entered: [] };
  const reported: Harness['reported'] = [];
  const holds: string[][] = [];
  const host: TransactionsHost = {
    native,
    produce: () => new Promise<DeliveryReport>((resolve, reject) => void deliveries.push({ resolve, reject: (e) => reject(e) })),
    fatal: () => fatal.error,
    enterFatal: (err) => {
      fatal.entered.push(err);
      fatal.error ??= err;
    },
    report: (err, context) => void reported.push({ err, context }),
    holdReports: () => void holds.push(native.names()),
  };
  return { native, transactions: new Transactions(host), deliveries, fatal, reported, holds };
}

async function begun(h: Harness) {
  const beginning = h.transactions.begin();
  h.native.answer('beginTransaction');
  return beginning;
}

/** What sendOffsets takes of a consumer: a lease on its native client, here a plain object. */
function fakeConsumer(): { consumer: never; leases: number; released: number } {
  const state = { leases: 0, released: 0 } as { consumer: never; leases: number; released: number };
  state.consumer = {
    [Symbol.for('aio-rdkafka.lendNative')]: () => {
      state.leases++;
      return { native: { kind: 'native consumer' }, release: () => state.released++ };
    },
  } as never;
  return state;
}

describe('fromTransactional', () => {
  it.each([
    ['abortable', transactionError(29, 'Broker: Topic authorization failed', { abort: true }), { abortable: true, fatal: false, retriable: false, code: 'ERR_TOPIC_AUTHORIZATION_FAILED' }],
    ['fatal', transactionError(-144, 'Local: This instance has been fenced by a newer instance', { fatal: true }), { abortable: false, fatal: true, retriable: false, code: 'ERR__FENCED' }],
    ['retriable', transactionError(-185, 'Local: Timed out', { retriable: true }), { abortable: false, fatal: false, retriable: true, code: 'ERR__TIMED_OUT' }],
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

  it('abort has the producer hold its reports (settled in produce order) just before librdkafka aborts; commit does not', async () => {
    const h = harness();
    const committed = await begun(h);
    void committed.produce('t', 'a');
    const committing = committed.commit();
    h.deliveries[0]!.resolve({ topic: 't', partition: 0, offset: 0, size: 1 });
    await settle();
    h.native.answer('commitTransaction');
    await committing;
    expect(h.holds).toEqual([]);
    const aborted = await begun(h);
    void aborted.produce('t', 'b').catch(() => {});
    const aborting = aborted.abort();
    await settle();
    expect(h.holds).toEqual([['beginTransaction', 'commitTransaction', 'beginTransaction']]);
    expect(h.native.names().at(-1)).toBe('abortTransaction');
    h.native.answer('abortTransaction');
    await aborting;
  });

  it('a failed message makes commit refuse without asking librdkafka (abortable); the rejection is handled', async () => {
    const h = harness();
    const tx = await begun(h);
    void tx.produce('t', 'a'); // not awaited: its rejection must not be unhandled
    const failure = new AIOKafkaError('queue full', { code: 'ERR__QUEUE_FULL', retriable: true });
    h.deliveries[0]!.reject(failure);
    const err = (await tx.commit().catch((e: unknown) => e)) as TransactionError;
    expect(err).toMatchObject({ code: AIOErrorCodes.TRANSACTION_PRODUCE_FAILED, abortable: true, fatal: false });
    expect(err.cause).toBe(failure);
    expect(tx.state).toBe('abortable');
    expect(h.native.names()).not.toContain('commitTransaction');
    await expect(tx.commit()).rejects.toBe(err);
    await expect(tx.produce('t', 'late')).rejects.toBe(err);
    const aborting = tx.abort();
    await settle();
    h.native.answer('abortTransaction');
    await aborting;
    expect(tx.state).toBe('aborted');
  });

  it("serves one transaction's calls in call order: commit starts once sendOffsets returned", async () => {
    const h = harness();
    const tx = await begun(h);
    const lender = fakeConsumer();
    const sending = tx.sendOffsets(lender.consumer, [{ topic: 'in', partition: 2, offset: 8 }]);
    const committing = tx.commit();
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'sendOffsetsToTransaction']);
    expect(h.native.calls[1]!.offsets).toEqual([{ topic: 'in', partition: 2, offset: 8 }]);
    expect(h.native.calls[1]!.consumer).toEqual({ kind: 'native consumer' });
    expect(lender).toMatchObject({ leases: 1, released: 0 });
    h.native.answer('sendOffsetsToTransaction');
    await sending;
    expect(lender).toMatchObject({ leases: 1, released: 1 });
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
      h.native.answer('commitTransaction', transactionError(10, 'Broker: Message size too large', { abort: true }));
      failed = await committing.catch((e: unknown) => e);
      await expect(tx.commit()).rejects.toBe(failed);
      // The scope's end calls abort; answer it when it comes.
      setTimeout(() => h.native.answer('abortTransaction'), 0);
      state = tx.state;
    })();
    expect(failed).toMatchObject({ abortable: true, code: 'ERR_MSG_SIZE_TOO_LARGE' });
    expect(state).toBe('abortable');
    expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction', 'abortTransaction']);
  });

  it("a fatal answer is the producer's fatal state: the transaction fails, every call rejects with it, leaving the scope calls nothing", async () => {
    const h = harness();
    let fatal: unknown;
    let abort: unknown;
    let state = '';
    await (async () => {
      await using tx = await begun(h);
      const committing = tx.commit();
      await settle();
      h.native.answer('commitTransaction', transactionError(-144, 'Local: fenced', { fatal: true }));
      fatal = await committing.catch((e: unknown) => e);
      abort = await tx.abort().catch((e: unknown) => e);
      state = tx.state;
    })();
    expect(fatal).toMatchObject({ fatal: true, abortable: false, code: 'ERR__FENCED' });
    expect(h.fatal.entered).toEqual([fatal]);
    expect(abort).toBe(fatal);
    expect(state).toBe('failed');
    expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
    await expect(h.transactions.begin()).rejects.toBe(fatal);
  });

  it("the producer fatally failed elsewhere (its FATAL line): commit and abort reject with a fatal TransactionError, not abortable", async () => {
    const h = harness();
    const tx = await begun(h);
    void tx.produce('t', 'a');
    // librdkafka went fatal (the producer learnt it from its FATAL log line) and failed the message.
    h.fatal.error = new AIOKafkaError('ERR__FATAL: Fatal error: Broker: Producer fenced', { code: 'ERR__FATAL', fatal: true });
    h.deliveries[0]!.reject(new AIOKafkaError('producer stopped by a fatal error', { code: 'ERR__FATAL', fatal: true }));
    const commit = (await tx.commit().catch((e: unknown) => e)) as TransactionError;
    const abort = await tx.abort().catch((e: unknown) => e);
    expect(commit).toBeInstanceOf(TransactionError);
    expect(commit).toMatchObject({ code: 'ERR__FATAL', fatal: true, abortable: false });
    expect(commit.cause).toBe(h.fatal.error);
    expect(abort).toBe(commit);
    await expect(tx.produce('t', 'b')).rejects.toBe(commit);
    await expect(h.transactions.begin()).rejects.toBe(commit);
    expect(tx.state).toBe('failed');
    await expect(tx[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(h.native.names()).toEqual(['beginTransaction']);
  });

  it('close aborts the open transaction; afterwards every call is refused without touching the native client', async () => {
    const h = harness();
    const tx = await begun(h);
    const closing = h.transactions.close(1000);
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'abortTransaction']);
    h.native.answer('abortTransaction');
    await closing;
    expect(tx.state).toBe('aborted');
    await expect(h.transactions.begin()).rejects.toBeInstanceOf(ProducerClosedError);
    await expect(tx.commit()).rejects.toBeInstanceOf(InvalidStateError);
    expect(h.transactions.running()).toBeUndefined();
  });

  // Review of d64f993: a failed abort at close was swallowed (`.catch(noop)`): no retry, no
  // report, while the coordinator kept the transaction open and read_committed readers waited.
  it('close tries the abort again while librdkafka says retriable and time lasts', async () => {
    const h = harness();
    const tx = await begun(h);
    const closing = h.transactions.close(5000);
    await settle();
    h.native.answer('abortTransaction', transactionError(-185, 'Local: Timed out', { retriable: true }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.native.names()).toEqual(['beginTransaction', 'abortTransaction', 'abortTransaction']);
    h.native.answer('abortTransaction');
    await closing;
    expect(tx.state).toBe('aborted');
    expect(h.reported).toEqual([]);
  });

  it('close reports an abort that failed for good: the coordinator keeps the transaction open', async () => {
    const h = harness();
    await begun(h);
    const closing = h.transactions.close(5000);
    await settle();
    h.native.answer('abortTransaction', transactionError(-172, 'Local: Erroneous state'));
    await closing;
    expect(h.reported).toHaveLength(1);
    expect(h.reported[0]!.err).toBeInstanceOf(TransactionError);
    expect(h.reported[0]!.context).toMatch(/could not be aborted.*transaction\.timeout\.ms/);
  });

  it('close during a begin: librdkafka began it, so close aborts it; the begin rejects (ProducerClosedError)', async () => {
    const h = harness();
    const beginning = h.transactions.begin();
    const closing = h.transactions.close(1000);
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction']);
    h.native.answer('beginTransaction');
    await expect(beginning).rejects.toBeInstanceOf(ProducerClosedError);
    await settle();
    expect(h.native.names()).toEqual(['beginTransaction', 'abortTransaction']);
    h.native.answer('abortTransaction');
    await closing;
  });

  describe('time limits', () => {
    afterEach(() => jest.useRealTimers());

    /** Begins, librdkafka answering at once (no macrotask: the clock is jest's). */
    async function begunAtOnce(h: Harness) {
      const beginning = h.transactions.begin();
      h.native.calls[0]!.cb(null);
      return beginning;
    }

    it('no answer within the limit (+ grace): retriable; the next call waits for the native return, whose answer counts', async () => {
      jest.useFakeTimers();
      const h = harness();
      const tx = await begunAtOnce(h);
      const committing = tx.commit({ timeoutMs: 1000 }).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(0);
      expect(h.native.calls[1]).toMatchObject({ name: 'commitTransaction', timeoutMs: 1000 });
      await jest.advanceTimersByTimeAsync(6001);
      expect(await committing).toMatchObject({ name: 'TransactionError', code: AIOErrorCodes.OPERATION_TIMEOUT, retriable: true });
      expect(tx.state).toBe('committing');
      const again = tx.commit({ timeoutMs: 1000 });
      await jest.advanceTimersByTimeAsync(10);
      // The first native commit has not returned: the second one is not started.
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
      // It returns: committed after all. The second commit has nothing left to do.
      h.native.calls[1]!.cb(null);
      await expect(again).resolves.toBeUndefined();
      expect(tx.state).toBe('committed');
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
    });

    it('close gives up at its limit while a native commit runs: every waiting call is answered, the native return comes later', async () => {
      jest.useFakeTimers();
      const h = harness();
      const tx = await begunAtOnce(h);
      const committing = tx.commit({ timeoutMs: 30_000 }).catch((e: unknown) => e);
      const aborting = tx.abort().catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(0);
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
      const closing = h.transactions.close(1500);
      let closed = false;
      void closing.then(() => (closed = true));
      await jest.advanceTimersByTimeAsync(1499);
      expect(closed).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(closed).toBe(true);
      const commitErr = (await committing) as ProducerClosedError;
      expect(commitErr).toBeInstanceOf(ProducerClosedError);
      expect(commitErr.possiblyDelivered).toBe(true);
      expect(await aborting).toMatchObject({ name: 'ProducerClosedError', possiblyDelivered: false });
      expect(tx.state).toBe('failed');
      // The native commit still runs: the client must not be disconnected yet.
      const running = h.transactions.running();
      expect(running).toBeDefined();
      let returned = false;
      void running!.then(() => (returned = true));
      await jest.advanceTimersByTimeAsync(60_000);
      expect(returned).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
      h.native.calls[1]!.cb(transactionError(-185, 'Local: Timed out', { retriable: true }));
      await jest.advanceTimersByTimeAsync(0);
      expect(returned).toBe(true);
      // Nothing more reached librdkafka: the abort queued behind the commit never started.
      expect(h.native.names()).toEqual(['beginTransaction', 'commitTransaction']);
      expect(tx.state).toBe('failed');
    });
  });
});

describe('AIOProducer with transactions (fake native producer)', () => {
  async function connectProducer(): Promise<{ producer: AIOProducer; native: () => FakeTransactionalProducer; errors: AIOKafkaError[] }> {
    let native: FakeTransactionalProducer | undefined;
    const producer = await AIOProducer.connectWith(
      { 'transactional.id': 'tx-1' },
      { backgroundPoll: false },
      { createNative: (config) => (native = new FakeTransactionalProducer(config)) },
    );
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    return { producer, native: () => native!, errors };
  }

  it("a transactional call's fatal answer stops the producer at once: closed, produce rejects fatal, one error event", async () => {
    const { producer, native, errors } = await connectProducer();
    const tx = await (async () => {
      const beginning = producer.transaction();
      await settle();
      native().answer('beginTransaction');
      return beginning;
    })();
    const committing = tx.commit().catch((e: unknown) => e);
    await settle();
    native().answer('commitTransaction', transactionError(-144, 'Local: This instance has been fenced by a newer instance', { fatal: true }));
    const fatal = await committing;
    expect(fatal).toMatchObject({ name: 'TransactionError', code: 'ERR__FENCED', fatal: true });
    // No FATAL log line came (a fake): the commit's answer alone made the producer fatal.
    expect(producer.closed).toBe(true);
    await expect(producer.produce('t', 'x')).rejects.toMatchObject({ name: 'DeliveryError', fatal: true, code: 'ERR__FENCED' });
    await expect(producer.transaction()).rejects.toBe(fatal);
    await settle();
    expect(errors).toEqual([fatal]);
    await producer.close({ timeoutMs: 100 });
  });

  // Review of d64f993: initTransactions got the whole connectTimeoutMs again, after the metadata
  // wait, and a 5 s grace of its own: connectTimeoutMs 1000 settled after 6000 ms.
  it('a transactional connect is one wait: initTransactions gets what is left of connectTimeoutMs, plus 1 s of grace', async () => {
    jest.useFakeTimers();
    try {
      const outcome = track(
        AIOProducer.connectWith(
          { 'transactional.id': 'tx-1' },
          { backgroundPoll: false, connectTimeoutMs: 1000 },
          {
            createNative: (config) => {
              const native = new FakeTransactionalProducer(config);
              native.autoInit = false;
              return native;
            },
          },
        ),
      );
      await jest.advanceTimersByTimeAsync(2010);
      expect(outcome.error()).toMatchObject({ name: 'TransactionError', code: 'AIO_OPERATION_TIMEOUT', retriable: true });
    } finally {
      jest.useRealTimers();
    }
  });

  it('close during a native commit returns by its limit and disconnects only once librdkafka returned', async () => {
    const { producer, native } = await connectProducer();
    jest.useFakeTimers();
    try {
      const beginning = producer.transaction();
      await jest.advanceTimersByTimeAsync(0);
      native().answer('beginTransaction');
      const tx = await drive(beginning);
      const committing = tx.commit().catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(1);
      expect(native().names()).toEqual(['initTransactions', 'beginTransaction', 'commitTransaction']);
      const closing = producer.close({ timeoutMs: 1500 });
      let closed = false;
      void closing.then(() => (closed = true));
      await jest.advanceTimersByTimeAsync(1510);
      expect(closed).toBe(true);
      expect(await committing).toMatchObject({ name: 'ProducerClosedError', possiblyDelivered: true });
      expect(native().disconnects).toBe(0);
      native().answer('commitTransaction', transactionError(-185, 'Local: Timed out', { retriable: true }));
      await jest.advanceTimersByTimeAsync(10);
      expect(native().disconnects).toBe(1);
      expect(native().names()).toEqual(['initTransactions', 'beginTransaction', 'commitTransaction']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe("sendOffsets and the consumer's close", () => {
  afterEach(() => jest.useRealTimers());

  async function setUp() {
    jest.useFakeTimers();
    const consumerNative = new FakeNativeConsumer();
    const consumer = await drive(
      AIOConsumer.connectWith({ 'group.id': 'g' }, { topics: ['t'], closeTimeoutMs: 1000 }, { createNative: consumerNative.factory }),
    );
    const h = harness();
    const beginning = h.transactions.begin();
    h.native.answer('beginTransaction');
    const tx = await drive(beginning);
    return { consumer, consumerNative, h, tx };
  }

  it('the consumer disconnects only once the sendOffsets that reads its client returned', async () => {
    const { consumer, consumerNative, h, tx } = await setUp();
    const sending = tx.sendOffsets(consumer, [{ topic: 't', partition: 0, offset: 1 }]);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.native.names()).toEqual(['beginTransaction', 'sendOffsetsToTransaction']);
    const closing = consumer.close({ timeoutMs: 10_000 });
    await jest.advanceTimersByTimeAsync(500);
    expect(consumerNative.log.map(([what]) => what)).not.toContain('disconnect');
    // A sendOffsets made now (its turn comes after the first) is refused: the consumer is closing.
    const late = tx.sendOffsets(consumer, [{ topic: 't', partition: 0, offset: 2 }]).catch((e: unknown) => e);
    h.native.answer('sendOffsetsToTransaction');
    await drive(sending);
    await drive(closing);
    expect(consumerNative.log.map(([what]) => what)).toContain('disconnect');
    expect(await drive(late)).toBeInstanceOf(ConsumerClosedError);
    expect(h.native.names()).toEqual(['beginTransaction', 'sendOffsetsToTransaction']);
  });

  it("past the close's limit the consumer's close returns; the disconnect follows the native return", async () => {
    const { consumer, consumerNative, h, tx } = await setUp();
    void tx.sendOffsets(consumer, [{ topic: 't', partition: 0, offset: 1 }]).catch(() => {});
    await jest.advanceTimersByTimeAsync(1);
    await drive(consumer.close({ timeoutMs: 200 }));
    expect(consumerNative.log.map(([what]) => what)).not.toContain('disconnect');
    h.native.answer('sendOffsetsToTransaction');
    await jest.advanceTimersByTimeAsync(10);
    expect(consumerNative.log.map(([what]) => what)).toContain('disconnect');
  });
});
