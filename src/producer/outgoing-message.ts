import { InvalidArgumentError } from '../core/errors';
import { toNativeHeaders } from '../core/headers';
import { describe, topicProblem } from '../core/validation';
import type { NativeHeader } from '../native/producer';
import type { ProduceOptions } from './options';

/** A message checked and converted to what node-rdkafka's `produce()` takes. */
export interface NativeMessage {
  topic: string;
  /** null: let the partitioner choose. */
  partition: number | null;
  value: Buffer | null;
  key: Buffer | string | null | undefined;
  timestamp: number | null | undefined;
  headers: NativeHeader[] | undefined;
}

const MAX_PARTITION = 2 ** 31 - 1;

/**
 * Writes a checked message into `into`, all at once after every option was read: a getter on the
 * caller's options that produced re-entrantly cannot leave a mix of two messages behind.
 */
function fill(
  into: NativeMessage,
  topic: string,
  value: Buffer | null,
  partition: number | null,
  key: Buffer | string | null | undefined,
  timestamp: number | null | undefined,
  headers: NativeHeader[] | undefined,
): NativeMessage {
  into.topic = topic;
  into.value = value;
  into.partition = partition;
  into.key = key;
  into.timestamp = timestamp;
  into.headers = headers;
  return into;
}

/** A blank message for {@link toNativeMessage} to fill. */
export function emptyNativeMessage(): NativeMessage {
  return { topic: '', partition: null, value: null, key: undefined, timestamp: undefined, headers: undefined };
}

/**
 * Checks a call's arguments and converts them for the binding into `into` (which it returns),
 * so the hot path can reuse one object. Throws {@link InvalidArgumentError} naming the first
 * problem; librdkafka checks the size against `message.max.bytes` itself. `binaryHeaders`: the
 * binding sends Buffer header values byte for byte (see core/headers.ts).
 */
export function toNativeMessage(
  topic: string,
  value: unknown,
  options: ProduceOptions | undefined,
  into: NativeMessage = emptyNativeMessage(),
  binaryHeaders = false,
): NativeMessage {
  const problem = topicProblem(topic);
  if (problem !== undefined) throw new InvalidArgumentError(`topic ${problem}`);

  let buffer: Buffer | null;
  if (value === null || Buffer.isBuffer(value)) buffer = value;
  else if (typeof value === 'string') buffer = Buffer.from(value);
  else {
    throw new InvalidArgumentError(`value for topic "${topic}" must be a Buffer, a string or null, got ${describe(value)}`);
  }

  if (options === undefined || options === null) return fill(into, topic, buffer, null, undefined, undefined, undefined);
  if (typeof options !== 'object') {
    throw new InvalidArgumentError(`options for topic "${topic}" must be an object, got ${describe(options)}`);
  }

  const { key, partition, timestamp } = options;
  if (key !== undefined && key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) {
    throw new InvalidArgumentError(`key for topic "${topic}" must be a Buffer, a string or null, got ${describe(key)}`);
  }
  if (partition !== undefined && partition !== null && !(Number.isInteger(partition) && partition >= 0 && partition <= MAX_PARTITION)) {
    throw new InvalidArgumentError(
      `partition for topic "${topic}" must be an integer from 0 to ${MAX_PARTITION}, got ${describe(partition)}`,
    );
  }
  // librdkafka reads a timestamp of 0 as "now": it would be silently replaced, so it is refused.
  if (timestamp !== undefined && timestamp !== null && !(Number.isSafeInteger(timestamp) && timestamp > 0)) {
    throw new InvalidArgumentError(
      `timestamp for topic "${topic}" must be a positive integer number of ms since the epoch, got ${describe(timestamp)}`,
    );
  }
  const headers = toNativeHeaders(topic, options.headers, binaryHeaders);
  // node-rdkafka copies a string key as a C string (cut at a NUL); a Buffer keeps every byte.
  const nativeKey = typeof key === 'string' && key.includes('\0') ? Buffer.from(key) : key;
  return fill(into, topic, buffer, partition ?? null, nativeKey, timestamp, headers);
}
