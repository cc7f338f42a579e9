import { InvalidArgumentError, type HandlerError } from '../core/errors';
import { partitionKey, type TopicPartition } from '../core/topic-partition';
import { loggerOption, type Logger } from '../core/logger';
import { checkOptionsObject, checkTopic, countOption, describe, durationOption } from '../core/validation';
import type { DeserializerOptions } from '../core/serde';
import { checkConfig, type LibrdkafkaConfig } from '../native/config';
import type { NativeConsumerFactory } from '../native/consumer';
import { bindingOption, type BindingOption } from '../native/loader';
import type { ConsumerMessage } from './consumer-message';
import { decoderOf, type MessageDecoder } from './deserialize';

/**
 * Options of {@link AIOConsumer.connect}: how the wrapper behaves (librdkafka's own go in the
 * config). `keyDeserializer` / `valueDeserializer` (sync or async; `deserializers.json` and
 * `deserializers.string` are built in) turn the bytes into the `K` and `V` of every
 * {@link ConsumerMessage}; one that throws fails the message like its handler would (see `onError`).
 */
export interface AIOConsumerOptions<K = Buffer | null, V = Buffer | null> extends DeserializerOptions<K, V> {
  /** Topics to subscribe to (exact names). */
  topics: string[];
  /**
   * The native binding the consumer runs on: `'node-rdkafka'`, `'@confluentinc/kafka-javascript'`,
   * or one of those modules itself (see README.md, "Choosing a binding").
   * @default the `AIO_BINDING` environment variable if set, else node-rdkafka if it loads, else CKJS
   */
  binding?: BindingOption;
  /**
   * How long `connect()` waits for the cluster's first metadata answer, in ms; `Infinity` (or
   * anything above 2^31-1): no limit.
   * @default 30000
   */
  connectTimeoutMs?: number;
  /**
   * Default of `close({ timeoutMs })`: the one deadline of close (running handlers, the final
   * commit, a rebalance step); what is unfinished stays uncommitted; `Infinity`: wait for them.
   * @default 30000
   */
  closeTimeoutMs?: number;
  /**
   * Period of the background commit of finished offsets, in ms. Commits also happen on partition
   * revocation, when `run()` ends and on close. Must be > 0; `Infinity` (or anything above
   * 2^31-1): no periodic commit.
   * @default 5000
   */
  commitIntervalMs?: number;
  /**
   * Messages fetched and not yet handed to a handler, above which the consumer pauses its
   * partitions (backpressure); it resumes them when half as many are left. While paused it keeps
   * polling, so group membership and `max.poll.interval.ms` are unaffected.
   * @default 1000
   */
  maxBufferedMessages?: number;
  /**
   * Most messages one native `consume()` call returns.
   * @default 100
   */
  batchSize?: number;
  /**
   * How long one native `consume()` call waits for *each* message, in ms: the call returns at
   * the first wait that times out or when it has `batchSize` messages, so while messages trickle
   * in one call can last up to `batchSize × pollTimeoutMs`. Close and a revocation wait for the
   * call in flight, so this product bounds their latency. A whole number > 0, at most 2^31-1
   * (librdkafka takes it as such); also the pause after a failed `consume()`.
   * @default 100
   */
  pollTimeoutMs?: number;
  /**
   * On revocation, how long to wait for the running handlers of revoked partitions before their
   * offsets are committed and the partitions are released, in ms. A handler still running after
   * it keeps running, but its message is left to the partition's next owner (which processes it
   * again). Every member of the group waits for the slowest revocation. `Infinity`: wait for them.
   * @default 5000
   */
  revokeTimeoutMs?: number;
  /**
   * Receives librdkafka's log lines (level from their syslog severity) from the first connection
   * attempt on, and the errors and warnings nobody listens for, instead of stderr: with a logger
   * nothing is written to stderr. pino and `console` fit as they are.
   * @default none: unheard errors go to stderr, rate-limited
   */
  logger?: Logger;
}

/**
 * What `run()` does with a message (or batch) whose handler or deserializer threw: `'stop'` ends
 * `run()` (rejecting with the {@link HandlerError}) without committing it; `'skip'` counts it as
 * processed (it is committed) and goes on.
 */
export type HandlerErrorAction = 'stop' | 'skip';

/**
 * Decides per failure; may be async. A throw or rejection here counts as `'stop'`. `message` is
 * the deserialized message, except when the deserializer failed (`err.cause` is a
 * {@link SerializationError}): then it is the message as received, key and value bytes.
 * @example (err, msg) => (err.cause instanceof SerializationError ? 'skip' : 'stop')
 */
export type HandlerErrorPolicy<K = Buffer | null, V = Buffer | null> = (
  err: HandlerError,
  message: ConsumerMessage<K, V> | ConsumerMessage,
) => HandlerErrorAction | Promise<HandlerErrorAction>;

/**
 * {@link HandlerErrorPolicy} of a batch handler: `batch` is the failed batch (as received when a
 * deserializer failed).
 */
export type BatchErrorPolicy<K = Buffer | null, V = Buffer | null> = (
  err: HandlerError,
  batch: Array<ConsumerMessage<K, V>> | ConsumerMessage[],
) => HandlerErrorAction | Promise<HandlerErrorAction>;

/** Options of {@link AIOConsumer.run} shared by the per-message and the batch form. */
interface RunOptionsBase {
  /**
   * Most handlers running at the same time.
   * @default 1
   */
  concurrency?: number;
}

/** Options of {@link AIOConsumer.run} with a handler per message. */
export interface MessageRunOptions<K = Buffer | null, V = Buffer | null> extends RunOptionsBase {
  /** Not a batch run. */
  batch?: false;
  /** Processes one message. The message counts as processed when the returned promise resolves. */
  handler: (message: ConsumerMessage<K, V>) => unknown;
  /**
   * Which messages must not be processed at the same time:
   * - `'key'`: messages of one topic with the same key run one after another, in offset order;
   *   different keys run concurrently. Messages without a key are not ordered.
   * - `'partition'`: messages of one partition run one after another, in offset order.
   * - `'none'`: any message may run concurrently with any other.
   * @default 'key'
   */
  orderBy?: 'key' | 'partition' | 'none';
  /**
   * What to do when a handler (or a deserializer) throws or rejects: `'stop'`, `'skip'`, or a
   * function that decides.
   * @default 'stop'
   */
  onError?: HandlerErrorAction | HandlerErrorPolicy<K, V>;
}

/** How a batch run groups messages. */
export interface BatchOptions {
  /**
   * Most messages in one batch.
   * @default 100
   */
  maxMessages?: number;
  /**
   * How long a partition's oldest waiting message may wait for its batch to fill up to
   * `maxMessages`, in ms; 0: a batch starts as soon as a handler slot is free, with what is
   * waiting. At most 2^31-1.
   * @default 0
   */
  maxWaitMs?: number;
}

/**
 * Options of {@link AIOConsumer.run} with a batch handler: each call gets consecutive messages of
 * one partition, in offset order; batches of one partition run one after another, up to
 * `concurrency` batches (of different partitions) at once. A batch counts as processed, and is
 * committed, when the handler's promise resolves; a failed one holds its partition's commit
 * point below its first message (or is skipped whole, per `onError`).
 */
export interface BatchRunOptions<K = Buffer | null, V = Buffer | null> extends RunOptionsBase {
  /** `true` (the defaults of {@link BatchOptions}) or how to group. */
  batch: true | BatchOptions;
  /** Processes one batch: messages of one partition, in offset order, never empty. */
  handler: (batch: Array<ConsumerMessage<K, V>>) => unknown;
  /** A batch is one partition's messages in offset order: only `'partition'` (the default here). */
  orderBy?: 'partition';
  /**
   * What to do when the handler (or a deserializer of one of the batch's messages) throws: the
   * batch as a whole is stopped at or skipped.
   * @default 'stop'
   */
  onError?: HandlerErrorAction | BatchErrorPolicy<K, V>;
}

/** Options of {@link AIOConsumer.run}: a handler per message, or per batch (`batch` set). */
export type RunOptions<K = Buffer | null, V = Buffer | null> = MessageRunOptions<K, V> | BatchRunOptions<K, V>;

/** Options of {@link AIOConsumer.close}. */
export interface ConsumerCloseOptions {
  /**
   * When close must be done, in ms: running handlers, the final commit and a rebalance step share
   * it; `Infinity`: wait for them.
   * @default `closeTimeoutMs` of the consumer's options (30000)
   */
  timeoutMs?: number;
}

/** Options after defaults: what the consumer runs with. */
export interface ResolvedConsumerOptions {
  topics: string[];
  /** As given (checked, not loaded): the binding is loaded by connect. */
  binding: BindingOption | undefined;
  logger: Logger | undefined;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  commitIntervalMs: number;
  maxBufferedMessages: number;
  batchSize: number;
  pollTimeoutMs: number;
  revokeTimeoutMs: number;
  /** Turns received bytes into keys and values; undefined: no deserializer. */
  decode: MessageDecoder | undefined;
}

/** `run()` options after defaults (types erased: the consumer checks them once, at connect). */
export interface ResolvedRunOptions {
  /** Takes one message, or an array of them when `batch` is set. */
  handler: (messages: never) => unknown;
  concurrency: number;
  orderBy: 'key' | 'partition' | 'none';
  onError: HandlerErrorAction | ((err: HandlerError, messages: never) => HandlerErrorAction | Promise<HandlerErrorAction>);
  /** Batch runs: how messages are grouped; undefined: one message per handler call. */
  batch: { maxMessages: number; maxWaitMs: number } | undefined;
}

/** @internal options of the seam used by unit tests; not part of the public API. */
export interface ConsumerInternalOptions {
  createNative?: NativeConsumerFactory;
}

/** Config keys the wrapper owns: it commits and handles rebalances itself. */
const OWNED_KEYS = ['rebalance_cb', 'offset_commit_cb'] as const;

/**
 * The librdkafka configuration the consumer runs with: a copy of the caller's (never mutated)
 * with automatic commits off (the wrapper commits only finished messages) and the rebalance and
 * commit callbacks owned by the wrapper.
 */
export function resolveConsumerConfig(config: LibrdkafkaConfig): LibrdkafkaConfig {
  checkConfig(config);
  const groupId = config['group.id'];
  if (typeof groupId !== 'string' || groupId === '') {
    throw new InvalidArgumentError('config "group.id" must be a non-empty string: AIOConsumer consumes as a group member');
  }
  for (const key of OWNED_KEYS) {
    if (config[key] !== undefined) {
      throw new InvalidArgumentError(`config "${key}" is owned by AIOConsumer (it handles rebalances and commits itself); remove it`);
    }
  }
  const autoCommit = config['enable.auto.commit'];
  if (autoCommit === true || autoCommit === 'true') {
    throw new InvalidArgumentError(
      'config "enable.auto.commit" must not be true: AIOConsumer commits only offsets whose messages are ' +
        'finished, and librdkafka\'s automatic commit would commit past unfinished ones',
    );
  }
  return {
    'enable.auto.offset.store': false,
    ...config,
    'enable.auto.commit': false,
  };
}

/** Fills in the defaults of {@link AIOConsumerOptions}; checks every value. */
export function resolveConsumerOptions(options: AIOConsumerOptions<unknown, unknown>): ResolvedConsumerOptions {
  checkOptionsObject(options, ' with at least { topics }');
  const { topics } = options;
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new InvalidArgumentError('option topics must be a non-empty array of topic names');
  }
  topics.forEach((topic, i) => checkTopic(topic, `option topics[${i}]`));
  return {
    topics: [...topics],
    binding: bindingOption('option binding', options.binding),
    connectTimeoutMs: durationOption('connectTimeoutMs', options.connectTimeoutMs, 30_000),
    closeTimeoutMs: durationOption('closeTimeoutMs', options.closeTimeoutMs, 30_000),
    commitIntervalMs: durationOption('commitIntervalMs', options.commitIntervalMs, 5_000, { positive: true }),
    maxBufferedMessages: countOption('maxBufferedMessages', options.maxBufferedMessages, 1_000),
    batchSize: countOption('batchSize', options.batchSize, 100),
    pollTimeoutMs: durationOption('pollTimeoutMs', options.pollTimeoutMs, 100, { positive: true, finite: true, integer: true }),
    revokeTimeoutMs: durationOption('revokeTimeoutMs', options.revokeTimeoutMs, 5_000),
    logger: loggerOption(options.logger),
    decode: decoderOf(options),
  };
}

/** Fills in the defaults of {@link RunOptions}; checks every value. */
export function resolveRunOptions(options: RunOptions<unknown, unknown>): ResolvedRunOptions {
  if (typeof options !== 'object' || options === null || typeof options.handler !== 'function') {
    throw new InvalidArgumentError('run() needs options with a handler function: run({ handler: async (msg) => {...} })');
  }
  const batch = resolveBatch(options.batch);
  const orderBy = options.orderBy ?? (batch === undefined ? 'key' : 'partition');
  if (orderBy !== 'key' && orderBy !== 'partition' && orderBy !== 'none') {
    throw new InvalidArgumentError(`option orderBy must be 'key', 'partition' or 'none', got ${String(orderBy)}`);
  }
  if (batch !== undefined && orderBy !== 'partition') {
    throw new InvalidArgumentError(
      `option orderBy must be 'partition' (or left out) with batch: a batch is one partition's messages in offset order, got '${orderBy}'`,
    );
  }
  const onError = options.onError ?? 'stop';
  if (onError !== 'stop' && onError !== 'skip' && typeof onError !== 'function') {
    throw new InvalidArgumentError(`option onError must be 'stop', 'skip' or a function, got ${String(onError)}`);
  }
  return {
    handler: options.handler,
    concurrency: countOption('concurrency', options.concurrency, 1),
    orderBy,
    onError,
    batch,
  };
}

function resolveBatch(batch: unknown): ResolvedRunOptions['batch'] {
  if (batch === undefined || batch === false) return undefined;
  if (batch === true) return { maxMessages: 100, maxWaitMs: 0 };
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) {
    throw new InvalidArgumentError(`option batch must be true or { maxMessages?, maxWaitMs? }, got ${describe(batch)}`);
  }
  const { maxMessages, maxWaitMs } = batch as BatchOptions;
  return {
    maxMessages: countOption('batch.maxMessages', maxMessages, 100),
    maxWaitMs: durationOption('batch.maxWaitMs', maxWaitMs, 0, { finite: true }),
  };
}

/** Options of {@link AIOConsumer.lag}. */
export interface LagOptions {
  /**
   * Time limit of each broker request (watermarks, committed offsets), in ms.
   * @default 10000
   */
  timeoutMs?: number;
}

/** Checks a list of partitions of a pause, resume or seek: each of a subscribed topic; returns copies. */
export function checkPartitions(what: string, partitions: unknown, topics: readonly string[]): TopicPartition[] {
  if (!Array.isArray(partitions)) {
    throw new InvalidArgumentError(`${what}: partitions must be an array of { topic, partition }, got ${describe(partitions)}`);
  }
  const seen = new Set<string>();
  const list: TopicPartition[] = [];
  partitions.forEach((tp: unknown, i) => {
    const at = what === 'seek' ? `${what}: topicPartition` : `${what}: partitions[${i}]`;
    if (typeof tp !== 'object' || tp === null) throw new InvalidArgumentError(`${at} must be { topic, partition }, got ${describe(tp)}`);
    const { topic, partition } = tp as Partial<TopicPartition>;
    checkTopic(topic, `${at}.topic`);
    if (!topics.includes(topic)) {
      throw new InvalidArgumentError(`${at}.topic "${topic}" is not one of the topics this consumer subscribes to`);
    }
    if (!(typeof partition === 'number' && Number.isSafeInteger(partition) && partition >= 0)) {
      throw new InvalidArgumentError(`${at}.partition must be an integer >= 0, got ${describe(partition)}`);
    }
    const key = partitionKey(topic, partition);
    if (!seen.has(key)) list.push({ topic, partition });
    seen.add(key);
  });
  return list;
}

/** Checks an offset (a whole number >= 0): `what` names it in the refusal. */
export function checkOffset(what: string, offset: unknown): asserts offset is number {
  if (!(typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0)) {
    throw new InvalidArgumentError(`${what} must be an integer >= 0, got ${describe(offset)}`);
  }
}
