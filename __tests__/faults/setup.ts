import { AIOProducer, type AIOProducerOptions } from '../../src';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/** One broker per test file, and producers closed after each test. */
export function useBroker(): { broker: () => TestBroker; connect: (config?: Record<string, string | number | boolean>, options?: AIOProducerOptions) => Promise<AIOProducer> } {
  let broker: TestBroker | undefined;
  const producers: AIOProducer[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterEach(async () => {
    if (broker?.cluster) await broker.cluster.resume().catch(() => {});
    await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 5000 })));
  });
  afterAll(async () => {
    await broker?.stop();
  });
  return {
    broker: () => broker!,
    connect: async (config = {}, options = {}) => {
      const producer = await AIOProducer.connect({ 'bootstrap.servers': broker!.bootstrapServers, 'linger.ms': 5, ...config }, options);
      producers.push(producer);
      return producer;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `produceOne` `perTick` times every `tickMs` for `durationMs`; resolves with every call's
 * promise once the last call was made.
 */
export async function stream(produceOne: () => Promise<void>, { durationMs, perTick, tickMs }: { durationMs: number; perTick: number; tickMs: number }): Promise<Array<Promise<void>>> {
  const calls: Array<Promise<void>> = [];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    for (let i = 0; i < perTick; i++) calls.push(produceOne());
    await sleep(tickMs);
  }
  return calls;
}

/** Samples this process's RSS every 100 ms; `stop()` returns the peak in MiB. */
export function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((Math.max(peak, process.memoryUsage().rss) / 2 ** 20) * 10) / 10;
    },
  };
}
