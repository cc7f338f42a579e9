import { AIOProducer } from '../../../src/producer/aio-producer';
import {
  AIOKafkaError,
  DeliveryError,
  InvalidArgumentError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
} from '../../../src/core/errors';
import type { AIOProducerOptions } from '../../../src/producer/options';
import type { Logger } from '../../../src/core/logger';
import type { LibrdkafkaConfig } from '../../../src/native/config';
import { FakeNativeProducer, fakeFactory, nativeError, textError } from '../../helpers/fake-native-producer';
import { track } from '../../helpers/track';

// Promise plumbing (microtasks, nextTick) stays real; timers and the clock are faked.
beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));

const open: AIOProducer[] = [];
afterEach(async () => {
  // Close while the clock is still fake: the close a test started runs on fake timers.
  let closed = false;
  const closing = Promise.all(open.splice(0).map((producer) => producer.close({ timeoutMs: 0 }))).then(() => (closed = true));
  // Bounded: a producer that never finished closing fails its test here instead of hanging it.
  for (let i = 0; i < 100 && !closed; i++) await jest.advanceTimersByTimeAsync(5);
  expect(closed).toBe(true);
  await closing;
  jest.useRealTimers();
  jest.restoreAllMocks();
});

async function connect(
  options: AIOProducerOptions = {},
  config: LibrdkafkaConfig = { 'bootstrap.servers': 'fake:9092' },
  setup?: (fake: FakeNativeProducer) => void,
): Promise<{ producer: AIOProducer; fake: FakeNativeProducer }> {
  const factory = fakeFactory(setup);
  const connecting = AIOProducer.connectWith(config, options, { createNative: factory.createNative });
  await jest.advanceTimersByTimeAsync(0);
  const producer = await connecting;
  open.push(producer);
  return { producer, fake: factory.fake() };
}

/** Lets the poll loop run once more (the busy period is 1 ms by default). */
async function tick(ms = 1): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}


describe('configuration', () => {
  it('passes a copy of the config with delivery reports on and protective defaults', async () => {
    const config = { 'bootstrap.servers': 'fake:9092', 'linger.ms': 5 };
    const before = { ...config };
    const { fake } = await connect({}, config);
    expect(config).toEqual(before);
    expect(fake.config).toEqual({
      'bootstrap.servers': 'fake:9092',
      'linger.ms': 5,
      'enable.idempotence': true,
      partitioner: 'murmur2_random',
      dr_cb: true,
      'message.timeout.ms': 30_000,
    });
  });

  it('keeps the caller’s message.timeout.ms, or its alias delivery.timeout.ms', async () => {
    const { fake } = await connect({}, { 'bootstrap.servers': 'x', 'message.timeout.ms': 300_000 });
    expect(fake.config['message.timeout.ms']).toBe(300_000);
    const aliased = await connect({}, { 'bootstrap.servers': 'x', 'delivery.timeout.ms': '5000' });
    expect(aliased.fake.config['message.timeout.ms']).toBeUndefined();
    expect(aliased.fake.config['delivery.timeout.ms']).toBe('5000');
  });

  it("keeps the caller's own choice of idempotence and partitioner", async () => {
    const { fake } = await connect({}, { 'bootstrap.servers': 'x', 'enable.idempotence': false, partitioner: 'consistent' });
    expect(fake.config['enable.idempotence']).toBe(false);
    expect(fake.config.partitioner).toBe('consistent');
  });

  it('refuses a delivery callback of its own in the config', async () => {
    await expect(
      AIOProducer.connectWith({ dr_cb: () => {} }, {}, { createNative: fakeFactory().createNative }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      AIOProducer.connectWith({ dr_msg_cb: () => {} }, {}, { createNative: fakeFactory().createNative }),
    ).rejects.toThrow(/owned by AIOProducer/);
  });

  it.each<[keyof AIOProducerOptions, unknown]>([
    ['pollIntervalMs', -1],
    ['idlePollIntervalMs', Number.NaN],
    ['enqueueTimeoutMs', 'soon'],
    ['connectTimeoutMs', -5],
    // A poll period must fit a timer: "never poll" would leave every delivery unsettled.
    ['pollIntervalMs', Infinity],
    ['pollIntervalMs', 2 ** 31],
    ['idlePollIntervalMs', 0],
    ['deliveryTimeoutMs', 0],
    ['closeTimeoutMs', '10'],
  ])('rejects option %s = %p', async (name, value) => {
    await expect(
      AIOProducer.connectWith({}, { [name]: value } as AIOProducerOptions, { createNative: fakeFactory().createNative }),
    ).rejects.toThrow(new RegExp(`option ${name}`));
  });

  it('rejects connect with the typed error when librdkafka cannot connect', async () => {
    const factory = fakeFactory((fake) => (fake.connectError = textError('Local: Broker transport failure')));
    const connecting = AIOProducer.connectWith({}, {}, { createNative: factory.createNative }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    const err = await connecting;
    expect(err).toBeInstanceOf(OperationTimeoutError);
    expect((err as AIOKafkaError).retriable).toBe(true);
  });
});

describe('awaitable produce', () => {
  it('resolves with the delivery report once librdkafka reports the message delivered', async () => {
    const { producer, fake } = await connect();
    const result = track(producer.produce('items', 'hello', { key: 'k1', headers: [{ trace: 'x' }], timestamp: 42 }));
    expect(fake.produced).toEqual([
      { topic: 'items', partition: null, value: Buffer.from('hello'), key: 'k1', timestamp: 42, opaque: 1, headers: [{ trace: 'x' }] },
    ]);
    expect(producer.inFlight).toBe(1);
    await tick();
    expect(result.settled()).toBe(false);

    fake.deliver(1);
    await tick();
    expect(result.value()).toEqual({
      topic: 'items',
      partition: 0,
      offset: 0,
      timestamp: 1_700_000_000_000,
      key: Buffer.from('k1'),
      size: 5,
    });
    expect(producer.inFlight).toBe(0);
  });

  it('rejects with a DeliveryError carrying the librdkafka code, retriable flag and cause', async () => {
    const { producer, fake } = await connect();
    const result = track(producer.produce('items', 'v', { partition: 2 }));
    const cause = textError('Local: Message timed out');
    fake.deliver(1, cause);
    await tick();
    const err = result.error() as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.code).toBe('ERR__MSG_TIMED_OUT');
    expect(err.retriable).toBe(true);
    expect(err.possiblyDelivered).toBe(true);
    expect(err.topic).toBe('items');
    expect(err.partition).toBe(2);
    expect(err.cause).toBe(cause);
  });

  it('settles each caller with its own report, in any order of delivery', async () => {
    const { producer, fake } = await connect();
    const results = Array.from({ length: 50 }, (_, i) => track(producer.produce('t', `v${i}`)));
    for (let opaque = 50; opaque >= 1; opaque--) fake.deliver(opaque);
    await tick();
    results.forEach((r, i) => expect(r.value()?.size).toBe(`v${i}`.length));
    expect(new Set(results.map((r) => r.value()?.offset)).size).toBe(50);
  });

  it('ignores a report for a message it no longer waits for', async () => {
    const { producer, fake } = await connect();
    const errors: unknown[] = [];
    producer.on('error', (e) => errors.push(e));
    fake.emit('delivery-report', null, { topic: 't', partition: 0, offset: 1, opaque: 999, size: 0 });
    fake.emit('delivery-report', null, { topic: 't', partition: 0, offset: 1, size: 0 });
    expect(errors).toEqual([]);
    expect(producer.inFlight).toBe(0);
  });
});

describe('poll loop', () => {
  it('polls every pollIntervalMs while deliveries are pending and every idlePollIntervalMs otherwise', async () => {
    const { producer, fake } = await connect({ pollIntervalMs: 2, idlePollIntervalMs: 500 });
    fake.polls = 0;
    await tick(1000);
    expect(fake.polls).toBe(2);

    track(producer.produce('t', 'v'));
    fake.polls = 0;
    await tick(20);
    expect(fake.polls).toBe(10);

    fake.deliverAll();
    await tick(2);
    fake.polls = 0;
    await tick(1000);
    expect(fake.polls).toBe(2);
  });

  it('switches to the busy period at once when a message is produced while idle', async () => {
    const { producer, fake } = await connect({ pollIntervalMs: 1, idlePollIntervalMs: 10_000 });
    await tick(100);
    const result = track(producer.produce('t', 'v'));
    fake.deliver(1);
    await tick(1);
    expect(result.settled()).toBe(true);
  });

  it('keeps polling after poll() throws, and reports the throw as an error', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const realPoll = fake.poll.bind(fake);
    let failures = 1;
    fake.poll = () => {
      if (failures-- > 0) throw new Error('boom');
      return realPoll();
    };
    const result = track(producer.produce('t', 'v'));
    fake.deliver(1);
    await tick(3);
    expect(errors.map((e) => e.message)).toEqual(['poll failed: boom']);
    expect(result.settled()).toBe(true);
  });

  it('polls on every event-loop turn with pollIntervalMs 0', async () => {
    const { producer, fake } = await connect({ pollIntervalMs: 0 });
    const result = track(producer.produce('t', 'v'));
    fake.deliver(1);
    await jest.advanceTimersByTimeAsync(0);
    expect(result.settled()).toBe(true);
  });
});

describe('produce2', () => {
  it('calls onDelivery exactly once and resolves the promise with the same report', async () => {
    const { producer, fake } = await connect();
    const onDelivery = jest.fn();
    const promise = producer.produce2('t', Buffer.from('hi'), { onDelivery });
    fake.deliver(1);
    await tick(5);
    expect(onDelivery).toHaveBeenCalledTimes(1);
    const report = await promise;
    expect(onDelivery).toHaveBeenCalledWith(null, report);
  });

  it('delivers a failure to onDelivery; the unawaited promise is handled', async () => {
    const { producer, fake } = await connect();
    const onDelivery = jest.fn();
    const promise = producer.produce2('t', 'v', { onDelivery });
    fake.deliver(1, textError('Broker: Message size too large'));
    await tick(5);
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toMatchObject({ code: 'ERR_MSG_SIZE_TOO_LARGE' });
    expect(onDelivery.mock.calls[0][1]).toBeUndefined();
    // Still rejects for a caller who does await it.
    await expect(promise).rejects.toBeInstanceOf(DeliveryError);
  });

  it('calls onDelivery asynchronously, once, for input rejected before sending', async () => {
    const { producer } = await connect();
    const onDelivery = jest.fn();
    const promise = producer.produce2('', 'v', { onDelivery });
    expect(onDelivery).not.toHaveBeenCalled();
    await expect(promise).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toBeInstanceOf(InvalidArgumentError);
  });

  it('reports a failure with no onDelivery to deliveryError', async () => {
    const { producer, fake } = await connect();
    const seen: AIOKafkaError[] = [];
    producer.on('deliveryError', (e) => seen.push(e));
    track(producer.produce2('t', 'v'));
    fake.deliver(1, textError('Local: Message timed out'));
    await tick();
    expect(seen.map((e) => e.code)).toEqual(['ERR__MSG_TIMED_OUT']);
  });
});

describe('fire-and-forget', () => {
  it('returns nothing, allocates no promise, and calls onDelivery from the poll loop', async () => {
    const { producer, fake } = await connect();
    const onDelivery = jest.fn();
    const returned = producer.produce2('t', 'v', { fireAndForget: true, onDelivery });
    expect(returned).toBeUndefined();
    expect(producer.inFlight).toBe(1);
    fake.deliver(1);
    await tick();
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toBeNull();
    expect(onDelivery.mock.calls[0][1]).toMatchObject({ topic: 't', offset: 0 });
  });

  it('sends a failure without onDelivery to the deliveryError event', async () => {
    const { producer, fake } = await connect();
    const seen: AIOKafkaError[] = [];
    producer.on('deliveryError', (e) => seen.push(e));
    producer.produce2('t', 'v', { fireAndForget: true });
    fake.deliver(1, textError('Local: Unknown partition'));
    await tick();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(DeliveryError);
    expect(seen[0]!.code).toBe('ERR__UNKNOWN_PARTITION');
  });

  it('writes a failure nobody listens for to stderr, once per code per second', async () => {
    const { producer, fake } = await connect();
    const lines: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    for (let i = 0; i < 5; i++) producer.produce2('t', 'v', { fireAndForget: true });
    producer.produce2('t', 'v', { fireAndForget: true });
    fake.deliver(1, textError('Local: Message timed out'));
    fake.deliver(2, textError('Local: Message timed out'));
    fake.deliver(3, textError('Local: Message timed out'));
    fake.deliver(4, textError('Local: Unknown partition'));
    await tick();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\[ERR__MSG_TIMED_OUT\]/);
    expect(lines[1]).toMatch(/\[ERR__UNKNOWN_PARTITION\]/);

    // The two held back are said at the end of the second, in one line; close() ends the timer.
    await tick(1000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/\[ERR__MSG_TIMED_OUT\]: .*\(2 more with this code within 1000 ms of the line before; this is the last\)/);
    fake.deliver(5, textError('Local: Message timed out'));
    await tick();
    expect(lines).toHaveLength(3);
    const closing = producer.close({ timeoutMs: 0 });
    await tick(10);
    await closing;
    expect(lines.filter((line) => line.includes('[ERR__MSG_TIMED_OUT]'))).toHaveLength(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('throws bad input, a full queue and a closed producer synchronously', async () => {
    const { producer, fake } = await connect();
    expect(() => producer.produce2('bad topic', 'v', { fireAndForget: true })).toThrow(InvalidArgumentError);
    fake.capacity = 0;
    expect(() => producer.produce2('t', 'v', { fireAndForget: true })).toThrow(QueueFullError);
    fake.capacity = Infinity;
    void producer.close({ timeoutMs: 0 });
    expect(() => producer.produce2('t', 'v', { fireAndForget: true })).toThrow(ProducerClosedError);
    expect(fake.produced).toHaveLength(0);
  });
});

describe('callbacks and listeners that throw', () => {
  it('catch a throwing onDelivery, emit it as error, and settle the other deliveries', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const thrown = new Error('callback bug');
    producer.produce2('t', 'a', {
      fireAndForget: true,
      onDelivery: () => {
        throw thrown;
      },
    });
    const other = track(producer.produce('t', 'b'));
    fake.deliverAll();
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/onDelivery callback threw: callback bug/);
    expect(errors[0]!.cause).toBe(thrown);
    expect(other.value()).toBeDefined();
  });

  it('survive a throwing deliveryError listener and a throwing error listener', async () => {
    const { producer, fake } = await connect();
    const lines: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    producer.on('deliveryError', () => {
      throw new Error('listener bug');
    });
    producer.on('error', () => {
      throw new Error('error listener bug');
    });
    producer.produce2('t', 'a', { fireAndForget: true });
    const other = track(producer.produce('t', 'b'));
    fake.deliver(1, textError('Local: Message timed out'));
    fake.deliver(2);
    await tick();
    expect(other.value()).toBeDefined();
    expect(lines.join('')).toMatch(/"error" listener threw/);
  });
});

describe('backpressure', () => {
  it('waits for room when the local queue is full and sends in call order', async () => {
    const { producer, fake } = await connect();
    fake.capacity = 2;
    const results = Array.from({ length: 5 }, (_, i) => track(producer.produce('t', `m${i}`)));
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['m0', 'm1']);
    expect(producer.inFlight).toBe(5);

    fake.deliverAll();
    await tick();
    await tick();
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
    fake.deliverAll();
    await tick();
    await tick();
    fake.deliverAll();
    await tick();
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(results.every((r) => r.value() !== undefined)).toBe(true);
    expect(producer.inFlight).toBe(0);
  });

  it('queues a new call behind waiting ones even when room appeared, so order holds', async () => {
    const { producer, fake } = await connect();
    fake.capacity = 1;
    track(producer.produce('t', 'first'));
    track(producer.produce('t', 'second'));
    fake.deliverAll();
    fake.capacity = 10;
    track(producer.produce('t', 'third'));
    await tick();
    expect(fake.produced.map((m) => m.value?.toString())).toEqual(['first', 'second', 'third']);
  });

  it('rejects with QueueFullError after enqueueTimeoutMs without room', async () => {
    const { producer, fake } = await connect({ enqueueTimeoutMs: 50 });
    fake.capacity = 1;
    track(producer.produce('t', 'in'));
    const waiting = track(producer.produce('t', 'out'));
    await tick(40);
    expect(waiting.settled()).toBe(false);
    await tick(20);
    expect(waiting.error()).toBeInstanceOf(QueueFullError);
    expect((waiting.error() as QueueFullError).retriable).toBe(true);
    expect(producer.inFlight).toBe(1);
  });

  it('defaults enqueueTimeoutMs to message.timeout.ms', async () => {
    const { producer, fake } = await connect({}, { 'message.timeout.ms': '200' });
    fake.capacity = 0;
    const waiting = track(producer.produce('t', 'v'));
    await tick(190);
    expect(waiting.settled()).toBe(false);
    await tick(20);
    expect(waiting.error()).toBeInstanceOf(QueueFullError);
  });

  it('makes fire-and-forget throw QueueFullError while awaitable calls wait for room', async () => {
    const { producer, fake } = await connect();
    fake.capacity = 1;
    track(producer.produce('t', 'a'));
    track(producer.produce('t', 'b'));
    fake.deliverAll();
    expect(() => producer.produce2('t', 'c', { fireAndForget: true })).toThrow(/wait for room/);
  });
});

describe('bad input', () => {
  const cases: Array<[string, () => [string, unknown, unknown]]> = [
    ['an empty topic', () => ['', 'v', undefined]],
    ['a topic over 249 characters', () => ['t'.repeat(250), 'v', undefined]],
    ['a topic with an illegal character', () => ['a/b', 'v', undefined]],
    ['the topic ".."', () => ['..', 'v', undefined]],
    ['a topic that is not a string', () => [42 as unknown as string, 'v', undefined]],
    ['a number value', () => ['t', 42, undefined]],
    ['an object value', () => ['t', { a: 1 }, undefined]],
    ['an undefined value', () => ['t', undefined, undefined]],
    ['a non-integer partition', () => ['t', 'v', { partition: 1.5 }]],
    ['a negative partition', () => ['t', 'v', { partition: -1 }]],
    ['a string partition', () => ['t', 'v', { partition: '1' }]],
    ['a number key', () => ['t', 'v', { key: 7 }]],
    ['headers that are neither a map nor an array', () => ['t', 'v', { headers: 'a=b' }]],
    ['headers in a Map (its entries are not properties)', () => ['t', 'v', { headers: new Map([['a', 'b']]) }]],
    ['a header map value that is a number', () => ['t', 'v', { headers: { a: 1 } }]],
    ['a header map Buffer that is not UTF-8', () => ['t', 'v', { headers: { a: [Buffer.from('ok'), Buffer.from([0xc3, 0x28])] } }]],
    ['a header that is not an object', () => ['t', 'v', { headers: ['a'] }]],
    ['a header value that is a number', () => ['t', 'v', { headers: [{ a: 1 }] }]],
    ['a header Buffer that is not UTF-8', () => ['t', 'v', { headers: [{ a: Buffer.from([0xff, 0xfe]) }] }]],
    ['a fractional timestamp', () => ['t', 'v', { timestamp: 1.5 }]],
    ['a negative timestamp', () => ['t', 'v', { timestamp: -5 }]],
    ['a zero timestamp (librdkafka would replace it with now)', () => ['t', 'v', { timestamp: 0 }]],
    ['options that are not an object', () => ['t', 'v', 'k']],
  ];

  it.each(cases)('rejects %s with InvalidArgumentError and sends nothing', async (_name, args) => {
    const { producer, fake } = await connect();
    const [topic, value, options] = args();
    const call = (): Promise<unknown> => producer.produce(topic, value as string, options as never);
    await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    if (options === undefined || typeof options === 'object') {
      const faf = { ...(options as object), fireAndForget: true as const };
      expect(() => producer.produce2(topic, value as string, faf)).toThrow(InvalidArgumentError);
    }
    expect(fake.produced).toHaveLength(0);
    expect(producer.inFlight).toBe(0);
  });

  it('maps librdkafka size refusal to InvalidArgumentError with the librdkafka code', async () => {
    const { producer, fake } = await connect();
    const cause = nativeError(10, 'Broker: Message size too large');
    fake.throwOnNextProduce(cause);
    const err = (await producer.produce('t', 'big').catch((e: unknown) => e)) as InvalidArgumentError;
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.code).toBe('ERR_MSG_SIZE_TOO_LARGE');
    expect(err.cause).toBe(cause);
    expect(producer.inFlight).toBe(0);
  });

  it('splits multi-entry header records for node-rdkafka without touching the caller’s array', async () => {
    const { producer, fake } = await connect();
    const headers: Array<Record<string, string | Buffer>> = [{ a: '1', b: Buffer.from('2') }, { c: '3' }];
    const copy = JSON.parse(JSON.stringify(headers));
    track(producer.produce('t', null, { headers }));
    expect(fake.produced[0]!.headers).toEqual([{ a: '1' }, { b: Buffer.from('2') }, { c: '3' }]);
    expect(JSON.parse(JSON.stringify(headers))).toEqual(copy);
  });
});

describe('flush', () => {
  it('resolves at once with nothing in flight, and when the last delivery settles', async () => {
    const { producer, fake } = await connect();
    await producer.flush();
    void producer.produce('t', 'a').catch(() => {});
    track(producer.produce('t', 'b'));
    const flushed = track(producer.flush(1000));
    fake.deliver(1, textError('Local: Message timed out'));
    await tick();
    expect(flushed.settled()).toBe(false);
    fake.deliver(2);
    await tick();
    expect(flushed.settled()).toBe(true);
    expect(flushed.error()).toBeUndefined();
  });

  it('rejects with OperationTimeoutError when messages are still in flight at the limit', async () => {
    const { producer } = await connect();
    void producer.produce('t', 'a').catch(() => {});
    const flushed = track(producer.flush(100));
    await tick(101);
    expect(flushed.error()).toBeInstanceOf(OperationTimeoutError);
    expect((flushed.error() as OperationTimeoutError).message).toMatch(/1 message\(s\) still in flight/);
  });
});

describe('close', () => {
  it('waits for pending deliveries, then disconnects and leaves no timer', async () => {
    const { producer, fake } = await connect();
    const result = track(producer.produce('t', 'v'));
    const closed = track(producer.close({ timeoutMs: 5000 }));
    await tick(10);
    expect(closed.settled()).toBe(false);
    fake.deliver(1);
    await tick(1);
    await tick(1);
    expect(result.value()).toBeDefined();
    expect(closed.settled()).toBe(true);
    expect(fake.disconnects).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects what is still pending at the timeout with ProducerClosedError, saying it may have been delivered', async () => {
    const { producer, fake } = await connect();
    fake.capacity = 2;
    const onDelivery = jest.fn();
    producer.produce2('t', 'x', { fireAndForget: true, onDelivery });
    const sent = track(producer.produce('t', 'sent'));
    const waiting = track(producer.produce('t', 'waiting'));
    const closing = producer.close({ timeoutMs: 100 });
    await jest.advanceTimersByTimeAsync(200);
    await closing;
    expect(sent.error()).toBeInstanceOf(ProducerClosedError);
    expect((sent.error() as ProducerClosedError).possiblyDelivered).toBe(true);
    expect(waiting.error()).toBeInstanceOf(ProducerClosedError);
    expect((waiting.error() as ProducerClosedError).possiblyDelivered).toBe(false);
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toBeInstanceOf(ProducerClosedError);
    expect(producer.inFlight).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is idempotent and makes later calls reject with ProducerClosedError', async () => {
    const { producer, fake } = await connect();
    const first = producer.close();
    const second = producer.close();
    expect(second).toBe(first);
    await jest.runAllTimersAsync();
    await first;
    expect(fake.disconnects).toBe(1);
    await expect(producer.produce('t', 'v')).rejects.toBeInstanceOf(ProducerClosedError);
    await expect(producer.produce2('t', 'v')).rejects.toMatchObject({ possiblyDelivered: false });
    expect(producer.closed).toBe(true);
  });

  it('works through Symbol.asyncDispose', async () => {
    const { producer, fake } = await connect();
    const disposing = producer[Symbol.asyncDispose]();
    await jest.runAllTimersAsync();
    await disposing;
    expect(fake.disconnects).toBe(1);
  });

  it('resolves a flush that was waiting when close rejected the rest', async () => {
    const { producer } = await connect();
    void producer.produce('t', 'v').catch(() => {});
    const flushed = track(producer.flush());
    const closing = producer.close({ timeoutMs: 10 });
    await jest.advanceTimersByTimeAsync(20);
    await closing;
    expect(flushed.settled()).toBe(true);
  });
});

describe('client events', () => {
  it('emits librdkafka client errors as typed AIOKafkaError', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const cause = textError('Local: All broker connections are down');
    fake.emit('event.error', cause);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR__ALL_BROKERS_DOWN', retriable: true, fatal: false });
    expect(errors[0]!.cause).toBe(cause);
  });

  it('writes a client error with no listener to stderr instead of crashing', async () => {
    const { fake } = await connect();
    const lines: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    expect(() => fake.emit('event.error', textError('Local: Broker transport failure'))).not.toThrow();
    expect(lines.join('')).toMatch(/ERR__TRANSPORT/);
  });

  it('stops for good on a fatal error: pending and later calls fail with fatal errors', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const pending = track(producer.produce('t', 'v'));
    fake.emit('event.error', textError('Local: Fatal error'));
    await tick();
    expect(pending.error()).toMatchObject({ code: 'ERR__FATAL', fatal: true, possiblyDelivered: true });
    await expect(producer.produce('t', 'v')).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(() => producer.produce2('t', 'v', { fireAndForget: true })).toThrow(DeliveryError);
    expect(producer.closed).toBe(true);
  });

  it('parses statistics and maps log lines', async () => {
    const { producer, fake } = await connect();
    const stats: unknown[] = [];
    const logs: unknown[] = [];
    producer.on('stats', (s) => stats.push(s));
    producer.on('log', (l) => logs.push(l));
    fake.emit('event.stats', { message: '{"name":"p#1","msg_cnt":3}' });
    fake.emit('event.log', { severity: 7, fac: 'MSG', message: 'hello' });
    expect(stats).toEqual([{ name: 'p#1', msg_cnt: 3 }]);
    expect(logs).toEqual([{ severity: 7, facility: 'MSG', message: 'hello' }]);
  });
});

describe('deliveryTimeoutMs', () => {
  it('fails a message with no report by its deadline, never before, and reports a late delivery', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 1000 });
    const late: unknown[] = [];
    producer.on('lateDelivery', (l) => late.push(l));
    const result = track(producer.produce('t', 'v', { partition: 1 }));
    await tick(990);
    expect(result.settled()).toBe(false);
    await tick(200);
    const err = result.error() as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT', retriable: true, possiblyDelivered: true, topic: 't', partition: 1 });
    expect(producer.inFlight).toBe(0);

    fake.deliver(1);
    await tick(1000);
    expect(late).toEqual([
      { topic: 't', partition: 1, report: expect.objectContaining({ topic: 't', partition: 1, offset: 0 }), error: undefined },
    ]);
  });

  it('expires messages in the order they were sent, each after its own deadline', async () => {
    const { producer } = await connect({ deliveryTimeoutMs: 1000 });
    const first = track(producer.produce('t', 'a'));
    await tick(500);
    const second = track(producer.produce('t', 'b'));
    await tick(600);
    expect(first.error()).toBeInstanceOf(DeliveryError);
    expect(second.settled()).toBe(false);
    await tick(500);
    expect(second.error()).toBeInstanceOf(DeliveryError);
  });

  it('sends a fire-and-forget timeout to onDelivery', async () => {
    const { producer } = await connect({ deliveryTimeoutMs: 100 });
    const onDelivery = jest.fn();
    producer.produce2('t', 'v', { fireAndForget: true, onDelivery });
    await tick(300);
    expect(onDelivery).toHaveBeenCalledTimes(1);
    expect(onDelivery.mock.calls[0][0]).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT' });
  });

  it('defaults to message.timeout.ms + 5 s, and Infinity turns it off', async () => {
    const { producer } = await connect({}, { 'message.timeout.ms': 1000 });
    const result = track(producer.produce('t', 'v'));
    await tick(5900);
    expect(result.settled()).toBe(false);
    await tick(300);
    expect(result.error()).toMatchObject({ code: 'AIO_DELIVERY_TIMEOUT' });

    const { producer: unbounded } = await connect({ deliveryTimeoutMs: Infinity, pollIntervalMs: 100 }, { 'message.timeout.ms': 1000 });
    const forever = track(unbounded.produce('t', 'v'));
    await tick(60_000);
    expect(forever.settled()).toBe(false);
  });

  it('has no deadline when message.timeout.ms is 0 (librdkafka: no limit)', async () => {
    // A slow poll period keeps the fake clock's 400 s cheap to run through.
    const { producer } = await connect({ pollIntervalMs: 100 }, { 'message.timeout.ms': 0 });
    const result = track(producer.produce('t', 'v'));
    await tick(400_000);
    expect(result.settled()).toBe(false);
  });

  it('stops the producer when a delivery report carries a fatal error', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const first = track(producer.produce('t', 'a'));
    const second = track(producer.produce('t', 'b'));
    fake.deliver(1, textError('Local: Fatal error'));
    await tick();
    expect(first.error()).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(second.error()).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(producer.closed).toBe(true);
  });

  it('rejects a deliveryTimeoutMs that is not > 0', async () => {
    await expect(
      AIOProducer.connectWith({}, { deliveryTimeoutMs: 0 }, { createNative: fakeFactory().createNative }),
    ).rejects.toThrow(/deliveryTimeoutMs/);
  });
});

describe('edge cases found in review', () => {
  it('settles a waiting message once when librdkafka refuses it as fatal', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    fake.capacity = 1;
    const first = jest.fn();
    const second = jest.fn();
    void producer.produce2('t', 'a', { onDelivery: first });
    void producer.produce2('t', 'b', { onDelivery: second });
    fake.deliverAll();
    fake.throwOnNextProduce(nativeError(-150, 'Local: Fatal error'));
    await tick();
    await tick();
    expect(second).toHaveBeenCalledTimes(1);
    expect(second.mock.calls[0][0]).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(producer.closed).toBe(true);
  });

  it('sends a string key containing NUL as a Buffer, so no byte is cut', async () => {
    const { producer, fake } = await connect();
    track(producer.produce('t', 'v', { key: 'a\0b' }));
    track(producer.produce('t', 'v', { key: 'plain' }));
    expect(fake.produced[0]!.key).toEqual(Buffer.from('a\0b'));
    expect(fake.produced[1]!.key).toBe('plain');
  });

  it.each([
    ['a NUL in a header value', [{ h: 'x\0y' }]],
    ['a NUL in a header Buffer', [{ h: Buffer.from([0x41, 0, 0x42]) }]],
    ['a NUL in a header name', [{ 'h\0': 'x' }]],
    ['a header record with no entries', [{}]],
  ])('refuses %s', async (_what, headers) => {
    const { producer, fake } = await connect();
    await expect(producer.produce('t', 'v', { headers })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(fake.produced).toHaveLength(0);
  });

  it('holds its own copy of the headers of a message that waits for room', async () => {
    const { producer, fake } = await connect();
    fake.capacity = 0;
    const headers = [{ h: 'before' }];
    track(producer.produce('t', 'v', { headers }));
    headers[0]!.h = 'after';
    fake.capacity = 1;
    await tick();
    expect(fake.produced[0]!.headers).toEqual([{ h: 'before' }]);
  });

  it('treats a flush or close timeout past what timers hold as no limit, not as 1 ms', async () => {
    const { producer, fake } = await connect();
    const result = track(producer.produce('t', 'v'));
    const flushed = track(producer.flush(2 ** 31));
    await tick(50);
    expect(flushed.settled()).toBe(false);
    fake.deliver(1);
    await tick();
    expect(flushed.settled()).toBe(true);
    expect(flushed.error()).toBeUndefined();
    expect(result.value()).toBeDefined();
  });

  it('refuses timer options past what timers hold, and event_cb: false', async () => {
    await expect(
      AIOProducer.connectWith({}, { pollIntervalMs: 2 ** 31 }, { createNative: fakeFactory().createNative }),
    ).rejects.toThrow(/pollIntervalMs/);
    await expect(AIOProducer.connectWith({ event_cb: false }, {}, { createNative: fakeFactory().createNative })).rejects.toThrow(
      /event_cb/,
    );
  });
});

describe('fixes of the redesign (issue 8)', () => {
  it('does not expire a message whose report the deadline tick’s poll() served', async () => {
    const { producer, fake } = await connect({ deliveryTimeoutMs: 100 });
    const result = track(producer.produce('t', 'v'));
    // librdkafka has the report ready just before the tick that finds the deadline passed: that
    // tick's poll() serves it, and it reaches the producer only after poll() returned, as
    // node-rdkafka's uv_async dispatch does. It was delivered in time: it must resolve.
    await tick(100);
    fake.deliver(1);
    await tick(5);
    expect(result.error()).toBeUndefined();
    expect(result.value()).toMatchObject({ topic: 't', offset: 0 });
  });

  it('runs no other message’s callback inside the produce() call that met a fatal refusal', async () => {
    const { producer, fake } = await connect();
    producer.on('error', () => {});
    const calls: string[] = [];
    producer.produce2('t', 'a', { fireAndForget: true, onDelivery: (err) => calls.push(`a:${err?.code}`) });
    fake.throwOnNextProduce(nativeError(-150, 'Local: Fatal error'));
    const refused = track(producer.produce2('t', 'b', { onDelivery: (err) => calls.push(`b:${err?.code}`) }));
    // Back from the call that met the fatal error: nothing has been called yet.
    expect(calls).toEqual([]);
    await tick(0);
    expect(calls.sort()).toEqual(['a:ERR__FATAL', 'b:ERR__FATAL']);
    expect(refused.error()).toMatchObject({ fatal: true });
  });

  it('never calls onDelivery for a fire-and-forget call that threw: the throw is the outcome', async () => {
    const { producer, fake } = await connect();
    const onDelivery = jest.fn();
    fake.capacity = 0;
    expect(() => producer.produce2('t', 'v', { fireAndForget: true, onDelivery })).toThrow(QueueFullError);
    expect(() => producer.produce2('', 'v', { fireAndForget: true, onDelivery })).toThrow(InvalidArgumentError);
    await tick(10);
    expect(onDelivery).not.toHaveBeenCalled();
  });

  it('reports a listener’s throw of an object with a string code as its own failure, with context', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (err) => errors.push(err));
    const thrown = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    producer.on('deliveryError', () => {
      throw thrown;
    });
    producer.produce2('t', 'v', { fireAndForget: true });
    fake.deliver(1, textError('Broker: Message size too large'));
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'AIO_UNKNOWN', cause: thrown });
    expect(errors[0]!.message).toMatch(/"deliveryError" listener threw: socket hang up/);
  });

  it.each<[keyof AIOProducerOptions, number]>([
    ['connectTimeoutMs', 2 ** 31],
    ['connectTimeoutMs', Infinity],
    ['enqueueTimeoutMs', Infinity],
    ['deliveryTimeoutMs', 2 ** 31],
    ['closeTimeoutMs', Infinity],
  ])('takes option %s = %p as no limit', async (name, value) => {
    const { producer } = await connect({ [name]: value });
    expect(producer.closed).toBe(false);
  });
});

describe('fatal errors, which node-rdkafka hands over without their fatal flag (issue 9)', () => {
  it('stops at once on librdkafka’s FATAL log line: pending and later calls fail fatal, the echo is not reported twice', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const pending = track(producer.produce('t', 'a'));
    await tick();
    const text = 'Fatal error: Broker: Broker received an out of order sequence number: ProduceRequest for t [0] failed';
    fake.emit('event.log', { severity: 0, fac: 'FATAL', message: text });
    await tick(0);
    expect(pending.error()).toMatchObject({ fatal: true, possiblyDelivered: true });
    expect(producer.closed).toBe(true);
    await expect(producer.produce('t', 'b')).rejects.toMatchObject({ fatal: true, possiblyDelivered: false });
    // librdkafka then reports the same error as a plain client error (code -1, lower-cased text).
    fake.emit('event.error', textError('Broker: Broker received an out of order sequence number'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(errors[0]!.message).toMatch(/out of order sequence number/);
  });

  it('announces the fatal state once, however it learns it first, and never inside the produce() that met it', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    fake.fatal = true;
    const refused = producer.produce('t', 'a');
    expect(errors).toEqual([]);
    await expect(refused).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(producer.closed).toBe(true);
    fake.emit('event.log', { severity: 0, fac: 'FATAL', message: 'Fatal error: Broker: Broker received an out of order sequence number: ProduceRequest failed' });
    fake.emit('event.error', textError('Broker: Broker received an out of order sequence number'));
    fake.emit('event.error', textError('Local: All broker connections are down'));
    await tick(0);
    // Announced once (after the produce() call that met it, in a microtask); the FATAL line and
    // its echo add nothing; a later, different error is reported, fatal like everything now.
    expect(errors.map((e) => [e.code, e.fatal])).toEqual([
      ['ERR__FATAL', true],
      ['ERR__ALL_BROKERS_DOWN', true],
    ]);
  });

  it('asks librdkafka after a client error, with a message it must refuse, and stops when it is fatal', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const pending = track(producer.produce('t', 'a'));
    await tick();
    fake.fatal = true;
    fake.emit('event.error', textError('Broker: Broker received an out of order sequence number'));
    await tick(0);
    expect(errors[0]).toMatchObject({ code: 'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER', fatal: true });
    expect(pending.error()).toMatchObject({ fatal: true, possiblyDelivered: true });
    expect(producer.closed).toBe(true);
  });

  it('goes on after a client error when librdkafka is not fatal; the probe sends nothing', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const first = track(producer.produce('t', 'a'));
    await tick();
    fake.emit('event.error', textError('Broker: Topic authorization failed'));
    expect(errors[0]).toMatchObject({ code: 'ERR_TOPIC_AUTHORIZATION_FAILED', fatal: false });
    expect(fake.refusals).toHaveLength(1);
    // A retriable error is never the fatal one: not even asked (an outage's stream of them costs nothing).
    fake.emit('event.error', textError('Local: Broker transport failure'));
    expect(errors[1]).toMatchObject({ code: 'ERR__TRANSPORT', fatal: false });
    expect(fake.refusals).toHaveLength(1);
    expect(fake.produced).toHaveLength(1);
    expect(producer.closed).toBe(false);
    fake.deliverAll();
    await tick();
    expect(first.value()).toMatchObject({ offset: 0 });
  });

  // Issue 17: the probe used to be a value of message.max.bytes + 1 bytes (1 MB by default, up
  // to 1 GB as configured), allocated for every non-retriable client error.
  it('the probe allocates no value, whatever message.max.bytes: librdkafka refuses it by its topic name', async () => {
    const { producer, fake } = await connect({}, { 'bootstrap.servers': 'fake:9092', 'message.max.bytes': 100_000_000 });
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const first = track(producer.produce('t', 'a'));
    await tick();
    fake.deliverAll();
    await tick();
    expect(first.settled()).toBe(true);
    for (let i = 0; i < 3; i++) fake.emit('event.error', textError('Broker: Topic authorization failed'));
    expect(errors.map((e) => e.fatal)).toEqual([false, false, false]);
    expect(fake.refusals).toHaveLength(3);
    for (const refusal of fake.refusals) {
      expect(refusal.valueBytes).toBe(0);
      expect(Buffer.byteLength(refusal.topic)).toBeGreaterThan(512);
    }
    expect(fake.produced).toHaveLength(1);
  });

  it('recognises a fatal client error before any message was sent (the probe needs no known topic)', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    fake.fatal = true;
    fake.emit('event.error', textError('Broker: Broker received an out of order sequence number'));
    await tick(0);
    expect(errors[0]).toMatchObject({ code: 'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER', fatal: true });
    expect(producer.closed).toBe(true);
  });

  it('fails only the batch of an INVALID_PRODUCER_EPOCH report on an idempotent producer, and goes on', async () => {
    const { producer, fake } = await connect();
    const a = track(producer.produce('t', 'a'));
    const b = track(producer.produce('t', 'b'));
    await tick();
    fake.deliver(1, textError('Broker: Producer attempted an operation with an old epoch'));
    fake.deliver(2);
    await tick();
    expect(a.error()).toMatchObject({ code: 'ERR_INVALID_PRODUCER_EPOCH', fatal: false, possiblyDelivered: false });
    expect(b.value()).toBeDefined();
    expect(producer.closed).toBe(false);
    const c = track(producer.produce('t', 'c'));
    await tick();
    fake.deliverAll();
    await tick();
    expect(c.value()).toBeDefined();
  });

  // librdkafka purges its queue when it goes fatal; the purge's report can reach JavaScript
  // before the FATAL log line (CI on c42c592: a fenced transactional producer's first message
  // rejected ERR__PURGE_QUEUE fatal=false, the producer still open).
  it('a purge that comes before the FATAL log line is fatal: it asks librdkafka, and the producer stops', async () => {
    const { producer, fake } = await connect();
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    const a = track(producer.produce('t', 'a'));
    const b = track(producer.produce('t', 'b'));
    await tick();
    fake.fatal = true;
    fake.deliver(1, nativeError(-152));
    await tick();
    expect(a.error()).toMatchObject({ code: 'ERR__FATAL', fatal: true, possiblyDelivered: false });
    expect(producer.closed).toBe(true);
    expect(b.error()).toMatchObject({ fatal: true, possiblyDelivered: true });
    fake.emit('event.log', { severity: 0, fac: 'FATAL', message: 'Fatal error: Broker: Producer attempted an operation with an old epoch: AddPartitionsToTxn failed' });
    await tick(0);
    expect(errors.map((e) => [e.code, e.fatal])).toEqual([['ERR__FATAL', true]]);
  });

  it('a purge when librdkafka is not fatal (an abort) stays a purge, and asks librdkafka once per tick, not per message', async () => {
    const { producer, fake } = await connect();
    const pending = Array.from({ length: 50 }, (_, i) => track(producer.produce('t', `m${i}`)));
    await tick();
    for (let id = 1; id <= 50; id++) fake.deliver(id, nativeError(-152));
    await tick();
    for (const p of pending) expect(p.error()).toMatchObject({ code: 'ERR__PURGE_QUEUE', fatal: false });
    expect(fake.refusals).toHaveLength(1);
    expect(producer.closed).toBe(false);
  });

  it('marks a report of a sequence error possibly delivered (librdkafka: possibly persisted)', async () => {
    const { producer, fake } = await connect();
    const a = track(producer.produce('t', 'a'));
    await tick();
    fake.deliver(1, textError('Broker: Broker received an out of order sequence number'));
    await tick();
    expect(a.error()).toMatchObject({ code: 'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER', possiblyDelivered: true });
  });
});

describe('logger option', () => {
  function recorder(): { logger: Logger; lines: Array<[string, Record<string, unknown>, string]> } {
    const lines: Array<[string, Record<string, unknown>, string]> = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push([level, fields, message]);
    return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
  }

  it('gets librdkafka’s log lines at the level of their syslog severity', async () => {
    const { logger, lines } = recorder();
    const { fake } = await connect({ logger });
    fake.emit('event.log', { severity: 3, fac: 'FAIL', message: 'b:9092/bootstrap: Connect to ipv4#b:9092 failed' });
    fake.emit('event.log', { severity: 4, fac: 'REQTMOUT', message: 'timed out' });
    fake.emit('event.log', { severity: 6, fac: 'STATE', message: 'up' });
    fake.emit('event.log', { severity: 7, fac: 'MSG', message: 'sent' });
    expect(lines.map(([level, fields]) => [level, fields.facility])).toEqual([
      ['error', 'FAIL'],
      ['warn', 'REQTMOUT'],
      ['info', 'STATE'],
      ['debug', 'MSG'],
    ]);
  });

  it('takes the errors nobody listens for, so nothing goes to stderr', async () => {
    const { logger, lines } = recorder();
    const write = jest.spyOn(process.stderr, 'write');
    const { producer, fake } = await connect({ logger });
    fake.emit('event.error', textError('Local: Broker transport failure'));
    producer.produce2('t', 'v', { fireAndForget: true });
    fake.deliver(1, textError('Broker: Message size too large'));
    await tick();
    expect(write).not.toHaveBeenCalled();
    expect(lines.map(([level, fields]) => [level, fields.code])).toEqual([
      ['error', 'ERR__TRANSPORT'],
      ['error', 'ERR_MSG_SIZE_TOO_LARGE'],
    ]);
  });

  it.each([{}, { info: () => {} }, 'console', null])('refuses %p as a logger', async (logger) => {
    await expect(
      AIOProducer.connectWith({}, { logger } as unknown as AIOProducerOptions, { createNative: fakeFactory().createNative }),
    ).rejects.toThrow(/option logger must have debug, info, warn and error/);
  });
});
