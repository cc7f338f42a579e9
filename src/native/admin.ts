/*
 * The part of the binding's AdminClient (and of a metadata-only Producer) that AIOAdmin calls:
 * the seam where unit tests put fakes. The operations only CKJS's AdminClient has are in
 * admin-operations.ts; this file makes them available when the binding is CKJS.
 */
import { operationsFor } from './admin-ckjs';
import type { ExtendedAdmin, NativeMetadata } from './admin-operations';
import { checkBootstrap, type LibrdkafkaConfig } from './config';
import { checkConfigValues, createWithConfig } from './config-refusal';
import { checkCreation, createGuarded, type ProbeClient } from './creation-guard';
import { prepareCodeTables } from './errors';
import { loadBinding, type Binding, type BindingOption } from './loader';
import type { NativeLogEvent } from './producer';

export type { NativeMetadata };

/** The AdminClient methods we use, with node-rdkafka's own signatures (CKJS's are the same), and CKJS's extra operations. */
export interface NativeAdmin extends ExtendedAdmin {
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
  /**
   * Rejects with librdkafka's refusal of `config` before `createAdmin`, which creates librdkafka's
   * client synchronously and reports a refusal without librdkafka's text (and, with a plugin on
   * librdkafka < 2.13, would crash the process on it: see src/native/creation-guard.ts).
   */
  checkCreation?(config: LibrdkafkaConfig): Promise<void>;
  /** node-rdkafka's `AdminClient.create` (connects synchronously; throws on a bad config). */
  createAdmin(config: LibrdkafkaConfig): NativeAdmin;
  /** A metadata-only client: node-rdkafka's `Producer`. */
  createMetadataClient(config: LibrdkafkaConfig): NativeMetadataClient;
  /** node-rdkafka's `KafkaConsumer` (`group.id` set by the caller), never subscribed. */
  createOffsetsClient(config: LibrdkafkaConfig): NativeOffsetsClient;
}

/** The binding's `Producer` with `config` as it is (AdminClient takes no topic config either). */
function buildMetadataClient(binding: Binding, config: LibrdkafkaConfig): NativeMetadataClient & ProbeClient {
  return new binding.module.Producer(config) as NativeMetadataClient & ProbeClient;
}

function buildOffsetsClient(binding: Binding, config: LibrdkafkaConfig): NativeOffsetsClient & ProbeClient {
  return new binding.module.KafkaConsumer(config, {}) as NativeOffsetsClient & ProbeClient;
}

/**
 * The factories on the binding `option` names (src/native/loader.ts, loaded when the first client
 * is made): its `AdminClient`, `Producer` and `KafkaConsumer`, their creation checked or guarded
 * (src/native/creation-guard.ts). On CKJS the AdminClient comes with its extra operations.
 */
export function adminFactories(option: BindingOption | undefined): NativeAdminFactories {
  const binding = (): Binding => {
    const loaded = loadBinding(option);
    prepareCodeTables(loaded);
    return loaded;
  };
  return {
    // AdminClient creates librdkafka's client as it is made, with a producer's type: probe with one.
    checkCreation: (config) => {
      checkBootstrap(config);
      const b = binding();
      checkConfigValues(config, b);
      return checkCreation(config, (c) => buildMetadataClient(b, c));
    },
    createAdmin: (config) => {
      checkBootstrap(config);
      const b = binding();
      const admin = createWithConfig(config, () => b.module.AdminClient.create(config) as NativeAdmin, b);
      return Object.assign(admin, { binding: b.name, operations: operationsFor(b, admin, config) });
    },
    createMetadataClient: (config) => {
      const b = binding();
      return createGuarded(b, config, (c) => buildMetadataClient(b, c));
    },
    createOffsetsClient: (config) => {
      const b = binding();
      return createGuarded(b, config, (c) => buildOffsetsClient(b, c));
    },
  };
}
