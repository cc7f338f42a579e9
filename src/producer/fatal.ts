/*
 * How the producer learns that librdkafka is fatally failed. node-rdkafka drops the fatal flag: a
 * fatal error reaches JavaScript as the underlying error's text (code -1), exactly like a
 * harmless one. Two signals do say it, both measured on librdkafka 2.12:
 * - librdkafka logs a line with facility `FATAL` (severity 0) when it enters the fatal state,
 *   before it queues the error event;
 * - from then on `produce()` refuses every message with ERR__FATAL, and it checks that before
 *   anything else (rd_kafka_producev: the fatal check, then the topic, then the message). So a
 *   message it must refuse anyway makes a free probe: one to a topic whose name is over
 *   librdkafka's limit is refused with ERR__FATAL when fatal, and with ERR__INVALID_ARG
 *   otherwise, before librdkafka creates a topic object or a message: nothing queued, nothing
 *   sent, no value allocated, no topic needed. Its one side effect: librdkafka restarts its
 *   leader-query timer, which stops at once unless a partition lacks a leader (then it asks for
 *   that metadata, as it would anyway). The native call takes under 1 µs; node-rdkafka's Error
 *   for the refusal, ~12 µs (bench/fatal-probe.ts). It used to be a value of `message.max.bytes`
 *   + 1 bytes to a topic librdkafka knew, refused as MSG_SIZE_TOO_LARGE: that size (1 MB by
 *   default, up to 1 GB) allocated for every non-retriable client error.
 */
import { AIOKafkaError } from '../core/errors';
import { fatalFromLog, fromLibrdkafka, nativeCodeName, nativeErrorText } from '../native/errors';
import type { NativeLogEvent, NativeProducer } from '../native/producer';

/** librdkafka refuses a topic name longer than this many bytes (rd_kafka_topic_new0). */
const LIBRDKAFKA_TOPIC_NAME_MAX_BYTES = 512;
/** The probe's topic: one byte over the limit, so librdkafka refuses it before anything else. */
const PROBE_TOPIC = 'x'.repeat(LIBRDKAFKA_TOPIC_NAME_MAX_BYTES + 1);

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
 * Whether librdkafka is fatally failed, asked with a message it must refuse: to a topic whose name
 * is too long (ERR__FATAL when fatal, ERR__INVALID_ARG otherwise). Sends nothing; no message,
 * topic or value is allocated.
 */
export function probeFatal(native: NativeProducer): boolean {
  try {
    native.produce(PROBE_TOPIC, null, null, undefined, undefined, 0, undefined);
  } catch (err) {
    return nativeCodeName(err) === 'ERR__FATAL';
  }
  // Taken after all (a librdkafka without the name limit?): opaque 0 is no delivery of ours.
  return false;
}

/**
 * The producer's view of librdkafka's fatal state: set once, from a FATAL log line, a client error
 * librdkafka confirms fatal, or any error that says ERR__FATAL itself.
 */
export class FatalWatch {
  readonly #native: NativeProducer;
  #error: AIOKafkaError | undefined;
  /** What librdkafka's FATAL log line said, once it came. */
  #logged: AIOKafkaError | undefined;
  #announced = false;

  constructor(native: NativeProducer) {
    this.#native = native;
  }

  /** The fatal error, once librdkafka is fatal. */
  get error(): AIOKafkaError | undefined {
    return this.#error;
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
    // probe then (an outage's stream of errors makes no native calls).
    const fatal = this.#error !== undefined || (!typed.retriable && probeFatal(this.#native));
    if (!fatal) return typed;
    return new AIOKafkaError(`librdkafka is fatally failed: ${typed.message}`, { code: typed.code, fatal: true, cause: err });
  }
}
