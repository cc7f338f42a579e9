/*
 * The admin operations only @confluentinc/kafka-javascript's AdminClient has (node-rdkafka 3.6's
 * has createTopic, deleteTopic and createPartitions alone), with CKJS's own signatures and result
 * shapes, and the two CKJS calls that can take the process down, kept from doing it:
 *
 * - describeGroups: CKJS 1.10 turns a group description that carries an error into JavaScript
 *   without checking its assignor name, which librdkafka leaves NULL: the process dies (SIGSEGV).
 *   Any per-group error does it: the broker's (GROUP_AUTHORIZATION_FAILED), a timeout, a broker
 *   without DescribeGroups. Nothing in JavaScript can catch that, and it cannot be foreseen, so
 *   the call runs in a child process (admin-child.js): a crash ends the child and rejects the
 *   call (src/native/isolated-admin.ts).
 * - deleteGroups: on a broker without DeleteGroups (Kafka < 1.1, librdkafka's mock cluster)
 *   librdkafka releases a queue twice, and the AdminClient's disconnect then aborts the process.
 *   The admin refuses the call when the cluster's ApiVersions answer lacks DeleteGroups; when
 *   that answer is unknown, the call runs in a child process too.
 */
import { UnsupportedByBindingError } from '../core/errors';
import type { NativeCallback } from '../core/timeouts';
import { CKJS } from './loader';

/** The binding's metadata answer (both bindings'), as far as we read it. */
export interface NativeMetadata {
  topics: Array<{ name: string; partitions: Array<{ id: number }> }>;
  brokers: Array<{ id: number; host: string; port: number }>;
}

/** librdkafka's error as CKJS hands it over inside a result: a numeric code and its text. */
export interface NativeItemError {
  code: number;
  message: string;
}

/** A broker, as CKJS describes one. */
export interface NativeNode {
  id: number;
  host: string;
  port: number;
  rack?: string | null;
}

/** One topic of `describeTopics`. */
export interface NativeTopicDescription {
  name: string;
  /** At run time `base64` (CKJS 1.10's types say `base64str`). */
  topicId?: { base64?: string };
  isInternal: boolean;
  partitions: Array<{ partition: number; leader?: NativeNode | null; isr: NativeNode[]; replicas: NativeNode[] }>;
  error?: NativeItemError;
}

/** One partition of `listOffsets`: offset -1001 with no error means librdkafka got no answer. */
export interface NativeListedOffset {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  error?: NativeItemError;
}

/** One partition of `deleteRecords`. */
export interface NativeDeletedRecords {
  topic: string;
  partition: number;
  lowWatermark: number;
  error?: NativeItemError;
}

/** `listGroups`: the groups found, and the brokers that could not answer. */
export interface NativeGroupListing {
  groups: Array<{ groupId: string; protocolType: string; isSimpleConsumerGroup: boolean; state: number; type: number }>;
  errors: NativeItemError[];
}

/** One member of a described group. */
export interface NativeMemberDescription {
  memberId: string;
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  assignment?: { topicPartitions?: Array<{ topic: string; partition: number }> } | null;
}

/** One group of `describeGroups`. */
export interface NativeGroupDescription {
  groupId: string;
  error?: NativeItemError;
  members: NativeMemberDescription[];
  isSimpleConsumerGroup: boolean;
  protocolType: string;
  partitionAssignor: string;
  state: number;
  type: number;
  coordinator?: NativeNode;
}

/** One group of `deleteGroups`. */
export interface NativeDeletedGroup {
  groupId: string;
  errorCode?: number;
  error?: NativeItemError;
}

/** One group of `listConsumerGroupOffsets` (offset -1001: none committed). */
export interface NativeGroupOffsets {
  groupId: string;
  error?: NativeItemError;
  partitions: Array<{ topic: string; partition: number; offset: number; error?: NativeItemError }>;
}

/**
 * The operations the admin runs natively on CKJS, each with librdkafka's request timeout and a
 * callback (the AdminClient's queue runs them one at a time, each on libuv's pool).
 */
export interface NativeAdminOperations {
  /** The cluster's metadata, asked on the AdminClient's own connections. */
  metadata(timeoutMs: number, cb: NativeCallback<NativeMetadata>): void;
  describeTopics(topics: string[], timeoutMs: number, cb: NativeCallback<NativeTopicDescription[]>): void;
  /** `timestamp`: -2 earliest, -1 latest, else a time (ms since the epoch). */
  listOffsets(partitions: Array<{ topic: string; partition: number; timestamp: number }>, timeoutMs: number, cb: NativeCallback<NativeListedOffset[]>): void;
  deleteRecords(offsets: Array<{ topic: string; partition: number; offset: number }>, timeoutMs: number, cb: NativeCallback<NativeDeletedRecords[]>): void;
  listGroups(timeoutMs: number, cb: NativeCallback<NativeGroupListing>): void;
  /** In a child process (see the file's comment). */
  describeGroups(groups: string[], timeoutMs: number, cb: NativeCallback<{ groups: NativeGroupDescription[] }>): void;
  /** `isolated`: in a child process (the cluster's support of DeleteGroups is unknown). */
  deleteGroups(groups: string[], timeoutMs: number, isolated: boolean, cb: NativeCallback<NativeDeletedGroup[]>): void;
  listConsumerGroupOffsets(group: string, partitions: Array<{ topic: string; partition: number }>, timeoutMs: number, cb: NativeCallback<NativeGroupOffsets[]>): void;
  /**
   * Stops the calls still running in child processes: close gave up on them (they rejected
   * closed), and a child left running would keep this process alive up to its call's limit.
   * Each one's callback then answers that it was stopped.
   */
  stopIsolated(): void;
}

/** What the admin seam hands out: the AdminClient's operations, when its binding has them. */
export interface ExtendedAdmin {
  /** The binding's name, for the refusal of an operation it lacks. */
  readonly binding?: string;
  /** Present on CKJS. */
  readonly operations?: NativeAdminOperations;
}

/**
 * The operations of `native`'s binding.
 * @throws {UnsupportedByBindingError} at once when the binding lacks them (node-rdkafka), naming
 *   the binding that has `what`.
 */
export function operationsOf(native: ExtendedAdmin, what: string): NativeAdminOperations {
  if (native.operations !== undefined) return native.operations;
  const binding = native.binding ?? 'this binding';
  throw new UnsupportedByBindingError(
    `${what}: ${binding}'s AdminClient has no such call (node-rdkafka 3.6 has createTopic, deleteTopic and createPartitions only); ` +
      `${CKJS} has it: install it and pass \`binding: '${CKJS}'\``,
    { binding, supportedBy: CKJS },
  );
}
