import { callWithDeadline, LIBRDKAFKA_GRACE_MS } from '../core/timeouts';
import type { TopicPartition } from '../core/topic-partition';
import type { NativeConsumer } from '../native/consumer';
import { fromLibrdkafka } from '../native/errors';
import type { CommitPlanner } from './commit-planner';

/** librdkafka's "no offset" (`RD_KAFKA_OFFSET_INVALID`). */
const OFFSET_INVALID = -1001;

/** How far one assigned partition is behind, as {@link AIOConsumer.lag} measured it. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The partition's high watermark: the offset the next produced message gets. */
  highWatermark: number;
  /** The partition's low watermark: its oldest offset still stored. */
  lowWatermark: number;
  /** The group's committed offset ("next to read"), as the coordinator answered; undefined when none. */
  committed: number | undefined;
  /**
   * This member's finished position: the offset below which every message it received in this
   * assignment is finished, i.e. what the next commit would commit; undefined when it has received
   * nothing yet (and no resume point or seek set one).
   */
  position: number | undefined;
  /**
   * Messages not yet finished: `highWatermark` minus `position`, or minus `committed` when no
   * position is known, or minus `lowWatermark` when neither is (everything stored is still to
   * read); never below 0.
   */
  lag: number;
}

/**
 * Measures the lag of `partitions`: the watermarks asked of each partition's leader
 * (`queryWatermarkOffsets`, one ListOffsets round trip each, all at once), the group's committed
 * offsets asked of the coordinator (one OffsetFetch), and the finished position from `planner`.
 * Each call is bounded by `timeoutMs`; the first failure rejects.
 */
export async function measureLag(
  native: NativeConsumer,
  planner: CommitPlanner,
  partitions: TopicPartition[],
  timeoutMs: number,
): Promise<PartitionLag[]> {
  if (partitions.length === 0) return [];
  const nativeMs = Math.max(10, Math.min(Math.ceil(timeoutMs), 2 ** 31 - 1));
  const mapError = (err: Error): Error => fromLibrdkafka(err, { kind: 'client' });
  const [committed, ...watermarks] = await Promise.all([
    callWithDeadline<Array<{ topic: string; partition: number; offset: number }>>(
      'lag: committed offsets',
      timeoutMs,
      (done) => native.committed(partitions, nativeMs, (err, offsets) => done(err, offsets)),
      { graceMs: LIBRDKAFKA_GRACE_MS, mapError },
    ),
    ...partitions.map(({ topic, partition }) =>
      callWithDeadline<{ lowOffset: number; highOffset: number }>(
        `lag: watermarks of partition ${partition} of "${topic}"`,
        timeoutMs,
        (done) => native.queryWatermarkOffsets(topic, partition, nativeMs, (err, offsets) => done(err, offsets)),
        { graceMs: LIBRDKAFKA_GRACE_MS, mapError },
      ),
    ),
  ]);
  return partitions.map(({ topic, partition }, i) => {
    const { lowOffset, highOffset } = watermarks[i]!;
    const found = committed.find((c) => c.topic === topic && c.partition === partition)?.offset;
    const groupOffset = found === undefined || found === OFFSET_INVALID || found < 0 ? undefined : found;
    const position = planner.position(topic, partition);
    const from = position ?? groupOffset ?? lowOffset;
    return {
      topic,
      partition,
      highWatermark: highOffset,
      lowWatermark: lowOffset,
      committed: groupOffset,
      position,
      lag: Math.max(0, highOffset - from),
    };
  });
}
