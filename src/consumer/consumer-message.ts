import type { NativeConsumerMessage } from '../native/consumer';

/** One message read from Kafka. */
export interface ConsumerMessage {
  /** Topic it was read from. */
  topic: string;
  /** Partition it was read from. */
  partition: number;
  /** Its offset in the partition. */
  offset: number;
  /** The key, or null when the message had none. */
  key: Buffer | null;
  /** The value, or null for a tombstone. */
  value: Buffer | null;
  /** Headers in order, one entry per record (as the producer's `headers` option takes them). */
  headers: Array<Record<string, Buffer>>;
  /** Message timestamp, ms since the epoch, when the broker reported one. */
  timestamp: number | undefined;
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
