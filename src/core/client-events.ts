import type { EventEmitter } from 'node:events';
import { asAIOError } from '../native/errors';
import type { AIOKafkaError } from './errors';
import { RateLimitedReporter } from './rate-limited-reporter';

/** A librdkafka log line (`event.log`), emitted as `log` when `debug` is set. */
export interface LogEntry {
  /** syslog severity: 0 emergency … 7 debug. */
  severity: number;
  /** librdkafka facility, e.g. `BROKER`, `MSG`. */
  facility: string;
  message: string;
}

/** librdkafka's statistics object (see librdkafka's STATISTICS.md); top-level fields typed. */
export interface LibrdkafkaStats {
  name: string;
  client_id: string;
  type: string;
  ts: number;
  time: number;
  msg_cnt: number;
  msg_size: number;
  txmsgs: number;
  [field: string]: unknown;
}

/**
 * How a client tells its user what went wrong outside any call: an `error` event, or, when nobody
 * listens (or the listener throws), a rate-limited line on stderr. Unlike a plain EventEmitter,
 * an `error` nobody listens for never crashes the process, and no listener's throw can break the
 * loop that emitted it.
 */
export class ClientEvents {
  readonly #emitter: EventEmitter;
  readonly #stderr = new RateLimitedReporter();

  constructor(emitter: EventEmitter) {
    this.#emitter = emitter;
  }

  /** Emits `error` with `thrown` as a typed error that says `what` failed. Never throws. */
  error(thrown: unknown, what: string): void {
    const err = asAIOError(thrown, what);
    if (this.#emitter.listenerCount('error') > 0) {
      try {
        this.#emitter.emit('error', err);
        return;
      } catch (listenerErr) {
        this.#stderr.report('an "error" listener threw', 'AIO_LISTENER', listenerErr);
      }
    }
    this.#stderr.report(what, err.code, err);
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
    else this.#stderr.report(`${what}; nothing listens for "${event}"`, err.code, err);
  }

  /** Writes a line to stderr, rate-limited per code (for outcomes that have no event of their own). */
  stderr(what: string, code: string, detail: unknown): void {
    this.#stderr.report(what, code, detail);
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
    if (this.#emitter.listenerCount('log') === 0) return;
    this.emit('log', { severity: raw.severity, facility: raw.fac, message: raw.message } satisfies LogEntry);
  }
}
