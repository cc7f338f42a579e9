import type { ClientEvents } from '../core/client-events';
import { partitionKey, type TopicPartition } from '../core/topic-partition';
import type { NativeConsumer } from '../native/consumer';
import { fromLibrdkafka } from '../native/errors';

/** Runs a native call; reports (or, when `report` is false, swallows) a throw. Returns whether it went well. */
export function nativeCall(events: ClientEvents, what: string, call: () => unknown, report = true): boolean {
  try {
    call();
    return true;
  } catch (err) {
    if (report) events.error(err, `${what} failed`);
    return false;
  }
}

/**
 * Who paused which partition, and the native pause that follows from it. Two reasons pause a
 * partition, kept apart so that neither undoes the other:
 *
 * - **backpressure**: when `maxBufferedMessages` wait in the buffer every assigned partition is
 *   paused, and resumed when half as many are left;
 * - **the user**: `pause(partitions)` until `resume(partitions)`. A user pause belongs to the
 *   topic-partition, not to one assignment: it is applied again when a rebalance gives the
 *   partition back.
 *
 * A partition is paused natively while either reason holds: backpressure lifting leaves the
 * user's partitions paused, and the user's resume leaves them paused while backpressure holds.
 * The consume loop goes on polling while partitions are paused.
 *
 * librdkafka's pause flag belongs to its partition object, not to an assignment: it outlives
 * unassign and assign, while pause() and resume() reach only what is assigned at the moment. So
 * every native pause and resume goes through here, which remembers what librdkafka holds paused,
 * and each assignment is brought to what the two reasons want now ({@link Pauses.assigned}).
 */
export class Pauses {
  readonly #native: NativeConsumer;
  readonly #events: ClientEvents;
  readonly #max: number;
  readonly #assignment: () => TopicPartition[];
  #backpressure = false;
  readonly #user = new Map<string, TopicPartition>();
  /** Partitions librdkafka holds paused (assigned or not), as partition keys. */
  readonly #nativePaused = new Set<string>();

  constructor(native: NativeConsumer, events: ClientEvents, maxBufferedMessages: number, assignment: () => TopicPartition[]) {
    this.#native = native;
    this.#events = events;
    this.#max = maxBufferedMessages;
    this.#assignment = assignment;
  }

  /** Whether the assigned partitions are paused for backpressure. */
  get backpressure(): boolean {
    return this.#backpressure;
  }

  /** The partitions the user paused (copies), in the order they were paused. */
  get user(): TopicPartition[] {
    return [...this.#user.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The partitions the user paused, as partition keys. */
  userKeys(): Iterable<string> {
    return this.#user.keys();
  }

  /** Whether the user paused partition `pkey`. */
  userPaused(pkey: string): boolean {
    return this.#user.has(pkey);
  }

  /**
   * The user pauses `partitions`: those assigned now are paused natively (unless backpressure
   * already holds them); the others when they are assigned.
   *
   * @throws {AIOKafkaError} when librdkafka refused the pause; nothing was recorded then.
   */
  pauseUser(partitions: readonly TopicPartition[]): void {
    const added = partitions.filter(({ topic, partition }) => !this.#user.has(partitionKey(topic, partition)));
    if (!this.#backpressure) this.#call('pause', this.#assigned(added));
    for (const { topic, partition } of added) this.#user.set(partitionKey(topic, partition), { topic, partition });
  }

  /**
   * The user resumes `partitions`: those assigned now are resumed natively unless backpressure
   * holds them (then when it lifts).
   *
   * @throws {AIOKafkaError} when librdkafka refused the resume; nothing was changed then.
   */
  resumeUser(partitions: readonly TopicPartition[]): void {
    const removed = partitions.filter(({ topic, partition }) => this.#user.has(partitionKey(topic, partition)));
    if (!this.#backpressure) this.#call('resume', this.#assigned(removed));
    for (const { topic, partition } of removed) this.#user.delete(partitionKey(topic, partition));
  }

  /** The buffer now holds `waiting` runnable messages: pauses or resumes for backpressure if that crossed a mark. */
  update(waiting: number): void {
    if (!this.#backpressure && waiting >= this.#max) {
      const assignment = this.#assignment();
      if (assignment.length === 0) return;
      this.#backpressure = true;
      if (nativeCall(this.#events, 'pause', () => this.#pauseNative(assignment))) this.#events.emit('pause', assignment);
    } else if (this.#backpressure && waiting <= Math.floor(this.#max / 2)) {
      this.#backpressure = false;
      // The user's partitions stay paused.
      const resumed = this.#assignment().filter(({ topic, partition }) => !this.#user.has(partitionKey(topic, partition)));
      if (resumed.length === 0) return;
      if (nativeCall(this.#events, 'resume', () => this.#resumeNative(resumed))) this.#events.emit('resume', resumed);
    }
  }

  /**
   * Newly assigned partitions, brought to what backpressure and the user want now: those either
   * holds are paused; those librdkafka still holds paused from an earlier assignment (paused,
   * then revoked, then resumed or let go by backpressure while unassigned) are resumed.
   */
  assigned(partitions: readonly TopicPartition[]): void {
    const pause: TopicPartition[] = [];
    const resume: TopicPartition[] = [];
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      if (this.#backpressure || this.#user.has(key)) pause.push({ topic, partition });
      else if (this.#nativePaused.has(key)) resume.push({ topic, partition });
    }
    if (pause.length > 0) nativeCall(this.#events, 'pause', () => this.#pauseNative(pause));
    if (resume.length > 0) nativeCall(this.#events, 'resume', () => this.#resumeNative(resume));
  }

  /** Those of `partitions` assigned now. */
  #assigned(partitions: readonly TopicPartition[]): TopicPartition[] {
    if (partitions.length === 0) return [];
    const assigned = new Set(this.#assignment().map(({ topic, partition }) => partitionKey(topic, partition)));
    return partitions.filter(({ topic, partition }) => assigned.has(partitionKey(topic, partition)));
  }

  #call(what: 'pause' | 'resume', partitions: TopicPartition[]): void {
    if (partitions.length === 0) return;
    try {
      if (what === 'pause') this.#pauseNative(partitions);
      else this.#resumeNative(partitions);
    } catch (err) {
      throw fromLibrdkafka(err, { kind: 'client' });
    }
  }

  /** The one place that pauses natively; what librdkafka then holds paused is remembered. */
  #pauseNative(partitions: TopicPartition[]): void {
    this.#native.pause(partitions);
    for (const { topic, partition } of partitions) this.#nativePaused.add(partitionKey(topic, partition));
  }

  /** The one place that resumes natively. */
  #resumeNative(partitions: TopicPartition[]): void {
    this.#native.resume(partitions);
    for (const { topic, partition } of partitions) this.#nativePaused.delete(partitionKey(topic, partition));
  }
}
