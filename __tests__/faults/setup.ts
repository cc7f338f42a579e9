import { AIOProducer, type AIOProducerOptions } from '../../src';
import { startMockCluster, type MockCluster } from '../../src/testing';
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

/**
 * One fault-injecting mock cluster per test file (3 brokers unless told), for scenarios that
 * need the kit itself (brokerDown, setRtt, injectErrors, moveLeader): callers skip them against
 * a real cluster. After each test every fault is undone (brokers up, no latency, no queued
 * Produce errors, not paused) and the test's producers are closed, so a failure does not cascade.
 */
export function useMockCluster(brokers = 3): {
  cluster: () => MockCluster;
  connect: (config?: Record<string, string | number | boolean>, options?: AIOProducerOptions) => Promise<AIOProducer>;
} {
  let cluster: MockCluster | undefined;
  const producers: AIOProducer[] = [];
  beforeAll(async () => {
    cluster = await startMockCluster({ brokers });
  });
  afterEach(async () => {
    if (cluster !== undefined) {
      await cluster.resume().catch(() => {});
      await cluster.brokerUp('all').catch(() => {});
      await cluster.setRtt('all', 0).catch(() => {});
      await cluster.clearErrors('Produce').catch(() => {});
    }
    await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 5000 })));
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    cluster: () => cluster!,
    connect: async (config = {}, options = {}) => {
      const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster!.bootstrapServers, 'linger.ms': 5, ...config }, options);
      producers.push(producer);
      return producer;
    },
  };
}

/**
 * Records every process-level unhandled rejection during each test and fails the test in
 * afterEach if there was one (jest fails the test too; this also names the reason).
 */
export function failOnUnhandledRejection(): void {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(() => {
    process.off('unhandledRejection', listener);
    expect(seen.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)))).toEqual([]);
  });
}

/**
 * Waits until every call in `calls` has settled, or `timeoutMs` passed; never hangs. Resolves
 * with how many were still unsettled (0: all settled) and how long it took.
 */
export async function settleWithin(calls: Array<Promise<unknown>>, timeoutMs: number): Promise<{ unsettled: number; ms: number }> {
  const started = Date.now();
  let settled = 0;
  const all = Promise.all(calls.map((c) => c.then(() => settled++, () => settled++)));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  return { unsettled: calls.length - settled, ms: Date.now() - started };
}
