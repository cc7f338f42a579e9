/*
 * What the admin's calls take and answer: the public types of AIOAdmin (re-exported by index.ts).
 */
import type { TopicPartition } from '../core/topic-partition';

/** Options of one admin call. */
export interface AdminCallOptions {
  /** Time limit of this call, in ms (`Infinity`: no limit). @default the admin's `callTimeoutMs` */
  timeoutMs?: number;
}

/** A topic to create. */
export interface NewTopic {
  /** Its name. */
  topic: string;
  /** How many partitions it gets. @default 1 */
  numPartitions?: number;
  /** How many replicas each partition gets. @default 1 */
  replicationFactor?: number;
  /** Topic configuration (`retention.ms`, `cleanup.policy`, …), as strings. */
  config?: Record<string, string>;
}

/** A topic as the cluster's metadata describes it. */
export interface TopicDescription {
  /** Its name. */
  name: string;
  /** How many partitions it has. */
  partitions: number;
}

/** A consumer group's committed offset on one partition. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset the group will read; `null` when the group committed none here. */
  offset: number | null;
}

/**
 * Which offset {@link AIOAdmin.listOffsets} looks up in each partition: the first one still
 * kept (`'earliest'`), the one the next message will get (`'latest'`), or the first one whose
 * message has a timestamp at or after `timestamp` (ms since the epoch).
 */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

/** An offset of one partition, as {@link AIOAdmin.listOffsets} found it. */
export interface PartitionOffset {
  partition: number;
  /** The offset; `null` when no message has a timestamp at or after the one asked for. */
  offset: number | null;
}

/** A broker, by its id and address. */
export interface BrokerNode {
  id: number;
  host: string;
  port: number;
}

/** One partition of a {@link TopicInfo}. */
export interface TopicPartitionInfo {
  partition: number;
  /** The leader's broker id; `null` while the partition has none. */
  leader: number | null;
  /** Broker ids of the replicas, the preferred leader first. */
  replicas: number[];
  /** Broker ids of the in-sync replicas. */
  isr: number[];
}

/** A topic as {@link AIOAdmin.describeTopics} describes it. */
export interface TopicInfo {
  name: string;
  /** The topic id (base64), when the cluster has topic ids. */
  topicId: string | undefined;
  /** Whether it is one of the cluster's own topics (`__consumer_offsets`, ...). */
  isInternal: boolean;
  /** Its partitions, by partition number. */
  partitions: TopicPartitionInfo[];
}

/** The records {@link AIOAdmin.deleteRecords} deletes from one partition: every one below `offset`. */
export interface RecordsToDelete {
  partition: number;
  /** Records below this offset are deleted; `'end'`: every record there is now. */
  offset: number | 'end';
}

/** One partition after {@link AIOAdmin.deleteRecords}. */
export interface DeletedRecords {
  partition: number;
  /** The partition's first offset now. */
  lowWatermark: number;
}

/** A consumer group's state, as Kafka names it. */
export type GroupState = 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty';

/** A consumer group's protocol: `classic` (join/sync groups) or `consumer` (KIP-848). */
export type GroupType = 'unknown' | 'consumer' | 'classic';

/** A group as {@link AIOAdmin.listGroups} lists it. */
export interface GroupListing {
  groupId: string;
  state: GroupState;
  type: GroupType;
  /** A group with no members that only commits offsets (assigns partitions itself). */
  isSimpleConsumerGroup: boolean;
}

/** A member of a described group. */
export interface GroupMember {
  memberId: string;
  /** Its `group.instance.id` (static membership), if any. */
  groupInstanceId: string | undefined;
  clientId: string;
  clientHost: string;
  /** The partitions assigned to it. */
  assignment: TopicPartition[];
}

/** A group as {@link AIOAdmin.describeGroups} describes it. */
export interface GroupDescription extends GroupListing {
  /** The partition assignor the members agreed on (`range`, `cooperative-sticky`, ...); '' without members. */
  partitionAssignor: string;
  /** The group's coordinator, when known. */
  coordinator: BrokerNode | undefined;
  members: GroupMember[];
}
