import type { AIOKafkaError } from '../core/errors';
import { startTimer } from '../core/timeouts';
import type { NativeConsumer, NativeConsumerMessage } from '../native/consumer';
import { fromLibrdkafka } from '../native/errors';

/** What a {@link ConsumeLoop} feeds and asks. */
export interface ConsumeLoopHooks {
  /** Room for messages in the buffer: the next call asks for at most that many (and at least 1). */
  room(): number;
  /** The messages a consume call returned (never empty). */
  accept(messages: NativeConsumerMessage[]): void;
  /** A consume call failed (a timeout or a partition EOF is no failure), or threw. */
  failed(err: AIOKafkaError | unknown, what: string): void;
}

/**
 * The native consume loop: one `consume()` call in flight at a time, the next one started on
 * the next turn of the event loop, or after `backOffMs` when the last one failed (a persistent
 * error cannot spin the loop). It always polls, even with no room in the buffer: polling serves
 * rebalances and commit answers and keeps the member within `max.poll.interval.ms`.
 *
 * A rebalance step can hold the loop ({@link ConsumeLoop.hold}): no call starts until it is
 * released, and the hold resolves once the call in flight has returned.
 */
export class ConsumeLoop {
  readonly #native: NativeConsumer;
  readonly #hooks: ConsumeLoopHooks;
  readonly #batchSize: number;
  readonly #backOffMs: number;
  #polling = false;
  #inFlight = false;
  /** Holds that keep the loop from starting a consume call. */
  #holds = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Waiting for the consume call in flight to return. */
  readonly #returned: Array<() => void> = [];
  #lastReturnAt: number | undefined;

  constructor(native: NativeConsumer, hooks: ConsumeLoopHooks, options: { batchSize: number; backOffMs: number }) {
    this.#native = native;
    this.#hooks = hooks;
    this.#batchSize = options.batchSize;
    this.#backOffMs = options.backOffMs;
  }

  /** Whether the loop polls (between `start()` and `stop()`). */
  get polling(): boolean {
    return this.#polling;
  }

  /**
   * When (`Date.now()`) a consume call last returned, or the loop started if none has yet;
   * undefined before `start()`.
   */
  get lastReturnAt(): number | undefined {
    return this.#lastReturnAt;
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.#polling) return;
    this.#polling = true;
    this.#lastReturnAt = Date.now();
    this.#poll();
  }

  /** Stops polling; resolves once the consume call in flight (if any) has returned. */
  stop(): Promise<void> {
    this.#polling = false;
    this.#clearScheduled();
    return this.idle();
  }

  /** Resolves once no consume call is in flight. */
  idle(): Promise<void> {
    if (!this.#inFlight) return Promise.resolve();
    return new Promise<void>((resolve) => this.#returned.push(resolve));
  }

  /**
   * Keeps the loop from starting consume calls until {@link ConsumeLoop.release}; resolves once
   * the call in flight, if any, has returned and its messages went to `accept`.
   */
  hold(): Promise<void> {
    this.#holds++;
    return this.idle();
  }

  /** Ends one hold: the loop polls again when none is left. */
  release(): void {
    this.#holds--;
    if (this.#holds > 0 || !this.#polling || this.#inFlight) return;
    if (this.#timer === undefined && this.#immediate === undefined) this.#immediate = setImmediate(this.#poll);
  }

  readonly #poll = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (!this.#polling || this.#holds > 0) return;
    const count = Math.max(1, Math.min(this.#batchSize, this.#hooks.room()));
    this.#inFlight = true;
    try {
      this.#native.consume(count, (err, messages) => this.#onConsumed(err, messages));
    } catch (err) {
      this.#inFlight = false;
      this.#hooks.failed(err, 'consume failed');
      this.#scheduleNext(true);
    }
  };

  #onConsumed(err: Error | null, messages: NativeConsumerMessage[] | undefined): void {
    this.#inFlight = false;
    this.#lastReturnAt = Date.now();
    if (err) {
      const typed = fromLibrdkafka(err, { kind: 'client' });
      if (typed.code !== 'ERR__TIMED_OUT' && typed.code !== 'ERR__PARTITION_EOF') this.#hooks.failed(typed, 'consume failed');
    } else if (messages !== undefined && messages.length > 0) {
      this.#hooks.accept(messages);
    }
    for (const returned of this.#returned.splice(0)) returned();
    this.#scheduleNext(err !== null && err !== undefined);
  }

  #scheduleNext(backOff: boolean): void {
    if (!this.#polling || this.#holds > 0) return;
    if (backOff) this.#timer = startTimer(this.#poll, this.#backOffMs);
    else this.#immediate = setImmediate(this.#poll);
  }

  #clearScheduled(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}
