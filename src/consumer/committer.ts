import type { ClientEvents } from '../core/client-events';
import { ConsumerClosedError, OperationTimeoutError, type AIOKafkaError } from '../core/errors';
import { startTimer } from '../core/timeouts';
import { partitionKey, type TopicPartitionOffset } from '../core/topic-partition';
import type { NativeConsumer } from '../native/consumer';
import { fromLibrdkafka } from '../native/errors';
import type { CommitPlanner, PlannedCommit } from './commit-planner';
import { consumerChannels, type CommitTrace } from './tracing';

/** How long a commit waits for the coordinator's answer, in ms. */
export const COMMIT_TIMEOUT_MS = 10_000;

/** A commit sent and waiting for its `offset.commit` answer. */
interface PendingCommit {
  readonly offsets: PlannedCommit[];
  readonly settle: (err: AIOKafkaError | undefined) => void;
  /** Settles with the commit (never rejects). */
  readonly settled: Promise<AIOKafkaError | undefined>;
}

/** How a {@link Committer} runs. */
export interface CommitterOptions {
  /** Whether the consume loop polls: commit answers arrive only then. */
  polling(): boolean;
  /** Period of the background commit, in ms; above 2^31-1 (`Infinity`): none. */
  intervalMs: number;
}

/**
 * Sends commits asynchronously (never `commitSync`, which would block the event loop for a round
 * trip, unbounded during an outage) and matches librdkafka's answers, which come as
 * `offset.commit` while the loop polls. Each commit waits for its answer at most
 * {@link COMMIT_TIMEOUT_MS}. Also runs the periodic commit of finished offsets.
 */
export class Committer {
  readonly #native: NativeConsumer;
  readonly #planner: CommitPlanner;
  readonly #events: ClientEvents;
  readonly #options: CommitterOptions;
  readonly #pending = new Set<PendingCommit>();
  #timer: NodeJS.Timeout | undefined;
  #periodic = false;

  constructor(native: NativeConsumer, planner: CommitPlanner, events: ClientEvents, options: CommitterOptions) {
    this.#native = native;
    this.#planner = planner;
    this.#events = events;
    this.#options = options;
    native.on('offset.commit', (err, offsets) => this.#onCommitted(err, offsets));
  }

  /** The commits waiting for their answer, as Promises that settle with them (never reject). */
  get pending(): Promise<unknown>[] {
    return [...this.#pending].map((pending) => pending.settled);
  }

  /**
   * Commits `offsets` and waits (bounded) for librdkafka's answer. Resolves with the failure,
   * never rejects. While the loop does not poll no answer can come: the commit is sent, not
   * waited for, reported as unconfirmed, and resolves undefined.
   */
  commit(offsets: PlannedCommit[], what: string): Promise<AIOKafkaError | undefined> {
    if (offsets.length === 0) return Promise.resolve(undefined);
    if (!consumerChannels.commit.active) return this.#commit(offsets, what);
    const trace: CommitTrace = { reason: what, offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })) };
    consumerChannels.commit.start(trace);
    const settled = this.#commit(offsets, what);
    consumerChannels.commit.end(trace);
    void settled.then((err) => consumerChannels.commit.settle(trace, err));
    return settled;
  }

  #commit(offsets: PlannedCommit[], what: string): Promise<AIOKafkaError | undefined> {
    const native: TopicPartitionOffset[] = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    if (!this.#options.polling()) {
      try {
        this.#native.commit(native);
      } catch (err) {
        return Promise.resolve(fromLibrdkafka(err, { kind: 'client' }));
      }
      this.#events.warn(`${what}: sent while nothing polls, so no answer can come; unconfirmed`, 'AIO_COMMIT_UNCONFIRMED', JSON.stringify(native));
      return Promise.resolve(undefined);
    }
    let settle!: (err: AIOKafkaError | undefined) => void;
    const settled = new Promise<AIOKafkaError | undefined>((resolve) => (settle = resolve));
    const timer = startTimer(
      () => {
        this.#pending.delete(pending);
        settle(new OperationTimeoutError(`${what}: no answer from the group coordinator within ${COMMIT_TIMEOUT_MS} ms`, COMMIT_TIMEOUT_MS));
      },
      COMMIT_TIMEOUT_MS,
      true,
    );
    const pending: PendingCommit = {
      offsets,
      settled,
      settle: (err) => {
        if (timer !== undefined) clearTimeout(timer);
        this.#pending.delete(pending);
        // Tagged with their assignment: a late answer cannot mark a newer one committed.
        if (err === undefined) this.#planner.markCommitted(offsets);
        settle(err);
      },
    };
    this.#pending.add(pending);
    try {
      this.#native.commit(native);
    } catch (err) {
      pending.settle(fromLibrdkafka(err, { kind: 'client' }));
    }
    return settled;
  }

  /** Starts the periodic commit of finished offsets (none when the interval is no limit). */
  startPeriodic(): void {
    this.#periodic = true;
    this.#schedule();
  }

  /** Stops the periodic commit; leaves no timer. */
  stopPeriodic(): void {
    this.#periodic = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Settles the commits still waiting with {@link ConsumerClosedError}: no answer comes any more. */
  closed(): void {
    for (const pending of [...this.#pending]) pending.settle(new ConsumerClosedError('commit: the consumer closed before the answer came'));
  }

  #schedule(): void {
    if (!this.#periodic) return;
    this.#timer = startTimer(
      () => {
        this.#timer = undefined;
        const commits = this.#planner.plan();
        if (commits.length > 0) {
          void this.commit(commits, 'periodic commit').then((err) => {
            // Answered by close (ConsumerClosedError): no failure of the commit's own.
            if (err !== undefined && !(err instanceof ConsumerClosedError)) this.#events.error(err, 'periodic commit failed');
          });
        }
        this.#schedule();
      },
      this.#options.intervalMs,
      true,
    );
  }

  /** librdkafka's answer to a commit: settles the pending commits it covers. */
  #onCommitted(err: Error | null | undefined, offsets: TopicPartitionOffset[] | undefined): void {
    const answered = new Set((offsets ?? []).map((o) => `${partitionKey(o.topic, o.partition)}\0${o.offset}`));
    const typed = err ? fromLibrdkafka(err, { kind: 'client' }) : undefined;
    for (const pending of [...this.#pending]) {
      if (pending.offsets.every((o) => answered.has(`${partitionKey(o.topic, o.partition)}\0${o.offset}`))) {
        pending.settle(typed);
      }
    }
  }
}
