/*
 * Turning what node-rdkafka throws or reports into this package's typed errors.
 */
import {
  AIOErrorCodes,
  AIOKafkaError,
  DeliveryError,
  InvalidArgumentError,
  QueueFullError,
  TransactionError,
  toAIOError,
  type AIOErrorCode,
  type MessageTarget,
} from '../core/errors';
import { loadBinding, type Binding } from './loader';

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
  // A commit refused while the group rebalances: the next generation's commit may succeed.
  'ERR_REBALANCE_IN_PROGRESS',
]);

/*
 * librdkafka's fatal errors reach node-rdkafka's JavaScript as the underlying error's text, with
 * the fatal flag dropped; only a synchronous refusal carries ERR__FATAL itself. The producer
 * learns that librdkafka is fatal from its FATAL log line or by asking (src/producer/fatal.ts),
 * never from the underlying code: INVALID_PRODUCER_EPOCH, say, is fatal for a transactional
 * producer and a plain batch failure for an idempotent one.
 */
const FATAL_CODES: ReadonlySet<string> = new Set(['ERR__FATAL']);

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
  // Idempotence lost track of what the broker has ("possibly persisted", says librdkafka).
  'ERR_OUT_OF_ORDER_SEQUENCE_NUMBER',
  'ERR_UNKNOWN_PRODUCER_ID',
]);

/**
 * Whether a delivery failed because librdkafka purged the message (ERR__PURGE_QUEUE: never sent;
 * ERR__PURGE_INFLIGHT: sent, outcome unknown). A purge is the consequence of something else: an
 * abort, an abortable transaction error, or librdkafka going fatal.
 */
export function isPurge(err: { readonly code: string }): boolean {
  return err.code === 'ERR__PURGE_QUEUE' || err.code === 'ERR__PURGE_INFLIGHT';
}

/** Whether librdkafka code `name` is worth retrying when the error itself does not say. */
export function isRetriableCode(name: string): boolean {
  return RETRIABLE_CODES.has(name);
}

let codeByNumber: Map<number, string> | undefined;
let codeByText: Map<string, string> | undefined;

/**
 * Builds the code tables now, from the binding a client is created on, rather than at the first
 * error: that may come from librdkafka in the background, after the code that created the client
 * has gone (a failed connect's attempt running out). Both bindings have the same table (the same
 * 175 names and numbers, the same texts), so one table serves every client; it is built again
 * only when the first had no texts (a module object whose `librdkafka.js` was not found).
 */
export function prepareCodeTables(binding: Binding): void {
  if (codeByText === undefined || codeByText.size === 0) buildCodeTables(binding);
}

function buildCodeTables(binding: Binding = loadBinding()): void {
  codeByNumber = new Map();
  codeByText = new Map();
  for (const [name, value] of Object.entries(binding.module.CODES.ERRORS)) {
    if (name === 'ERR__BEGIN' || name === 'ERR__END') continue;
    // Aliases share a number: the first (librdkafka's current) name wins, as for texts.
    if (!codeByNumber.has(value)) codeByNumber.set(value, name);
    const text = binding.errorText(value);
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
  isTxnRequiresAbort?: unknown;
}

/**
 * Recovers librdkafka's code name from a binding's error.
 *
 * Both bindings set a numeric `code` on errors from synchronous calls. node-rdkafka hands delivery
 * reports' failures and client error events over as a bare message (`code` -1, text split into
 * `origin` and a lower-cased `message`), so the name is looked up from librdkafka's own error
 * texts; CKJS gives a failed delivery report librdkafka's numeric code (its client error events
 * are text only, librdkafka's whole text).
 */
export function nativeCodeName(err: unknown): AIOErrorCode {
  if (typeof err === 'number') return codeName(err);
  if (typeof err !== 'object' || err === null) return AIOErrorCodes.UNKNOWN;
  const e = err as NativeErrorLike;
  if (typeof e.code === 'number' && e.code !== -1) return codeName(e.code);
  const full = nativeErrorText(err);
  if (full === undefined) return AIOErrorCodes.UNKNOWN;
  if (codeByText === undefined) buildCodeTables();
  return (codeByText!.get(full.toLowerCase()) as AIOErrorCode | undefined) ?? AIOErrorCodes.UNKNOWN;
}

/**
 * librdkafka's text of an error node-rdkafka handed over as text only: it splits
 * "Broker: Message size too large" into `origin` and a lower-cased `message`; joined again here.
 * CKJS hands a client error event over whole, as librdkafka wrote it ("Local: This instance has
 * been fenced by a newer instance", `origin` "kafka", no code): taken as it is.
 */
export function nativeErrorText(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as NativeErrorLike;
  if (typeof e.message !== 'string' || e.message === '') return undefined;
  if (typeof e.origin !== 'string' || e.origin === 'unknown' || /^(Local|Broker): /.test(e.message)) return e.message;
  return `${e.origin}: ${e.message}`;
}

/**
 * The fatal error librdkafka's log line announces (facility `FATAL`, logged the moment
 * librdkafka becomes fatal, before it queues the error event), or undefined for any other line.
 * node-rdkafka drops the fatal flag of the error event itself: this line is the signal.
 */
export function fatalFromLog(log: { fac: string; message: string }): AIOKafkaError | undefined {
  if (log.fac !== 'FATAL') return undefined;
  return new AIOKafkaError(`ERR__FATAL: ${log.message}`, { code: 'ERR__FATAL', fatal: true, cause: log });
}

/** What {@link fromLibrdkafka} should build from a native error. */
export type NativeErrorContext =
  | { kind: 'delivery'; target: MessageTarget }
  /** `hint`: what the caller should do instead, added to the message of a refusal. */
  | { kind: 'produce'; target: MessageTarget; hint?: string | undefined }
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
        return new DeliveryError(`${text}: message for ${where} not sent${context.hint === undefined ? '' : `; ${context.hint}`}`, {
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

/** The shape of node-rdkafka's `LibrdKafkaError`: a numeric librdkafka code. */
function isNativeError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as NativeErrorLike).code === 'number';
}

/**
 * Anything thrown or reported, as a typed error that says where it came from (`what`):
 * one of ours unchanged; node-rdkafka's errors (numeric librdkafka code) mapped by
 * {@link fromLibrdkafka}; anything else (a Node system error with a string `code`, a user
 * listener's throw) wrapped as `AIO_UNKNOWN`, keeping it as `cause`.
 */
export function asAIOError(thrown: unknown, what: string): AIOKafkaError {
  if (!isNativeError(thrown)) return toAIOError(thrown, what);
  const typed = fromLibrdkafka(thrown, { kind: 'client' });
  return new AIOKafkaError(`${what}: ${typed.message}`, {
    code: typed.code,
    retriable: typed.retriable,
    fatal: typed.fatal,
    cause: thrown,
  });
}

/*
 * Codes that make a transactional producer unusable when the error does not say so itself:
 * beginTransaction's error reaches JavaScript without librdkafka's flags (node-rdkafka builds it
 * with the plain error object), unlike init / commit / abort / sendOffsets, whose errors carry
 * isFatal, isRetriable and isTxnRequiresAbort (measured on node-rdkafka 3.6.1).
 */
const TRANSACTION_FATAL_CODES: ReadonlySet<string> = new Set([
  'ERR__FATAL',
  'ERR__FENCED',
  'ERR_PRODUCER_FENCED',
  'ERR_INVALID_PRODUCER_EPOCH',
  'ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/**
 * The error of a transactional call (`what`: "commit", "sendOffsets", ...) as a
 * {@link TransactionError}: librdkafka's `isFatal`, `isRetriable` and `isTxnRequiresAbort` where
 * node-rdkafka passes them, the code's known meaning where it does not. The native error is the
 * `cause`.
 */
export function fromTransactional(err: unknown, what: string): TransactionError {
  const code = nativeCodeName(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as NativeErrorLike;
  const fatal = typeof e.isFatal === 'boolean' ? e.isFatal : TRANSACTION_FATAL_CODES.has(code);
  const abortable = typeof e.isTxnRequiresAbort === 'boolean' ? e.isTxnRequiresAbort : false;
  const retriable = typeof e.isRetriable === 'boolean' ? e.isRetriable : !fatal && !abortable && isRetriableCode(code);
  const advice = fatal
    ? 'the producer is unusable: close it and connect a new one'
    : abortable
      ? 'the transaction must be aborted'
      : retriable
        ? 'the call may be made again'
        : undefined;
  const text = `${what} failed: ${describeNative(err, code)}${advice === undefined ? '' : ` (${advice})`}`;
  return new TransactionError(text, { code, fatal, retriable, abortable, cause: err });
}
