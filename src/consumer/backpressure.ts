import type { ClientEvents } from '../core/client-events';
import type { TopicPartition } from '../core/topic-partition';
import type { NativeConsumer } from '../native/consumer';

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
 * Pauses the assigned partitions when `maxBufferedMessages` wait in the buffer and resumes them
 * when half as many are left. The consume loop goes on polling while they are paused.
 */
export class Backpressure {
  readonly #native: NativeConsumer;
  readonly #events: ClientEvents;
  readonly #max: number;
  #paused = false;

  constructor(native: NativeConsumer, events: ClientEvents, maxBufferedMessages: number) {
    this.#native = native;
    this.#events = events;
    this.#max = maxBufferedMessages;
  }

  /** Whether the assigned partitions are paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The buffer now holds `waiting` messages: pauses or resumes `assignment` if that crossed a mark. */
  update(waiting: number, assignment: TopicPartition[]): void {
    if (!this.#paused && waiting >= this.#max && assignment.length > 0) {
      this.#paused = true;
      if (nativeCall(this.#events, 'pause', () => this.#native.pause(assignment))) this.#events.emit('pause', assignment);
    } else if (this.#paused && waiting <= Math.floor(this.#max / 2)) {
      this.#paused = false;
      if (assignment.length === 0) return;
      if (nativeCall(this.#events, 'resume', () => this.#native.resume(assignment))) this.#events.emit('resume', assignment);
    }
  }
}
