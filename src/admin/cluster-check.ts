/*
 * The admin client's check of what the cluster serves (its ApiVersions answer), run once and
 * shared by every call that waits for it, while each call keeps its own time limit and its own
 * name in its errors: a call waits for the check under way at most until its own deadline; when
 * that check failed, the call is told so in an error of its own (the check's error as `cause`);
 * when the check only ran out of the time of the call that started it, a call with time left
 * starts the next check with that time.
 */
import { AdminClosedError, AIOErrorCodes, AIOKafkaError, InvalidArgumentError, isAIOKafkaError, OperationTimeoutError } from '../core/errors';
import { onAbort } from '../core/abort';
import { noop } from '../core/noop';
import { settlesWithin } from '../core/timeouts';

/** How one check ended. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** A check under way: what it ends with, and when its own time runs out (ms since the epoch). */
interface Attempt {
  readonly outcome: Promise<Outcome>;
  readonly deadline: number;
}

/** One check at a time, shared by the calls that wait for it. */
export class ClusterCheck {
  readonly #run: (timeoutMs: number) => Promise<void>;
  readonly #learnt: () => boolean;
  #attempt: Attempt | undefined;

  /**
   * `run` checks the cluster within `timeoutMs` (rejecting when it could not); `learnt` says
   * whether what it learns is known already (another client may have learnt it on the side).
   */
  constructor(run: (timeoutMs: number) => Promise<void>, learnt: () => boolean) {
    this.#run = run;
    this.#learnt = learnt;
  }

  /** Whether a check is under way. */
  get running(): boolean {
    return this.#attempt !== undefined;
  }

  /**
   * Resolves once a check has succeeded (the one under way, or one this call starts), or, with no
   * check under way, once what it learns is known. `what` and
   * `timeoutMs` are the call's own; it waits until `deadline` (ms since the epoch, `Infinity`:
   * no limit) at most, and no longer once `closed` aborts.
   *
   * @throws (rejects) {@link OperationTimeoutError} naming `what` and its `timeoutMs` when its
   *   deadline passed first; {@link AdminClosedError} naming `what` when `closed` aborted; the
   *   check's failure, as an error naming `what` with the same class and code (`cause`: the
   *   check's own error).
   */
  async wait(what: string, timeoutMs: number, deadline: number, closed: AbortSignal): Promise<void> {
    for (;;) {
      if (closed.aborted) throw closedError(what);
      if (this.#attempt === undefined && this.#learnt()) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timeoutError(what, timeoutMs, undefined);
      const attempt = (this.#attempt ??= this.#start(remaining));
      let outcome: Outcome | undefined;
      let unwatch = noop;
      const stop = new Promise<void>((resolve) => (unwatch = onAbort(closed, resolve)));
      try {
        await settlesWithin(Promise.race([attempt.outcome.then((o) => void (outcome = o)), stop]), remaining);
      } finally {
        unwatch();
      }
      if (closed.aborted) throw closedError(what);
      if (outcome === undefined) throw timeoutError(what, timeoutMs, undefined);
      if (outcome.ok) return;
      if (this.#attempt === attempt) this.#attempt = undefined;
      const error = outcome.error;
      // Ran out of the time of the call that started it: a call with more time checks again.
      if (error instanceof OperationTimeoutError && attempt.deadline < deadline) continue;
      if (error instanceof OperationTimeoutError) throw timeoutError(what, timeoutMs, error);
      throw asCallError(what, error);
    }
  }

  #start(timeoutMs: number): Attempt {
    const deadline = Date.now() + timeoutMs;
    const outcome = this.#run(timeoutMs).then(
      (): Outcome => ({ ok: true }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    const attempt: Attempt = { outcome, deadline };
    // Done, however it went: the next call that needs a check starts one.
    void outcome.then(() => {
      if (this.#attempt === attempt) this.#attempt = undefined;
    });
    return attempt;
  }
}

function closedError(what: string): AdminClosedError {
  return new AdminClosedError(`${what}: the admin client closed before the call was sent`);
}

function timeoutError(what: string, timeoutMs: number, cause: OperationTimeoutError | undefined): OperationTimeoutError {
  const detail = cause === undefined ? '' : ` (${cause.message})`;
  return new OperationTimeoutError(`${what}: could not learn within ${timeoutMs} ms which requests the cluster serves${detail}`, timeoutMs, cause);
}

/** The check's failure, told to the call `what`: the same class and code, `what` in front. */
function asCallError(what: string, error: unknown): AIOKafkaError {
  if (error instanceof AdminClosedError) return closedError(what);
  if (error instanceof InvalidArgumentError) return new InvalidArgumentError(`${what}: ${error.message}`, { cause: error });
  if (isAIOKafkaError(error)) {
    return new AIOKafkaError(`${what}: ${error.message}`, { code: error.code, retriable: error.retriable, fatal: error.fatal, cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new AIOKafkaError(`${what}: could not learn which requests the cluster serves: ${reason}`, { code: AIOErrorCodes.UNKNOWN, cause: error });
}
