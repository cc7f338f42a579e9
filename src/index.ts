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
export { instrumentKafkaStats } from './core/stats-metrics';
export type { MetricAttributes, ObservableInstrument, StatsMeter, StatsObservation, StatsSource } from './core/stats-metrics';
export type { DeliveryReport } from './producer/delivery-report';
export type {
  AIOProducerOptions,
  CloseOptions,
  DeliveryCallback,
  FlushOptions,
  Produce2Options,
  ProduceBatchOptions,
  ProduceOptions,
} from './producer/options';
export type { BatchMessage, BatchResult } from './producer/batch';
export type { Enqueued } from './producer/delivery';
export { deserializers, serializers } from './core/serde';
export type { Deserializer, DeserializerOptions, Serializer, SerializerOptions, Wire } from './core/serde';
export type { HeaderValue, HeadersList, HeadersMap, ProduceHeaders } from './core/headers';

export { AIOConsumer } from './consumer/aio-consumer';
export type { AIOConsumerEvents, RebalanceEvent } from './consumer/events';
export { getHeader, getHeaders } from './consumer/consumer-message';
export type { ConsumerMessage } from './consumer/consumer-message';
export type { ConsumerHealth, HealthOptions } from './consumer/health';
export type { PartitionLag } from './consumer/lag';
export type {
  AIOConsumerOptions,
  BatchErrorPolicy,
  BatchOptions,
  BatchRunOptions,
  ConsumerCloseOptions,
  HandlerErrorAction,
  HandlerErrorPolicy,
  LagOptions,
  MessageRunOptions,
  RunOptions,
} from './consumer/options';

export { AIOAdmin } from './admin/aio-admin';
export type { AIOAdminEvents, AIOAdminOptions } from './admin/aio-admin';
export type {
  AdminCallOptions,
  BrokerNode,
  CommittedOffset,
  DeletedRecords,
  GroupDescription,
  GroupListing,
  GroupMember,
  GroupState,
  GroupType,
  NewTopic,
  OffsetSpec,
  PartitionOffset,
  RecordsToDelete,
  TopicDescription,
  TopicInfo,
  TopicPartitionInfo,
} from './admin/types';

export {
  AbortedError,
  AdminClosedError,
  AIOConsumerErrorCodes,
  AIOErrorCodes,
  AIOKafkaError,
  BindingUnavailableError,
  ClientClosedError,
  ConsumerClosedError,
  DeliveryError,
  HandlerError,
  InvalidArgumentError,
  InvalidStateError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  SerializationError,
  UnsupportedByBindingError,
  UnsupportedByClusterError,
  WorkerThreadError,
  isAIOKafkaError,
} from './core/errors';
export type { AIOErrorCode, AIOKafkaErrorOptions, ClosedErrorOptions } from './core/errors';
export type { TopicPartition, TopicPartitionOffset } from './core/topic-partition';

// Transactions: AIOProducer.transaction() (docs/api.md, "Transactions").
export { TransactionError } from './core/errors';
export type { Transaction, TransactionCallOptions, TransactionState } from './producer/transaction';
export type { Logger } from './core/logger';
export type { AdminConfig, ConsumerConfig, LibrdkafkaConfig, ProducerConfig, UnlistedConfigValue } from './native/config';
export { librdkafkaVersion, unlistedConfig } from './librdkafka';
export type { BindingName } from './core/bindings';
export type { BindingOption } from './native/loader';

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

/* Tracing (node:diagnostics_channel) and W3C trace-context propagation: docs/observability.md. */
export { traceContextOf, traceParentOf } from './consumer/tracing';
export type { CommitTrace, ConsumeTrace, RebalanceTrace } from './consumer/tracing';
export type { LateDeliveryTrace, ProduceBatchTrace, ProduceTrace, TransactionTrace } from './producer/tracing';
export type { CloseTrace, ConnectTrace, TraceOutcome } from './core/tracing';
export type { TraceContext, TraceParent } from './core/propagation';
