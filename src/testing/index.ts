/*
 * `aio-rdkafka/testing`: an embedded Kafka cluster (librdkafka's mock cluster, in a child
 * process) for tests, demos and benchmarks.
 */
export { startMockCluster } from './mock-cluster';
export type { MockCluster, MockClusterOptions } from './mock-cluster';
