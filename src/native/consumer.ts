/*
 * The part of the binding's KafkaConsumer that AIOConsumer calls (node-rdkafka's and CKJS's are
 * the same call for call): the seam where unit tests put a fake
 * (__tests__/helpers/fake-native-consumer.ts).
 */
import type { TopicPartition, TopicPartitionOffset } from '../core/topic-partition';
import { splitConfig, type LibrdkafkaConfig } from './config';
import { createGuarded } from './creation-guard';
import { loadBinding, type Binding, type BindingOption } from './loader';
import type { NativeLogEvent } from './producer';

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
  subscribe(topics: string[]): unknown;
  /** How long one `consume()` waits for each message, in ms. */
  setDefaultConsumeTimeout(timeoutMs: number): void;
  /** Reads up to `count` messages on a worker thread; calls back on the main thread. */
  consume(count: number, cb: (err: Error | null, messages: NativeConsumerMessage[]) => void): unknown;
  /** Asynchronous commit: the outcome comes as `offset.commit`. Throws on a local error. */
  commit(offsets: TopicPartitionOffset[]): unknown;
  assign(partitions: Array<TopicPartition | TopicPartitionOffset>): unknown;
  unassign(): unknown;
  incrementalAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): unknown;
  incrementalUnassign(partitions: TopicPartition[]): unknown;
  /** `NONE`, `EAGER` or `COOPERATIVE`. */
  rebalanceProtocol(): string;
  pause(partitions: TopicPartition[]): unknown;
  resume(partitions: TopicPartition[]): unknown;
  /**
   * Moves the fetch position of an assigned partition, on libuv's pool; calls back once the fetcher
   * took it (or with the error, `ERR__TIMED_OUT` after `timeoutMs`, at least 10).
   */
  seek(toppar: TopicPartitionOffset, timeoutMs: number, cb: (err?: Error | null) => void): unknown;
  /** The partition's low and high watermarks, asked of its leader (one ListOffsets round trip), on libuv's pool. */
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeoutMs: number,
    cb: (err: Error | null | undefined, offsets: { lowOffset: number; highOffset: number }) => void,
  ): unknown;
  /** The group's committed offsets of `toppars`, asked of the coordinator, on libuv's pool; -1001 when none. */
  committed(toppars: TopicPartition[], timeoutMs: number, cb: (err: Error | null | undefined, offsets: TopicPartitionOffset[]) => void): unknown;
  /** node-rdkafka's own flag: true from a successful connect() until disconnect(). */
  isConnected(): boolean;
  on(event: 'event.error', listener: (err: Error) => void): unknown;
  on(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown;
  removeListener(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
  on(event: 'offset.commit', listener: (err: Error | null | undefined, offsets: TopicPartitionOffset[]) => void): unknown;
}

/** Builds the native consumer; the config carries the `rebalance_cb` function. */
export type NativeConsumerFactory = (config: LibrdkafkaConfig) => NativeConsumer;

/**
 * The factory of the `KafkaConsumer` of the binding `option` names (src/native/loader.ts, loaded
 * when the first consumer is made), with topic-level properties (`auto.offset.reset`, …) moved to
 * its topic config, where they count (see `splitConfig`), its creation guarded
 * (src/native/creation-guard.ts).
 */
export function nativeConsumerFactory(option: BindingOption | undefined): NativeConsumerFactory {
  return (config) => {
    const binding = loadBinding(option);
    return createGuarded(binding, config, (c) => buildConsumer(binding, c));
  };
}

function buildConsumer(binding: Binding, config: LibrdkafkaConfig): NativeConsumer {
  const [global, topic] = splitConfig(config);
  return new binding.module.KafkaConsumer(global, topic) as NativeConsumer;
}
