/*
 * The binding's admin calls as Promises: each bounded by our own timer as well as librdkafka's,
 * each failure typed. The AdminClient's calls queue (call-queue.ts) and the short-lived clients'
 * calls (session.ts) both go through here.
 */
import { AIOKafkaError, OperationTimeoutError } from '../core/errors';
import { noop } from '../core/noop';
import { callWithDeadline, LIBRDKAFKA_GRACE_MS, nativeTimeoutMs, type NativeCallback } from '../core/timeouts';
import type { NativeMetadata, NativeMetadataClient } from '../native/admin';
import { fromLibrdkafka } from '../native/errors';

/**
 * A native admin call bounded by our own timer as well ({@link callWithDeadline}), librdkafka's
 * own timeout given a grace period to fire first. `late` runs if it answers after we gave up;
 * `threw` if starting it threw (no callback will come).
 */
export function guarded<T>(
  what: string,
  timeoutMs: number,
  start: (cb: NativeCallback<T>) => unknown,
  late: () => void = noop,
  threw: () => void = noop,
): Promise<T> {
  return callWithDeadline<T>(
    what,
    timeoutMs,
    (done) => {
      try {
        return start(done);
      } catch (err) {
        threw();
        throw err;
      }
    },
    {
      graceMs: LIBRDKAFKA_GRACE_MS,
      timeoutMessage: `${what}: no answer within ${timeoutMs} ms; its outcome is unknown`,
      mapError: (err) => toAdminError(what, err, timeoutMs),
      late,
    },
  );
}

/**
 * A native admin error as a typed one: librdkafka's timeouts as {@link OperationTimeoutError},
 * anything else by its code; one of ours as it is.
 */
export function toAdminError(what: string, err: Error, timeoutMs: number): AIOKafkaError {
  // Ours already (a refusal, or a child process that died: src/native/isolated-admin.ts).
  if (err instanceof AIOKafkaError) return err;
  const typed = fromLibrdkafka(err, { kind: 'client' });
  if (typed.code === 'ERR__TIMED_OUT' || typed.code === 'ERR_REQUEST_TIMED_OUT') {
    return new OperationTimeoutError(`${what}: no answer within ${timeoutMs} ms (${typed.message})`, timeoutMs, typed);
  }
  return typed;
}

/** The metadata of every topic (asking for named ones would make a cluster auto-create them). */
export function allTopics(what: string, client: NativeMetadataClient, timeoutMs: number): Promise<NativeMetadata> {
  return guarded<NativeMetadata>(what, timeoutMs, (cb) => client.getMetadata({ allTopics: true, timeout: nativeTimeoutMs(timeoutMs) }, cb));
}
