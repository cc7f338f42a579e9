import { AIOProducer } from '../../src/producer/aio-producer';
import type { Serializer } from '../../src/core/serde';
import type { LibrdkafkaConfig } from '../../src/native/config';
import type { AIOProducerOptions } from '../../src/producer/options';
import { FakeNativeProducer, fakeFactory } from './fake-native-producer';

/** What {@link useFakeProducers} gives a test file. */
export interface FakeProducers {
  /** An AIOProducer connected to a fresh fake native producer; closed after the test. */
  connect<K = Buffer | string | null, V = Buffer | string | null>(
    options?: AIOProducerOptions & { keySerializer?: Serializer<K>; valueSerializer?: Serializer<V> },
    config?: LibrdkafkaConfig,
    setup?: (fake: FakeNativeProducer) => void,
  ): Promise<{ producer: AIOProducer<K, V>; fake: FakeNativeProducer }>;
  /** Advances the fake clock, running what falls due (the busy poll period is 1 ms by default). */
  tick(ms?: number): Promise<void>;
}

/**
 * Unit tests of AIOProducer on the fake native producer: jest's fake timers for each test
 * (promise plumbing, microtasks and nextTick stay real), and every producer the test connected
 * closed after it, while the clock is still fake, so the close runs on fake timers too.
 */
export function useFakeProducers(): FakeProducers {
  const open: Array<AIOProducer<unknown, unknown>> = [];
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(async () => {
    let closed = false;
    const closing = Promise.all(open.splice(0).map((producer) => producer.close({ timeoutMs: 0 }))).then(() => (closed = true));
    // Bounded: a producer that never finished closing fails its test here instead of hanging it.
    for (let i = 0; i < 100 && !closed; i++) await jest.advanceTimersByTimeAsync(5);
    expect(closed).toBe(true);
    await closing;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });
  return {
    async connect<K, V>(
      options: AIOProducerOptions & { keySerializer?: Serializer<K>; valueSerializer?: Serializer<V> } = {},
      config: LibrdkafkaConfig = { 'bootstrap.servers': 'fake:9092' },
      setup?: (fake: FakeNativeProducer) => void,
    ) {
      const factory = fakeFactory(setup);
      const connecting = AIOProducer.connectWith<K, V>(config, options, { createNative: factory.createNative });
      await jest.advanceTimersByTimeAsync(0);
      const producer = await connecting;
      open.push(producer as AIOProducer<unknown, unknown>);
      return { producer, fake: factory.fake() };
    },
    tick: (ms = 1) => jest.advanceTimersByTimeAsync(ms),
  };
}
