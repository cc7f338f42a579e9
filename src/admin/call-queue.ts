/*
 * The AdminClient's calls, one at a time. node-rdkafka runs one admin call at a time per client
 * (each holds the client's lock for up to its whole timeout, on libuv's thread pool), so calls
 * wait here for their turn; a call's time limit starts when it is sent. node-rdkafka's
 * disconnect while a call runs would block the event loop until that call's native timeout: the
 * disconnect always waits for the native answer, in the background past close's limit.
 */
import { AdminClosedError, AIOErrorCodes, type AIOKafkaError } from '../core/errors';
import type { ClientEvents } from '../core/client-events';
import { Serial } from '../core/serial';
import { nativeTimeoutMs, settlesWithin } from '../core/timeouts';
import { guarded } from './native-calls';

/** Starts a native AdminClient call with librdkafka's limit; `cb` is the binding's callback, with the call's result. */
export type AdminCallStart<T = void> = (timeoutMs: number, cb: (err?: Error | null, result?: T) => void) => void;

/** An admin call queued or in flight. */
interface QueuedCall {
  readonly what: string;
  readonly timeoutMs: number;
  readonly start: AdminCallStart<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: AIOKafkaError) => void;
}

/** The calls of one AdminClient: one at a time, and a close bounded by its limit. */
export class AdminCallQueue {
  readonly #events: ClientEvents;
  readonly #calls = new Serial();
  /** Calls queued and not sent: close answers them at once. */
  readonly #waiting = new Set<QueuedCall>();
  /** The call in flight: `answered` settles when node-rdkafka called back. */
  #inFlight: { readonly call: QueuedCall; readonly answered: Promise<void> } | undefined;

  constructor(events: ClientEvents) {
    this.#events = events;
  }

  /** Queues a call; settles with its outcome (its result, when it has one). */
  send<T = void>(what: string, timeoutMs: number, start: AdminCallStart<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: QueuedCall = { what, timeoutMs, start: start as AdminCallStart<unknown>, resolve: resolve as (result: unknown) => void, reject };
      this.#waiting.add(call);
      void this.#calls.run(() => this.#send(call));
    });
  }

  /**
   * Refuses what still waits ({@link AdminClosedError}, not sent), then waits for the call in
   * flight up to `timeoutMs`; past it that call rejects with AdminClosedError (its outcome is
   * unknown). Resolves by `timeoutMs` with `undefined` when nothing runs natively any more, or with
   * the native call still running (`answered`): the caller disconnects only once it settles.
   */
  async close(timeoutMs: number): Promise<{ answered: Promise<void> } | undefined> {
    for (const call of this.#waiting) call.reject(new AdminClosedError(`${call.what}: the admin client closed before the call was sent`));
    this.#waiting.clear();
    const inFlight = this.#inFlight;
    if (inFlight === undefined || (await settlesWithin(inFlight.answered, timeoutMs))) return undefined;
    inFlight.call.reject(closedInFlight(inFlight.call.what, timeoutMs));
    return { answered: inFlight.answered };
  }

  /** Sends `call` when its turn came (unless close answered it meanwhile); done when node-rdkafka answered. */
  async #send(call: QueuedCall): Promise<void> {
    if (!this.#waiting.delete(call)) return;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    this.#inFlight = { call, answered };
    guarded<unknown>(
      call.what,
      call.timeoutMs,
      (cb) =>
        call.start(nativeTimeoutMs(call.timeoutMs), (err, result) => {
          answer();
          cb(err ?? null, result);
        }),
      () =>
        this.#events.warn(
          `${call.what} succeeded after its time limit of ${call.timeoutMs} ms, though it was reported as timed out`,
          AIOErrorCodes.OPERATION_TIMEOUT,
          undefined,
        ),
      answer,
    ).then(call.resolve, call.reject);
    await answered;
    this.#inFlight = undefined;
  }
}

/** The error of an admin call still in flight when close reached its limit (`timeoutMs`): outcome unknown. */
export function closedInFlight(what: string, timeoutMs: number): AdminClosedError {
  return new AdminClosedError(`${what}: the admin client closed (after ${timeoutMs} ms) before the answer came; its outcome is unknown`);
}
