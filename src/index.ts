export { AIOProducer } from './aio-producer';
export type { AIOProducerEvents, LateDelivery, LibrdkafkaStats, LogEntry } from './aio-producer';
export type { DeliveryReport } from './delivery-report';
export {
  AIOErrorCodes,
  AIOKafkaError,
  DeliveryError,
  InvalidArgumentError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  isAIOKafkaError,
} from './errors';
export type { AIOErrorCode, AIOKafkaErrorOptions } from './errors';
export type { AIOProducerOptions, CloseOptions, DeliveryCallback, Produce2Options, ProduceOptions } from './options';
export type { LibrdkafkaConfig } from './native';
export { librdkafkaVersion } from './native';
export { startMockCluster } from './testing/mock-cluster';
export type { MockCluster, MockClusterOptions } from './testing/mock-cluster';
export { AIOConsumer } from './aio-consumer';
export type { AIOConsumerEvents, RebalanceEvent } from './aio-consumer';
export type { ConsumerMessage } from './consumer/message';
export type { TopicPartition, TopicPartitionOffset } from './consumer/commit-planner';
export type {
  AIOConsumerOptions,
  ConsumerCloseOptions,
  HandlerErrorAction,
  HandlerErrorPolicy,
  RunOptions,
} from './consumer/options';
export { AdminClosedError, AIOConsumerErrorCodes, ConsumerClosedError, HandlerError } from './errors';
export { AIOAdmin } from './aio-admin';
export type { AdminCallOptions, AIOAdminOptions, NewTopic, TopicDescription } from './aio-admin';
