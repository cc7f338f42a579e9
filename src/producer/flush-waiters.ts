import { OperationTimeoutError } from '../core/errors';
import { startTimer } from '../core/timeouts';
import { abortedError, onAbort } from '../core/abort';

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
   * {@link OperationTimeoutError} when something still is after `timeoutMs` (Infinity: no limit),
   * with `AbortedError` when `signal` aborts first.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError('flush', signal, false));
    if (this.#inFlight() === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // Whichever ends the wait removes the other two: an aborted flush leaves nothing behind.
      const end = (): void => {
        this.#waiters.delete(done);
        if (timer !== undefined) clearTimeout(timer);
        stopListening?.();
      };
      const done = (): void => {
        end();
        resolve();
      };
      this.#waiters.add(done);
      const timer = startTimer(() => {
        end();
        reject(new OperationTimeoutError(`flush: ${this.#inFlight()} message(s) still in flight after ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      const stopListening =
        signal === undefined
          ? undefined
          : onAbort(signal, () => {
              end();
              reject(abortedError('flush', signal, false));
            });
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
