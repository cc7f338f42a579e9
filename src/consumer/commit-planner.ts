import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../core/topic-partition';

/**
 * The offsets received from one partition during one assignment, until the commit point passes
 * them.
 *
 * librdkafka delivers a partition's messages in offset order, so what one assignment received is
 * kept as runs: `[lo, hi]` means every offset that exists between lo and hi was received. One run
 * is the normal case. An offset below the run being extended that this assignment never received
 * means the fetch position moved back (a seek, or a re-fetch of offsets a stale batch jumped
 * over): it starts a new run and is accepted, never dropped, and the commit point stays below the
 * first offset that may be missing.
 */
class PartitionTrack {
  readonly topic: string;
  readonly partition: number;
  /** Offsets received and not yet behind the commit point, ascending from `#head`. */
  #window: number[] = [];
  #head = 0;
  /** Offsets in the window whose message is finished. */
  readonly #done = new Set<number>();
  /** Runs of received offsets, ascending and disjoint. */
  readonly #runs: Array<[number, number]> = [];
  /** The run the fetcher extends. */
  #current: [number, number] | undefined;
  /**
   * Offsets below this one are not ours to process: this member finished them in its previous
   * assignment of the partition, whose commit on revocation was refused. That commit is still
   * owed, so the start is the position until a message is received.
   */
  readonly #start: number | undefined;
  /** Whether offsets below `#start` are refused (a resume point), or `#start` is only where it begins (a seek). */
  readonly #floor: boolean;
  /** The "next offset" last confirmed committed for this assignment, if any. */
  committed: number | undefined;
  /** Sequence number of the last planned commit, and of the last confirmed one. */
  planned = 0;
  confirmed = 0;

  constructor(topic: string, partition: number, start: number | undefined, floor = true) {
    this.topic = topic;
    this.partition = partition;
    this.#start = start;
    this.#floor = floor;
  }

  /** Registers a received offset; false for one this assignment received already or below the start. */
  receive(offset: number): boolean {
    if (this.#floor && this.#start !== undefined && offset < this.#start) return false;
    const current = this.#current;
    const seen = this.#runs.findIndex(([lo, hi]) => offset >= lo && offset <= hi);
    if (seen >= 0) {
      // Received already. The fetcher moved from the run it extends into the next one: every
      // offset in between was received (or does not exist), so the two are one run now.
      const run = this.#runs[seen]!;
      if (current !== undefined && run !== current && this.#runs[seen - 1] === current && offset > current[1]) {
        current[1] = run[1];
        this.#runs.splice(seen, 1);
      }
      return false;
    }
    if (current !== undefined && offset > current[1]) {
      current[1] = offset;
      // Runs the fetcher has now passed (their offsets came again as re-fetches) merge into it.
      for (let i = this.#runs.indexOf(current) + 1; i < this.#runs.length && this.#runs[i]![0] <= offset; ) {
        this.#runs.splice(i, 1);
      }
    } else {
      const run: [number, number] = [offset, offset];
      let i = 0;
      while (i < this.#runs.length && this.#runs[i]![0] < offset) i++;
      this.#runs.splice(i, 0, run);
      this.#current = run;
    }
    this.#insert(offset);
    return true;
  }

  finish(offset: number): void {
    if (!this.#inWindow(offset)) return;
    this.#done.add(offset);
    // Move the commit point past every finished offset at the head.
    while (this.#head < this.#window.length && this.#done.has(this.#window[this.#head]!)) {
      this.#done.delete(this.#window[this.#head]!);
      this.#head++;
    }
    if (this.#head === this.#window.length) {
      this.#window = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#window.length) {
      this.#window = this.#window.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The offset to commit: the oldest unfinished one (everything received below it is finished),
   * never above the first offset that may not have been received; one past the highest received
   * when all are finished. When nothing was received: the assignment's start (where this member
   * finished before, owed a commit: on an idle partition nothing else would ever commit it), or
   * undefined.
   */
  get position(): number | undefined {
    const first = this.#runs[0];
    if (first === undefined) return this.#start;
    const gap = first[1] + 1;
    const head = this.#head < this.#window.length ? this.#window[this.#head]! : undefined;
    return head === undefined ? gap : Math.min(head, gap);
  }

  #inWindow(offset: number): boolean {
    const i = this.#search(offset);
    return i < this.#window.length && this.#window[i] === offset;
  }

  #insert(offset: number): void {
    const last = this.#window[this.#window.length - 1];
    if (this.#head === this.#window.length || last === undefined || offset > last) this.#window.push(offset);
    else this.#window.splice(this.#search(offset), 0, offset);
  }

  /** The index in the window of the first offset >= `offset`. */
  #search(offset: number): number {
    let lo = this.#head;
    let hi = this.#window.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#window[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Proof that an offset was received: hand it back to {@link CommitPlanner.finish}. */
export interface OffsetTicket {
  /** @internal the assignment it belongs to: a ticket of an earlier assignment is ignored. */
  readonly track: object;
  readonly offset: number;
}

/** A commit {@link CommitPlanner.plan} asks for: the offset, and the assignment it was planned for. */
export interface PlannedCommit extends TopicPartitionOffset {
  /** @internal the assignment it belongs to. */
  readonly track: object;
  /** @internal the order it was planned in, within its assignment. */
  readonly seq: number;
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
   * assignment resumes from because this member finished everything below it and its commit was
   * refused: anything received below it is refused, and it is the position (committed like
   * one) until a message is received.
   */
  assign(topic: string, partition: number, start?: number): void {
    this.#tracks.set(partitionKey(topic, partition), new PartitionTrack(topic, partition, start));
  }

  /**
   * Registers a received message. Returns its ticket, or undefined when the message must be
   * dropped: its partition is not assigned, this assignment received the offset already, or it
   * lies below the assignment's start. An offset below what was received and never received
   * itself (the fetch position moved back) is accepted.
   */
  receive(topic: string, partition: number, offset: number): OffsetTicket | undefined {
    const track = this.#tracks.get(partitionKey(topic, partition));
    if (track === undefined || !track.receive(offset)) return undefined;
    return { track, offset };
  }

  /**
   * The user moved the fetch position of an assigned partition to `offset`: its bookkeeping starts
   * over, as for a new assignment that begins at `offset`. Tickets from before are ignored (a
   * handler still running on an older message no longer counts), a commit planned before is
   * never marked committed for the new one, and `offset` is the position (committed like one)
   * until a message is received. Unlike a resume point, offsets below it are accepted: librdkafka
   * may reset an out-of-range position (`auto.offset.reset`) below it. Nothing happens for a
   * partition not tracked.
   */
  seek(topic: string, partition: number, offset: number): void {
    const key = partitionKey(topic, partition);
    if (this.#tracks.has(key)) this.#tracks.set(key, new PartitionTrack(topic, partition, offset, false));
  }

  /**
   * The offset that would be committed now for a tracked partition (see {@link CommitPlanner.plan}),
   * or undefined when it is not tracked or nothing is known yet.
   */
  position(topic: string, partition: number): number | undefined {
    return this.#tracks.get(partitionKey(topic, partition))?.position;
  }

  /** Marks a message finished. A ticket from a revoked assignment is ignored. */
  finish(topic: string, partition: number, ticket: OffsetTicket): void {
    const track = this.#tracks.get(partitionKey(topic, partition));
    if (track !== undefined && track === ticket.track) track.finish(ticket.offset);
  }

  /**
   * The commits to make now: for each tracked partition (or each of `only`) whose position
   * differs from its last confirmed commit, `{ topic, partition, offset }` with offset = next
   * offset to read, tagged with its assignment (see {@link CommitPlanner.markCommitted}).
   */
  plan(only?: readonly TopicPartition[]): PlannedCommit[] {
    const tracks =
      only === undefined
        ? [...this.#tracks.values()]
        : only.flatMap((tp) => this.#tracks.get(partitionKey(tp.topic, tp.partition)) ?? []);
    const commits: PlannedCommit[] = [];
    for (const track of tracks) {
      const offset = track.position;
      if (offset !== undefined && offset !== track.committed) {
        // The tags are not enumerable: a planned commit reads (and compares) as a plain offset.
        commits.push(
          Object.defineProperties(
            { topic: track.topic, partition: track.partition, offset },
            { track: { value: track }, seq: { value: ++track.planned } },
          ) as PlannedCommit,
        );
      }
    }
    return commits;
  }

  /**
   * Records that `commits` succeeded, so the same positions are not committed again. A commit
   * planned for an earlier assignment of the partition, or confirmed after a later one of the
   * same assignment, changes nothing.
   */
  markCommitted(commits: readonly PlannedCommit[]): void {
    for (const commit of commits) {
      const track = this.#tracks.get(partitionKey(commit.topic, commit.partition));
      if (track === undefined || track !== commit.track || commit.seq <= track.confirmed) continue;
      track.confirmed = commit.seq;
      track.committed = commit.offset;
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

}
