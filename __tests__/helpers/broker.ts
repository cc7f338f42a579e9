import { randomUUID } from 'node:crypto';
import { startMockCluster, type MockCluster } from '../../src/testing';

/**
 * The broker an integration test talks to over TCP: a real cluster when KAFKA_BROKERS is set,
 * otherwise librdkafka's mock cluster started for this test file.
 */
export interface TestBroker {
  bootstrapServers: string;
  /** Present only on the embedded mock cluster: tests that need an outage skip without it. */
  cluster: MockCluster | undefined;
  stop(): Promise<void>;
}

export async function startTestBroker(brokers = 3): Promise<TestBroker> {
  const external = process.env.KAFKA_BROKERS;
  if (external) return { bootstrapServers: external, cluster: undefined, stop: async () => {} };
  const cluster = await startMockCluster({ brokers });
  return { bootstrapServers: cluster.bootstrapServers, cluster, stop: () => cluster.stop() };
}

/** A fresh topic name per test, so tests never see each other's messages. */
export function randomTopic(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Whether the tests run on the embedded mock cluster (outage tests need it). */
export const onMockCluster = !process.env.KAFKA_BROKERS;

/** `it` for tests that pause or stop the cluster: skipped against a real one. */
export const itOnMockCluster = onMockCluster ? it : it.skip;
