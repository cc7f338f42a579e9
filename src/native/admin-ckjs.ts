/*
 * CKJS's AdminClient operations behind {@link NativeAdminOperations}: each with librdkafka's
 * request timeout, the unsafe ones in a child process (admin-operations.ts says why).
 */
import type { NativeCallback } from '../core/timeouts';
import type { NativeAdminOperations, NativeMetadata } from './admin-operations';
import type { LibrdkafkaConfig } from './config';
import { isolatedAdminDir, runIsolated } from './isolated-admin';
import type { Binding } from './loader';

/** CKJS's `AdminClient`, as far as this file calls it. */
interface CkjsAdminClient {
  /** CKJS's native client under the AdminClient: its metadata call is the one listTopics uses. */
  _client?: { getMetadata(options: { allTopics: boolean; timeout: number }, cb: NativeCallback<NativeMetadata>): void };
  describeTopics(topics: string[], options: { timeout: number }, cb: NativeCallback<never>): void;
  listOffsets(partitions: unknown[], options: { timeout: number; isolationLevel: number }, cb: NativeCallback<never>): void;
  deleteRecords(offsets: unknown[], options: { timeout: number; operationTimeout: number }, cb: NativeCallback<never>): void;
  listGroups(options: { timeout: number }, cb: NativeCallback<never>): void;
  deleteGroups(groups: string[], options: { timeout: number }, cb: NativeCallback<never>): void;
  listConsumerGroupOffsets(requests: unknown[], options: { timeout: number; requireStableOffsets: boolean }, cb: NativeCallback<never>): void;
}

/** librdkafka's READ_UNCOMMITTED: the latest offset is the log end, as node-rdkafka's offsetsForTimes reads it. */
const READ_UNCOMMITTED = 0;

/**
 * The operations of `admin`, an AdminClient of `binding` made from `config`; undefined when the
 * binding has none (node-rdkafka).
 */
export function operationsFor(binding: Binding, admin: object, config: LibrdkafkaConfig): NativeAdminOperations | undefined {
  const ckjs = admin as CkjsAdminClient;
  if (binding.name !== '@confluentinc/kafka-javascript' || typeof ckjs.describeTopics !== 'function') return undefined;
  const dir = isolatedAdminDir(binding);
  /** The isolated calls still running, each by what stops it. */
  const running = new Set<() => void>();
  const isolated = <T>(op: 'describeGroups' | 'deleteGroups', args: unknown[], timeoutMs: number, cb: NativeCallback<T>): void => {
    const stop = runIsolated<T>(dir(), config, op, args, timeoutMs, (err, result) => {
      running.delete(stop);
      cb(err, result);
    });
    running.add(stop);
  };
  return {
    metadata: (timeoutMs, cb) => {
      if (ckjs._client === undefined) throw new Error('Client is disconnected');
      ckjs._client.getMetadata({ allTopics: true, timeout: timeoutMs }, cb);
    },
    describeTopics: (topics, timeoutMs, cb) => ckjs.describeTopics(topics, { timeout: timeoutMs }, cb),
    listOffsets: (partitions, timeoutMs, cb) =>
      ckjs.listOffsets(
        partitions.map(({ topic, partition, timestamp }) => ({ topic, partition, offset: { timestamp } })),
        { timeout: timeoutMs, isolationLevel: READ_UNCOMMITTED },
        cb,
      ),
    deleteRecords: (offsets, timeoutMs, cb) => ckjs.deleteRecords(offsets, { timeout: timeoutMs, operationTimeout: timeoutMs }, cb),
    listGroups: (timeoutMs, cb) => ckjs.listGroups({ timeout: timeoutMs }, cb),
    describeGroups: (groups, timeoutMs, cb) => isolated('describeGroups', [groups], timeoutMs, cb),
    deleteGroups: (groups, timeoutMs, inChild, cb) => {
      if (inChild) isolated('deleteGroups', [groups], timeoutMs, cb);
      else ckjs.deleteGroups(groups, { timeout: timeoutMs }, cb);
    },
    listConsumerGroupOffsets: (group, partitions, timeoutMs, cb) =>
      ckjs.listConsumerGroupOffsets([{ groupId: group, partitions }], { timeout: timeoutMs, requireStableOffsets: false }, cb),
    stopIsolated: () => {
      for (const stop of running) stop();
    },
  };
}
