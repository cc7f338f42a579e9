/*
 * The public API of aio-rdkafka: the three clients, their errors and their types. Nothing else is
 * exported; the embedded test cluster lives in the `aio-rdkafka/testing` entry.
 */
export { AIOProducer } from './producer/aio-producer';
export type { AIOProducerEvents, LateDelivery, LibrdkafkaStats, LogEntry } from './producer/events';
export type {
  BrokerStats,
  BrokerToppar,
  ClientStatsBase,
  ConsumerGroupStats,
  ConsumerStats,
  EosStats,
  PartitionStats,
  ProducerStats,
  TopicStats,
  WindowStats,
} from './core/stats';
export type { DeliveryReport } from './producer/delivery-report';
export type { AIOProducerOptions, CloseOptions, DeliveryCallback, Produce2Options, ProduceOptions } from './producer/options';
export type { HeaderValue, HeadersList, HeadersMap, ProduceHeaders } from './core/headers';

export { AIOConsumer } from './consumer/aio-consumer';
export type { AIOConsumerEvents, RebalanceEvent } from './consumer/aio-consumer';
export type { ConsumerMessage } from './consumer/consumer-message';
export type {
  AIOConsumerOptions,
  ConsumerCloseOptions,
  HandlerErrorAction,
  HandlerErrorPolicy,
  RunOptions,
} from './consumer/options';

export { AIOAdmin } from './admin/aio-admin';
export type { AdminCallOptions, AIOAdminOptions, NewTopic, TopicDescription } from './admin/aio-admin';

export {
  AdminClosedError,
  AIOConsumerErrorCodes,
  AIOErrorCodes,
  AIOKafkaError,
  ConsumerClosedError,
  DeliveryError,
  HandlerError,
  InvalidArgumentError,
  InvalidStateError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  isAIOKafkaError,
} from './core/errors';
export type { AIOErrorCode, AIOKafkaErrorOptions } from './core/errors';
export type { TopicPartition, TopicPartitionOffset } from './core/topic-partition';
export type { Logger } from './core/logger';
export type { AdminConfig, ConsumerConfig, LibrdkafkaConfig, ProducerConfig, UnlistedConfigValue } from './native/config';
export { unlistedConfig } from './native/config';
export { librdkafkaVersion } from './native/loader';

/**
 * @deprecated Import it from `aio-rdkafka/testing`; this re-export goes in the next release.
 * Loads the testing entry only when called.
 */
export function startMockCluster(
  options?: import('./testing/mock-cluster').MockClusterOptions,
): Promise<import('./testing/mock-cluster').MockCluster> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./testing/mock-cluster') as typeof import('./testing/mock-cluster')).startMockCluster(options);
}
/** @deprecated Import it from `aio-rdkafka/testing`. */
export type { MockCluster, MockClusterOptions } from './testing/mock-cluster';
