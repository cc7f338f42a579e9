/*
 * Connecting a node-rdkafka client: its connect() creates librdkafka's client and then fetches
 * the cluster's metadata. Everything here is node-rdkafka's behaviour, kept behind the seam:
 * the clients above call connectNative and get typed errors.
 */
import { AIOKafkaError, OperationTimeoutError } from '../core/errors';
import { noop } from '../core/noop';
import { callWithDeadline, LIBRDKAFKA_GRACE_MS, MAX_TIMER_MS, nativeTimeoutMs } from '../core/timeouts';
import { BootstrapFailures } from './bootstrap-failures';
import { fromLibrdkafka, nativeCodeName } from './errors';

/** A native client that connects by fetching the cluster's metadata, and logs while it tries. */
export interface Connectable {
  /** node-rdkafka's: creates librdkafka's client, then fetches metadata through `this.getMetadata`. */
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null) => void): unknown;
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown;
  removeListener(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): unknown;
}

/**
 * The longest librdkafka waits for a broker to come up in one metadata call of a connect, in ms:
 * once connect gave up, the process is free at most this long after.
 */
export const METADATA_SLICE_MS = 250;

/** node-rdkafka's metadata call, as its `connect()` makes it: `this.getMetadata(options, cb)`. */
type GetMetadata = (options: { timeout?: number }, cb: (err: Error | null, metadata?: unknown) => void) => unknown;

/**
 * node-rdkafka's `connect()` ends with a metadata call, librdkafka's `rd_kafka_metadata()` on
 * libuv's thread pool. While no broker is up it waits for one until its timeout (the connect
 * timeout, 30 s by default), nothing can interrupt it, and it holds the process all that time:
 * also after connect gave up (every bootstrap broker refused) and the caller handled that. So
 * the client's `getMetadata` is replaced, for that one call, by one that waits in slices of
 * {@link METADATA_SLICE_MS}: a slice that found no broker up (`ERR__TRANSPORT`) is followed by
 * the next until the timeout, unless `gaveUp()`; one that reached a broker but got no answer
 * in time (`ERR__TIMED_OUT`) by one call with all the time left. A client without a
 * `getMetadata` (a unit test's fake) connects as it is.
 *
 * @returns undoes the replacement (also done by the replacement's one call).
 */
function fetchMetadataInSlices(native: object, gaveUp: () => boolean): () => void {
  const original = (native as { getMetadata?: unknown }).getMetadata;
  if (typeof original !== 'function') return noop;
  const own = Object.getOwnPropertyDescriptor(native, 'getMetadata');
  const restore = (): void => {
    if (own === undefined) delete (native as { getMetadata?: unknown }).getMetadata;
    else Object.defineProperty(native, 'getMetadata', own);
  };
  const sliced: GetMetadata = (options, cb) => {
    restore();
    const deadline = Date.now() + (options.timeout ?? MAX_TIMER_MS);
    const attempt = (waitMs: number): void => {
      const timeout = Math.max(1, Math.min(waitMs, deadline - Date.now()));
      (original as GetMetadata).call(native, { ...options, timeout }, (err, metadata) => {
        const left = deadline - Date.now();
        if (err && left > 0 && !gaveUp()) {
          const code = nativeCodeName(err);
          if (code === 'ERR__TRANSPORT') return attempt(METADATA_SLICE_MS);
          if (code === 'ERR__TIMED_OUT') return attempt(left);
        }
        cb(err, metadata);
      });
    };
    attempt(METADATA_SLICE_MS);
  };
  Object.defineProperty(native, 'getMetadata', { configurable: true, writable: true, value: sliced });
  return restore;
}

/**
 * node-rdkafka's connect (which fetches metadata), bounded by our own timer as well, and given up
 * early when librdkafka has failed twice to reach every broker of `bootstrapServers`: the error
 * then names each address and what librdkafka said of it (refused, unresolvable, ...). `release`
 * runs if the connection succeeds after we gave up, to close what librdkafka opened.
 *
 * @throws (rejects) {@link InvalidArgumentError} when librdkafka refuses the configuration
 *   (typed by the creation guard, src/native/creation-guard.ts);
 *   {@link AIOKafkaError} `ERR__TRANSPORT` (retriable) when no bootstrap broker can be reached; {@link OperationTimeoutError} when no metadata came within `timeoutMs`
 *   (naming the failures seen); the librdkafka error otherwise.
 */
export async function connectNative(
  native: Connectable,
  timeoutMs: number,
  release: () => void,
  bootstrapServers = '',
): Promise<void> {
  const failures = new BootstrapFailures(bootstrapServers);
  const gaveUp = new AbortController();
  const onLog = (log: { fac: string; message: string }): void => {
    if (!gaveUp.signal.aborted && failures.note(log)) {
      gaveUp.abort(
        new AIOKafkaError(`connect: no broker of "${bootstrapServers}" can be reached: ${failures.describe()}`, {
          code: 'ERR__TRANSPORT',
          retriable: true,
        }),
      );
    }
  };
  const seen = (): string => (failures.describe() === '' ? '' : `; ${failures.describe()}`);
  native.on('event.log', onLog);
  let settled = false;
  const restore = fetchMetadataInSlices(native, () => settled);
  try {
    await callWithDeadline<void>(
      'connect',
      timeoutMs,
      (done) =>
        native.connect({ timeout: nativeTimeoutMs(timeoutMs) }, (err) => {
          restore();
          done(err, undefined);
        }),
      {
        graceMs: LIBRDKAFKA_GRACE_MS,
        timeoutMessage: () => `connect: no metadata from the cluster within ${timeoutMs} ms${seen()}`,
        signal: gaveUp.signal,
        late: release,
        mapError: (err): AIOKafkaError => {
          // Already typed: the native layer's refusal of the configuration (src/native/creation-guard.ts).
          if (err instanceof AIOKafkaError) return err;
          const typed = fromLibrdkafka(err, { kind: 'client' });
          if (typed.code === 'ERR__TIMED_OUT' || typed.code === 'ERR__TRANSPORT') {
            return new OperationTimeoutError(`connect: no metadata from the cluster within ${timeoutMs} ms (${typed.message})${seen()}`, timeoutMs, typed);
          }
          return typed;
        },
      },
    );
  } finally {
    settled = true;
    native.removeListener('event.log', onLog);
  }
}

