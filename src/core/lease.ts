/*
 * A client lending its native handle to a native call of another client: a transactional
 * producer's `sendOffsetsToTransaction` reads the consumer's group metadata on libuv's pool, and
 * node-rdkafka deletes a consumer's librdkafka client on disconnect without a lock against that
 * read. So the consumer lends its handle (a lease) and disconnects only once every lease is back.
 */

/**
 * The key of the method a client lends its native handle with. `Symbol.for`: a consumer of one
 * copy of this package lends to a producer of another.
 */
export const lendNative: unique symbol = Symbol.for('aio-rdkafka.lendNative');

/** A native handle lent for one native call; `release()` (once, idempotent) when the call returned. */
export interface NativeLease {
  /** The connected native client. */
  readonly native: object;
  release(): void;
}

/** A client that lends its native handle: an `AIOConsumer`. */
export interface LendsNative {
  /** A lease on the connected native client, or undefined once the client is closing. */
  [lendNative](): NativeLease | undefined;
}

/** The leases a client gave and not got back; what its disconnect waits for. */
export class Leases {
  #out = 0;
  #waiters: Array<() => void> = [];

  /** A lease on `native`. */
  lend(native: object): NativeLease {
    this.#out++;
    let released = false;
    return {
      native,
      release: () => {
        if (released) return;
        released = true;
        if (--this.#out === 0) {
          const waiters = this.#waiters;
          this.#waiters = [];
          for (const wake of waiters) wake();
        }
      },
    };
  }

  /** Resolves once every lease given so far is released; undefined when none is out. */
  returned(): Promise<void> | undefined {
    if (this.#out === 0) return undefined;
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
