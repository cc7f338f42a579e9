import { Fifo } from '../fifo';

/** A topic partition and an offset: for commits, "the next offset to read". */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A topic partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `topic` + partition as one Map key. Topic names cannot contain `\0`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/**
 * The offsets received from one partition during one assignment, in order, until the commit
 * point passes them.
 */
class PartitionTrack {
  readonly topic: string;
  readonly partition: number;
  /** Offsets received and not yet behind the commit point, oldest first. */
  readonly #window = new Fifo<number>();
  /** Offsets in the window whose message is finished. */
  readonly #done = new Set<number>();
  /** The highest offset received, -1 before the first. */
  #highest = -1;
  /** Offsets below this one are not ours to process (they were finished in an earlier assignment). */
  readonly #start: number | undefined;
  /** The "next offset" last committed (or known committed), if any. */
  committed: number | undefined;

  constructor(topic: string, partition: number, start: number | undefined) {
    this.topic = topic;
    this.partition = partition;
    this.#start = start;
  }

  /** Registers a received offset; false for one at or below what was already received. */
  receive(offset: number): boolean {
    if (offset <= this.#highest) return false;
    if (this.#start !== undefined && offset < this.#start) return false;
    this.#highest = offset;
    this.#window.push(offset);
    return true;
  }

  finish(offset: number): void {
    this.#done.add(offset);
    // Move the commit point past every finished offset at the head.
    for (let head = this.#window.peek(); head !== undefined && this.#done.has(head); head = this.#window.peek()) {
      this.#window.shift();
      this.#done.delete(head);
    }
  }

  /** Offsets received and not yet finished. */
  get outstanding(): number {
    return this.#window.length - this.#done.size;
  }

  /**
   * The offset to commit: the oldest unfinished one (everything below it is finished), or one past
   * the highest received when all are finished; undefined when nothing was ever received and no
   * start is known.
   */
  get position(): number | undefined {
    const head = this.#window.peek();
    if (head !== undefined) return head;
    if (this.#highest >= 0) return this.#highest + 1;
    return this.#start;
  }
}

/** Proof that an offset was received: hand it back to {@link CommitPlanner.finish}. */
export interface OffsetTicket {
  /** @internal the assignment it belongs to: a ticket of an earlier assignment is ignored. */
  readonly track: object;
  readonly offset: number;
}

/**
 * Decides which offsets may be committed: per partition, the highest offset below which every
 * received message is finished, as Kafka's "next offset to read" (last finished + 1). A message
 * that never finishes (still running, failed, abandoned) holds the commit point of its partition
 * below it, so no gap is ever committed. Offsets need not be contiguous (compaction and
 * transaction markers leave holes): only offsets actually received count.
 *
 * Pure bookkeeping: no I/O, no timers.
 */
export class CommitPlanner {
  readonly #tracks = new Map<string, PartitionTrack>();

  /**
   * Starts tracking a partition (a new assignment). `start`, when known, is the offset the
   * assignment resumes from: it becomes the commit position until something is received, and
   * anything received below it is refused.
   */
  assign(topic: string, partition: number, start?: number): void {
    this.#tracks.set(partitionKey(topic, partition), new PartitionTrack(topic, partition, start));
  }

  /** Whether `topic`/`partition` is tracked (assigned). */
  has(topic: string, partition: number): boolean {
    return this.#tracks.has(partitionKey(topic, partition));
  }

  /**
   * Registers a received message. Returns its ticket, or undefined when the message must be
   * dropped: its partition is not assigned, or the offset was received already (a re-fetch after a
   * rebalance) or lies below the assignment's start.
   */
  receive(topic: string, partition: number, offset: number): OffsetTicket | undefined {
    const track = this.#tracks.get(partitionKey(topic, partition));
    if (track === undefined || !track.receive(offset)) return undefined;
    return { track, offset };
  }

  /** Marks a message finished. A ticket from a revoked assignment is ignored. */
  finish(topic: string, partition: number, ticket: OffsetTicket): void {
    const track = this.#tracks.get(partitionKey(topic, partition));
    if (track !== undefined && track === ticket.track) track.finish(ticket.offset);
  }

  /** Messages received and not finished, over every tracked partition (or one). */
  outstanding(topic?: string, partition?: number): number {
    if (topic !== undefined && partition !== undefined) {
      return this.#tracks.get(partitionKey(topic, partition))?.outstanding ?? 0;
    }
    let total = 0;
    for (const track of this.#tracks.values()) total += track.outstanding;
    return total;
  }

  /**
   * The commits to make now: for each tracked partition (or each of `only`) whose position moved
   * since its last commit, `{ topic, partition, offset }` with offset = next offset to read.
   */
  plan(only?: readonly TopicPartition[]): TopicPartitionOffset[] {
    const tracks =
      only === undefined
        ? [...this.#tracks.values()]
        : only.flatMap((tp) => this.#tracks.get(partitionKey(tp.topic, tp.partition)) ?? []);
    const commits: TopicPartitionOffset[] = [];
    for (const track of tracks) {
      const offset = track.position;
      if (offset !== undefined && offset !== track.committed) {
        commits.push({ topic: track.topic, partition: track.partition, offset });
      }
    }
    return commits;
  }

  /** Records that `commits` succeeded, so the same positions are not committed again. */
  markCommitted(commits: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of commits) {
      const track = this.#tracks.get(partitionKey(topic, partition));
      // An older commit confirmed late must not hide a newer position.
      if (track !== undefined && (track.committed === undefined || offset > track.committed)) track.committed = offset;
    }
  }

  /**
   * Stops tracking a partition (revoked). Returns its final position (the offset a successor
   * should resume from), or undefined if none is known. Tickets of this assignment are ignored
   * from now on.
   */
  revoke(topic: string, partition: number): number | undefined {
    const key = partitionKey(topic, partition);
    const track = this.#tracks.get(key);
    this.#tracks.delete(key);
    return track?.position;
  }

  /** The tracked partitions. */
  partitions(): TopicPartition[] {
    return [...this.#tracks.values()].map(({ topic, partition }) => ({ topic, partition }));
  }
}
