import { InvalidArgumentError, type AIOKafkaError } from '../core/errors';
import type { ProduceHeaders } from '../core/headers';
import { loggerOption, type Logger } from '../core/logger';
import { booleanOption, checkOptionsObject, durationOption } from '../core/validation';
import { checkConfig, type LibrdkafkaConfig } from '../native/config';
import { bindingOption, type BindingOption } from '../native/loader';
import type { NativeProducerFactory } from '../native/producer';
import type { DeliveryReport } from './delivery-report';

/** librdkafka's default `message.timeout.ms`. */
const LIBRDKAFKA_MESSAGE_TIMEOUT_MS = 300_000;

/**
 * The producer's default `message.timeout.ms`: how long librdkafka keeps trying to deliver a
 * message. An awaited produce in a web handler should fail within a request's patience, not
 * librdkafka's 300 s; KafkaJS's request timeout is 30 s as well.
 */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 30_000;

/** Options of {@link AIOProducer.connect}: how the wrapper behaves (librdkafka's own go in the config). */
export interface AIOProducerOptions {
  /**
   * The native binding the producer runs on: `'node-rdkafka'` (librdkafka 2.12, compiled at
   * install), `'@confluentinc/kafka-javascript'` (CKJS: librdkafka 2.15, prebuilt binaries), or
   * one of those modules itself (`require('@confluentinc/kafka-javascript')`, for bundlers). The
   * guarantees are the same on both; README.md ("Choosing a binding") says what differs.
   * @default the `AIO_BINDING` environment variable if set, else node-rdkafka if it loads, else CKJS
   */
  binding?: BindingOption;
  /**
   * Serve delivery reports (and errors, statistics, log lines) from a librdkafka thread the moment
   * they arrive, instead of at the next poll tick: an awaited produce resolves one broker round
   * trip after librdkafka sent it, and nothing spins while the producer waits. On node-rdkafka it
   * is a small librdkafka plugin built at install time (Linux; native/poller.c) whose thread
   * blocks in librdkafka's poll; node-rdkafka hands what it serves to JavaScript, as it does for
   * every poll. On @confluentinc/kafka-javascript it is librdkafka's own background thread
   * (`setPollInBackground`), nothing to build. `linger.ms` and every other setting keep their
   * meaning. Where the plugin is not built the producer polls on its timer alone (said once, at
   * warn level, to the logger). `false`: the timer alone.
   * @default true
   */
  backgroundPoll?: boolean;
  /**
   * Poll period while any delivery is pending, in ms. With the background poll
   * ({@link backgroundPoll}) it is only a safety net (delivery deadlines, a full queue's
   * retries); without it each delivery
   * report waits on average half of it. `0` polls on every turn of the event loop
   * (`setImmediate`, which then holds the event loop while deliveries are pending).
   * docs/benchmarks.md measures latency and CPU per value.
   * @default 10 with the background poll, 1 without
   */
  pollIntervalMs?: number;
  /**
   * Poll period while nothing is pending, in ms (> 0), so client errors and statistics still
   * flow. Without the background poll only: with it ({@link backgroundPoll}) librdkafka's thread
   * serves those, and the producer arms no timer while nothing is pending.
   * @default 1000
   */
  idlePollIntervalMs?: number;
  /**
   * How long an awaitable call waits for room when librdkafka's local queue is full before it
   * rejects with `QueueFullError`, in ms.
   * @default the configured `message.timeout.ms` (the producer's default: 30000)
   */
  enqueueTimeoutMs?: number;
  /**
   * The producer's own deadline for each message's delivery report, in ms, counted from the moment
   * librdkafka took the message. When it passes, the message's Promise / callback fails with
   * `DeliveryError` (code `AIO_DELIVERY_TIMEOUT`, `retriable: true`, `possiblyDelivered: true`),
   * and a report librdkafka sends later is emitted as `lateDelivery`. A safety net: during an
   * outage librdkafka may hold messages it already sent ("possibly persisted") past
   * `message.timeout.ms` without reporting them. `Infinity` turns it off.
   * @default `message.timeout.ms` + 5000 (with the producer's default: 35000); `Infinity` when
   *   `message.timeout.ms` is 0 (librdkafka's "no limit": you asked for none)
   */
  deliveryTimeoutMs?: number;
  /**
   * How long `connect()` waits for the first metadata answer from the cluster, in ms.
   * @default 30000
   */
  connectTimeoutMs?: number;
  /**
   * Default of `close({ timeoutMs })`: how long close waits for pending deliveries.
   * @default 30000
   */
  closeTimeoutMs?: number;
  /**
   * Receives librdkafka's log lines (level from their syslog severity) from the first connection
   * attempt on, and the errors and warnings nobody listens for, instead of stderr: with a logger
   * nothing is written to stderr. pino and `console` fit as they are.
   * @default none: unheard errors go to stderr, rate-limited
   */
  logger?: Logger;
  /**
   * Add the W3C trace-context headers (`traceparent`, `tracestate`) of the OpenTelemetry context
   * active at the call to every message, so a consumer can continue the trace (see
   * `traceContextOf` and docs/observability.md, "Tracing"). Needs `@opentelemetry/api` (an
   * optional peer dependency) with a propagator registered; without it, or without a span in the
   * context, nothing is added. A message whose headers already have a `traceparent` keeps its
   * own. The caller's headers are never changed.
   * @default false
   */
  propagateTraceContext?: boolean;
}

/**
 * Options of one message. `K` is the key's type: Buffer, string or null, or whatever the
 * producer's `keySerializer` takes.
 */
export interface ProduceOptions<K = Buffer | string | null> {
  /** Message key: decides the partition (murmur2, as Java clients do) unless `partition` is set. */
  key?: K;
  /** Target partition, an integer >= 0. @default chosen by the partitioner */
  partition?: number | null;
  /**
   * Headers: an object map (`{ 'trace-id': 'abc', tag: ['a', 'b'] }`, one header per property or
   * array element, in order; an `undefined` value sends none) or a list of records, in order.
   * Values are strings (sent as UTF-8) or Buffers. node-rdkafka sends header values as C strings,
   * so there a Buffer reaches the broker unchanged only when it is NUL-free UTF-8: any other Buffer
   * (binary data, a NUL byte) is refused with `InvalidArgumentError` naming the header, instead of
   * arriving with U+FFFD in place of its invalid bytes or cut at its first NUL; encode binary
   * values first (`buf.toString('base64')`). @confluentinc/kafka-javascript sends any Buffer byte
   * for byte.
   * @example { 'trace-id': 'abc', source: Buffer.from('web') }
   * @example [{ 'trace-id': 'abc' }, { tag: 'a' }, { tag: 'b' }]
   */
  headers?: ProduceHeaders;
  /** Message timestamp, ms since the epoch. @default the time of the call (set by librdkafka) */
  timestamp?: number | null;
  /**
   * Cancels the call. Aborted before librdkafka took the message (still being serialized, or
   * waiting for room in a full queue): it is not sent, and the call rejects with `AbortedError`
   * (`possiblyDelivered: false`, `cause`: the signal's reason). Aborted after: the message may
   * still be delivered, since nothing can recall it from librdkafka; the call rejects with
   * `AbortedError` (`possiblyDelivered: true`) and the real outcome is emitted as
   * `lateDelivery`. An already aborted signal sends nothing.
   */
  signal?: AbortSignal;
}

/** Options of {@link AIOProducer.produceBatch}. */
export interface ProduceBatchOptions {
  /**
   * Cancels the whole batch, as {@link ProduceOptions.signal} does one message: messages not yet
   * taken by librdkafka are not sent, the others settle `possiblyDelivered: true`.
   */
  signal?: AbortSignal;
}

/** Options of {@link AIOProducer.flush}. */
export interface FlushOptions {
  /** Give up after this long (rejects `OperationTimeoutError`). @default no limit */
  timeoutMs?: number;
  /** Stop waiting (rejects `AbortedError`); the messages themselves are not affected. */
  signal?: AbortSignal;
}

/**
 * Called exactly once with the outcome of every message the call accepted, always asynchronously
 * (never inside the call that produced the message or any other call of yours): from the poll
 * loop for delivery reports and deadlines, in a microtask for an awaitable `produce2` refused
 * before sending (bad input, closed, fatal), and from `close()` for what close gives up on.
 * A fire-and-forget call that throws (bad input, closed, fatal, queue full) accepted nothing: the
 * throw is its outcome and `onDelivery` is never called for it. A callback that throws does not
 * disturb other deliveries: the throw is emitted as `error`.
 */
export type DeliveryCallback = (err: AIOKafkaError | null, report: DeliveryReport | undefined) => void;

/** Options of {@link AIOProducer.produce2}. */
export interface Produce2Options<K = Buffer | string | null> extends ProduceOptions<K> {
  /** Out-of-band outcome of this message; see {@link DeliveryCallback}. */
  onDelivery?: DeliveryCallback;
  /**
   * `true`: return nothing and allocate no Promise. Bad input, a closed producer and a full queue
   * throw synchronously; a delivery failure goes to `onDelivery`, or else to the `deliveryError`
   * event, or else (no listener) to stderr, rate-limited.
   * @default false
   */
  fireAndForget?: boolean;
}

/** Options of {@link AIOProducer.close}. */
export interface CloseOptions {
  /**
   * How long to wait for pending deliveries before rejecting them with `ProducerClosedError`.
   * @default `closeTimeoutMs` of the producer's options (30000)
   */
  timeoutMs?: number;
}

/** Options after defaults: what the producer runs with. */
export interface ResolvedOptions {
  logger: Logger | undefined;
  propagateTraceContext: boolean;
  backgroundPoll: boolean;
  /** As given (checked, not loaded): the binding is loaded by connect. */
  binding: BindingOption | undefined;
  /** As given; undefined: the default, which depends on whether the background poll runs. */
  pollIntervalMs: number | undefined;
  idlePollIntervalMs: number;
  enqueueTimeoutMs: number;
  deliveryTimeoutMs: number;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  /**
   * `queue.buffering.max.messages` (Infinity for its 0, "no limit"): at most this many messages
   * are sent and unreported at once, counted until their report reaches JavaScript.
   */
  maxUnreported: number;
}

/** @internal options of the seam used by unit tests; not part of the public API. */
export interface InternalOptions {
  createNative?: NativeProducerFactory;
}

/** Config keys the wrapper owns: a user-supplied callback there would silently never run. */
const OWNED_CALLBACK_KEYS = ['dr_cb', 'dr_msg_cb'] as const;

/**
 * The librdkafka configuration the producer runs with: a copy of the caller's (never mutated)
 * with delivery reports forced on and data-protecting defaults where the caller set nothing.
 */
export function resolveConfig(config: LibrdkafkaConfig): LibrdkafkaConfig {
  checkConfig(config);
  if (config.event_cb === false) {
    throw new InvalidArgumentError(
      'config "event_cb: false" turns off client errors, statistics and logs, so fatal errors would go unseen; remove it',
    );
  }
  if (isLibrdkafkaTrue(config['delivery.report.only.error'])) {
    throw new InvalidArgumentError(
      'config "delivery.report.only.error: true" makes librdkafka report failed messages only, so a delivered ' +
        "message's Promise or onDelivery would never hear of its success and would fail at deliveryTimeoutMs instead; remove it",
    );
  }
  for (const key of OWNED_CALLBACK_KEYS) {
    if (config[key] !== undefined && config[key] !== true && config[key] !== false) {
      throw new InvalidArgumentError(
        `config "${key}" is owned by AIOProducer (every message's outcome settles its promise or ` +
          'onDelivery callback); remove it',
      );
    }
  }
  if (config['enable.idempotence'] === undefined) checkIdempotenceDefault(config);
  const resolved: LibrdkafkaConfig = {
    'enable.idempotence': true,
    partitioner: 'murmur2_random',
    ...config,
    dr_cb: true,
  };
  delete resolved.dr_msg_cb;
  // librdkafka's 300 s would hold an awaited produce (an HTTP request) five minutes in an outage.
  // Only when unset: a value that is not a number is left for librdkafka (or the type check) to refuse.
  if (config['message.timeout.ms'] === undefined && config['delivery.timeout.ms'] === undefined) {
    resolved['message.timeout.ms'] = DEFAULT_MESSAGE_TIMEOUT_MS;
  }
  return resolved;
}

/** Whether librdkafka reads `value` as a boolean true ("true", "t", "1", any case: rdkafka_conf.c). */
function isLibrdkafkaTrue(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && ['true', 't', '1'].includes(value.toLowerCase());
}

/**
 * What librdkafka's idempotent producer requires (CONFIGURATION.md, `enable.idempotence`), as
 * `[property and its alias, what it needs, whether a value meets it]`. librdkafka refuses a
 * configuration that breaks one only when the client is created, and says nothing of where the
 * idempotence came from.
 */
const IDEMPOTENCE_NEEDS: ReadonlyArray<[keys: readonly string[], needs: string, ok: (value: string) => boolean]> = [
  [['acks', 'request.required.acks'], 'acks "all" (-1)', (v) => v.toLowerCase() === 'all' || Number(v) === -1],
  [['max.in.flight', 'max.in.flight.requests.per.connection'], 'at most 5 requests in flight', (v) => !(Number(v) > 5)],
  [['retries', 'message.send.max.retries'], 'retries >= 1', (v) => !(Number(v) < 1)],
  [['queuing.strategy'], 'queuing.strategy "fifo"', (v) => v !== 'lifo'],
];

/**
 * Refuses a property that conflicts with the producer's default `enable.idempotence: true`,
 * saying that the default is the cause and how to change it; librdkafka would refuse it later
 * with `ERR__STATE` and no such explanation.
 */
function checkIdempotenceDefault(config: LibrdkafkaConfig): void {
  for (const [keys, needs, ok] of IDEMPOTENCE_NEEDS) {
    for (const key of keys) {
      const value = config[key];
      // A value of another type is refused, by its type, when the client is created.
      if (value === undefined || !['string', 'number', 'boolean'].includes(typeof value) || ok(String(value).trim())) continue;
      throw new InvalidArgumentError(
        `config "${key}: ${JSON.stringify(value)}" conflicts with "enable.idempotence", which AIOProducer turns on ` +
          `by default (librdkafka's idempotent producer needs ${needs}). Set "enable.idempotence": false to keep ` +
          `${key} ${JSON.stringify(value)} (retries may then write a message twice or out of order), or remove ${key}`,
      );
    }
  }
}

/** Reads a numeric librdkafka property that may have been given as a string. */
export function configNumber(config: LibrdkafkaConfig, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const raw = config[key];
    if (raw === undefined) continue;
    // Another type (a symbol cannot even be converted) is refused by its type when the client is created.
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/** librdkafka's default `queue.buffering.max.messages`. */
const LIBRDKAFKA_QUEUE_MAX_MESSAGES = 100_000;

/** How much longer than `message.timeout.ms` the producer waits for librdkafka's own report. */
const DELIVERY_TIMEOUT_MARGIN_MS = 5000;

/** `queue.buffering.max.messages`, Infinity for its 0 ("no limit"); librdkafka refuses a value out of its range itself. */
function maxUnreported(config: LibrdkafkaConfig): number {
  const configured = configNumber(config, 'queue.buffering.max.messages');
  if (configured === undefined) return LIBRDKAFKA_QUEUE_MAX_MESSAGES;
  return configured === 0 ? Infinity : configured;
}

/** Fills in the defaults of {@link AIOProducerOptions}; checks every value. */
export function resolveOptions(options: AIOProducerOptions, config: LibrdkafkaConfig): ResolvedOptions {
  checkOptionsObject(options);
  const configured = configNumber(config, 'message.timeout.ms', 'delivery.timeout.ms');
  // 0 means "no limit" to librdkafka: no delivery deadline then, but a wait for queue room still needs one.
  const unlimited = configured === 0;
  const messageTimeoutMs = configured || LIBRDKAFKA_MESSAGE_TIMEOUT_MS;
  return {
    logger: loggerOption(options.logger),
    propagateTraceContext: booleanOption('option propagateTraceContext', options.propagateTraceContext, false),
    backgroundPoll: booleanOption('option backgroundPoll', options.backgroundPoll, true),
    binding: bindingOption('option binding', options.binding),
    pollIntervalMs:
      options.pollIntervalMs === undefined ? undefined : durationOption('option pollIntervalMs', options.pollIntervalMs, 1, { finite: true }),
    idlePollIntervalMs: durationOption('option idlePollIntervalMs', options.idlePollIntervalMs, 1000, { positive: true, finite: true }),
    enqueueTimeoutMs: durationOption('option enqueueTimeoutMs', options.enqueueTimeoutMs, messageTimeoutMs),
    deliveryTimeoutMs: durationOption(
      'option deliveryTimeoutMs',
      options.deliveryTimeoutMs,
      unlimited ? Infinity : messageTimeoutMs + DELIVERY_TIMEOUT_MARGIN_MS,
      { positive: true },
    ),
    connectTimeoutMs: durationOption('option connectTimeoutMs', options.connectTimeoutMs, 30_000),
    closeTimeoutMs: durationOption('option closeTimeoutMs', options.closeTimeoutMs, 30_000),
    maxUnreported: maxUnreported(config),
  };
}
