/*
 * How a client learns that librdkafka is fatally failed (the policy that follows is
 * src/core/fatal.ts). node-rdkafka drops the fatal flag: a
 * fatal error reaches JavaScript as the underlying error's text (code -1), exactly like a
 * harmless one. Two signals do say it, both measured on librdkafka 2.12:
 * - librdkafka logs a line with facility `FATAL` (severity 0) when it enters the fatal state,
 *   before it queues the error event;
 * - (a producer) from then on `produce()` refuses every message with ERR__FATAL, and it checks that before
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
import type { FatalSignals, NativeLog } from '../core/fatal';
import { fatalFromLog, fromLibrdkafka, nativeCodeName, nativeErrorText } from './errors';
import type { NativeProducer } from './producer';

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
 * librdkafka's fatal signals as node-rdkafka hands them over: its FATAL log line, a client error
 * that says ERR__FATAL or that `probe` confirms (a producer's {@link probeFatal}; a consumer has
 * no probe: its fatal errors come with a FATAL line), and librdkafka's echo of the error the line
 * announced, which is not a second error.
 */
export class NativeFatalSignals implements FatalSignals {
  readonly #probe: (() => boolean) | undefined;
  /** What librdkafka's FATAL log line said, once it came. */
  #logged: AIOKafkaError | undefined;

  constructor(probe?: () => boolean) {
    this.#probe = probe;
  }

  fromLog(log: NativeLog): AIOKafkaError | undefined {
    if (this.#logged !== undefined) return undefined;
    this.#logged = fatalFromLog(log);
    return this.#logged;
  }

  clientError(err: unknown, known: boolean): AIOKafkaError | undefined {
    if (this.#logged !== undefined && echoesFatal(this.#logged, err)) return undefined;
    const typed = fromLibrdkafka(err, { kind: 'client' });
    if (typed.fatal) return typed;
    // A retriable error (transport, all brokers down, ...) is never librdkafka's fatal one: no
    // probe then (an outage's stream of errors makes no native calls).
    const fatal = known || (!typed.retriable && this.#probe !== undefined && this.#probe());
    if (!fatal) return typed;
    return new AIOKafkaError(`librdkafka is fatally failed: ${typed.message}`, { code: typed.code, fatal: true, cause: err });
  }
}
