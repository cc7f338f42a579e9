import type { AIOKafkaError, HandlerError } from '../core/errors';
import { extractContext, parseTraceParent, type TraceContext, type TraceParent } from '../core/propagation';
import { OperationChannel, type CloseTrace, type ConnectTrace } from '../core/tracing';
import type { TopicPartition, TopicPartitionOffset } from '../core/topic-partition';
import type { ConsumerMessage } from './consumer-message';

/**
 * Payload of `aio-rdkafka:consumer:consume`: one message (or one batch, in a batch `run()`)
 * handed to the handler or to the `for await` body (`start`), until it finished (`asyncEnd`).
 */
export interface ConsumeTrace {
  /** `run` (a handler) or `iterate` (the loop body). */
  readonly kind: 'run' | 'iterate';
  /** The message as received (before the deserializers): its headers carry the trace context. */
  readonly message: ConsumerMessage;
  /** Every message handed out together: one, or a batch's (`message` is the first). */
  readonly messages: readonly ConsumerMessage[];
  /**
   * Set before `asyncStart`: whether the message counts as processed (its offset may be
   * committed): the handler resolved, `onError` chose `'skip'`, or the loop asked for the next
   * message (or called `markProcessed`). False when it was left unfinished (a break, a close, a
   * `'stop'`).
   */
  processed?: boolean;
  result?: void;
  /** Set before `error`: the handler's (or a deserializer's) failure. */
  error?: HandlerError;
}

/** Payload of `aio-rdkafka:consumer:commit`: one commit sent to the group coordinator. */
export interface CommitTrace {
  /** Why: `commit` (the caller's), `periodic commit`, `commit on revocation`, `final commit`. */
  readonly reason: string;
  /** The offsets committed: the next offset to read, per partition. */
  readonly offsets: readonly TopicPartitionOffset[];
  result?: void;
  /**
   * Set before `error`: the commit's failure, typed: librdkafka's refusal (its code), or
   * `OperationTimeoutError` when it was unanswered in time.
   */
  error?: AIOKafkaError;
}

/** Payload of `aio-rdkafka:consumer:rebalance`: one rebalance step, until it was applied. */
export interface RebalanceTrace {
  /** `assign`, `revoke`, or `failed` (librdkafka reported an error: the assignment is released). */
  readonly type: 'assign' | 'revoke' | 'failed';
  /** The partitions of the step (for `failed`, those librdkafka listed). */
  readonly partitions: readonly TopicPartition[];
  result?: void;
  error?: unknown;
}

/** The consumer's tracing channels. */
export const consumerChannels = {
  consume: new OperationChannel<ConsumeTrace>('consumer', 'consume'),
  commit: new OperationChannel<CommitTrace>('consumer', 'commit'),
  rebalance: new OperationChannel<RebalanceTrace>('consumer', 'rebalance'),
  connect: new OperationChannel<ConnectTrace>('consumer', 'connect'),
  close: new OperationChannel<CloseTrace>('consumer', 'close'),
};

/**
 * The OpenTelemetry context a consumed message carries in its headers (the producer's span, with
 * `propagateTraceContext` or any W3C-propagating producer), read by the registered propagator on
 * top of `base` (the root context by default). Start the consumer's span with it as the parent.
 * Undefined when `@opentelemetry/api` is not installed; a context without a span when the
 * message carries none.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * await consumer.run({
 *   handler: async (msg) => {
 *     const span = trace.getTracer('billing').startSpan('bill', {}, traceContextOf(msg));
 *     try { await bill(msg); } finally { span.end(); }
 *   },
 * });
 * ```
 */
export function traceContextOf(message: Pick<ConsumerMessage<unknown, unknown>, 'headers'>, base?: TraceContext): TraceContext | undefined {
  return extractContext(message.headers, base);
}

/**
 * The W3C `traceparent` (and `tracestate`) a consumed message carries, parsed without
 * OpenTelemetry: for logs, or for another tracer. Undefined when there is none or it is malformed.
 *
 * @example
 * ```ts
 * const parent = traceParentOf(msg);
 * if (parent) console.log(`trace ${parent.traceId}, produced in span ${parent.parentSpanId}`);
 * ```
 */
export function traceParentOf(message: Pick<ConsumerMessage<unknown, unknown>, 'headers'>): TraceParent | undefined {
  return parseTraceParent(message.headers);
}
