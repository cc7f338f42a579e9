import { AbortedError, InvalidArgumentError } from './errors';
import { describe } from './validation';

/** A `signal` option: undefined, or an AbortSignal (anything else is refused). */
export function signalOption(what: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${what}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

/**
 * Calls `onAbort` once when `signal` aborts; returns the remover, to call when the operation ends
 * first (a long-lived signal must not collect one listener per message).
 */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * The error of a call `signal` aborted: `what` names it ("flush", `message for topic "t"`);
 * `possiblyDelivered`: a message librdkafka had already taken.
 */
export function abortedError(what: string, signal: AbortSignal, possiblyDelivered: boolean): AbortedError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  const outcome = possiblyDelivered
    ? '; librdkafka already had it, so it may still be delivered: see the lateDelivery event'
    : possiblyDelivered === false && what !== 'flush'
      ? '; not sent'
      : '';
  return new AbortedError(`${what} aborted (${reason})${outcome}`, { possiblyDelivered, cause: signal.reason });
}
