import { EventEmitter } from 'node:events';
import type { TopicPartition, TopicPartitionOffset } from '../../src/core/topic-partition';
import type {
  NativeConsumer,
  NativeConsumerMessage,
  NativeRebalanceCallback,
} from '../../src/native/consumer';
import type { LibrdkafkaConfig } from '../../src/native/config';

export const ASSIGN = -175;
export const REVOKE = -174;

/** A consume() call that has not returned yet. */
export interface PendingConsume {
  readonly count: number;
  /** Returns the call with `messages` (after delivering the commit answers that came meanwhile). */
  answer(messages: NativeConsumerMessage[]): void;
}

/**
 * A fake of the part of node-rdkafka's KafkaConsumer that AIOConsumer uses. Like librdkafka it
 * answers asynchronous commits only while a consume() call runs: the answers are emitted as
 * `offset.commit` just before the call returns. Like node-rdkafka it calls back asynchronously:
 * consume callbacks, rebalances and commit answers are dispatched on a later macrotask
 * (setImmediate), never inside the call that caused them. Meant for jest fake timers: drive it
 * with {@link until} and {@link drive}.
 *
 * `auto` mode: each consume() returns after 1 ms with what `queue` holds. Manual mode:
 * each call waits in `pending` until the test answers it.
 */
export class FakeNativeConsumer extends EventEmitter implements NativeConsumer {
  config: LibrdkafkaConfig = {};
  protocol: 'EAGER' | 'COOPERATIVE' = 'EAGER';
  auto = true;
  /** What the next auto consume() calls return. */
  readonly queue: NativeConsumerMessage[] = [];
  /** Manual mode: the call in flight. */
  pending: PendingConsume | undefined;
  consumeCalls = 0;
  /** Commits in call order (async and sync), offsets copied. */
  readonly commits: TopicPartitionOffset[][] = [];
  /** Every assign / unassign / pause / resume / commit, in order. */
  readonly log: Array<[string, unknown?]> = [];
  /** Answer of the next async commits (null: success). */
  commitError: Error | null = null;
  /** While true, answers to new async commits are kept back until `releaseCommitAnswers()`. */
  holdCommitAnswers = false;
  /** While true, connect() does not answer until `answerConnect()`. */
  holdConnect = false;
  /** Watermarks `queryWatermarkOffsets` answers, by `topic:partition` (default low 0, high 0). */
  readonly watermarks = new Map<string, { lowOffset: number; highOffset: number }>();
  /** Committed offsets `committed()` answers, by `topic:partition` (default -1001: none). */
  readonly committedOffsets = new Map<string, number>();
  /** The error the next seek() answers with (null: success). */
  seekError: Error | null = null;
  /** While true, seek() does not answer until `answerSeek()`. */
  holdSeek = false;
  connected = false;
  #seekCb: ((err?: Error | null) => void) | undefined;
  /** Throws from incrementalUnassign when set. */
  incrementalUnassignError: Error | undefined;
  readonly #answers: Array<[Error | null, TopicPartitionOffset[]]> = [];
  readonly #heldAnswers: Array<[Error | null, TopicPartitionOffset[]]> = [];
  #inFlight = 0;
  #connectCb: ((err: Error | null) => void) | undefined;

  /** The factory to pass as `createNative`. */
  readonly factory = (config: LibrdkafkaConfig): NativeConsumer => {
    this.config = config;
    return this;
  };

  /** Calls the consumer's rebalance callback, as node-rdkafka does: later, on the main thread. */
  rebalance(code: number, partitions: TopicPartition[]): void {
    setImmediate(() => (this.config.rebalance_cb as NativeRebalanceCallback)({ code }, partitions));
  }

  /** A message of partition `partition` at `offset`. */
  static message(partition: number, offset: number, key: string | null = null, topic = 't'): NativeConsumerMessage {
    return {
      topic,
      partition,
      offset,
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(`${partition}@${offset}`),
      size: 1,
      timestamp: 1,
    };
  }

  /** Whether a consume() call is running now. */
  get consuming(): boolean {
    return this.#inFlight > 0;
  }

  connect(_options: { timeout?: number }, cb: (err: Error | null) => void): void {
    const done = (err: Error | null): void => {
      this.connected = err === null;
      cb(err);
    };
    if (this.holdConnect) this.#connectCb = done;
    else setImmediate(() => done(null));
  }

  isConnected(): boolean {
    return this.connected;
  }

  seek(toppar: TopicPartitionOffset, _timeoutMs: number, cb: (err?: Error | null) => void): void {
    this.log.push(['seek', { ...toppar }]);
    if (this.consuming) throw new Error('fake: seek() while a consume() call is in flight');
    if (this.holdSeek) this.#seekCb = cb;
    else {
      const err = this.seekError;
      setImmediate(() => cb(err));
    }
  }

  /** Answers the seek() kept back by `holdSeek`. */
  answerSeek(err: Error | null = null): void {
    const cb = this.#seekCb;
    this.#seekCb = undefined;
    if (cb !== undefined) setImmediate(() => cb(err));
  }

  queryWatermarkOffsets(
    topic: string,
    partition: number,
    _timeoutMs: number,
    cb: (err: Error | null, offsets: { lowOffset: number; highOffset: number }) => void,
  ): void {
    const offsets = this.watermarks.get(`${topic}:${partition}`) ?? { lowOffset: 0, highOffset: 0 };
    setImmediate(() => cb(null, { ...offsets }));
  }

  committed(toppars: TopicPartition[], _timeoutMs: number, cb: (err: Error | null, offsets: TopicPartitionOffset[]) => void): void {
    const offsets = toppars.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: this.committedOffsets.get(`${topic}:${partition}`) ?? -1001,
    }));
    setImmediate(() => cb(null, offsets));
  }

  /** Answers the connect() kept back by `holdConnect`. */
  answerConnect(err: Error | null = null): void {
    const cb = this.#connectCb;
    this.#connectCb = undefined;
    if (cb !== undefined) setImmediate(() => cb(err));
  }

  disconnect(cb: (err?: Error | null) => void): void {
    this.log.push(['disconnect']);
    this.connected = false;
    setImmediate(() => cb(null));
  }

  subscribe(): void {}
  setDefaultConsumeTimeout(): void {}

  consume(count: number, cb: (err: Error | null, messages: NativeConsumerMessage[]) => void): void {
    this.consumeCalls++;
    this.#inFlight++;
    const answer = (messages: NativeConsumerMessage[]): void => {
      this.#inFlight--;
      this.#deliverAnswers();
      cb(null, messages);
    };
    // A call the test answers returns on a later macrotask with the commit answers served so far.
    const later = (messages: NativeConsumerMessage[]): void => {
      const served = this.#answers.splice(0);
      setImmediate(() => {
        this.#answers.unshift(...served);
        answer(messages);
      });
    };
    if (this.auto) {
      setTimeout(() => answer(this.queue.splice(0, count)), 1);
    } else {
      const pending: PendingConsume = {
        count,
        answer: (messages) => {
          if (this.pending === pending) this.pending = undefined;
          later(messages);
        },
      };
      this.pending = pending;
    }
  }

  commit(offsets: TopicPartitionOffset[]): void {
    const copy = offsets.map((o) => ({ ...o }));
    this.commits.push(copy);
    this.log.push(['commit', copy]);
    (this.holdCommitAnswers ? this.#heldAnswers : this.#answers).push([this.commitError, copy]);
  }

  /**
   * Not part of NativeConsumer (a synchronous commit blocks the event loop): kept so that a test
   * can prove it is never called.
   */
  commitSync(offsets: TopicPartitionOffset[]): void {
    const copy = offsets.map((o) => ({ ...o }));
    this.commits.push(copy);
    this.log.push(['commitSync', copy]);
  }

  assign(partitions: Array<TopicPartition | TopicPartitionOffset>): void {
    this.log.push(['assign', partitions.map((p) => ({ ...p }))]);
  }

  unassign(): void {
    this.log.push(['unassign']);
    // Like librdkafka, `paused` is left as it is: its pause flag outlives the assignment.
  }

  incrementalAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): void {
    this.log.push(['incrementalAssign', partitions.map((p) => ({ ...p }))]);
  }

  incrementalUnassign(partitions: TopicPartition[]): void {
    if (this.incrementalUnassignError !== undefined) throw this.incrementalUnassignError;
    this.log.push(['incrementalUnassign', partitions.map((p) => ({ ...p }))]);
  }

  rebalanceProtocol(): string {
    return this.protocol;
  }

  pause(partitions: TopicPartition[]): void {
    this.log.push(['pause', partitions.length]);
    for (const { topic, partition } of partitions) this.paused.add(`${topic}:${partition}`);
  }

  resume(partitions: TopicPartition[]): void {
    this.log.push(['resume', partitions.length]);
    for (const { topic, partition } of partitions) this.paused.delete(`${topic}:${partition}`);
  }

  /**
   * Partitions paused natively now, as `topic:partition`, assigned or not: librdkafka keeps a
   * partition's pause flag across unassign and assign (its partition object holds it).
   */
  readonly paused = new Set<string>();

  /** The entries of `log` named `what`. */
  logged(what: string): unknown[] {
    return this.log.filter(([name]) => name === what).map(([, arg]) => arg);
  }

  /** The kept-back commit answers come with the next consume() return. */
  releaseCommitAnswers(): void {
    this.#answers.push(...this.#heldAnswers.splice(0));
  }

  /** Emits the commit answers (on the next macrotask), as a consume() call in flight serves callbacks. */
  serveCallbacks(): void {
    setImmediate(() => this.#deliverAnswers());
  }

  #deliverAnswers(): void {
    for (const [err, offsets] of this.#answers.splice(0)) this.emit('offset.commit', err, offsets);
  }
}

/** Resolves after `ms` of (fake) time: someone must advance the clock. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Advances jest's fake clock 1 ms at a time until `predicate()` holds; throws after `timeoutMs`
 * of fake time.
 */
export async function until(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (let waited = 0; !predicate(); waited++) {
    if (waited >= timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await jest.advanceTimersByTimeAsync(1);
  }
}

/**
 * Advances jest's fake clock until `promise` settles, then returns its outcome; throws after
 * `timeoutMs` of fake time.
 */
export async function drive<T>(promise: Promise<T>, timeoutMs = 60_000, stepMs = 5): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await Promise.resolve();
  for (let waited = 0; !settled; waited += stepMs) {
    if (waited >= timeoutMs) throw new Error(`still pending after ${timeoutMs} ms of fake time`);
    await jest.advanceTimersByTimeAsync(stepMs);
  }
  return promise;
}
