/*
 * The one rule for time limits, for every client: a limit is a number of ms >= 0, and `Infinity`
 * means no limit. Node's timers hold at most 2^31-1 ms (a longer delay fires after 1 ms), so a
 * longer limit is no limit as well: it arms no timer at all.
 */
import { OperationTimeoutError } from './errors';

/** The longest delay Node's timers hold, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Extra time our own timer gives a native call beyond the timeout librdkafka was given, in ms, so
 * that librdkafka's own timeout fires first: its answer says more than ours (which can only say
 * that none came). Every native call bounded by {@link callWithDeadline} uses it, except the
 * transactional ones, which give librdkafka longer (src/producer/transactions.ts).
 */
export const LIBRDKAFKA_GRACE_MS = 1_000;

/**
 * `setTimeout(fn, delayMs)` under the rule above: returns undefined, and arms nothing, when
 * `delayMs` is past what a timer holds (no limit). The timer is `unref()`ed when `unref` is set.
 */
export function startTimer(fn: () => void, delayMs: number, unref = false): NodeJS.Timeout | undefined {
  if (!(delayMs <= MAX_TIMER_MS)) return undefined;
  const timer = setTimeout(fn, Math.max(0, delayMs));
  return unref ? timer.unref() : timer;
}

/** What is left of a limit of `limitMs` begun at `startedAt` (`performance.now()`), never below 0; Infinity stays Infinity. */
export function remainingMs(startedAt: number, limitMs: number): number {
  return Math.max(0, limitMs - (performance.now() - startedAt));
}

/** Resolves after `delayMs` (under {@link startTimer}'s rule: past what a timer holds, never). */
export function delay(delayMs: number): Promise<void> {
  return new Promise<void>((resolve) => startTimer(resolve, delayMs));
}

/**
 * Waits for `promise`, at most `timeoutMs`: resolves true when it settled in time (whatever its
 * outcome), false when the limit passed first. Leaves no timer behind.
 */
export async function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const limit = new Promise<boolean>((resolve) => {
    timer = startTimer(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([settled, limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** How a callback-style native call ends: its error, or its value. */
export type NativeCallback<T> = (err: Error | null | undefined, value: T) => void;

/** How {@link callWithDeadline} reports and cleans up. */
export interface DeadlineOptions {
  /** Extra time given beyond `timeoutMs` before giving up (librdkafka's own timeout goes first). @default 0 */
  graceMs?: number;
  /** The timeout error's message (made when it is needed). @default `<what>: no answer within <timeoutMs> ms` */
  timeoutMessage?: string | (() => string);
  /** Turns the native error into the one to reject with. @default the error itself */
  mapError?: (err: Error) => Error;
  /** Runs if the call answers successfully after the limit (or the abort), to release what it opened. */
  late?: () => void;
  /** Gives up before the answer: rejects with the signal's reason; a later answer counts as late. */
  signal?: AbortSignal;
}

/**
 * Runs a callback-style native call and settles with its outcome, or rejects with
 * {@link OperationTimeoutError} when no answer came within `timeoutMs` (+ `graceMs`).
 * A throw from `start` rejects at once; no answer is then awaited.
 */
export function callWithDeadline<T>(
  what: string,
  timeoutMs: number,
  start: (done: NativeCallback<T>) => unknown,
  options: DeadlineOptions = {},
): Promise<T> {
  const { graceMs = 0, mapError = (err: Error) => err, late } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = startTimer(() => {
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      const { timeoutMessage = `${what}: no answer within ${timeoutMs} ms` } = options;
      reject(new OperationTimeoutError(typeof timeoutMessage === 'function' ? timeoutMessage() : timeoutMessage, timeoutMs));
    }, timeoutMs + graceMs);
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      reject(options.signal!.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done: NativeCallback<T> = (err, value) => {
      if (settled) {
        if (!err) late?.();
        return;
      }
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(mapError(err));
      else resolve(value);
    };
    try {
      start(done);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)), undefined as T);
    }
  });
}

/**
 * A limit as librdkafka takes it (a 32-bit integer of ms): whole ms, and "no limit" as the
 * longest one it holds.
 */
export function nativeTimeoutMs(timeoutMs: number): number {
  return Math.min(Math.ceil(timeoutMs), MAX_TIMER_MS);
}
