import { nodeRdkafka, splitConfig, type LibrdkafkaConfig } from '../native';
import type { TopicPartition, TopicPartitionOffset } from './commit-planner';

/** A message as node-rdkafka's `consume()` hands it out. */
export interface NativeConsumerMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  key?: Buffer | string | null;
  timestamp?: number;
  headers?: Array<Record<string, Buffer | string>>;
  size?: number;
}

/** node-rdkafka's metadata answer, as far as we read it. */
export interface NativeMetadata {
  topics: Array<{ name: string; partitions: Array<{ id: number }> }>;
  brokers: Array<{ id: number; host: string; port: number }>;
}

/**
 * librdkafka's rebalance callback as node-rdkafka calls it (asynchronously, on the main thread):
 * `err.code` is -175 (`ERR__ASSIGN_PARTITIONS`) or -174 (`ERR__REVOKE_PARTITIONS`). Until the
 * application calls (incremental) assign / unassign, librdkafka holds the rebalance.
 */
export type NativeRebalanceCallback = (err: { code: number; message?: string } | undefined, partitions: TopicPartition[]) => void;

/** The KafkaConsumer methods and events we use, with node-rdkafka's own signatures. */
export interface NativeConsumer {
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null) => void): unknown;
  disconnect(cb: (err?: Error | null) => void): unknown;
  isConnected(): boolean;
  subscribe(topics: string[]): unknown;
  unsubscribe(): unknown;
  /** How long one `consume()` waits for each message, in ms. */
  setDefaultConsumeTimeout(timeoutMs: number): void;
  /** Reads up to `count` messages on a worker thread; calls back on the main thread. */
  consume(count: number, cb: (err: Error | null, messages: NativeConsumerMessage[]) => void): unknown;
  /** Asynchronous commit: the outcome comes as `offset.commit`. Throws on a local error. */
  commit(offsets: TopicPartitionOffset[]): unknown;
  /** Synchronous commit (blocks the calling thread for one round trip). Throws on failure. */
  commitSync(offsets: TopicPartitionOffset[]): unknown;
  assign(partitions: Array<TopicPartition | TopicPartitionOffset>): unknown;
  unassign(): unknown;
  incrementalAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): unknown;
  incrementalUnassign(partitions: TopicPartition[]): unknown;
  /** `NONE`, `EAGER` or `COOPERATIVE`. */
  rebalanceProtocol(): string;
  pause(partitions: TopicPartition[]): unknown;
  resume(partitions: TopicPartition[]): unknown;
  on(event: 'event.error', listener: (err: Error) => void): unknown;
  on(event: 'offset.commit', listener: (err: Error | null | undefined, offsets: TopicPartitionOffset[]) => void): unknown;
}

/** Builds the native consumer; the config carries the `rebalance_cb` function. */
export type NativeConsumerFactory = (config: LibrdkafkaConfig) => NativeConsumer;

/**
 * The default factory: node-rdkafka's `KafkaConsumer`, with topic-level properties
 * (`auto.offset.reset`, …) moved to its topic config, where they count (see `splitConfig`).
 */
export const createNativeConsumer: NativeConsumerFactory = (config) => {
  const Kafka = nodeRdkafka() as unknown as {
    KafkaConsumer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => NativeConsumer;
  };
  const [global, topic] = splitConfig(config);
  return new Kafka.KafkaConsumer(global, topic);
};

/** The AdminClient methods we use, with node-rdkafka's own signatures. */
export interface NativeAdmin {
  createTopic(
    topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> },
    timeoutMs: number,
    cb: (err?: Error | null) => void,
  ): void;
  deleteTopic(topic: string, timeoutMs: number, cb: (err?: Error | null) => void): void;
  createPartitions(topic: string, totalPartitions: number, timeoutMs: number, cb: (err?: Error | null) => void): void;
  disconnect(): void;
}

/** A short-lived client that answers metadata requests (AdminClient has none). */
export interface NativeMetadataClient {
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null) => void): unknown;
  getMetadata(options: { allTopics?: boolean; topic?: string; timeout?: number }, cb: (err: Error | null, metadata: NativeMetadata) => void): unknown;
  disconnect(cb: (err?: Error | null) => void): unknown;
}

/** What {@link AIOAdmin} builds its native clients with: the seam for unit-test fakes. */
export interface NativeAdminFactories {
  /** node-rdkafka's `AdminClient.create` (connects synchronously; throws on a bad config). */
  createAdmin(config: LibrdkafkaConfig): NativeAdmin;
  /** A metadata-only client: node-rdkafka's `Producer`. */
  createMetadataClient(config: LibrdkafkaConfig): NativeMetadataClient;
}

/** The default factories: node-rdkafka's `AdminClient` and `Producer`. */
export const defaultAdminFactories: NativeAdminFactories = {
  createAdmin: (config) => {
    const Kafka = nodeRdkafka() as unknown as { AdminClient: { create(config: LibrdkafkaConfig): NativeAdmin } };
    return Kafka.AdminClient.create(config);
  },
  createMetadataClient: (config) => {
    const Kafka = nodeRdkafka() as unknown as {
      Producer: new (config: LibrdkafkaConfig) => NativeMetadataClient;
    };
    return new Kafka.Producer(config);
  },
};
