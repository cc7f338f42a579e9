/*
 * The topic operations only CKJS's AdminClient has: describeTopics and deleteRecords. On
 * node-rdkafka each is refused at once (native/admin-operations.ts).
 */
import { InvalidArgumentError } from '../core/errors';
import { checkTopic, describe } from '../core/validation';
import type { NativeDeletedRecords, NativeNode, NativeTopicDescription } from '../native/admin-operations';
import { sendOperation, throwFirstFailure, type AdminHost } from './operations';
import type { DeletedRecords, RecordsToDelete, TopicInfo } from './types';

/** librdkafka's "the end of the partition" in a DeleteRecords request: everything is deleted. */
const OFFSET_END = -1;

/** A non-empty list of legal topic names, without repeats. */
export function topicList(what: string, topics: unknown): string[] {
  if (!Array.isArray(topics) || topics.length === 0) throw new InvalidArgumentError(`${what}: topics must be a non-empty array of topic names, got ${describe(topics)}`);
  for (const topic of topics) checkTopic(topic, `${what}: topic name`);
  return [...new Set(topics as string[])];
}

/** See {@link AIOAdmin.describeTopics}. */
export async function describeTopics(host: AdminHost, topics: readonly string[], timeoutMs: number): Promise<TopicInfo[]> {
  const what = 'describeTopics';
  const names = topicList(what, topics);
  const found = await sendOperation<NativeTopicDescription[]>(host, what, 'Metadata', timeoutMs, (ops, ms, cb) => ops.describeTopics(names, ms, cb));
  throwFirstFailure(what, found, (t) => `topic "${t.name}"`, timeoutMs);
  const ids = (nodes: readonly NativeNode[] | undefined): number[] => (nodes ?? []).map((n) => n.id);
  return found.map((t) => ({
    name: t.name,
    topicId: t.topicId?.base64,
    isInternal: t.isInternal,
    partitions: t.partitions
      .map((p) => ({ partition: p.partition, leader: p.leader?.id ?? null, replicas: ids(p.replicas), isr: ids(p.isr) }))
      .sort((a, b) => a.partition - b.partition),
  }));
}

/** See {@link AIOAdmin.deleteRecords}. */
export async function deleteRecords(host: AdminHost, topic: string, partitions: readonly RecordsToDelete[], timeoutMs: number): Promise<DeletedRecords[]> {
  const what = 'deleteRecords';
  checkTopic(topic, `${what}: topic name`);
  if (!Array.isArray(partitions) || partitions.length === 0) {
    throw new InvalidArgumentError(`${what}: partitions must be a non-empty array of { partition, offset }, got ${describe(partitions)}`);
  }
  const seen = new Set<number>();
  const offsets = partitions.map((p: unknown, i) => {
    const { partition, offset } = (typeof p === 'object' && p !== null ? p : {}) as Partial<RecordsToDelete>;
    if (!Number.isInteger(partition) || (partition as number) < 0 || seen.has(partition as number)) {
      throw new InvalidArgumentError(`${what}: partitions[${i}].partition must be an integer >= 0, each once, got ${describe(partition)}`);
    }
    seen.add(partition as number);
    if (offset !== 'end' && !(Number.isSafeInteger(offset) && (offset as number) >= 0)) {
      throw new InvalidArgumentError(`${what}: partitions[${i}].offset must be an integer >= 0 or 'end', got ${describe(offset)}`);
    }
    return { topic, partition: partition as number, offset: offset === 'end' ? OFFSET_END : (offset as number) };
  });
  const deleted = await sendOperation<NativeDeletedRecords[]>(host, what, 'DeleteRecords', timeoutMs, (ops, ms, cb) => ops.deleteRecords(offsets, ms, cb));
  throwFirstFailure(what, deleted, (d) => `topic "${d.topic}" partition ${d.partition}`, timeoutMs);
  return deleted.map((d) => ({ partition: d.partition, lowWatermark: d.lowWatermark })).sort((a, b) => a.partition - b.partition);
}
