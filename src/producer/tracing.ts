import { channel } from 'node:diagnostics_channel';
import type { AIOKafkaError } from '../core/errors';
import { CHANNEL_PREFIX, OperationChannel, type CloseTrace, type ConnectTrace } from '../core/tracing';
import { TRACEPARENT, traceHeaders, type TraceContext } from '../core/propagation';
import type { NativeHeader } from '../native/producer';
import type { BatchResult } from './batch';
import type { DeliveryReport } from './delivery-report';
import type { LateDelivery } from './events';

/**
 * Payload of `aio-rdkafka:producer:produce`: one message, from the call (`start`) to its
 * outcome (`asyncEnd`, with `result` or `error`). The same object is published at every step.
 */
export interface ProduceTrace {
  /** The topic asked for. */
  readonly topic: string;
  /** The partition asked for; -1: the partitioner chooses (the result tells where it went). */
  readonly partition: number;
  /** The key as given to the call (before the key serializer). */
  readonly key: unknown;
  /**
   * Size of the value in bytes, when it is a Buffer or a string (0 for null); undefined when a
   * value serializer converts it later (`result.size` then tells).
   */
  readonly valueSize: number | undefined;
  /** The headers as given to the call (not including the trace-context headers the producer adds). */
  readonly headers: unknown;
  /**
   * With `propagateTraceContext`: the OpenTelemetry context whose span the message carries as its
   * `traceparent`. A `start` subscriber that opens a span for the message sets it (for example
   * `trace.setSpan(context.active(), span)`) so that consumers see that span as their parent;
   * left unset, the context active at the call is used.
   */
  traceContext?: TraceContext;
  /** Set before `asyncStart`: the broker's acknowledgement. */
  result?: DeliveryReport;
  /** Set before `error`: the typed error the call rejects with (or `onDelivery` receives). */
  error?: AIOKafkaError;
}

/** Payload of `aio-rdkafka:producer:produceBatch`: one batch, until every message settled. */
export interface ProduceBatchTrace {
  /** How many messages the batch has. */
  readonly size: number;
  /** Set before `asyncStart`: one outcome per message, as the call resolves. */
  result?: BatchResult[];
  /** Set before `error`: a refusal of the whole batch (not an array, bad options): `InvalidArgumentError`. */
  error?: AIOKafkaError;
}

/** Payload of `aio-rdkafka:producer:commitTransaction` and `aio-rdkafka:producer:abortTransaction`. */
export interface TransactionTrace {
  /** Messages of the transaction still in flight when commit or abort was called. */
  readonly inFlight: number;
  result?: void;
  /**
   * Set before `error`: the typed error the call rejects with: `TransactionError`, or
   * `InvalidStateError`, `ProducerClosedError`, `InvalidArgumentError` (a bad `timeoutMs`).
   */
  error?: AIOKafkaError;
}

/**
 * Payload of `aio-rdkafka:producer:lateDelivery` (a plain channel: one publication): a message
 * failed earlier (by `deliveryTimeoutMs` or its signal, its produce trace already ended with that
 * error) whose report came after all. `trace` is the same object the produce channel published.
 */
export interface LateDeliveryTrace {
  readonly trace: ProduceTrace;
  readonly late: LateDelivery;
}

/** The producer's tracing channels. */
export const producerChannels = {
  produce: new OperationChannel<ProduceTrace>('producer', 'produce'),
  produceBatch: new OperationChannel<ProduceBatchTrace>('producer', 'produceBatch'),
  commitTransaction: new OperationChannel<TransactionTrace>('producer', 'commitTransaction'),
  abortTransaction: new OperationChannel<TransactionTrace>('producer', 'abortTransaction'),
  connect: new OperationChannel<ConnectTrace>('producer', 'connect'),
  close: new OperationChannel<CloseTrace>('producer', 'close'),
  lateDelivery: channel(`${CHANNEL_PREFIX}:producer:lateDelivery`),
};

/** The payload of a produce call's `start`; called only when the produce channel is active. */
export function produceTrace(topic: unknown, partition: number, value: unknown, options: { key?: unknown; headers?: unknown } | undefined): ProduceTrace {
  let valueSize: number | undefined;
  if (value === null) valueSize = 0;
  else if (Buffer.isBuffer(value)) valueSize = value.length;
  else if (typeof value === 'string') valueSize = Buffer.byteLength(value);
  return { topic: String(topic), partition, key: options?.key, valueSize, headers: options?.headers };
}

/** A late report of a traced message. */
export function publishLateDelivery(trace: ProduceTrace, late: LateDelivery): void {
  if (producerChannels.lateDelivery.hasSubscribers) producerChannels.lateDelivery.publish({ trace, late } satisfies LateDeliveryTrace);
}

/**
 * The trace-context headers a message gets with `propagateTraceContext`: read at the call, from
 * `context` or the active one; undefined when there is nothing to propagate.
 */
export function headersToPropagate(context: TraceContext | undefined): NativeHeader[] | undefined {
  return traceHeaders(context);
}

/**
 * `headers` with the trace-context headers appended: a new list (the caller's is never
 * changed); unchanged when the caller set a `traceparent` of its own.
 */
export function withTraceHeaders(headers: NativeHeader[] | undefined, added: NativeHeader[]): NativeHeader[] {
  if (headers === undefined) return added;
  for (const record of headers) if (Object.prototype.hasOwnProperty.call(record, TRACEPARENT)) return headers;
  return [...headers, ...added];
}
