import { InvalidArgumentError } from '../core/errors';
import { describe } from '../core/validation';
import type { NativeConsumerMessage } from '../native/consumer';

/**
 * One message read from Kafka. `K` and `V` are what the consumer's `keyDeserializer` and
 * `valueDeserializer` return; without them key and value are the bytes as received.
 */
export interface ConsumerMessage<K = Buffer | null, V = Buffer | null> {
  /** Topic it was read from. */
  topic: string;
  /** Partition it was read from. */
  partition: number;
  /** Its offset in the partition. */
  offset: number;
  /** The key: without a `keyDeserializer` the bytes, or null when the message had none. */
  key: K;
  /** The value: without a `valueDeserializer` the bytes, or null for a tombstone. */
  value: V;
  /**
   * Headers in order, one entry per record (as the producer's `headers` option takes them); a name
   * may occur more than once. Read one by name with {@link getHeader}.
   */
  headers: Array<Record<string, Buffer>>;
  /** Message timestamp, ms since the epoch, when the broker reported one. */
  timestamp: number | undefined;
}

/**
 * The value of header `name` of a consumed message: the last one when the name occurs more than
 * once (a later header overrides an earlier one, as Kafka's Java client reads them), undefined
 * when there is none. Names are compared exactly (Kafka header names are case-sensitive).
 *
 * @example
 * ```ts
 * const traceId = getHeader(msg, 'trace-id')?.toString();
 * ```
 * @throws {InvalidArgumentError} when `name` is not a string.
 */
export function getHeader(message: Pick<ConsumerMessage<unknown, unknown>, 'headers'>, name: string): Buffer | undefined {
  checkHeaderName(name);
  const { headers } = message;
  for (let i = headers.length - 1; i >= 0; i--) {
    const record = headers[i]!;
    if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
  }
  return undefined;
}

/**
 * Every value of header `name` of a consumed message, in the order they were produced; empty
 * when there is none.
 *
 * @throws {InvalidArgumentError} when `name` is not a string.
 */
export function getHeaders(message: Pick<ConsumerMessage<unknown, unknown>, 'headers'>, name: string): Buffer[] {
  checkHeaderName(name);
  const values: Buffer[] = [];
  for (const record of message.headers) {
    if (Object.prototype.hasOwnProperty.call(record, name)) values.push(record[name]!);
  }
  return values;
}

function checkHeaderName(name: unknown): void {
  if (typeof name !== 'string') throw new InvalidArgumentError(`header name must be a string, got ${describe(name)}`);
}

function toBuffer(value: Buffer | string): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** Copies the fields we promise out of node-rdkafka's message. */
export function toConsumerMessage(native: NativeConsumerMessage): ConsumerMessage {
  const headers: Array<Record<string, Buffer>> = [];
  for (const record of native.headers ?? []) {
    for (const [name, value] of Object.entries(record)) headers.push({ [name]: toBuffer(value) });
  }
  return {
    topic: native.topic,
    partition: native.partition,
    offset: native.offset,
    key: native.key == null ? null : toBuffer(native.key),
    value: native.value ?? null,
    headers,
    timestamp: typeof native.timestamp === 'number' && native.timestamp >= 0 ? native.timestamp : undefined,
  };
}
