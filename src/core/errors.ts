/**
 * Codes of our own, for failures that do not come from librdkafka. Codes that do come from
 * librdkafka keep librdkafka's own name (`ERR__MSG_TIMED_OUT`, `ERR_MSG_SIZE_TOO_LARGE`, ...).
 */
export const AIOErrorCodes = {
  /** The producer was closed (or is closing) before the operation could finish. */
  PRODUCER_CLOSED: 'AIO_PRODUCER_CLOSED',
  /** An operation (connect, flush, a commit, an admin call) did not finish within its time limit. */
  OPERATION_TIMEOUT: 'AIO_OPERATION_TIMEOUT',
  /** No delivery report arrived within `deliveryTimeoutMs`. */
  DELIVERY_TIMEOUT: 'AIO_DELIVERY_TIMEOUT',
  /** An error that carried no librdkafka code we could recognise. */
  UNKNOWN: 'AIO_UNKNOWN',
  /** The consumer was closed (or is closing) before the operation could finish. */
  CONSUMER_CLOSED: 'AIO_CONSUMER_CLOSED',
  /** A message handler threw or rejected. */
  HANDLER_FAILED: 'AIO_HANDLER_FAILED',
  /** The admin client was closed before the operation could start. */
  ADMIN_CLOSED: 'AIO_ADMIN_CLOSED',
  /** The call is not allowed in the client's current state (not closed, but not ready for it). */
  INVALID_STATE: 'AIO_INVALID_STATE',
  /** The caller's AbortSignal aborted the operation. */
  ABORTED: 'AIO_ABORTED',
  /** A key or value serializer (producer) or deserializer (consumer) threw or rejected. */
  SERIALIZATION: 'AIO_SERIALIZATION',
  /**
   * A transaction cannot commit because a message produced in it failed (refused, timed out,
   * not delivered): it must be aborted.
   */
  TRANSACTION_PRODUCE_FAILED: 'AIO_TRANSACTION_PRODUCE_FAILED',
  /** The native binding in use has no such operation: another binding has it. */
  UNSUPPORTED_BY_BINDING: 'AIO_UNSUPPORTED_BY_BINDING',
  /** No native binding could be loaded (none installed, or the one asked for does not load). */
  BINDING_UNAVAILABLE: 'AIO_BINDING_UNAVAILABLE',
  /** A client was created in a worker thread, where both bindings crash the process. */
  WORKER_THREAD: 'AIO_WORKER_THREAD',
} as const;

/** Every code this package sets: librdkafka code names, or one of {@link AIOErrorCodes}. */
export type AIOErrorCode = (typeof AIOErrorCodes)[keyof typeof AIOErrorCodes] | `ERR_${string}`;

const kAIOKafkaError = Symbol.for('aio-rdkafka.AIOKafkaError');

/**
 * Anything thrown or reported, as a typed error that says where it came from (`what`): one of
 * ours unchanged; anything else (a Node system error, a user listener's throw) wrapped as
 * `AIO_UNKNOWN`, keeping it as `cause`. A native error is typed by the native layer first
 * (`asAIOError` in src/native/errors.ts).
 */
export function toAIOError(thrown: unknown, what: string): AIOKafkaError {
  if (thrown instanceof AIOKafkaError) return thrown;
  return new AIOKafkaError(`${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, {
    code: AIOErrorCodes.UNKNOWN,
    cause: thrown,
  });
}

/** Options shared by every error constructor. */
export interface AIOKafkaErrorOptions {
  /** librdkafka code name (`ERR__QUEUE_FULL`) or one of {@link AIOErrorCodes}. */
  code: AIOErrorCode;
  /** Whether trying the same operation again may succeed. @default false */
  retriable?: boolean;
  /** Whether the client is unusable from now on. @default false */
  fatal?: boolean;
  /** The error this one was made from: always the original native error where there is one. */
  cause?: unknown;
}

/**
 * Base class of every error this package throws or rejects with.
 *
 * @example
 * ```ts
 * try {
 *   await producer.produce('items', 'x');
 * } catch (err) {
 *   if (isAIOKafkaError(err) && err.retriable) scheduleRetry();
 *   else throw err;
 * }
 * ```
 */
export class AIOKafkaError extends Error {
  /** librdkafka code name (`ERR__MSG_TIMED_OUT`) or one of {@link AIOErrorCodes}. */
  readonly code: AIOErrorCode;
  /** Whether trying again may succeed. */
  readonly retriable: boolean;
  /** Whether the client that raised it can no longer be used. */
  readonly fatal: boolean;

  constructor(message: string, options: AIOKafkaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable ?? false;
    this.fatal = options.fatal ?? false;
  }

  /** @internal brand read by {@link isAIOKafkaError}; survives two copies of this package. */
  get [kAIOKafkaError](): true {
    return true;
  }
}

/**
 * True for any error raised by this package, even one created by another copy of it
 * (two versions in one `node_modules` tree), where `instanceof` would say false.
 */
export function isAIOKafkaError(value: unknown): value is AIOKafkaError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kAIOKafkaError] === true;
}

/** Where a failed message was going: set on errors about one message. */
export interface MessageTarget {
  topic: string;
  /** The partition asked for, or the one librdkafka had chosen; -1 when none was known. */
  partition: number;
}

/**
 * A message was not delivered: librdkafka reported a failure, or no report came within
 * `deliveryTimeoutMs`.
 */
export class DeliveryError extends AIOKafkaError {
  /** Topic of the message. */
  readonly topic: string;
  /** Partition of the message, -1 when it had not been assigned. */
  readonly partition: number;
  /**
   * True when the message may still have reached (or may still reach) the broker: the request
   * was sent and its answer lost, or the deadline passed while librdkafka was still retrying.
   * False when the failure says it was not written (refused, never sent).
   */
  readonly possiblyDelivered: boolean;

  constructor(message: string, options: AIOKafkaErrorOptions & MessageTarget & { possiblyDelivered?: boolean }) {
    super(message, options);
    this.topic = options.topic;
    this.partition = options.partition;
    this.possiblyDelivered = options.possiblyDelivered ?? false;
  }
}

/**
 * librdkafka's local queue stayed full (`queue.buffering.max.messages` / `.kbytes`) for longer than
 * `enqueueTimeoutMs` (awaitable calls), or was full at the moment of a fire-and-forget call.
 * The message was not sent. Always retriable.
 */
export class QueueFullError extends AIOKafkaError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ERR__QUEUE_FULL', retriable: true, cause });
  }
}

/** Options of every closed error: what it was made from, if anything. */
export interface ClosedErrorOptions {
  cause?: unknown;
}

/**
 * A client was closed (or is closing): the call was refused, or given up at close's limit. One
 * base for the three clients: `err instanceof ClientClosedError` whichever client it was; `code`
 * says which ({@link ProducerClosedError}, {@link ConsumerClosedError}, {@link AdminClosedError}).
 */
export class ClientClosedError extends AIOKafkaError {
  constructor(message: string, options: ClosedErrorOptions & { code: AIOErrorCode }) {
    super(message, { code: options.code, cause: options.cause });
  }
}

/**
 * The producer was closed. A call made after `close()` began was not sent
 * (`possiblyDelivered: false`); a message still pending when `close()` gave up may or may not
 * have been delivered (`possiblyDelivered: true`).
 */
export class ProducerClosedError extends ClientClosedError {
  /** See the class description. */
  readonly possiblyDelivered: boolean;

  constructor(message: string, options: ClosedErrorOptions & { possiblyDelivered: boolean }) {
    super(message, { code: AIOErrorCodes.PRODUCER_CLOSED, cause: options.cause });
    this.possiblyDelivered = options.possiblyDelivered;
  }
}

/**
 * Bad input to a call: an illegal topic name, a value of the wrong type, a malformed header, a
 * message larger than `message.max.bytes` (code `ERR_MSG_SIZE_TOO_LARGE`), a bad configuration.
 * Nothing was sent, and nothing else was affected.
 */
export class InvalidArgumentError extends AIOKafkaError {
  constructor(message: string, options: { code?: AIOErrorCode; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'ERR__INVALID_ARG', cause: options.cause });
  }
}

/** An operation did not finish within its time limit. Retriable. */
export class OperationTimeoutError extends AIOKafkaError {
  /** The limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number, cause?: unknown) {
    super(message, { code: AIOErrorCodes.OPERATION_TIMEOUT, retriable: true, cause });
    this.timeoutMs = timeoutMs;
  }
}

/* Consumer and admin errors. Their codes are part of AIOErrorCodes, the one list of our codes. */

/** The consumer and admin codes of {@link AIOErrorCodes}, by the names the consumer docs use. */
export const AIOConsumerErrorCodes = {
  CONSUMER_CLOSED: AIOErrorCodes.CONSUMER_CLOSED,
  HANDLER_FAILED: AIOErrorCodes.HANDLER_FAILED,
  ADMIN_CLOSED: AIOErrorCodes.ADMIN_CLOSED,
} as const;

/**
 * The consumer was closed (or is closing): the call was refused, or what it waited for (a
 * commit's answer, a seek) was given up at close's limit.
 */
export class ConsumerClosedError extends ClientClosedError {
  constructor(message: string, options: ClosedErrorOptions = {}) {
    super(message, { code: AIOErrorCodes.CONSUMER_CLOSED, cause: options.cause });
  }
}

/**
 * A message handler threw or rejected. `cause` is what it threw; the message's coordinates say
 * which message it was. Its offset was not committed (unless `onError` chose to skip it).
 */
export class HandlerError extends AIOKafkaError {
  /** Topic of the message. */
  readonly topic: string;
  /** Partition of the message. */
  readonly partition: number;
  /** Offset of the message. */
  readonly offset: number;

  constructor(message: string, options: { topic: string; partition: number; offset: number; cause: unknown }) {
    super(message, { code: AIOErrorCodes.HANDLER_FAILED, cause: options.cause });
    this.topic = options.topic;
    this.partition = options.partition;
    this.offset = options.offset;
  }
}

/**
 * The admin client was closed: the call was not sent, or (at close's limit) its answer was no
 * longer waited for: then its outcome is unknown.
 */
export class AdminClosedError extends ClientClosedError {
  constructor(message: string, options: ClosedErrorOptions = {}) {
    super(message, { code: AIOErrorCodes.ADMIN_CLOSED, cause: options.cause });
  }
}

/**
 * The cluster does not serve a request this call needs: its ApiVersions answer lacks it, so the
 * call was not sent (it would only have timed out). librdkafka's mock cluster, for one, serves
 * no CreateTopics, DeleteTopics or CreatePartitions. Code `ERR__UNSUPPORTED_FEATURE`, not
 * retriable.
 */
export class UnsupportedByClusterError extends AIOKafkaError {
  /** The Kafka request the cluster does not serve, e.g. `CreateTopics`. */
  readonly api: string;

  constructor(message: string, api: string) {
    super(message, { code: 'ERR__UNSUPPORTED_FEATURE' });
    this.api = api;
  }
}

/**
 * The native binding in use does not have this operation; another one does
 * (`supportedBy`). Nothing was sent. Code `AIO_UNSUPPORTED_BY_BINDING`, not retriable.
 */
export class UnsupportedByBindingError extends AIOKafkaError {
  /** The binding in use, e.g. `node-rdkafka`. */
  readonly binding: string;
  /** The binding that has the operation, e.g. `@confluentinc/kafka-javascript`. */
  readonly supportedBy: string;

  constructor(message: string, options: { binding: string; supportedBy: string }) {
    super(message, { code: AIOErrorCodes.UNSUPPORTED_BY_BINDING });
    this.binding = options.binding;
    this.supportedBy = options.supportedBy;
  }
}

/**
 * No native binding could be loaded: neither node-rdkafka nor @confluentinc/kafka-javascript is
 * installed (or loads), or the one the `binding` option (or AIO_BINDING) names does not, or it
 * would run on another binding's librdkafka. The message says how to install each; `cause` is
 * the loader's error. Code `AIO_BINDING_UNAVAILABLE`, not retriable.
 */
export class BindingUnavailableError extends AIOKafkaError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: AIOErrorCodes.BINDING_UNAVAILABLE, cause });
  }
}

/**
 * A client was created in a `worker_thread`. Both bindings deliver librdkafka's callbacks on the
 * main thread's event loop, into the worker's isolate, and the process crashes (SIGSEGV, or a
 * V8 fatal error): so the client is refused before the binding is even loaded. Create Kafka
 * clients on the main thread and hand work to workers by message. Code `AIO_WORKER_THREAD`.
 */
export class WorkerThreadError extends AIOKafkaError {
  constructor(message: string) {
    super(message, { code: AIOErrorCodes.WORKER_THREAD });
  }
}

/**
 * The call is not allowed in the client's current state, though the client is open: a second
 * `run()` or iteration of a consumer, or `commit()` while nothing consumes. Nothing was done.
 */
export class InvalidStateError extends AIOKafkaError {
  constructor(message: string) {
    super(message, { code: AIOErrorCodes.INVALID_STATE });
  }
}

/**
 * A serializer (producer) or deserializer (consumer) threw or rejected; `cause` is what it threw.
 * On the producer nothing was sent.
 */
export class SerializationError extends AIOKafkaError {
  /** Topic of the message. */
  readonly topic: string;
  /** Which part of the message failed. */
  readonly part: 'key' | 'value';

  constructor(message: string, options: { topic: string; part: 'key' | 'value'; cause: unknown }) {
    super(message, { code: AIOErrorCodes.SERIALIZATION, cause: options.cause });
    this.topic = options.topic;
    this.part = options.part;
  }
}

/**
 * The caller's `AbortSignal` aborted the call; `cause` is the signal's reason. For a message:
 * `possiblyDelivered: false` when it was aborted before librdkafka took it (it was not sent);
 * `true` when librdkafka already had it: it may still be delivered, and its real outcome is
 * emitted as `lateDelivery`.
 */
export class AbortedError extends AIOKafkaError {
  /** See the class description; false for calls that send nothing (`flush`). */
  readonly possiblyDelivered: boolean;

  constructor(message: string, options: { possiblyDelivered: boolean; cause: unknown }) {
    super(message, { code: AIOErrorCodes.ABORTED, cause: options.cause });
    this.possiblyDelivered = options.possiblyDelivered;
  }
}

/**
 * A transactional call (`transaction()`, `sendOffsets`, `commit`, `abort`, or `connect`'s
 * initialisation of transactions) failed. Say what to do next with three flags:
 *
 * - `abortable`: the transaction can no longer commit; abort it (leaving an `await using` scope
 *   does), then start a new one. Nothing of it becomes visible to `read_committed` consumers.
 * - `fatal`: the producer can no longer be used (another instance with the same
 *   `transactional.id` fenced it, or librdkafka failed fatally): close it and connect a new one.
 * - `retriable`: the call may succeed if made again (a commit or abort that timed out: call it
 *   again on the same transaction).
 *
 * `code` is librdkafka's (`ERR__FENCED`, `ERR_TOPIC_AUTHORIZATION_FAILED`, ...) or
 * `AIO_TRANSACTION_PRODUCE_FAILED` (a message produced in the transaction failed; `cause` is its
 * error). The librdkafka error is kept as `cause`.
 */
export class TransactionError extends AIOKafkaError {
  /** The transaction must be aborted: it can no longer commit. */
  readonly abortable: boolean;

  constructor(message: string, options: AIOKafkaErrorOptions & { abortable?: boolean }) {
    super(message, options);
    this.abortable = options.abortable ?? false;
  }
}
