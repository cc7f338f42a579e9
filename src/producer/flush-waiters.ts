import { OperationTimeoutError } from '../core/errors';
import { startTimer } from '../core/timeouts';

/** The `flush()` calls waiting for the producer to have nothing in flight. */
export class FlushWaiters {
  readonly #waiters = new Set<() => void>();
  readonly #inFlight: () => number;

  /** `inFlight` counts what a flush waits for. */
  constructor(inFlight: () => number) {
    this.#inFlight = inFlight;
  }

  /**
   * Resolves once nothing is in flight (at once if nothing is); rejects with
   * {@link OperationTimeoutError} when something still is after `timeoutMs` (Infinity: no limit).
   */
  wait(timeoutMs: number): Promise<void> {
    if (this.#inFlight() === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(done);
      const timer = startTimer(() => {
        this.#waiters.delete(done);
        reject(new OperationTimeoutError(`flush: ${this.#inFlight()} message(s) still in flight after ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
    });
  }

  /** Resolves the waiting flushes if nothing is in flight any more. Cheap when none waits. */
  notifyIfIdle(): void {
    if (this.#waiters.size === 0 || this.#inFlight() > 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const done of waiters) done();
  }
}
