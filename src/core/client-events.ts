import type { EventEmitter } from 'node:events';
import { toAIOError, type AIOKafkaError } from './errors';
import { levelOfSeverity, writeLog, type Logger, type LogLevel } from './logger';
import { RateLimitedReporter } from './rate-limited-reporter';
import type { LibrdkafkaStats } from './stats';

/** A librdkafka log line (`event.log`): warnings and errors always, more with `debug` set. */
export interface LogEntry {
  /** syslog severity: 0 emergency … 7 debug. */
  severity: number;
  /** librdkafka facility, e.g. `BROKER`, `MSG`. */
  facility: string;
  message: string;
}

export type { LibrdkafkaStats };

/** At most this many reports are held back while a client connects; the rest are counted. */
const MAX_HELD = 100;

/**
 * How a client tells its user what went wrong outside any call: an `error` event, or, when nobody
 * listens (or the listener throws), a rate-limited line on stderr, or to the `logger` when one
 * was given (then nothing goes to stderr). Unlike a plain EventEmitter, an `error` nobody listens
 * for never crashes the process, and no listener's throw can break the loop that emitted it.
 * librdkafka's log lines go to the `log` event and, from the first connection attempt on, to the
 * logger.
 */
export class ClientEvents {
  readonly #emitter: EventEmitter;
  readonly #logger: Logger | undefined;
  readonly #stderr = new RateLimitedReporter();
  #muted = false;
  /** What went to the fallback while connect ran ({@link ClientEvents.hold}); undefined otherwise. */
  #held: Array<() => void> | undefined;
  /** Reports past {@link MAX_HELD} while connect ran: counted, said in one line by `open()`. */
  #overflow = 0;

  /** Types what is reported: the native layer's mapping (src/native/errors.ts), which knows its binding's errors. */
  readonly #typeError: (thrown: unknown, what: string) => AIOKafkaError;

  constructor(emitter: EventEmitter, logger?: Logger, typeError: (thrown: unknown, what: string) => AIOKafkaError = toAIOError) {
    this.#emitter = emitter;
    this.#logger = logger;
    this.#typeError = typeError;
  }

  /**
   * Holds back what would go to stderr (or the logger) while the client connects: nobody can
   * listen for its events yet, and if connect fails its rejection says what went wrong, so the
   * caller who handles it sees nothing on stderr. {@link ClientEvents.open} then reports what
   * was held, {@link ClientEvents.mute} drops it.
   */
  hold(): void {
    this.#held ??= [];
  }

  /** Connected: reports what {@link ClientEvents.hold} held back, and no longer holds. */
  open(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const report of held ?? []) report();
    if (this.#overflow > 0) this.#fallback(`${this.#overflow} more reports while connecting were not kept`, 'AIO_UNKNOWN', undefined, 'warn');
    this.#overflow = 0;
  }

  /**
   * Stops reporting anything: for a client whose connect failed, which nobody holds, while
   * librdkafka's own attempt still runs out in the background.
   */
  mute(): void {
    this.#muted = true;
    this.#held = undefined;
  }

  /**
   * The client closed: what the rate limit still counts is written now, its timers are cleared,
   * and later reports (a late error) are written as they come.
   */
  close(): void {
    this.#stderr.close();
  }

  /** The rate-limited fallback: the logger at `level`, else stderr. */
  #fallback(what: string, code: string, detail: unknown, level: LogLevel = 'error'): void {
    if (this.#muted) return;
    if (this.#held !== undefined) {
      // One connect's worth: librdkafka reports each broker's failure, and retries with backoff.
      if (this.#held.length < MAX_HELD) this.#held.push(() => this.#fallback(what, code, detail, level));
      else this.#overflow++;
      return;
    }
    const logger = this.#logger;
    if (logger === undefined) this.#stderr.report(what, code, detail);
    else this.#stderr.reportWith(what, code, detail, (line) => writeLog(logger, level, { code, err: detail }, line.trimEnd()));
  }

  /** Emits `error` with `thrown` as a typed error that says `what` failed. Never throws. */
  error(thrown: unknown, what: string): void {
    const err = this.#typeError(thrown, what);
    if (this.#emitter.listenerCount('error') > 0) {
      try {
        this.#emitter.emit('error', err);
        return;
      } catch (listenerErr) {
        this.#fallback('an "error" listener threw', 'AIO_LISTENER', listenerErr);
      }
    }
    this.#fallback(what, err.code, err);
  }

  /** Emits `event`; a listener that throws is reported as `error`. Never throws. */
  emit(event: string, ...args: unknown[]): void {
    try {
      this.#emitter.emit(event, ...args);
    } catch (thrown) {
      this.error(thrown, `a "${event}" listener threw`);
    }
  }

  /**
   * Emits `event` with `err` when someone listens; otherwise writes `what` to stderr,
   * rate-limited per code, so that the failure is never silently dropped.
   */
  emitOrReport(event: string, err: AIOKafkaError, what: string): void {
    if (this.#emitter.listenerCount(event) > 0) this.emit(event, err);
    else this.#fallback(`${what}; nothing listens for "${event}"`, err.code, err);
  }

  /**
   * A warning with no event of its own (a late delivery, an unconfirmed commit): to the logger,
   * else to stderr; rate-limited per code.
   */
  warn(what: string, code: string, detail: unknown): void {
    this.#fallback(what, code, detail, 'warn');
  }

  /** A note for whoever debugs the client: to the logger at debug level, nowhere without one. */
  debug(message: string, fields: Record<string, unknown> = {}): void {
    if (this.#logger !== undefined && !this.#muted) writeLog(this.#logger, 'debug', fields, message);
  }

  /** librdkafka's `event.stats`, parsed and emitted as `stats` (parsed only when someone listens). */
  stats(raw: { message: string }): void {
    if (this.#emitter.listenerCount('stats') === 0) return;
    let parsed: LibrdkafkaStats;
    try {
      parsed = JSON.parse(raw.message) as LibrdkafkaStats;
    } catch (err) {
      this.error(err, 'librdkafka statistics were not valid JSON');
      return;
    }
    this.emit('stats', parsed);
  }

  /** librdkafka's `event.log`, emitted as `log` (when someone listens). */
  log(raw: { severity: number; fac: string; message: string }): void {
    if (this.#muted) return;
    if (this.#logger !== undefined) {
      writeLog(this.#logger, levelOfSeverity(raw.severity), { facility: raw.fac, severity: raw.severity }, raw.message);
    }
    if (this.#emitter.listenerCount('log') === 0) return;
    this.emit('log', { severity: raw.severity, facility: raw.fac, message: raw.message } satisfies LogEntry);
  }
}
