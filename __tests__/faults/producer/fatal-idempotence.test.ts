/*
 * Idempotence errors injected on Produce, against the embedded mock cluster (3 brokers, 6
 * partitions with known leaders). Idempotence is on (the default).
 *
 * - OUT_OF_ORDER_SEQUENCE_NUMBER, and UNKNOWN_PRODUCER_ID on a retried batch, make librdkafka
 *   raise a fatal error (it purges its queues and refuses every later produce). Expected of the
 *   producer (issue 9): every pending and later call rejects with `fatal: true` as soon as
 *   librdkafka is fatal, without waiting for another produce; the batch that got the sequence
 *   error is `possiblyDelivered: true` (librdkafka marks it "possibly persisted"); and
 *   `producer.closed` is true.
 * - UNKNOWN_PRODUCER_ID on a first send, with nothing outstanding: librdkafka bumps the epoch,
 *   resets the sequence and resends: everything delivered.
 * - INVALID_PRODUCER_EPOCH on a non-transactional idempotent producer: librdkafka 2.12 fails only
 *   that batch and bumps the epoch. Expected: the producer does not stop; only that batch fails.
 */
import { DeliveryError, isAIOKafkaError, type AIOProducer } from '../../../src';
import { onMockCluster } from '../../helpers/broker';
import { Ledger, expectClean, record, type Outcome } from '../ledger';
import { failOnUnhandledRejection, settleWithin, sleep, useMockCluster } from '../setup';
import { failureKinds, figures, inLog, leaderOf, perPartition, readBack, topicWithKnownLeaders } from './common';

const describeOnMock = onMockCluster ? describe : describe.skip;

interface ClientError {
  code: string;
  fatal: boolean;
  message: string;
}

function watchErrors(producer: AIOProducer): ClientError[] {
  const errors: ClientError[] = [];
  producer.on('error', (e) => errors.push({ code: e.code, fatal: e.fatal, message: e.message }));
  return errors;
}

/** A later call's outcome, as a short string: `delivered`, or `code fatal=… possiblyDelivered=…`. */
async function laterCall(ledger: Ledger, producer: AIOProducer): Promise<string> {
  const seq = ledger.nextSeq;
  await ledger.produce(producer);
  const o = ledger.outcomes.get(seq)!;
  if (o.report) return 'delivered';
  const e = o.error as (DeliveryError & { possiblyDelivered?: boolean }) | undefined;
  return e ? `${e.constructor.name} ${e.code} fatal=${e.fatal} possiblyDelivered=${String(e.possiblyDelivered)}` : `untyped ${String(o.untyped)}`;
}

describeOnMock('producer: idempotence errors on the wire', () => {
  const { cluster, connect } = useMockCluster(3);
  failOnUnhandledRejection();

  /**
   * The fatal scenarios: a burst of `burst` calls made at once with the fault queued, then no
   * other call until every one of them settled (bounded: half of message.timeout.ms).
   */
  async function fatalScenario(
    name: string,
    prepare: (topic: string) => Promise<void>,
    inject: () => Promise<void>,
    config: Record<string, string | number | boolean>,
    sequenceErrorCode: string,
  ): Promise<void> {
    const topic = await topicWithKnownLeaders(cluster(), 'pf-fatal');
    await prepare(topic);
    const messageTimeoutMs = 10_000;
    const producer = await connect({ 'message.timeout.ms': messageTimeoutMs, ...config });
    const errors = watchErrors(producer);
    const ledger = new Ledger(topic, 24);
    await Promise.all(Array.from({ length: 100 }, () => ledger.produce(producer)));
    const burstStart = ledger.nextSeq;
    await inject();
    const calls = Array.from({ length: 400 }, () => ledger.produce(producer));
    // No other call while they settle: they must settle on librdkafka's fatal error alone.
    const { unsettled, ms } = await settleWithin(calls, messageTimeoutMs / 2);
    const closedWithoutAnotherCall = producer.closed;
    const fatalEvents = errors.filter((e) => e.fatal);
    const burst = [...ledger.outcomes.values()].filter((o) => o.seq >= burstStart);
    const later = await laterCall(ledger, producer);
    await settleWithin(calls, messageTimeoutMs); // whatever was left, for the read-back
    const read = await readBack(cluster(), ledger);
    const verdict = ledger.verify(read);
    const present = inLog(read);
    const failedBurst = burst.filter((o) => o.error !== undefined);
    const sequenceBatch = failedBurst.filter((o) => o.error!.code === sequenceErrorCode);
    record(name, {
      ...figures(verdict),
      burst: burst.length,
      burstDelivered: burst.filter((o) => o.report).length,
      unsettledAfterHalfMessageTimeout: unsettled,
      burstSettledMs: ms,
      closedWithoutAnotherCall,
      closedAfterLaterCall: producer.closed,
      burstFailureKinds: failureKinds(burst),
      burstInLog: burst.filter((o) => present.has(o.seq)).length,
      burstFailedButInLog: failedBurst.filter((o) => present.has(o.seq)).length,
      sequenceBatch: sequenceBatch.length,
      sequenceBatchInLog: sequenceBatch.filter((o) => present.has(o.seq)).length,
      laterCall: later,
      errorEvents: errors.map((e) => `${e.code} fatal=${e.fatal}`),
      perPartition: perPartition(read),
    });
    // The read-back checks hold whatever the producer does.
    expectClean(verdict);
    expect(unsettled).toBe(0);
    expect(failedBurst.length).toBeGreaterThan(0);
    // Expected behaviour (issue 9): the producer stops as soon as librdkafka is fatal, without
    // waiting for another produce...
    expect({ fatalErrorEvent: fatalEvents.length > 0, closedWithoutAnotherCall }).toEqual({ fatalErrorEvent: true, closedWithoutAnotherCall: true });
    // ...every failure is fatal...
    expect(failureKinds(failedBurst.filter((o) => !o.error!.fatal))).toEqual({});
    for (const o of failedBurst) expect(o.error).toBeInstanceOf(DeliveryError);
    // ...the batch that got the sequence error (where its code still says so) may have been
    // written, and every failed message found in the log said possiblyDelivered (expectClean)...
    expect(sequenceBatch.every((o) => (o.error as DeliveryError).possiblyDelivered)).toBe(true);
    // ...and a later call is refused, fatal, not sent.
    expect(later).toMatch(/^DeliveryError \S+ fatal=true possiblyDelivered=false$/);
    expect(producer.closed).toBe(true);
  }

  it('6a. OUT_OF_ORDER_SEQUENCE_NUMBER answered after every call was made: fatal; every pending and later call rejects fatal at once; the failed batch possiblyDelivered', async () => {
    // Broker 1 answers its next Produce request with the error 300 ms late: by then all 400
    // calls were made, so nothing but librdkafka's fatal error itself can settle them.
    await fatalScenario(
      'producer 6a: OUT_OF_ORDER_SEQUENCE_NUMBER on broker 1, answered 300 ms late',
      async () => {},
      () => cluster().injectErrors('Produce', ['OUT_OF_ORDER_SEQUENCE_NUMBER'], { brokerId: 1, rttMs: 300 }),
      {},
      'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
  });

  it('6a2. OUT_OF_ORDER_SEQUENCE_NUMBER while calls are still being made: the same, and the error event says fatal', async () => {
    // The next Produce request on any broker, answered at once: librdkafka turns fatal in the
    // middle of the 400 calls, so the later ones are refused by librdkafka itself (ERR__FATAL).
    await fatalScenario(
      'producer 6a2: OUT_OF_ORDER_SEQUENCE_NUMBER on the next Produce request, mid-burst',
      async () => {},
      () => cluster().injectErrors('Produce', ['OUT_OF_ORDER_SEQUENCE_NUMBER']),
      {},
      'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
  });

  it('6b. UNKNOWN_PRODUCER_ID on a retried batch: fatal; every pending and later call rejects fatal at once', async () => {
    // librdkafka resets the sequence on UNKNOWN_PRODUCER_ID only for a first send; for a retry it
    // is fatal. So: broker 1 leads partition 0 alone, one request in flight per connection, and
    // broker 1 answers NOT_ENOUGH_REPLICAS (not written, retried) and then UNKNOWN_PRODUCER_ID.
    await fatalScenario(
      'producer 6b: NOT_ENOUGH_REPLICAS then UNKNOWN_PRODUCER_ID on the retry (broker 1, partition 0)',
      // Moved before the warm-up, so the producer has learnt the new leaders (from broker 1's
      // NOT_LEADER answers) before the errors are queued on broker 1.
      async (topic) => {
        for (let p = 1; p < 6; p++) if (leaderOf(cluster(), p) === 1) await cluster().moveLeader(topic, p, 2);
      },
      () => cluster().injectErrors('Produce', ['NOT_ENOUGH_REPLICAS', 'UNKNOWN_PRODUCER_ID'], { brokerId: 1 }),
      { 'max.in.flight.requests.per.connection': 1 },
      'ERR_UNKNOWN_PRODUCER_ID',
    );
  });

  it('6c. UNKNOWN_PRODUCER_ID on a first send with nothing outstanding: epoch bumped, all delivered exactly once', async () => {
    const topic = await topicWithKnownLeaders(cluster(), 'pf-unkpid');
    const producer = await connect({ 'message.timeout.ms': 10_000 });
    const errors = watchErrors(producer);
    const ledger = new Ledger(topic, 24);
    await Promise.all(Array.from({ length: 100 }, () => ledger.produce(producer)));
    await cluster().injectErrors('Produce', ['UNKNOWN_PRODUCER_ID']);
    const calls = Array.from({ length: 400 }, () => ledger.produce(producer));
    const { unsettled } = await settleWithin(calls, 10_000);
    const read = await readBack(cluster(), ledger);
    const verdict = ledger.verify(read);
    record('producer 6c: UNKNOWN_PRODUCER_ID on one first-send Produce request', {
      ...figures(verdict),
      unsettled,
      closed: producer.closed,
      errorEvents: errors.map((e) => `${e.code} fatal=${e.fatal}`),
      perPartition: perPartition(read),
    });
    expect(unsettled).toBe(0);
    expect(verdict.failed).toBe(0);
    expect(verdict.readBack).toBe(verdict.produced);
    expect(producer.closed).toBe(false);
    expectClean(verdict);
  });

  it('6d. INVALID_PRODUCER_EPOCH (not transactional): only that batch fails, the producer goes on, no duplicates', async () => {
    const topic = await topicWithKnownLeaders(cluster(), 'pf-epoch');
    const producer = await connect({ 'message.timeout.ms': 10_000 });
    const errors = watchErrors(producer);
    const ledger = new Ledger(topic, 24);
    await Promise.all(Array.from({ length: 100 }, () => ledger.produce(producer)));
    const burstStart = ledger.nextSeq;
    await cluster().injectErrors('Produce', ['INVALID_PRODUCER_EPOCH']);
    const calls = Array.from({ length: 400 }, () => ledger.produce(producer));
    const { unsettled } = await settleWithin(calls, 10_000);
    const closedAfterBurst = producer.closed;
    await sleep(200);
    const afterSeq = ledger.nextSeq;
    await settleWithin(Array.from({ length: 200 }, () => ledger.produce(producer)), 10_000);
    const read = await readBack(cluster(), ledger);
    const verdict = ledger.verify(read);
    const present = inLog(read);
    const failed = ledger.failed;
    const failedPartitions = [...new Set(failed.map((o) => (o.error as DeliveryError).partition))].sort();
    const after = [...ledger.outcomes.values()].filter((o) => o.seq >= afterSeq);
    record('producer 6d: INVALID_PRODUCER_EPOCH on one Produce request (idempotent, not transactional)', {
      ...figures(verdict),
      burst: 400,
      burstDelivered: ledger.delivered.filter((o) => o.seq >= burstStart && o.seq < afterSeq).length,
      unsettled,
      closedAfterBurst,
      failureKinds: failureKinds(failed),
      failedPartitions,
      failedInLog: failed.filter((o) => present.has(o.seq)).length,
      after: after.length,
      afterDelivered: after.filter((o) => o.report).length,
      afterFailureKinds: failureKinds(after),
      errorEvents: errors.map((e) => `${e.code} fatal=${e.fatal}`),
      perPartition: perPartition(read),
    });
    expectClean(verdict);
    expect(unsettled).toBe(0);
    expect(failed.length).toBeGreaterThan(0);
    // One Produce request's batches: the partitions of one leader.
    expect(new Set(failedPartitions.map((p) => leaderOf(cluster(), p))).size).toBe(1);
    expect(failed.every((o) => o.error instanceof DeliveryError && o.error.code === 'ERR_INVALID_PRODUCER_EPOCH')).toBe(true);
    // Expected behaviour: not fatal, the producer goes on.
    expect(failureKinds(failed.filter((o) => o.error!.fatal))).toEqual({});
    expect(closedAfterBurst).toBe(false);
    expect(after.filter((o) => o.report).length).toBe(200);
    expect(producer.closed).toBe(false);
    expect([...ledger.outcomes.values()].every((o: Outcome) => o.error === undefined || isAIOKafkaError(o.error))).toBe(true);
  });
});
