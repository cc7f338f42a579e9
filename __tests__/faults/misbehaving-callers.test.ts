import { ProducerClosedError, type AIOKafkaError } from '../../src';
import { randomTopic } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';
import { record } from './ledger';
import { useBroker } from './setup';

const { broker, connect } = useBroker();

describe('misbehaving callers', () => {
  it('throwing callbacks and listeners, use after close, close during flush, concurrent closes, thousands of unawaited calls', async () => {
    const producer = await connect();
    const topic = randomTopic('misuse');
    await producer.produce(topic, 'creates the topic');
    const errors: AIOKafkaError[] = [];
    producer.on('error', (e) => errors.push(e));
    producer.on('deliveryError', () => {
      throw new Error('deliveryError listener bug');
    });

    // 1000 callbacks that throw, on successful deliveries.
    let throwingCalls = 0;
    for (let i = 0; i < 1000; i++) {
      producer.produce2(topic, `throws-${i}`, {
        fireAndForget: true,
        onDelivery: () => {
          throwingCalls++;
          throw new Error(`onDelivery bug ${i}`);
        },
      });
    }
    // 100 failures whose deliveryError listener throws.
    for (let i = 0; i < 100; i++) void producer.produce2('', 'x');
    // 5000 produce2 calls nobody awaits, each counted by its callback.
    const seen = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      void producer.produce2(topic, `unawaited-${i}`, { onDelivery: () => seen.set(i, (seen.get(i) ?? 0) + 1) });
    }
    // An awaited call in the middle of all that still works.
    const awaited = await producer.produce(topic, 'awaited');
    expect(awaited.offset).toBeGreaterThanOrEqual(0);

    // close while a flush waits; two concurrent closes share one promise.
    const flushing = producer.flush();
    const first = producer.close({ timeoutMs: 10_000 });
    const second = producer.close({ timeoutMs: 1 });
    expect(second).toBe(first);
    await Promise.all([first, flushing]);
    const afterClose = await producer.produce(topic, 'late').catch((e: unknown) => e);
    expect(afterClose).toBeInstanceOf(ProducerClosedError);
    expect(() => producer.produce2(topic, 'late', { fireAndForget: true })).toThrow(ProducerClosedError);

    const read = await readTopic(broker().bootstrapServers, topic, 1 + 1000 + 5000 + 1, { settleMs: 1000, timeoutMs: 60_000 });
    const callbackErrors = errors.filter((e) => /onDelivery callback threw/.test(e.message)).length;
    const listenerErrors = errors.filter((e) => /"deliveryError" listener threw/.test(e.message)).length;
    record('misbehaving callers', {
      throwingCallbacks: throwingCalls,
      callbackErrorsEmitted: callbackErrors,
      listenerErrorsEmitted: listenerErrors,
      unawaitedSettledOnce: [...seen.values()].filter((n) => n === 1).length,
      readBack: read.length,
    });
    expect(throwingCalls).toBe(1000);
    expect(callbackErrors).toBe(1000);
    expect(listenerErrors).toBe(100);
    expect(seen.size).toBe(5000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(read).toHaveLength(1 + 1000 + 5000 + 1);
  });
});
