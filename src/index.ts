export { AIOProducer } from './aio-producer';
export type { AIOProducerEvents, LibrdkafkaStats, LogEntry } from './aio-producer';
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
