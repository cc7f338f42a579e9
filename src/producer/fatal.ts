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
import { fatalFromLog, fromLibrdkafka, nativeCodeName, nativeErrorText } from '../native/errors';
import type { NativeLogEvent, NativeProducer } from '../native/producer';

/** librdkafka's default `message.max.bytes`. */
const DEFAULT_MESSAGE_MAX_BYTES = 1_000_000;

/**
 * Whether a client error is librdkafka's own report of the fatal error its FATAL log line
 * announced (the same text: "Fatal error: Broker: <text>: <detail>" and origin "broker", message
 * "<text>", lower-cased by node-rdkafka).
 */
export function echoesFatal(fatal: AIOKafkaError, err: unknown): boolean {
  const text = nativeErrorText(err);
  return text !== undefined && fatal.message.toLowerCase().includes(text.toLowerCase());
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

/**
 * The producer's view of librdkafka's fatal state: set once, from a FATAL log line, a client error
 * librdkafka confirms fatal, or any error that says ERR__FATAL itself.
 */
export class FatalWatch {
  readonly #native: NativeProducer;
  readonly #messageMaxBytes: number;
  #error: AIOKafkaError | undefined;
  /** What librdkafka's FATAL log line said, once it came. */
  #logged: AIOKafkaError | undefined;
  #announced = false;
  /** A topic librdkafka knows (the last one it took a message for): where a probe goes. */
  #knownTopic: string | undefined;

  constructor(native: NativeProducer, messageMaxBytes: number) {
    this.#native = native;
    this.#messageMaxBytes = messageMaxBytes;
  }

  /** The fatal error, once librdkafka is fatal. */
  get error(): AIOKafkaError | undefined {
    return this.#error;
  }

  /** librdkafka took a message for `topic`: a probe can go there without a metadata request. */
  sent(topic: string): void {
    this.#knownTopic = topic;
  }

  /** Records `err` as the fatal error if it is one (and none was recorded); true when it was recorded now. */
  enter(err: AIOKafkaError): boolean {
    if (this.#error !== undefined || !err.fatal) return false;
    this.#error = err;
    return true;
  }

  /**
   * The fatal error to announce as `error`, once: the first one learnt, by whatever path (a
   * FATAL line, a confirmed client error, a refusal); undefined after that.
   */
  announce(err: AIOKafkaError): AIOKafkaError | undefined {
    if (this.#announced || !err.fatal) return undefined;
    this.#announced = true;
    return err;
  }

  /** librdkafka's first FATAL log line, as the fatal error it announces; undefined for any other line. */
  fromLog(log: NativeLogEvent): AIOKafkaError | undefined {
    if (this.#logged !== undefined) return undefined;
    this.#logged = fatalFromLog(log);
    return this.#logged;
  }

  /**
   * A client error, typed: `fatal: true` once librdkafka is fatal (known, or confirmed by a probe
   * now); undefined for librdkafka's own report of the error its FATAL line announced (said
   * already).
   */
  clientError(err: Error): AIOKafkaError | undefined {
    const typed = fromLibrdkafka(err, { kind: 'client' });
    if (this.#logged !== undefined && echoesFatal(this.#logged, err)) return undefined;
    if (typed.fatal) return typed;
    // A retriable error (transport, all brokers down, ...) is never librdkafka's fatal one: no
    // probe then, which also keeps an outage's stream of errors from allocating probe messages.
    const fatal =
      this.#error !== undefined ||
      (!typed.retriable && this.#knownTopic !== undefined && probeFatal(this.#native, this.#knownTopic, this.#messageMaxBytes));
    if (!fatal) return typed;
    return new AIOKafkaError(`librdkafka is fatally failed: ${typed.message}`, { code: typed.code, fatal: true, cause: err });
  }
}
