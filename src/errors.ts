import { librdkafkaErrorCodes, librdkafkaErrorText } from './native';

/**
 * Codes of our own, for failures that do not come from librdkafka. Codes that do come from
 * librdkafka keep librdkafka's own name (`ERR__MSG_TIMED_OUT`, `ERR_MSG_SIZE_TOO_LARGE`, ...).
 */
export const AIOErrorCodes = {
  /** The producer was closed (or is closing) before the operation could finish. */
  PRODUCER_CLOSED: 'AIO_PRODUCER_CLOSED',
  /** An operation (connect, flush) did not finish within its timeout. */
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
} as const;

/** Every code this package sets: librdkafka code names, or one of {@link AIOErrorCodes}. */
export type AIOErrorCode = (typeof AIOErrorCodes)[keyof typeof AIOErrorCodes] | `ERR_${string}`;

const kAIOKafkaError = Symbol.for('aio-rdkafka.AIOKafkaError');

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

/**
 * The producer was closed. A call made after `close()` began was not sent
 * (`possiblyDelivered: false`); a message still pending when `close()` gave up may or may not
 * have been delivered (`possiblyDelivered: true`).
 */
export class ProducerClosedError extends AIOKafkaError {
  /** See the class description. */
  readonly possiblyDelivered: boolean;

  constructor(message: string, options: { possiblyDelivered: boolean; cause?: unknown }) {
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

/*
 * librdkafka gives no retriable flag for most errors node-rdkafka surfaces (delivery reports and
 * client events carry only a message), so these tables say which codes mean "the cluster was
 * briefly unable" (try again) and which mean "this client is finished".
 */
const RETRIABLE_CODES: ReadonlySet<string> = new Set([
  'ERR__MSG_TIMED_OUT',
  'ERR__TIMED_OUT',
  'ERR__TIMED_OUT_QUEUE',
  'ERR__TRANSPORT',
  'ERR__ALL_BROKERS_DOWN',
  'ERR__QUEUE_FULL',
  'ERR__RESOLVE',
  'ERR__WAIT_COORD',
  'ERR__PARTIAL',
  'ERR_REQUEST_TIMED_OUT',
  'ERR_NETWORK_EXCEPTION',
  'ERR_NOT_LEADER_FOR_PARTITION',
  'ERR_LEADER_NOT_AVAILABLE',
  'ERR_BROKER_NOT_AVAILABLE',
  'ERR_REPLICA_NOT_AVAILABLE',
  'ERR_NOT_ENOUGH_REPLICAS',
  'ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'ERR_KAFKA_STORAGE_ERROR',
  'ERR_UNKNOWN_TOPIC_OR_PART',
  'ERR_COORDINATOR_LOAD_IN_PROGRESS',
  'ERR_COORDINATOR_NOT_AVAILABLE',
  'ERR_NOT_COORDINATOR',
  'ERR_THROTTLING_QUOTA_EXCEEDED',
  'ERR_FENCED_LEADER_EPOCH',
  'ERR_UNKNOWN_LEADER_EPOCH',
  'ERR_OFFSET_NOT_AVAILABLE',
  'ERR_PREFERRED_LEADER_NOT_AVAILABLE',
]);

const FATAL_CODES: ReadonlySet<string> = new Set([
  'ERR__FATAL',
  'ERR_PRODUCER_FENCED',
  'ERR_INVALID_PRODUCER_EPOCH',
  'ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'ERR_CLUSTER_AUTHORIZATION_FAILED',
]);

/*
 * Failures after which the message may nonetheless be in the log: librdkafka reports a timeout
 * both for messages it never sent and for messages whose request went unanswered (node-rdkafka
 * does not expose rd_kafka_message_status(), which would tell the two apart).
 */
const POSSIBLY_DELIVERED_CODES: ReadonlySet<string> = new Set([
  'ERR__MSG_TIMED_OUT',
  'ERR__TIMED_OUT',
  'ERR__PURGE_INFLIGHT',
  'ERR__TRANSPORT',
  'ERR__FATAL',
  'ERR_REQUEST_TIMED_OUT',
  'ERR_NETWORK_EXCEPTION',
  // The leader wrote it, but too few replicas acknowledged.
  'ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND',
]);

/** Whether librdkafka code `name` is worth retrying when the error itself does not say. */
export function isRetriableCode(name: string): boolean {
  return RETRIABLE_CODES.has(name);
}

let codeByNumber: Map<number, string> | undefined;
let codeByText: Map<string, string> | undefined;

function buildCodeTables(): void {
  codeByNumber = new Map();
  codeByText = new Map();
  for (const [name, value] of Object.entries(librdkafkaErrorCodes())) {
    if (name === 'ERR__BEGIN' || name === 'ERR__END') continue;
    // Aliases share a number: the first (librdkafka's current) name wins, as for texts.
    if (!codeByNumber.has(value)) codeByNumber.set(value, name);
    const text = librdkafkaErrorText(value);
    // The first name wins for the (rare) codes that share a text.
    if (text !== undefined && !codeByText.has(text.toLowerCase())) codeByText.set(text.toLowerCase(), name);
  }
}

/**
 * librdkafka's code name for a numeric code, e.g. `-184` → `ERR__QUEUE_FULL`;
 * {@link AIOErrorCodes.UNKNOWN} when the number is not one librdkafka defines.
 */
export function codeName(code: number): AIOErrorCode {
  if (codeByNumber === undefined) buildCodeTables();
  return (codeByNumber!.get(code) as AIOErrorCode | undefined) ?? AIOErrorCodes.UNKNOWN;
}

/** The shape of the errors node-rdkafka hands out (`LibrdKafkaError`), as far as we read it. */
interface NativeErrorLike {
  message?: unknown;
  code?: unknown;
  origin?: unknown;
  isRetriable?: unknown;
  isFatal?: unknown;
}

/**
 * Recovers librdkafka's code name from a node-rdkafka error.
 *
 * node-rdkafka sets a numeric `code` on errors from synchronous calls, but delivery reports and
 * client error events reach JavaScript as a bare message (`code` -1, text split into `origin` and
 * a lower-cased `message`), so the name is looked up from librdkafka's own error texts.
 */
export function nativeCodeName(err: unknown): AIOErrorCode {
  if (typeof err === 'number') return codeName(err);
  if (typeof err !== 'object' || err === null) return AIOErrorCodes.UNKNOWN;
  const e = err as NativeErrorLike;
  if (typeof e.code === 'number' && e.code !== -1) return codeName(e.code);
  if (typeof e.message !== 'string') return AIOErrorCodes.UNKNOWN;
  if (codeByText === undefined) buildCodeTables();
  const full = typeof e.origin === 'string' && e.origin !== 'unknown' ? `${e.origin}: ${e.message}` : e.message;
  return (codeByText!.get(full.toLowerCase()) as AIOErrorCode | undefined) ?? AIOErrorCodes.UNKNOWN;
}

/** What {@link fromLibrdkafka} should build from a native error. */
export type NativeErrorContext =
  | { kind: 'delivery'; target: MessageTarget }
  | { kind: 'produce'; target: MessageTarget }
  | { kind: 'client' };

/**
 * Turns an error from node-rdkafka into the matching typed error, keeping it as `cause`.
 * Reads node-rdkafka's own `isRetriable` / `isFatal` where it sets them, and librdkafka's code
 * otherwise.
 *
 * - `produce` (a synchronous `produce()` failure): `ERR__QUEUE_FULL` → {@link QueueFullError};
 *   size, unknown partition or topic and invalid argument → {@link InvalidArgumentError};
 *   anything else → {@link DeliveryError} (not delivered).
 * - `delivery` (a failed delivery report) → {@link DeliveryError}.
 * - `client` (an `event.error`, a failed connect or disconnect) → {@link AIOKafkaError}.
 */
export function fromLibrdkafka(err: unknown, context: NativeErrorContext): AIOKafkaError {
  const code = nativeCodeName(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as NativeErrorLike;
  const retriable = typeof e.isRetriable === 'boolean' ? e.isRetriable : isRetriableCode(code);
  const fatal = typeof e.isFatal === 'boolean' ? e.isFatal : FATAL_CODES.has(code);
  const text = describeNative(err, code);

  if (context.kind === 'client') return new AIOKafkaError(text, { code, retriable, fatal, cause: err });

  const { topic, partition } = context.target;
  const where = `topic "${topic}"${partition >= 0 ? ` partition ${partition}` : ''}`;
  if (context.kind === 'produce') {
    switch (code) {
      case 'ERR__QUEUE_FULL':
        return new QueueFullError(`librdkafka's local queue is full; message for ${where} not sent`, err);
      case 'ERR_MSG_SIZE_TOO_LARGE':
      case 'ERR__MSG_SIZE_TOO_LARGE':
      case 'ERR__INVALID_ARG':
      case 'ERR__UNKNOWN_PARTITION':
      case 'ERR__UNKNOWN_TOPIC':
      case 'ERR_INVALID_MSG':
      case 'ERR_INVALID_RECORD':
        return new InvalidArgumentError(`${text}: message for ${where} not sent`, { code, cause: err });
      default:
        return new DeliveryError(`${text}: message for ${where} not sent`, {
          code, retriable, fatal, cause: err, topic, partition, possiblyDelivered: false,
        });
    }
  }
  return new DeliveryError(`delivery to ${where} failed: ${text}`, {
    code,
    retriable,
    fatal,
    cause: err,
    topic,
    partition,
    possiblyDelivered: POSSIBLY_DELIVERED_CODES.has(code),
  });
}

function describeNative(err: unknown, code: AIOErrorCode): string {
  const message = typeof err === 'object' && err !== null ? (err as NativeErrorLike).message : undefined;
  const text = typeof message === 'string' && message !== '' ? message : String(err);
  return `${code}: ${text}`;
}

/* Consumer and admin errors. Their codes are part of AIOErrorCodes, the one list of our codes. */

/** The consumer and admin codes of {@link AIOErrorCodes}, by the names the consumer docs use. */
export const AIOConsumerErrorCodes = {
  CONSUMER_CLOSED: AIOErrorCodes.CONSUMER_CLOSED,
  HANDLER_FAILED: AIOErrorCodes.HANDLER_FAILED,
  ADMIN_CLOSED: AIOErrorCodes.ADMIN_CLOSED,
} as const;

/**
 * The consumer was closed, or its consumption already ended: a `run()` or iteration started after
 * `close()`, or a second one while one is active.
 */
export class ConsumerClosedError extends AIOKafkaError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: AIOErrorCodes.CONSUMER_CLOSED, cause });
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

/** The admin client was closed: the call was not sent. */
export class AdminClosedError extends AIOKafkaError {
  constructor(message: string) {
    super(message, { code: AIOErrorCodes.ADMIN_CLOSED });
  }
}
