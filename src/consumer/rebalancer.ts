import type { ClientEvents } from '../core/client-events';
import { ConsumerClosedError, InvalidStateError } from '../core/errors';
import { Serial } from '../core/serial';
import { callWithDeadline, LIBRDKAFKA_GRACE_MS, settlesWithin } from '../core/timeouts';
import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../core/topic-partition';
import type { NativeConsumer } from '../native/consumer';
import { fromLibrdkafka } from '../native/errors';
import { nativeCall, type Pauses } from './pauses';
import type { CommitPlanner } from './commit-planner';
import type { Committer } from './committer';
import type { ConsumeLoop } from './consume-loop';
import { consumerChannels } from './tracing';

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
/** How long a seek waits for librdkafka's fetcher to take the new position, in ms. */
export const SEEK_TIMEOUT_MS = 10_000;

/** What a {@link Rebalancer} works with. */
export interface RebalancerParts {
  readonly native: NativeConsumer;
  readonly events: ClientEvents;
  readonly planner: CommitPlanner;
  readonly committer: Committer;
  readonly loop: ConsumeLoop;
  readonly pauses: Pauses;
  /** How long a revocation waits for the running handlers of its partitions, in ms. */
  readonly revokeTimeoutMs: number;
  /**
   * Drops the waiting messages of the partitions `keys` (uncommitted: the next owner reads them)
   * and returns when their running handlers settle.
   */
  release(keys: ReadonlySet<string>): Promise<unknown>[];
  /** Whether a revocation waits for running handlers (not once close has begun). */
  waitsForHandlers(): boolean;
  /** After a revocation or a seek: hand out what is left. */
  revoked(): void;
}

/**
 * librdkafka's rebalance callback, as steps run one after another in the order librdkafka asked
 * for them. An assign starts tracking the partitions; a revoke drops their waiting messages,
 * waits (bounded) for their running handlers, commits their finished offsets, lets the consume
 * call in flight return, then unassigns them. librdkafka holds the rebalance until each step
 * has (un)assigned.
 */
export class Rebalancer {
  readonly #parts: RebalancerParts;
  /** Partitions whose revocation is under way: their messages are dropped on arrival. */
  readonly #revoking = new Set<string>();
  /**
   * Where a partition revoked in the last (eager) step resumes if the very next step gives it
   * straight back: set only when the commit on revocation failed.
   */
  #resumeAt = new Map<string, number>();
  #assignment: TopicPartition[] = [];
  /** The steps, one at a time in the order librdkafka asked for them (seeks in line with them). */
  readonly #steps = new Serial();
  /** Set while librdkafka closes: a revoke then just releases the partitions. */
  disconnecting = false;

  constructor(parts: RebalancerParts) {
    this.#parts = parts;
  }

  /** The partitions assigned now (a copy). */
  get assignment(): TopicPartition[] {
    return this.#assignment.map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Whether steps were asked for and are not finished. */
  get busy(): boolean {
    return this.#steps.size > 0;
  }

  /** Resolves once the steps asked for so far have run. */
  idle(): Promise<void> {
    return this.#steps.idle();
  }

  /** Whether messages of partition `pkey` are being revoked (and so dropped on arrival). */
  revoking(pkey: string): boolean {
    return this.#revoking.has(pkey);
  }

  /**
   * Moves the fetch position of an assigned partition to `offset`, as a step in line with the
   * rebalance steps (so it never interleaves with a revocation). Holds the consume loop, so that
   * nothing fetched from the old position arrives after the seek; once librdkafka has taken the
   * position, drops the partition's waiting messages and restarts its commit bookkeeping at
   * `offset` (see {@link CommitPlanner.seek}). Running handlers of the partition are not waited
   * for: their outcome no longer counts. When librdkafka refuses the seek, nothing changed.
   *
   * @throws (rejects) {@link InvalidStateError} when the partition is not assigned (when the step
   *   runs), {@link ConsumerClosedError} once the consumer disconnects, the librdkafka error or
   *   {@link OperationTimeoutError} when the seek failed.
   */
  seek(target: TopicPartitionOffset): Promise<void> {
    return this.#steps.run(() => this.#seek(target));
  }

  async #seek({ topic, partition, offset }: TopicPartitionOffset): Promise<void> {
    const { native, planner, loop } = this.#parts;
    const key = partitionKey(topic, partition);
    if (this.disconnecting) throw new ConsumerClosedError('seek: the consumer is closed');
    if (!this.#assignment.some((tp) => partitionKey(tp.topic, tp.partition) === key)) {
      throw new InvalidStateError(`seek: partition ${partition} of topic "${topic}" is not assigned to this member`);
    }
    // Messages the call in flight fetched from the old position are taken in as usual: if the
    // seek is refused they are still this assignment's.
    await loop.hold();
    try {
      await callWithDeadline<void>(
        'seek',
        SEEK_TIMEOUT_MS,
        (done) => native.seek({ topic, partition, offset }, SEEK_TIMEOUT_MS, (err) => done(err, undefined)),
        { graceMs: LIBRDKAFKA_GRACE_MS, mapError: (err) => fromLibrdkafka(err, { kind: 'client' }) },
      );
      // Taken: what waits from the old position is dropped, and the commit point starts over.
      // A handler still running on the old position is not waited for: its offset belongs to
      // the old track, which no longer counts, and its promise stays in the running set that
      // close() waits on. Nothing is lost by dropping this copy of it.
      void this.#parts.release(new Set([key]));
      planner.seek(topic, partition, offset);
    } finally {
      loop.release();
    }
    this.#parts.revoked();
  }

  /** The rebalance callback: queues the step librdkafka asks for. */
  onRebalance(err: { code: number; message?: string } | undefined, partitions: TopicPartition[]): void {
    const code = err?.code;
    const list = (partitions ?? []).map(({ topic, partition }) => ({ topic, partition }));
    void this.#steps.run(async () => {
      // A resume point counts for the step right after the revocation that set it, no later.
      const resumeAt = this.#resumeAt;
      this.#resumeAt = new Map();
      const type = code === ERR_ASSIGN_PARTITIONS ? 'assign' : code === ERR_REVOKE_PARTITIONS ? 'revoke' : 'failed';
      try {
        await consumerChannels.rebalance.trace(
          () => ({ type, partitions: list.map(({ topic, partition }) => ({ topic, partition })) }),
          async () => {
            if (type === 'assign') this.#assign(list, resumeAt);
            else if (type === 'revoke') await this.#revoke(list, true);
            else {
              this.#parts.events.error(err, 'rebalance failed; releasing the assignment');
              await this.#revoke(this.assignment, false);
            }
          },
        );
      } catch (e) {
        this.#parts.events.error(e, 'rebalance step failed');
      }
    });
  }

  #cooperative(): boolean {
    try {
      return this.#parts.native.rebalanceProtocol() === 'COOPERATIVE';
    } catch {
      return false;
    }
  }

  #assign(partitions: TopicPartition[], resumeAt: ReadonlyMap<string, number>): void {
    const { native, events, planner, pauses } = this.#parts;
    const cooperative = this.#cooperative();
    const withOffsets = partitions.map(({ topic, partition }) => {
      // An eager assign right after a revocation whose commit failed: a partition given straight
      // back resumes where this member finished rather than at the older committed offset.
      const start = cooperative ? undefined : resumeAt.get(partitionKey(topic, partition));
      planner.assign(topic, partition, start);
      return start === undefined ? { topic, partition } : { topic, partition, offset: start };
    });
    this.#assignment = cooperative ? [...this.#assignment, ...partitions] : partitions;
    nativeCall(events, 'assign', () => (cooperative ? native.incrementalAssign(withOffsets) : native.assign(withOffsets)));
    pauses.assigned(partitions);
    events.emit('rebalance', { type: 'assign', partitions });
  }

  /**
   * Releases `partitions`. `revoked`: librdkafka asked for it (false: a failed rebalance, where
   * the assignment may have been lost and the position is no resume point).
   */
  async #revoke(partitions: TopicPartition[], revoked: boolean): Promise<void> {
    const { native, events, planner, committer, loop } = this.#parts;
    const keys = new Set(partitions.map(({ topic, partition }) => partitionKey(topic, partition)));
    const cooperative = this.#cooperative();
    let held = false;
    let commitFailed = false;
    try {
      if (!this.disconnecting) {
        for (const key of keys) this.#revoking.add(key);
        const running = this.#parts.release(keys);
        if (running.length > 0 && this.#parts.waitsForHandlers()) {
          await settlesWithin(Promise.all(running), this.#parts.revokeTimeoutMs);
        }
        const err = await committer.commit(planner.plan(partitions), 'commit on revocation');
        if (err !== undefined) {
          commitFailed = true;
          events.error(err, 'commit on revocation failed');
        }
        // One native consume() may still be running, holding messages fetched before this
        // revocation: let it return while #revoking drops them. Left to a later call, they would
        // land in the partition's next assignment ahead of the offsets librdkafka fetches again.
        held = true;
        await loop.hold();
      }
      for (const { topic, partition } of partitions) {
        const position = planner.revoke(topic, partition);
        if (position !== undefined && commitFailed && revoked && !cooperative) {
          this.#resumeAt.set(partitionKey(topic, partition), position);
        }
      }
      this.#assignment = this.#assignment.filter(({ topic, partition }) => !keys.has(partitionKey(topic, partition)));
      const report = !this.disconnecting;
      // Under the cooperative protocol unassign() would drop partitions this member keeps.
      if (cooperative) nativeCall(events, 'unassign', () => native.incrementalUnassign(partitions), report);
      else nativeCall(events, 'unassign', () => native.unassign(), report);
    } finally {
      for (const key of keys) this.#revoking.delete(key);
      if (held) loop.release();
    }
    events.emit('rebalance', { type: 'revoke', partitions });
    this.#parts.revoked();
  }
}
