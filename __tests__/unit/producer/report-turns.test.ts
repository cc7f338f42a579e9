import { DeliveryError, type AIOKafkaError } from '../../../src/core/errors';
import { DELIVERY_REPORTS_PER_TURN } from '../../../src/native/producer';
import type { LateDelivery } from '../../../src/producer/events';
import { ReportTurns } from '../../../src/producer/report-turns';
import { useFakeProducers } from '../../helpers/fake-producers';
import { track } from '../../helpers/track';

/*
 * deliveryTimeoutMs and the binding's limit of DELIVERY_REPORTS_PER_TURN reports per event-loop
 * turn (src/native/producer.ts): a report librdkafka produced in time but still queued in the
 * binding is never taken for a timeout. The fake hands reports over as node-rdkafka does, at most
 * that many per turn; its turns follow the producer's polls, so a busy event loop, whose turns
 * take long, is a long poll period.
 */

const { connect, tick } = useFakeProducers();

describe('deliveryTimeoutMs while reports wait in the binding', () => {
  it('fails none of the messages librdkafka reported in time, however long their reports queue', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 1000, pollIntervalMs: 50 });
    const errors: AIOKafkaError[] = [];
    const late: LateDelivery[] = [];
    producer.on('deliveryError', (err) => errors.push(err));
    producer.on('lateDelivery', (l) => late.push(l));
    // A busy event loop: one turn every 50 ms, DELIVERY_REPORTS_PER_TURN reports each.
    const awaited = Array.from({ length: 2000 }, (_, i) => track(producer.produce('t', `a${i}`)));
    const called: Array<AIOKafkaError | null> = [];
    for (let i = 0; i < 500; i++) producer.produce2('t', `o${i}`, { fireAndForget: true, onDelivery: (err) => called.push(err) });
    for (let i = 0; i < 500; i++) producer.produce2('t', `f${i}`, { fireAndForget: true });
    await tick(10);
    // librdkafka has every report at 10 ms; handing 3000 over takes 30 turns, about 1.5 s.
    fake.deliverAll();
    await tick(50);
    expect(fake.dispatching).toBeGreaterThan(2000);
    await tick(1000);
    expect(fake.dispatching).toBeGreaterThan(0); // past the deadline, reports are still queued
    await tick(1000);
    expect(awaited.filter((r) => r.error() !== undefined).map((r) => r.error())).toEqual([]);
    expect(called.filter((err) => err !== null)).toEqual([]);
    expect(errors).toEqual([]);
    expect(late).toEqual([]);
    expect(fake.dispatching).toBe(0);
    expect(awaited.every((r) => r.value() !== undefined)).toBe(true);
    expect(called).toHaveLength(500);
    expect(producer.inFlight).toBe(0);
  });

  it('still fails a message with no report, once a turn shows the binding has none left to hand over', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 1000, pollIntervalMs: 50 });
    const stuck = track(producer.produce('t', 'stuck'));
    const reported = Array.from({ length: 3 * DELIVERY_REPORTS_PER_TURN }, (_, i) => track(producer.produce('t', `m${i}`)));
    await tick(10);
    for (let id = 2; id <= reported.length + 1; id++) fake.deliver(id);
    // Three turns of exactly the maximum (50, 100, 150 ms), and none after: the binding is empty.
    await tick(989);
    expect(stuck.settled()).toBe(false);
    await tick(200);
    expect(stuck.error()).toBeInstanceOf(DeliveryError);
    expect(stuck.error()).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT' });
    expect(reported.every((r) => r.value() !== undefined)).toBe(true);
  });

  it('waits, for a message past its deadline, until the backlog is handed over, then fails it if its report was not there', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 100, pollIntervalMs: 50 });
    const stuck = track(producer.produce('t', 'stuck'));
    const reported = Array.from({ length: 10 * DELIVERY_REPORTS_PER_TURN }, (_, i) => track(producer.produce('t', `m${i}`)));
    await tick(10);
    for (let id = 2; id <= reported.length + 1; id++) fake.deliver(id);
    // Ten turns, 50 ms apart: the backlog lasts about 450 ms, well past the 100 ms deadline.
    await tick(300);
    expect(fake.dispatching).toBeGreaterThan(0);
    expect(stuck.settled()).toBe(false);
    await tick(300);
    expect(fake.dispatching).toBe(0);
    expect(stuck.error()).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT' });
    expect(reported.every((r) => r.value() !== undefined)).toBe(true);
  });
});

describe('ReportTurns', () => {
  it('counts turns (one setImmediate per turn) only while a deadline is to be judged', () => {
    const turns = new ReportTurns();
    const armed = jest.spyOn(global, 'setImmediate');
    for (let i = 0; i < 5; i++) turns.note();
    expect(armed).not.toHaveBeenCalled();
    turns.watch(true);
    for (let i = 0; i < 5; i++) turns.note();
    expect(armed).toHaveBeenCalledTimes(1);
    for (let i = 0; i < DELIVERY_REPORTS_PER_TURN; i++) turns.note();
    expect(turns.mayHoldReports()).toBe(true); // this turn handed over the maximum
    turns.watch(false);
    armed.mockRestore();
  });
});
