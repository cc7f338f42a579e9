/*
 * `aio-rdkafka/testing`: an embedded, fault-injecting Kafka cluster (librdkafka's mock cluster,
 * in a child process) for tests, demos and benchmarks. See docs/testing.md.
 */
export { startMockCluster, MockClusterStoppedError } from './mock-cluster';
export type {
  InjectErrorsOptions,
  MockCluster,
  MockClusterOptions,
  MockCoordinatorKey,
  MockErrorCode,
  MockTopic,
} from './mock-cluster';
export { MOCK_API_KEYS } from './kafka-protocol';
export type { MockApi } from './kafka-protocol';
