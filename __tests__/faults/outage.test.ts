import type { LateDelivery } from '../../src';
import { itOnMockCluster, randomTopic } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';
import { Ledger, expectClean, record } from './ledger';
import { sleep, stream, useBroker } from './setup';

const { broker, connect } = useBroker();

describe('broker outages', () => {
  itOnMockCluster('an outage shorter than message.timeout.ms: everything delivered, exactly once, in order', async () => {
    const producer = await connect({ 'message.timeout.ms': 30_000 });
    const ledger = new Ledger(randomTopic('outage-short'));
    await ledger.produce(producer);
    const outage = (async () => {
      await sleep(2000);
      await broker().cluster!.pause();
      await sleep(5000);
      await broker().cluster!.resume();
    })();
    const calls = await stream(() => ledger.produce(producer), { durationMs: 9000, perTick: 20, tickMs: 10 });
    await outage;
    await Promise.all(calls);
    const read = await readTopic(broker().bootstrapServers, ledger.topic, ledger.delivered.length, { settleMs: 2000, timeoutMs: 60_000 });
    const verdict = ledger.verify(read);
    record('outage 5 s < message.timeout.ms 30 s', { ...verdict, missing: verdict.missing.length, duplicated: verdict.duplicated.length });
    expect(verdict.failed).toBe(0);
    expect(verdict.readBack).toBe(verdict.produced);
    expectClean(verdict);
  });

  itOnMockCluster('an outage longer than message.timeout.ms: typed retriable failures, nothing hangs, production recovers', async () => {
    const deliveryTimeoutMs = 6000;
    const producer = await connect({ 'message.timeout.ms': 3000, 'request.timeout.ms': 2000 }, { deliveryTimeoutMs });
    const late: LateDelivery[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    producer.on('error', () => {}); // brokers-down errors during the outage are expected
    const ledger = new Ledger(randomTopic('outage-long'));
    await ledger.produce(producer);

    const pausedAt = Date.now() + 1000;
    const outage = (async () => {
      await sleep(1000);
      await broker().cluster!.pause();
    })();
    const calls = await stream(() => ledger.produce(producer), { durationMs: 4000, perTick: 10, tickMs: 10 });
    await outage;
    // The last call was made 3 s into the outage; by 4 s after it every call must have settled.
    await sleep(Math.max(0, pausedAt + 3000 + deliveryTimeoutMs + 1000 - Date.now()));
    const unsettledDuringOutage = [...ledger.outcomes.values()].filter((o) => o.settlements === 0).length;
    const failedDuringOutage = ledger.failed.length;
    await broker().cluster!.resume();
    await Promise.all(calls);

    // Production recovers.
    const after = await Promise.all(Array.from({ length: 100 }, () => ledger.produce(producer)));
    expect(after).toHaveLength(100);
    await sleep(3000); // room for late reports
    const read = await readTopic(broker().bootstrapServers, ledger.topic, ledger.delivered.length, { settleMs: 3000, timeoutMs: 60_000 });
    const verdict = ledger.verify(read);
    const recovered = ledger.delivered.filter((o) => o.seq >= ledger.outcomes.size - 100).length;
    record('outage 15 s > message.timeout.ms 3 s', {
      ...verdict,
      missing: verdict.missing.length,
      duplicated: verdict.duplicated.length,
      unsettledDuringOutage,
      failedDuringOutage,
      lateDeliveries: late.length,
      lateDelivered: late.filter((l) => l.report).length,
      failedPresentInLog: ledger.failed.filter((o) => read.some((m) => m.value!.toString() === String(o.seq))).length,
      recovered,
    });
    expect(unsettledDuringOutage).toBe(0);
    expect(failedDuringOutage).toBeGreaterThan(0);
    expect(ledger.failed.every((o) => o.error!.retriable)).toBe(true);
    expect(Object.keys(verdict.failedCodes).every((c) => ['ERR__MSG_TIMED_OUT', 'AIO_DELIVERY_TIMEOUT'].includes(c))).toBe(true);
    expect(recovered).toBe(100);
    expectClean(verdict);
  });

  itOnMockCluster('deliveryTimeoutMs shorter than the outage: the caller hears "timed out" in time, then lateDelivery tells the truth', async () => {
    const producer = await connect({ 'message.timeout.ms': 60_000 }, { deliveryTimeoutMs: 2000 });
    const late: LateDelivery[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    producer.on('error', () => {});
    const ledger = new Ledger(randomTopic('outage-deadline'));
    await ledger.produce(producer);
    await broker().cluster!.pause();
    const calls = Array.from({ length: 500 }, () => ledger.produce(producer));
    await sleep(3500);
    const unsettledDuringOutage = [...ledger.outcomes.values()].filter((o) => o.settlements === 0).length;
    await broker().cluster!.resume();
    await Promise.all(calls);
    await producer.flush(10_000);
    // librdkafka kept the messages and delivers them after the outage: lateDelivery reports each.
    for (let i = 0; i < 100 && late.length < 500; i++) await sleep(100);
    const read = await readTopic(broker().bootstrapServers, ledger.topic, 501, { settleMs: 1000 });
    const verdict = ledger.verify(read);
    record('outage 3.5 s > deliveryTimeoutMs 2 s (message.timeout.ms 60 s)', {
      ...verdict,
      missing: verdict.missing.length,
      duplicated: verdict.duplicated.length,
      unsettledDuringOutage,
      lateDeliveries: late.length,
      lateDelivered: late.filter((l) => l.report).length,
    });
    expect(unsettledDuringOutage).toBe(0);
    expect(verdict.failedCodes).toEqual({ AIO_DELIVERY_TIMEOUT: 500 });
    expect(ledger.failed.every((o) => o.error!.retriable && (o.error as { possiblyDelivered?: boolean }).possiblyDelivered)).toBe(true);
    expect(late.filter((l) => l.report)).toHaveLength(500);
    expect(verdict.readBack).toBe(501);
    expectClean(verdict);
  });
});
