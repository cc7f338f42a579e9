import { getEventListeners } from 'node:events';
import { AIOProducer } from '../../../src/producer/aio-producer';
import { AbortedError, InvalidArgumentError, ProducerClosedError, QueueFullError, SerializationError, type AIOKafkaError } from '../../../src/core/errors';
import { serializers, type Serializer } from '../../../src/core/serde';
import type { LateDelivery } from '../../../src/producer/events';
import type { AIOProducerOptions } from '../../../src/producer/options';
import { FakeNativeProducer, fakeFactory, nativeError } from '../../helpers/fake-native-producer';
import { track } from '../../helpers/track';

/* produceBatch, enqueue, AbortSignal cancellation and serializers, against the fake native producer. */

beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));

const open: Array<AIOProducer<unknown, unknown>> = [];
afterEach(async () => {
  let closed = false;
  const closing = Promise.all(open.splice(0).map((producer) => producer.close({ timeoutMs: 0 }))).then(() => (closed = true));
  for (let i = 0; i < 100 && !closed; i++) await jest.advanceTimersByTimeAsync(5);
  expect(closed).toBe(true);
  await closing;
  jest.useRealTimers();
});

async function connect<K = Buffer | string | null, V = Buffer | string | null>(
  options: AIOProducerOptions & { keySerializer?: Serializer<K>; valueSerializer?: Serializer<V> } = {},
  setup?: (fake: FakeNativeProducer) => void,
): Promise<{ producer: AIOProducer<K, V>; fake: FakeNativeProducer }> {
  const factory = fakeFactory(setup);
  const connecting = AIOProducer.connectWith<K, V>({ 'bootstrap.servers': 'fake:9092' }, options, { createNative: factory.createNative });
  await jest.advanceTimersByTimeAsync(0);
  const producer = await connecting;
  open.push(producer as AIOProducer<unknown, unknown>);
  return { producer, fake: factory.fake() };
}

const tick = (ms = 1): Promise<void> => jest.advanceTimersByTimeAsync(ms);


describe('produceBatch', () => {
  it('resolves once, with one result per message in order: bad messages fail alone', async () => {
    const { producer, fake } = await connect();
    const batch = track(
      producer.produceBatch([
        { topic: 'a', value: 'v0', key: 'k' },
        { topic: '', value: 'bad topic' },
        { topic: 'b', value: 42 as unknown as string },
        null as unknown as { topic: string; value: string },
        { topic: 'c', value: Buffer.from('v4'), partition: 2, headers: [{ h: 'x' }] },
      ]),
    );
    expect(fake.produced.map((m) => m.topic)).toEqual(['a', 'c']);
    fake.deliver(fake.produced[0]!.opaque);
    await tick();
    expect(batch.settled()).toBe(false); // one message is still out
    fake.deliver(fake.produced[1]!.opaque, nativeError(10, 'Broker: Message size too large'));
    await tick();
    const results = batch.value()!;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { topic: 'a', offset: 0 } });
    expect(results[1]).toMatchObject({ reason: expect.any(InvalidArgumentError) });
    expect(results[2]).toMatchObject({ reason: expect.any(InvalidArgumentError) });
    expect((results[3] as { reason: Error }).reason.message).toMatch(/message 3 of the batch must be an object/);
    expect(results[4]).toMatchObject({ reason: { code: 'ERR_MSG_SIZE_TOO_LARGE', partition: 2 } });
  });

  it('admits in order under backpressure, behind messages already waiting', async () => {
    const { producer, fake } = await connect({}, (f) => (f.capacity = 2));
    const single = track(producer.produce('t', 'first'));
    const batch = track(producer.produceBatch(['b0', 'b1', 'b2', 'b3'].map((value) => ({ topic: 't', value }))));
    expect(fake.produced.map((m) => m.value!.toString())).toEqual(['first', 'b0']);
    for (let round = 0; round < 4; round++) {
      fake.deliverAll();
      await tick();
      await tick();
    }
    expect(fake.produced.map((m) => m.value!.toString())).toEqual(['first', 'b0', 'b1', 'b2', 'b3']);
    fake.deliverAll();
    await tick();
    await tick();
    expect(single.value()).toMatchObject({ offset: 0 });
    expect(batch.value()!.map((r) => r.status === 'fulfilled' && r.value.offset)).toEqual([1, 2, 3, 4]);
  });

  it('an empty batch resolves to [], a non-array is refused', async () => {
    const { producer } = await connect();
    await expect(producer.produceBatch([])).resolves.toEqual([]);
    await expect(producer.produceBatch('x' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(producer.produceBatch([], { signal: 'no' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a signal aborts what is left: waiting messages are not sent, sent ones are possibly delivered', async () => {
    const { producer, fake } = await connect({}, (f) => (f.capacity = 1));
    const controller = new AbortController();
    const batch = track(producer.produceBatch(['b0', 'b1', 'b2'].map((value) => ({ topic: 't', value })), { signal: controller.signal }));
    expect(fake.produced).toHaveLength(1);
    controller.abort(new Error('request gone'));
    await tick();
    const results = batch.value()!;
    expect(results.map((r) => r.status === 'rejected' && (r.reason as AbortedError).possiblyDelivered)).toEqual([true, false, false]);
    expect((results[1] as { reason: AIOKafkaError }).reason).toBeInstanceOf(AbortedError);
    // Room comes back: the aborted messages stay unsent.
    fake.deliverAll();
    await tick();
    await tick();
    expect(fake.produced).toHaveLength(1);
    expect(producer.inFlight).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('enqueue', () => {
  it('resolves when librdkafka took the message; `delivered` settles with the report', async () => {
    const { producer, fake } = await connect({}, (f) => (f.capacity = 1));
    const first = await producer.enqueue('t', 'a');
    const second = track(producer.enqueue('t', 'b'));
    await tick();
    expect(second.settled()).toBe(false); // waits for room: the backpressure
    fake.deliverAll();
    await tick();
    await tick();
    expect(second.settled()).toBe(true);
    await expect(first.delivered).resolves.toMatchObject({ offset: 0 });
    fake.deliverAll();
    await tick();
    await expect(second.value()!.delivered).resolves.toMatchObject({ offset: 1 });
  });

  it('rejects itself for what is refused before sending, and a failed delivery never goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): number => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { producer, fake } = await connect();
      await expect(producer.enqueue('', 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
      await producer.enqueue('t', 'ignored'); // `delivered` left alone
      fake.deliverAll(nativeError(10, 'Broker: Message size too large'));
      await tick();
      await tick(5);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('AbortSignal on produce', () => {
  it('an aborted signal sends nothing', async () => {
    const { producer, fake } = await connect();
    const reason = new Error('client went away');
    const err = await producer.produce('t', 'x', { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ code: 'AIO_ABORTED', possiblyDelivered: false, cause: reason });
    expect(fake.produced).toHaveLength(0);
    expect(() => producer.produce2('t', 'x', { fireAndForget: true, signal: AbortSignal.abort() })).toThrow(AbortedError);
  });

  it('aborted while waiting for room: not sent, even when room comes', async () => {
    const { producer, fake } = await connect({}, (f) => (f.capacity = 1));
    const first = track(producer.produce('t', 'first'));
    const controller = new AbortController();
    const waiting = track(producer.produce('t', 'second', { signal: controller.signal }));
    const third = track(producer.produce('t', 'third'));
    expect(producer.inFlight).toBe(3);
    controller.abort();
    await tick();
    expect(waiting.error()).toMatchObject({ possiblyDelivered: false });
    expect(producer.inFlight).toBe(2);
    fake.deliverAll();
    await tick();
    await tick();
    expect(fake.produced.map((m) => m.value!.toString())).toEqual(['first', 'third']);
    fake.deliverAll();
    await tick();
    expect(first.value()).toBeDefined();
    expect(third.value()).toMatchObject({ offset: 1 });
  });

  it('aborted after librdkafka took it: rejects possibly delivered, and the real outcome comes as lateDelivery', async () => {
    const { producer, fake } = await connect();
    const late: LateDelivery[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    const controller = new AbortController();
    const call = track(producer.produce('t', 'x', { signal: controller.signal }));
    controller.abort();
    expect(call.settled()).toBe(false); // not inside abort()
    await tick();
    expect(call.error()).toBeInstanceOf(AbortedError);
    expect(call.error()).toMatchObject({ possiblyDelivered: true });
    expect(producer.inFlight).toBe(0);
    fake.deliverAll();
    await tick(1000); // nothing pending: the report is served by the idle poll
    expect(late).toEqual([expect.objectContaining({ topic: 't', report: expect.objectContaining({ offset: 0 }) })]);
  });

  it('removes its listener once the message settled, so a long-lived signal collects none', async () => {
    const { producer, fake } = await connect();
    const controller = new AbortController();
    const calls = [producer.produce('t', 'a', { signal: controller.signal }), producer.produce('t', 'b', { signal: controller.signal })];
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(2);
    fake.deliverAll();
    await tick();
    await Promise.all(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('flush({ signal }) stops waiting; the messages go on', async () => {
    const { producer, fake } = await connect();
    const sent = track(producer.produce('t', 'x'));
    const controller = new AbortController();
    const flushing = track(producer.flush({ signal: controller.signal }));
    controller.abort();
    await tick();
    expect(flushing.error()).toMatchObject({ code: 'AIO_ABORTED', possiblyDelivered: false });
    fake.deliverAll();
    await tick();
    expect(sent.value()).toMatchObject({ offset: 0 });
    await expect(producer.flush({ timeoutMs: 10 })).resolves.toBeUndefined();
  });
});

describe('serializers', () => {
  it('turn keys and values into bytes; no key is not a key', async () => {
    const { producer, fake } = await connect<string, { id: number }>({ keySerializer: (k) => `key:${k}`, valueSerializer: serializers.json });
    const done = Promise.all([producer.produce('t', { id: 1 }, { key: 'a' }), producer.produce('t', { id: 2 })]);
    expect(fake.produced.map((m) => [m.key, m.value!.toString()])).toEqual([
      ['key:a', '{"id":1}'],
      [undefined, '{"id":2}'],
    ]);
    fake.deliverAll();
    await tick();
    await done;
  });

  it('asynchronous ones keep call order as send order', async () => {
    const { producer, fake } = await connect<never, string>({
      valueSerializer: (value) => (value === 'slow' ? new Promise((resolve) => setTimeout(resolve, 50, value)) : value),
    });
    const calls = ['slow', 'fast', 'sync'].map((value) => producer.produce('t', value));
    expect(producer.inFlight).toBe(3);
    await tick(49);
    expect(fake.produced).toHaveLength(0);
    const flushing = track(producer.flush());
    await tick(1);
    expect(fake.produced.map((m) => m.value!.toString())).toEqual(['slow', 'fast', 'sync']);
    expect(flushing.settled()).toBe(false);
    fake.deliverAll();
    await tick();
    await Promise.all(calls);
    expect(flushing.settled()).toBe(true);
  });

  it('a failing serializer rejects that call with SerializationError and sends nothing', async () => {
    const boom = new Error('not serializable');
    const { producer, fake } = await connect<never, string>({
      valueSerializer: (value) => {
        if (value === 'bad') throw boom;
        if (value === 'bad-async') return Promise.reject(boom);
        return value;
      },
    });
    const sync = await producer.produce('t', 'bad').catch((e: unknown) => e);
    expect(sync).toBeInstanceOf(SerializationError);
    expect(sync).toMatchObject({ code: 'AIO_SERIALIZATION', part: 'value', topic: 't', cause: boom });
    const later = await producer.produce('t', 'bad-async').catch((e: unknown) => e);
    expect(later).toMatchObject({ code: 'AIO_SERIALIZATION', cause: boom });
    expect(() => producer.produce2('t', 'bad', { fireAndForget: true })).toThrow(SerializationError);
    const outOfBand: Array<AIOKafkaError | null> = [];
    producer.produce2('t', 'bad-async', { fireAndForget: true, onDelivery: (err) => outOfBand.push(err) });
    await tick();
    expect(outOfBand).toEqual([expect.any(SerializationError)]);
    expect(fake.produced).toHaveLength(0);
    expect(producer.inFlight).toBe(0);
  });

  it('a serializer that is not a function is refused at connect', async () => {
    const factory = fakeFactory();
    await expect(
      AIOProducer.connectWith({ 'bootstrap.servers': 'fake:9092' }, { valueSerializer: 'json' as never }, { createNative: factory.createNative }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('abort during an asynchronous serializer', () => {
  it('sends nothing, and a flush waiting for it resolves once the serializer is done', async () => {
    const { producer, fake } = await connect<never, string>({
      valueSerializer: (value) => new Promise((resolve) => setTimeout(resolve, 50, value)),
    });
    const controller = new AbortController();
    const call = track(producer.produce('t', 'slow', { signal: controller.signal }));
    const flushing = track(producer.flush());
    controller.abort();
    await tick();
    expect(call.error()).toMatchObject({ code: 'AIO_ABORTED', possiblyDelivered: false });
    expect(flushing.settled()).toBe(false); // the serializer still runs
    await tick(50);
    expect(fake.produced).toHaveLength(0);
    expect(flushing.settled()).toBe(true);
  });
});

describe('serializers and the rest of the producer (review findings)', () => {
  it('close() gives a message still in its serializer the time close allows: it is delivered', async () => {
    const { producer, fake } = await connect<never, string>({
      valueSerializer: (value) => new Promise((resolve) => setTimeout(resolve, 20, value)),
    });
    const call = track(producer.produce('t', 'accepted before close'));
    const closing = track(producer.close({ timeoutMs: 1000 }));
    await tick(20);
    expect(fake.produced.map((m) => m.value!.toString())).toEqual(['accepted before close']);
    fake.deliverAll();
    await tick(10);
    expect(call.value()).toMatchObject({ offset: 0 });
    for (let i = 0; i < 10 && !closing.settled(); i++) await tick(5);
    expect(closing.settled()).toBe(true);
  });

  it('close() at its deadline rejects what is still in a serializer or queued behind it, and never sends what the serializer returns later', async () => {
    const { producer, fake } = await connect<never, string>({
      valueSerializer: (value) => (value === 'sync' ? value : new Promise((resolve) => setTimeout(resolve, 1000, value))),
    });
    const slow = track(producer.produce('t', 'slow'));
    const behind = track(producer.produce('t', 'sync')); // answered at once, queued behind 'slow'
    const outcomes: unknown[] = [];
    producer.produce2('t', 'slow', { fireAndForget: true, onDelivery: (err) => outcomes.push(err) });
    const closing = track(producer.close({ timeoutMs: 100 }));
    for (let i = 0; i < 40 && !closing.settled(); i++) await tick(5);
    expect(closing.settled()).toBe(true);
    for (const call of [slow, behind]) {
      expect(call.error()).toBeInstanceOf(ProducerClosedError);
      expect(call.error()).toMatchObject({ possiblyDelivered: false, message: expect.stringMatching(/being serialized.*not sent/) });
    }
    expect(outcomes).toEqual([expect.any(ProducerClosedError)]);
    expect(producer.inFlight).toBe(0);
    await tick(1000);
    expect(fake.produced).toHaveLength(0);
    expect(outcomes).toHaveLength(1);
  });

  it('a message aborted in its serializer, then given up on by close(), gets one outcome', async () => {
    const { producer } = await connect<never, string>({
      valueSerializer: (value) => new Promise((resolve) => setTimeout(resolve, 1000, value)),
    });
    const outcomes: unknown[] = [];
    const controller = new AbortController();
    // The outcome is onDelivery's to report; produce2's own promise never rejects unhandled.
    void producer.produce2('t', 'x', { signal: controller.signal, onDelivery: (err) => outcomes.push(err) });
    controller.abort();
    const closing = track(producer.close({ timeoutMs: 50 }));
    await tick(1100);
    expect(closing.settled()).toBe(true);
    expect(outcomes).toEqual([expect.any(AbortedError)]);
  });

  it('an aborted message whose serializer then fails gets one outcome', async () => {
    const { producer } = await connect<never, string>({
      valueSerializer: () => new Promise((_, reject) => setTimeout(reject, 20, new Error('registry down'))),
    });
    const outcomes: unknown[] = [];
    const controller = new AbortController();
    // The outcome is onDelivery's to report; produce2's own promise never rejects unhandled.
    void producer.produce2('t', 'x', { signal: controller.signal, onDelivery: (err) => outcomes.push(err) });
    controller.abort();
    await tick(30);
    expect(outcomes).toEqual([expect.any(AbortedError)]);
  });

  it('a key serializer that throws does not leave the value serializer\'s rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): number => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { producer } = await connect<string, string>({
        keySerializer: () => {
          throw new Error('bad key');
        },
        valueSerializer: () => Promise.reject(new Error('bad value')),
      });
      await expect(producer.produce('t', 'v', { key: 'k' })).rejects.toMatchObject({ part: 'key' });
      await tick(5);
      await new Promise((resolve) => process.nextTick(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fire-and-forget with a synchronous serializer still throws QueueFullError and bad input', async () => {
    const { producer } = await connect<never, string>({ valueSerializer: (v) => v }, (f) => (f.capacity = 0));
    expect(() => producer.produce2('t', 'x', { fireAndForget: true })).toThrow(QueueFullError);
    expect(() => producer.produce2('', 'x', { fireAndForget: true })).toThrow(InvalidArgumentError);
  });
});

describe('fire-and-forget refusals stay synchronous', () => {
  it('throws QueueFullError when librdkafka is full', async () => {
    const { producer } = await connect({}, (f) => (f.capacity = 0));
    expect(() => producer.produce2('t', 'x', { fireAndForget: true })).toThrow(QueueFullError);
  });
});
