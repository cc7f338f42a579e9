/*
 * What every client does the same way when it stops: disconnect without throwing, close once.
 */

/**
 * A native disconnect as a Promise that never rejects: resolves with the error librdkafka
 * reported (or the one the call threw), undefined when it went well.
 */
export function disconnectNative(start: (cb: (err?: Error | null) => void) => unknown): Promise<unknown> {
  return new Promise<unknown>((resolve) => {
    try {
      start((err) => resolve(err ?? undefined));
    } catch (err) {
      resolve(err);
    }
  });
}

/**
 * The close of a client, run once: the first call checks its arguments and starts it; every later
 * call returns the same Promise. A call whose arguments are refused starts nothing.
 */
export class CloseOnce {
  #closing: Promise<void> | undefined;

  /** Whether close has started. */
  get started(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Starts the close (`prepare` checks the arguments; a throw rejects this call only), or
   * returns the close already under way.
   */
  run<T>(prepare: () => T, close: (prepared: T) => Promise<void>): Promise<void> {
    if (this.#closing === undefined) {
      let prepared: T;
      try {
        prepared = prepare();
      } catch (err) {
        return Promise.reject(err);
      }
      this.#closing = close(prepared);
    }
    return this.#closing;
  }
}
