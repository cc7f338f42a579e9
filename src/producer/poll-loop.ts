/** Intervals of a {@link PollLoop}, in ms. */
export interface PollLoopIntervals {
  /**
   * Period while work is pending; 0 polls on every turn of the event loop (a ref()ed
   * setImmediate: the only case where the loop holds the process, and only while work is pending).
   */
  busyMs: number;
  /**
   * Period while nothing is pending, > 0; undefined: no timer while nothing is pending (a tick
   * that finds nothing pending arms none, and `wake()` arms the busy one).
   */
  idleMs: number | undefined;
}

/** Busy poll period without the background poll: each report waits for the next tick. */
const TIMER_ONLY_POLL_MS = 1;
/** Busy poll period with the background poll: a safety net for deadlines and a full queue's retries. */
const BACKGROUND_SAFETY_POLL_MS = 10;

/**
 * A producer's poll periods: its options', on the timer alone. With librdkafka's background poll
 * thread, a busy tick is a safety net and there is no idle one: the thread serves client errors,
 * statistics and logs too, so an idle tick would have nothing to do, and its wake-up once a second
 * was most of an idle producer's CPU (docs/benchmarks.md, section 9).
 */
export function producerPollIntervals(
  options: { pollIntervalMs: number | undefined; idlePollIntervalMs: number },
  backgroundPoll: boolean,
): PollLoopIntervals {
  if (backgroundPoll) return { busyMs: options.pollIntervalMs ?? BACKGROUND_SAFETY_POLL_MS, idleMs: undefined };
  return { busyMs: options.pollIntervalMs ?? TIMER_ONLY_POLL_MS, idleMs: options.idlePollIntervalMs };
}

/** What a {@link PollLoop} drives. */
export interface PollLoopHooks {
  /** One poll. A throw is caught and handed to `onError`; the loop goes on. */
  tick(): void;
  /** Whether anything is pending: decides the next period. */
  isBusy(): boolean;
  /** Receives whatever `tick` threw. Must not throw itself (a throw here is swallowed). */
  onError(err: unknown): void;
}

/**
 * One `unref()`ed timer that calls `tick` every `busyMs` while work is pending and every `idleMs`
 * otherwise (or not at all while nothing is pending, without `idleMs`). It never keeps an idle
 * process alive, never throws out of the timer, and `stop()` leaves no timer behind.
 */
export class PollLoop {
  readonly #hooks: PollLoopHooks;
  #intervals: PollLoopIntervals;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Whether the scheduled timer is the busy one. */
  #busy = false;
  #running = false;

  constructor(hooks: PollLoopHooks, intervals: PollLoopIntervals) {
    this.#hooks = hooks;
    this.#intervals = checked(intervals);
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stops polling and clears the timer (idempotent). */
  stop(): void {
    this.#running = false;
    this.#clear();
  }

  /**
   * Work just became pending: switch to the busy period now rather than at the end of an idle
   * one. Cheap when already busy, so it can be called on every produce.
   */
  wake(): void {
    if (this.#busy || !this.#running) return;
    this.#clear();
    this.#busy = true;
    this.#arm(this.#intervals.busyMs);
  }

  /**
   * Changes the periods from the next timer on: with librdkafka's background poll serving the
   * reports, the busy timer is only a safety net and an idle one has nothing to do.
   */
  setIntervals(intervals: PollLoopIntervals): void {
    this.#intervals = checked(intervals);
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (!this.#running) return;
    this.#tickSafely();
    if (this.#running) this.#schedule();
  };

  #tickSafely(): void {
    try {
      this.#hooks.tick();
    } catch (err) {
      try {
        this.#hooks.onError(err);
      } catch {
        // onError is documented not to throw; if it does, the loop must still go on.
      }
    }
  }

  #schedule(): void {
    let busy = false;
    try {
      busy = this.#hooks.isBusy();
    } catch {
      busy = true;
    }
    this.#busy = busy;
    this.#arm(busy ? this.#intervals.busyMs : this.#intervals.idleMs);
  }

  #arm(delayMs: number | undefined): void {
    // A tick that produced (from a listener) may have woken the loop already: never two timers.
    this.#clear();
    if (delayMs === undefined) return;
    // An unref()ed immediate runs only when something else wakes the event loop, so a zero
    // period would not mean "every turn". It is ref()ed instead: only while work is pending (a
    // zero idle period is refused), and stop() clears it.
    if (delayMs === 0) this.#immediate = setImmediate(this.#run);
    else this.#timer = setTimeout(this.#run, delayMs).unref();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}

/** `intervals` when the idle period, if any, is > 0 (a zero one would spin forever). */
function checked(intervals: PollLoopIntervals): PollLoopIntervals {
  if (intervals.idleMs !== undefined && !(intervals.idleMs > 0)) throw new RangeError('idleMs must be > 0');
  return intervals;
}
