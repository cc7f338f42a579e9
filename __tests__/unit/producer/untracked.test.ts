import { tracingChannel } from 'node:diagnostics_channel';
import { DeliveryError, ProducerClosedError, QueueFullError, type AIOKafkaError } from '../../../src/core/errors';
import { serializers } from '../../../src/core/serde';
import type { LateDelivery } from '../../../src/producer/events';
import type { AIOProducerOptions } from '../../../src/producer/options';
import { AIOProducer } from '../../../src/producer/aio-producer';
import { UntrackedMessages } from '../../../src/producer/untracked';
import { FakeTransactionalProducer, nativeError, textError } from '../../helpers/fake-native-producer';
import { useFakeProducers } from '../../helpers/fake-producers';
import { track } from '../../helpers/track';

/*
 * Fire-and-forget messages with nobody to tell but the deliveryError event are sent with no
 * opaque and counted, not registered (src/producer/untracked.ts). Every outcome still reaches
 * the user: a failed report, the deadline, close() and a fatal error.
 */

const { connect, tick } = useFakeProducers();

function recordErrors(producer: { on(event: 'deliveryError', listener: (err: AIOKafkaError) => void): unknown }): AIOKafkaError[] {
  const seen: AIOKafkaError[] = [];
  producer.on('deliveryError', (err) => seen.push(err));
  return seen;
}

describe('UntrackedMessages', () => {
  it('counts per topic; a report beyond what a topic has unreported is not ours', () => {
    const untracked = new UntrackedMessages(Infinity);
    untracked.sent('a');
    untracked.sent('b');
    untracked.sent('a');
    expect(untracked.size).toBe(3);
    expect(untracked.reported('b')).toBe('counted');
    expect(untracked.reported('b')).toBeUndefined();
    expect(untracked.reported('c')).toBeUndefined();
    expect(untracked.reported('a')).toBe('counted');
    expect(untracked.size).toBe(1);
    expect(untracked.takeAll()).toEqual([{ topic: 'a', count: 1 }]);
    expect(untracked.size).toBe(0);
    expect(untracked.reported('a')).toBeUndefined();
  });

  it('fails, at its deadline, what the reports cannot account for, never before; later reports are late', () => {
    const untracked = new UntrackedMessages(1000);
    for (let i = 0; i < 3; i++) untracked.sent('a');
    untracked.checkDeadlines(0);
    untracked.sent('a');
    untracked.checkDeadlines(500);
    expect(untracked.reported('a')).toBe('counted');
    untracked.checkDeadlines(999);
    expect(untracked.takeExpired()).toBeUndefined();
    // The three sent by 0 ms passed their deadline; one report came: two are overdue.
    untracked.checkDeadlines(1000);
    expect(untracked.takeExpired()).toEqual([{ topic: 'a', count: 2 }]);
    expect(untracked.size).toBe(1);
    // The next reports are taken for the two late ones first (a report cannot say whose it is),
    // then for the fourth (sent by 500 ms): nothing more at its deadline.
    expect(untracked.reported('a')).toBe('late');
    expect(untracked.reported('a')).toBe('late');
    expect(untracked.size).toBe(1);
    expect(untracked.reported('a')).toBe('counted');
    untracked.checkDeadlines(1500);
    expect(untracked.takeExpired()).toBeUndefined();
    expect(untracked.reported('a')).toBeUndefined();
  });
});

describe('fire-and-forget without onDelivery: no opaque, counted', () => {
  it('sends with no opaque; inFlight and flush count the messages until their reports', async () => {
    const { producer, fake } = await connect();
    producer.produce2('a', 'v1', { fireAndForget: true });
    producer.produce2('b', 'v2', { fireAndForget: true, key: 'k', partition: 2 });
    expect(fake.produced.map((m) => [m.topic, m.opaque, m.partition])).toEqual([
      ['a', undefined, null],
      ['b', undefined, 2],
    ]);
    expect(producer.inFlight).toBe(2);
    const flushed = track(producer.flush());
    fake.deliverUntracked();
    await tick();
    expect(producer.inFlight).toBe(1);
    expect(flushed.settled()).toBe(false);
    fake.deliverUntracked();
    await tick();
    expect(producer.inFlight).toBe(0);
    expect(flushed.settled()).toBe(true);
  });

  it('reports a failed one to deliveryError, naming its topic and partition, and stops on a fatal one', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const seen = recordErrors(producer);
    producer.produce2('a', 'v', { fireAndForget: true, partition: 1 });
    producer.produce2('b', 'v', { fireAndForget: true });
    producer.produce2('b', 'v', { fireAndForget: true });
    fake.deliverUntracked(textError('Broker: Message size too large'));
    fake.deliverUntracked();
    await tick();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(DeliveryError);
    expect(seen[0]).toMatchObject({ code: 'ERR_MSG_SIZE_TOO_LARGE', topic: 'a', partition: 1 });

    fake.deliverUntracked(textError('Local: Fatal error'));
    await tick();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ code: 'ERR__FATAL', fatal: true, topic: 'b' });
    expect(producer.closed).toBe(true);
    expect(producer.inFlight).toBe(0);
  });

  it('close() past its deadline reports each message still unreported, by topic, possibly delivered', async () => {
    const { producer, fake } = await connect();
    const seen = recordErrors(producer);
    for (let i = 0; i < 3; i++) producer.produce2('a', 'v', { fireAndForget: true });
    for (let i = 0; i < 2; i++) producer.produce2('b', 'v', { fireAndForget: true });
    fake.deliverUntracked(); // one of 'a'
    await tick();
    const closing = track(producer.close({ timeoutMs: 100 }));
    await tick(50);
    expect(seen).toEqual([]);
    await tick(100);
    expect(closing.settled()).toBe(true);
    expect(seen).toHaveLength(4);
    for (const err of seen) expect(err).toBeInstanceOf(ProducerClosedError);
    expect(seen.map((err) => err.message.match(/topic "(\w)"/)?.[1])).toEqual(['a', 'a', 'b', 'b']);
    expect(seen.every((err) => (err as ProducerClosedError).possiblyDelivered)).toBe(true);
    expect(producer.inFlight).toBe(0);
  });

  it('a purge that comes before the FATAL log line is fatal: it asks librdkafka, and the producer stops', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const seen = recordErrors(producer);
    producer.produce2('t', 'a', { fireAndForget: true, partition: 0 });
    producer.produce2('t', 'b', { fireAndForget: true });
    await tick();
    fake.fatal = true;
    fake.deliverUntracked(nativeError(-152)); // ERR__PURGE_QUEUE
    await tick();
    expect(producer.closed).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ code: 'ERR__FATAL', fatal: true, topic: 't', partition: 0, possiblyDelivered: false });
    expect(seen[1]).toMatchObject({ fatal: true, topic: 't', possiblyDelivered: true });
    expect(producer.inFlight).toBe(0);
  });

  it('a fatal refusal fails the unreported ones fatal, after the call that met it returned', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const seen = recordErrors(producer);
    producer.produce2('a', 'v', { fireAndForget: true });
    producer.produce2('a', 'v', { fireAndForget: true });
    fake.throwOnNextProduce(nativeError(-150, 'Local: Fatal error'));
    expect(() => producer.produce2('a', 'v', { fireAndForget: true })).toThrow(expect.objectContaining({ fatal: true }));
    expect(seen).toEqual([]); // nothing inside the call
    await tick(0);
    expect(seen).toHaveLength(2);
    for (const err of seen) expect(err).toMatchObject({ code: 'ERR__FATAL', fatal: true, topic: 'a', possiblyDelivered: true });
    expect(producer.inFlight).toBe(0);
  });

  it('deliveryTimeoutMs fails the unreported ones as AIO_DELIVERY_TIMEOUT, and their reports come as lateDelivery', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 1000 });
    const seen = recordErrors(producer);
    const late: LateDelivery[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    for (let i = 0; i < 3; i++) producer.produce2('t', 'v', { fireAndForget: true, partition: 0 });
    await tick(100);
    fake.deliverUntracked();
    await tick(880);
    expect(seen).toEqual([]);
    await tick(250);
    expect(seen).toHaveLength(2);
    for (const err of seen) expect(err).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT', topic: 't', possiblyDelivered: true, retriable: true });
    expect(producer.inFlight).toBe(0);

    fake.deliverUntracked();
    fake.deliverUntracked(textError('Local: Message timed out'));
    await tick(1000);
    expect(late).toEqual([
      { topic: 't', partition: 0, report: expect.objectContaining({ topic: 't', partition: 0 }), error: undefined },
      { topic: 't', partition: 0, report: undefined, error: expect.objectContaining({ code: 'ERR__MSG_TIMED_OUT' }) },
    ]);
    expect(seen).toHaveLength(2);
  });

  it('registers the message whenever something needs it: onDelivery, a signal, a serializer, trace headers, a tracer, a transaction', async () => {
    const opaques = async (produce: (producer: AIOProducer) => void, options: object = {}) => {
      const { producer, fake } = await connect(options as AIOProducerOptions);
      producer.on('deliveryError', () => {}); // closed with the message unreported
      produce(producer);
      return fake.produced.map((m) => typeof m.opaque);
    };
    expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true, onDelivery: () => {} }))).toEqual(['number']);
    expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true, signal: new AbortController().signal }))).toEqual(['number']);
    expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true }), { valueSerializer: serializers.string })).toEqual(['number']);
    expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true }), { propagateTraceContext: true })).toEqual(['number']);
    const channel = tracingChannel('aio-rdkafka:producer:produce');
    const subscriber = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(subscriber);
    try {
      expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true }))).toEqual(['number']);
    } finally {
      channel.unsubscribe(subscriber);
    }
    expect(await opaques((p) => p.produce2('t', 'v', { fireAndForget: true }))).toEqual(['undefined']);

    let native: FakeTransactionalProducer | undefined;
    const connecting = AIOProducer.connectWith({ 'transactional.id': 'tx' }, {}, { createNative: (config) => (native = new FakeTransactionalProducer(config)) });
    await tick(10);
    const transactional = await connecting;
    try {
      transactional.produce2('t', 'v', { fireAndForget: true });
      expect(native!.produced.map((m) => typeof m.opaque)).toEqual(['number']);
    } finally {
      const closing = transactional.close({ timeoutMs: 0 });
      await tick(10);
      await closing;
    }
  });
});

describe('queue.buffering.max.messages bounds what is sent and unreported', () => {
  it('counts unreported messages, however sent: past the limit fire-and-forget throws, awaited calls wait in order', async () => {
    const { producer, fake } = await connect({}, { 'bootstrap.servers': 'fake:9092', 'queue.buffering.max.messages': 3 });
    producer.on('deliveryError', () => {});
    const first = track(producer.produce('t', 'a'));
    producer.produce2('t', 'b', { fireAndForget: true });
    producer.produce2('t', 'c', { fireAndForget: true, onDelivery: () => {} });
    // librdkafka itself has room (the fake never fills): the producer's own count refuses.
    expect(() => producer.produce2('t', 'd', { fireAndForget: true })).toThrow(QueueFullError);
    expect(() => producer.produce2('t', 'd', { fireAndForget: true })).toThrow(/queue.buffering.max.messages/);
    const waiting = track(producer.produce('t', 'e'));
    const behind = track(producer.produce('t', 'f'));
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['a', 'b', 'c']);
    expect(producer.inFlight).toBe(5);
    fake.deliverUntracked();
    await tick();
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['a', 'b', 'c', 'e']);
    // One waits: a fire-and-forget call does not overtake it.
    expect(() => producer.produce2('t', 'g', { fireAndForget: true })).toThrow(/1 awaitable message\(s\) wait for room/);
    fake.deliver(1);
    await tick();
    expect(first.value()).toBeDefined();
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['a', 'b', 'c', 'e', 'f']);
    expect(waiting.settled() || behind.settled()).toBe(false);
  });

  it('rejects an awaited call that found no room within enqueueTimeoutMs; 0 sets no limit', async () => {
    const { producer } = await connect({ enqueueTimeoutMs: 100 }, { 'bootstrap.servers': 'fake:9092', 'queue.buffering.max.messages': 1 });
    producer.on('deliveryError', () => {});
    producer.produce2('t', 'a', { fireAndForget: true });
    const waiting = track(producer.produce('t', 'b'));
    await tick(150);
    expect(waiting.error()).toBeInstanceOf(QueueFullError);
    expect((waiting.error() as Error).message).toMatch(/no room for 100 ms \(enqueueTimeoutMs\)/);

    // librdkafka's default limit is 100000.
    const { producer: unlimited, fake } = await connect({}, { 'bootstrap.servers': 'fake:9092', 'queue.buffering.max.messages': 0 });
    unlimited.on('deliveryError', () => {});
    for (let i = 0; i < 120_000; i++) unlimited.produce2('t', 'v', { fireAndForget: true });
    expect(fake.produced).toHaveLength(120_000);
  });
});

/*
 * Review of 5e3fc5e: a late report of a message the deadline failed was counted as a newer
 * message's whenever one was unreported (`sent > done` was checked first). In an outage that is
 * the usual order: the old messages sit ahead of the new ones. The newer message then looked
 * reported: flush and close stopped waiting for it, and its own outcome went to lateDelivery.
 */
describe('late reports and newer messages of the same topic', () => {
  async function timedOutThenNewer() {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 1000 });
    const errors = recordErrors(producer);
    const late: LateDelivery[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    producer.produce2('t', 'old', { fireAndForget: true, partition: 0 });
    await tick(1200);
    expect(errors.map((e) => e.code)).toEqual(['AIO_DELIVERY_TIMEOUT']);
    // The topic owes a late report: a new message goes out tracked, its report unmistakable.
    producer.produce2('t', 'new', { fireAndForget: true, partition: 0 });
    expect(fake.produced.map((m) => m.opaque === undefined)).toEqual([true, false]);
    expect(producer.inFlight).toBe(1);
    fake.deliverUntracked(); // 'old' written after all
    await tick();
    return { producer, fake, errors, late };
  }

  it("the old message's report is late; the newer one stays in flight, and flush waits for it", async () => {
    const { producer, fake, late } = await timedOutThenNewer();
    expect(late).toHaveLength(1);
    expect(late[0]!.report).toMatchObject({ topic: 't', offset: 0 });
    expect(producer.inFlight).toBe(1);
    const flushed = track(producer.flush());
    await tick(10);
    expect(flushed.settled()).toBe(false);
    fake.deliverAll();
    await tick();
    expect(flushed.settled()).toBe(true);
    expect(producer.inFlight).toBe(0);
    expect(late).toHaveLength(1);
  });

  it("the newer message's failure reaches deliveryError, not lateDelivery", async () => {
    const { fake, errors, late } = await timedOutThenNewer();
    fake.deliverAll(textError('Local: Message timed out'));
    await tick();
    expect(errors.map((e) => e.code)).toEqual(['AIO_DELIVERY_TIMEOUT', 'ERR__MSG_TIMED_OUT']);
    expect(late.filter((l) => l.error !== undefined)).toEqual([]);
  });

  it('close() past its limit gives the newer message, unreported, its ProducerClosedError', async () => {
    const { producer, errors } = await timedOutThenNewer();
    const closing = track(producer.close({ timeoutMs: 100 }));
    await tick(200);
    expect(closing.settled()).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['AIO_DELIVERY_TIMEOUT', 'AIO_PRODUCER_CLOSED']);
  });

  it('counts a report as late first: what is in flight is never below what is unreported', () => {
    const untracked = new UntrackedMessages(1000);
    untracked.sent('t'); // old, sent at 0
    untracked.checkDeadlines(0);
    untracked.sent('t'); // newer, sent later (not expired below)
    untracked.checkDeadlines(1500);
    expect(untracked.takeExpired()).toEqual([{ topic: 't', count: 1 }]);
    expect(untracked.size).toBe(1);
    // A report comes: it may be the newer one's, but it is taken for the late one's, so the
    // newer message is still counted (at worst failed later by its own deadline).
    expect(untracked.reported('t')).toBe('late');
    expect(untracked.size).toBe(1);
    expect(untracked.owesLate('t')).toBe(false);
    expect(untracked.reported('t')).toBe('counted');
    expect(untracked.size).toBe(0);
  });
});
