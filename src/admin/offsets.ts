/*
 * Offsets: where each partition of a topic starts, ends or reaches a time (ListOffsets), and what
 * a consumer group committed (OffsetFetch). On CKJS the AdminClient asks natively; node-rdkafka's
 * has no such calls, so there a short-lived consumer client (never subscribed, so it never joins
 * the group) asks with its `offsetsForTimes` and `committed` (session.ts).
 */
import { AIOKafkaError, InvalidArgumentError, OperationTimeoutError } from '../core/errors';
import { nativeTimeoutMs } from '../core/timeouts';
import { describe } from '../core/validation';
import type { NativeMetadata } from '../native/admin';
import type { NativeGroupOffsets, NativeListedOffset } from '../native/admin-operations';
import { requireApi } from './broker-apis';
import { allTopics, guarded } from './native-calls';
import { remainingMs, sendOperation, throwFirstFailure, type AdminHost } from './operations';
import { topicList } from './topics';
import type { CommittedOffset, OffsetSpec, PartitionOffset } from './types';

/** librdkafka's logical offsets "earliest" and "latest", as offsetsForTimes and ListOffsets take them. */
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;
/** librdkafka's "no offset": ListOffsets on CKJS answers it, with no error, when no leader answered. */
const OFFSET_INVALID = -1001;

/** The group id of the client that looks offsets up (it never joins it). */
const LOOKUP_GROUP = 'aio-rdkafka-admin-lookup';

/** node-rdkafka's answer to `committed` and `offsetsForTimes`. */
type NativePartitionOffsetList = Array<{ topic: string; partition: number; offset?: number }>;

/** Every partition of `topics`, from the metadata; a topic it lacks is an error. */
function partitionsOf(what: string, topics: readonly string[], metadata: NativeMetadata): Array<{ topic: string; partition: number }> {
  return topics.flatMap((topic) => {
    const found = metadata.topics.find((t) => t.name === topic);
    if (found === undefined || found.partitions.length === 0) {
      throw new AIOKafkaError(`${what}: topic "${topic}" does not exist`, { code: 'ERR_UNKNOWN_TOPIC_OR_PART' });
    }
    return found.partitions.map((p) => ({ topic, partition: p.id }));
  });
}

/** The `offset` field that asks librdkafka for `spec`. */
function offsetTarget(what: string, spec: unknown): number {
  if (spec === 'earliest') return OFFSET_BEGINNING;
  if (spec === 'latest') return OFFSET_END;
  const timestamp = typeof spec === 'object' && spec !== null ? (spec as { timestamp?: unknown }).timestamp : undefined;
  if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) return timestamp;
  throw new InvalidArgumentError(`${what}: spec must be 'earliest', 'latest' or { timestamp } (ms since the epoch, an integer >= 0), got ${describe(spec)}`);
}

function sortOffsets<O extends { topic: string; partition: number }>(offsets: O[]): O[] {
  return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** A found offset: `null` for "none" (a negative offset). */
const found = (offset: number | undefined): number | null => (offset === undefined || offset < 0 ? null : offset);

/** The metadata, asked on the AdminClient's own connections (CKJS). */
function metadataCall(host: AdminHost, what: string, timeoutMs: number): Promise<NativeMetadata> {
  return sendOperation<NativeMetadata>(host, what, 'Metadata', timeoutMs, (ops, ms, cb) => ops.metadata(ms, cb));
}

/** See {@link AIOAdmin.listOffsets}. */
export async function listOffsets(host: AdminHost, topic: string, spec: OffsetSpec, timeoutMs: number): Promise<PartitionOffset[]> {
  const what = 'listOffsets';
  const target = offsetTarget(what, spec);
  if (host.native.operations === undefined) return listOffsetsBySession(host, what, topic, target, timeoutMs);
  requireApi(what, 'ListOffsets', host.sessions.apis);
  const deadline = Date.now() + timeoutMs;
  const partitions = partitionsOf(what, [topic], await metadataCall(host, what, timeoutMs));
  const left = remainingMs(deadline);
  const answers = await sendOperation<NativeListedOffset[]>(host, what, 'ListOffsets', left, (ops, ms, cb) =>
    ops.listOffsets(
      partitions.map((p) => ({ ...p, timestamp: target })),
      ms,
      cb,
    ),
  );
  throwFirstFailure(what, answers, (a) => `topic "${a.topic}" partition ${a.partition}`, left);
  const unanswered = answers.find((a) => a.offset === OFFSET_INVALID);
  if (unanswered !== undefined) {
    // CKJS answers "no offset" without an error when no leader could be asked (every broker down).
    throw new OperationTimeoutError(
      `${what}: no answer for topic "${topic}" partition ${unanswered.partition} within ${left} ms (librdkafka reached no leader for it)`,
      left,
    );
  }
  return sortOffsets(answers.map((a) => ({ topic: a.topic, partition: a.partition, offset: found(a.offset) }))).map(({ partition, offset }) => ({ partition, offset }));
}

async function listOffsetsBySession(host: AdminHost, what: string, topic: string, target: number, timeoutMs: number): Promise<PartitionOffset[]> {
  const group = typeof host.config['group.id'] === 'string' ? host.config['group.id'] : LOOKUP_GROUP;
  const config = { 'group.id': group, 'enable.auto.commit': false };
  return host.sessions.run(what, timeoutMs, (c) => host.factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
    requireApi(what, 'ListOffsets', apis);
    const deadline = Date.now() + remaining;
    const partitions = partitionsOf(what, [topic], await allTopics(what, client, remaining));
    const left = remainingMs(deadline);
    const answers = await guarded<NativePartitionOffsetList>(what, left, (cb) =>
      client.offsetsForTimes(
        partitions.map((p) => ({ ...p, offset: target })),
        nativeTimeoutMs(left),
        cb,
      ),
    );
    return sortOffsets(answers.map((a) => ({ topic: a.topic, partition: a.partition, offset: found(a.offset) }))).map(({ partition, offset }) => ({ partition, offset }));
  });
}

/** See {@link AIOAdmin.listConsumerGroupOffsets}. */
export async function listConsumerGroupOffsets(host: AdminHost, group: string, topics: readonly string[], timeoutMs: number): Promise<CommittedOffset[]> {
  const what = 'listConsumerGroupOffsets';
  if (typeof group !== 'string' || group === '') throw new InvalidArgumentError(`${what}: group must be a non-empty string, got ${describe(group)}`);
  const names = topicList(what, topics);
  if (host.native.operations === undefined) return committedBySession(host, what, group, names, timeoutMs);
  requireApi(what, 'OffsetFetch', host.sessions.apis);
  const deadline = Date.now() + timeoutMs;
  const partitions = partitionsOf(what, names, await metadataCall(host, what, timeoutMs));
  const left = remainingMs(deadline);
  const answers = await sendOperation<NativeGroupOffsets[]>(host, what, 'OffsetFetch', left, (ops, ms, cb) => ops.listConsumerGroupOffsets(group, partitions, ms, cb));
  throwFirstFailure(what, answers, (g) => `group "${g.groupId}"`, left);
  const offsets = answers.flatMap((g) => g.partitions);
  throwFirstFailure(what, offsets, (p) => `topic "${p.topic}" partition ${p.partition}`, left);
  return sortOffsets(offsets.map((p) => ({ topic: p.topic, partition: p.partition, offset: found(p.offset) })));
}

async function committedBySession(host: AdminHost, what: string, group: string, topics: string[], timeoutMs: number): Promise<CommittedOffset[]> {
  const config = { 'group.id': group, 'enable.auto.commit': false };
  return host.sessions.run(what, timeoutMs, (c) => host.factories.createOffsetsClient({ ...c, ...config }), async (client, remaining, apis) => {
    requireApi(what, 'OffsetFetch', apis);
    const deadline = Date.now() + remaining;
    const partitions = partitionsOf(what, topics, await allTopics(what, client, remaining));
    const left = remainingMs(deadline);
    const committed = await guarded<NativePartitionOffsetList>(what, left, (cb) => client.committed(partitions, nativeTimeoutMs(left), cb));
    return sortOffsets(committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: found(c.offset) })));
  });
}
