/*
 * How the producer learns that librdkafka is fatally failed. node-rdkafka drops the fatal flag: a
 * fatal error reaches JavaScript as the underlying error's text (code -1), exactly like a
 * harmless one. Two signals do say it, both measured on librdkafka 2.12:
 * - librdkafka logs a line with facility `FATAL` (severity 0) when it enters the fatal state,
 *   before it queues the error event;
 * - from then on `produce()` refuses every message with ERR__FATAL, and it checks that before
 *   anything else: a message over `message.max.bytes` is refused with ERR__FATAL when fatal, and
 *   with MSG_SIZE_TOO_LARGE (nothing queued, nothing sent) otherwise. That makes a free probe.
 */
import { AIOKafkaError } from '../core/errors';
import { nativeCodeName } from '../native/errors';
import type { NativeLogEvent, NativeProducer } from '../native/producer';

/** librdkafka's default `message.max.bytes`. */
const DEFAULT_MESSAGE_MAX_BYTES = 1_000_000;

/** The fatal error a `FATAL` log line announces, or undefined for any other line. */
export function fatalFromLog(log: NativeLogEvent): AIOKafkaError | undefined {
  if (log.fac !== 'FATAL') return undefined;
  return new AIOKafkaError(`ERR__FATAL: ${log.message}`, { code: 'ERR__FATAL', fatal: true, cause: log });
}

/**
 * Whether a client error is librdkafka's own report of the fatal error its FATAL log line
 * announced (the same text: "Fatal error: Broker: <text>: <detail>" and origin "broker", message
 * "<text>", lower-cased by node-rdkafka).
 */
export function echoesFatal(fatal: AIOKafkaError, err: unknown): boolean {
  const { origin, message } = (typeof err === 'object' && err !== null ? err : {}) as { origin?: unknown; message?: unknown };
  if (typeof message !== 'string' || message === '') return false;
  const text = typeof origin === 'string' && origin !== 'unknown' ? `${origin}: ${message}` : message;
  return fatal.message.toLowerCase().includes(text.toLowerCase());
}

/**
 * Whether librdkafka is fatally failed, asked with a message it must refuse: over
 * `message.max.bytes`, to a topic it already knows (an unknown one would make it fetch metadata).
 * Sends nothing either way.
 */
export function probeFatal(native: NativeProducer, knownTopic: string, messageMaxBytes = DEFAULT_MESSAGE_MAX_BYTES): boolean {
  try {
    native.produce(knownTopic, null, Buffer.alloc(messageMaxBytes + 1), undefined, undefined, 0, undefined);
  } catch (err) {
    return nativeCodeName(err) === 'ERR__FATAL';
  }
  // Taken after all (message.max.bytes larger than configured?): opaque 0 is no delivery of ours.
  return false;
}
