/*
 * The consumer-group operations only CKJS's AdminClient has: listGroups, describeGroups and
 * deleteGroups. On node-rdkafka each is refused at once (native/admin-operations.ts, which also
 * says why describeGroups, and deleteGroups on a cluster whose ApiVersions are unknown, run in a
 * child process).
 */
import { AIOKafkaError, InvalidArgumentError } from '../core/errors';
import { describe } from '../core/validation';
import type { NativeDeletedGroup, NativeGroupDescription, NativeGroupListing } from '../native/admin-operations';
import { itemError, sendOperation, throwFirstFailure, type AdminHost } from './operations';
import type { GroupDescription, GroupListing, GroupState, GroupType } from './types';

/** librdkafka's `rd_kafka_consumer_group_state_t`, by number. */
const STATES: readonly GroupState[] = ['Unknown', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'];
/** librdkafka's `rd_kafka_consumer_group_type_t`, by number. */
const TYPES: readonly GroupType[] = ['unknown', 'consumer', 'classic'];

/** A non-empty list of group ids, without repeats. */
function groupList(what: string, groups: unknown): string[] {
  if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g) => typeof g === 'string' && g !== '')) {
    throw new InvalidArgumentError(`${what}: groups must be a non-empty array of group ids (non-empty strings), got ${describe(groups)}`);
  }
  return [...new Set(groups as string[])];
}

function listing(g: NativeGroupListing['groups'][number]): GroupListing {
  return { groupId: g.groupId, state: STATES[g.state] ?? 'Unknown', type: TYPES[g.type] ?? 'unknown', isSimpleConsumerGroup: g.isSimpleConsumerGroup };
}

/** See {@link AIOAdmin.listGroups}. */
export async function listGroups(host: AdminHost, timeoutMs: number): Promise<GroupListing[]> {
  const what = 'listGroups';
  const found = await sendOperation<NativeGroupListing>(host, what, 'ListGroups', timeoutMs, (ops, ms, cb) => ops.listGroups(ms, cb));
  const [first] = found.errors;
  if (first !== undefined) {
    // A broker that did not answer: its groups would be missing without a word.
    const typed = itemError(what, `${found.errors.length} broker(s) did not list their groups, so the list would be incomplete`, first, timeoutMs);
    throw typed;
  }
  return found.groups.map(listing).sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

function description(g: NativeGroupDescription): GroupDescription {
  return {
    ...listing(g),
    partitionAssignor: g.partitionAssignor ?? '',
    coordinator: g.coordinator === undefined ? undefined : { id: g.coordinator.id, host: g.coordinator.host, port: g.coordinator.port },
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? undefined,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: (m.assignment?.topicPartitions ?? []).map(({ topic, partition }) => ({ topic, partition })),
    })),
  };
}

/** See {@link AIOAdmin.describeGroups}. */
export async function describeGroups(host: AdminHost, groups: readonly string[], timeoutMs: number): Promise<GroupDescription[]> {
  const what = 'describeGroups';
  const ids = groupList(what, groups);
  const found = await sendOperation<{ groups: NativeGroupDescription[] }>(host, what, 'DescribeGroups', timeoutMs, (ops, ms, cb) => ops.describeGroups(ids, ms, cb));
  throwFirstFailure(what, found.groups, (g) => `group "${g.groupId}"`, timeoutMs);
  return found.groups.map(description);
}

/** See {@link AIOAdmin.deleteGroups}. */
export async function deleteGroups(host: AdminHost, groups: readonly string[], timeoutMs: number): Promise<void> {
  const what = 'deleteGroups';
  const ids = groupList(what, groups);
  // The cluster's ApiVersions unknown: whether it serves DeleteGroups is too (see native/admin-operations.ts).
  const isolated = host.sessions.apis === undefined;
  const results = await sendOperation<NativeDeletedGroup[]>(host, what, 'DeleteGroups', timeoutMs, (ops, ms, cb) => ops.deleteGroups(ids, ms, isolated, cb));
  const failed = results.filter((r) => r.error != null);
  if (failed.length === 0) return;
  const deleted = results.filter((r) => r.error == null).map((r) => `"${r.groupId}"`);
  try {
    throwFirstFailure(what, results, (r) => `group "${r.groupId}"`, timeoutMs);
  } catch (err) {
    if (err instanceof AIOKafkaError && deleted.length > 0) err.message += `; deleted: ${deleted.join(', ')}`;
    throw err;
  }
}
