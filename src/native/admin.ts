/*
 * The part of node-rdkafka's AdminClient (and of a metadata-only Producer) that AIOAdmin calls:
 * the seam where unit tests put fakes.
 */
import { checkBootstrap, createWithConfig, type LibrdkafkaConfig } from './config';
import { nodeRdkafka } from './loader';
import type { NativeLogEvent } from './producer';

/** node-rdkafka's metadata answer, as far as we read it. */
export interface NativeMetadata {
  topics: Array<{ name: string; partitions: Array<{ id: number }> }>;
  brokers: Array<{ id: number; host: string; port: number }>;
}

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
  on(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
  removeListener(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
}

/** A committed offset or an offset lookup, as node-rdkafka answers them (`offset` absent: none). */
export interface NativePartitionOffset {
  topic: string;
  partition: number;
  offset?: number;
}

/**
 * A short-lived consumer handle that never subscribes (so never joins its group): it reads a
 * group's committed offsets (OffsetFetch) and looks offsets up (ListOffsets); node-rdkafka has
 * these two calls on its KafkaConsumer only.
 */
export interface NativeOffsetsClient extends NativeMetadataClient {
  committed(toppars: Array<{ topic: string; partition: number }>, timeoutMs: number, cb: (err: Error | null, offsets: NativePartitionOffset[]) => void): unknown;
  offsetsForTimes(
    toppars: Array<{ topic: string; partition: number; offset: number }>,
    timeoutMs: number,
    cb: (err: Error | null, offsets: NativePartitionOffset[]) => void,
  ): unknown;
}

/** What {@link AIOAdmin} builds its native clients with: the seam for unit-test fakes. */
export interface NativeAdminFactories {
  /** node-rdkafka's `AdminClient.create` (connects synchronously; throws on a bad config). */
  createAdmin(config: LibrdkafkaConfig): NativeAdmin;
  /** A metadata-only client: node-rdkafka's `Producer`. */
  createMetadataClient(config: LibrdkafkaConfig): NativeMetadataClient;
  /** node-rdkafka's `KafkaConsumer` (`group.id` set by the caller), never subscribed. */
  createOffsetsClient(config: LibrdkafkaConfig): NativeOffsetsClient;
}

/** The default factories: node-rdkafka's `AdminClient` and `Producer`. */
export const defaultAdminFactories: NativeAdminFactories = {
  createAdmin: (config) => {
    checkBootstrap(config);
    return createWithConfig(config, () => nodeRdkafka().AdminClient.create(config) as NativeAdmin);
  },
  createMetadataClient: (config) => {
    checkBootstrap(config);
    return createWithConfig(config, () => new (nodeRdkafka().Producer)(config) as NativeMetadataClient);
  },
  createOffsetsClient: (config) => {
    checkBootstrap(config);
    return new (nodeRdkafka().KafkaConsumer)(config, {}) as unknown as NativeOffsetsClient;
  },
};
