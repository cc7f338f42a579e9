/*
 * What the admin's operations share: the admin they run for (its AdminClient, its queue of calls,
 * its short-lived clients), the one way a native operation is sent (checked against what the
 * cluster serves, queued, bounded, typed), and a failed item of a result as a typed error.
 */
import { AIOKafkaError, OperationTimeoutError } from '../core/errors';
import type { NativeAdmin, NativeAdminFactories } from '../native/admin';
import { operationsOf, type NativeAdminOperations, type NativeItemError } from '../native/admin-operations';
import type { LibrdkafkaConfig } from '../native/config';
import { requireApi } from './broker-apis';
import type { AdminCallQueue } from './call-queue';
import { toAdminError } from './native-calls';
import type { Sessions } from './session';

/** The admin an operation runs for. */
export interface AdminHost {
  readonly native: NativeAdmin;
  readonly factories: NativeAdminFactories;
  readonly config: LibrdkafkaConfig;
  readonly sessions: Sessions;
  readonly queue: AdminCallQueue;
}

/**
 * Sends one native operation of the binding (refused at once when the binding lacks it, or when
 * the cluster does not serve `api`), queued behind the admin's other calls, bounded by
 * `timeoutMs` from when it is sent.
 */
export function sendOperation<T>(
  host: AdminHost,
  what: string,
  api: string,
  timeoutMs: number,
  start: (operations: NativeAdminOperations, timeoutMs: number, cb: (err: Error | null | undefined, result: T) => void) => void,
): Promise<T> {
  const operations = operationsOf(host.native, what);
  requireApi(what, api, host.sessions.apis);
  return host.queue.send<T>(what, timeoutMs, (nativeMs, cb) => start(operations, nativeMs, (err, result) => cb(err, result)));
}

/** The time left until `deadline` (ms since the epoch), at least 1 ms. */
export function remainingMs(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

/**
 * The error of one item of a result (a topic, a partition, a group), typed and naming it:
 * librdkafka's timeouts as {@link OperationTimeoutError}, anything else by its code.
 */
export function itemError(what: string, item: string, err: NativeItemError, timeoutMs: number): AIOKafkaError {
  const typed = toAdminError(`${what}: ${item}`, Object.assign(new Error(err.message), { code: err.code }), timeoutMs);
  if (typed instanceof OperationTimeoutError) return typed;
  return new AIOKafkaError(`${what}: ${item}: ${typed.message}`, { code: typed.code, retriable: typed.retriable, cause: err });
}

/** Throws the first failed item's error, when one failed. */
export function throwFirstFailure<I extends { error?: NativeItemError }>(what: string, items: readonly I[], name: (item: I) => string, timeoutMs: number): void {
  const failed = items.find((item) => item.error != null);
  if (failed === undefined) return;
  const others = items.filter((item) => item.error != null).length - 1;
  const typed = itemError(what, name(failed), failed.error!, timeoutMs);
  if (others > 0) typed.message += ` (and ${others} more failed)`;
  throw typed;
}
