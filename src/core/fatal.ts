/*
 * The fatal policy every client shares: librdkafka's fatal state is entered once, from whichever
 * signal says it first; the client is closed from then on; the error is announced once, as
 * `error`, and librdkafka's later echo of it is not reported a second time. How librdkafka's
 * signals are read is the binding's business: a FatalSignals from src/native/fatal.ts.
 */
import type { AIOKafkaError } from './errors';

/** A log line as the binding hands it over. */
export interface NativeLog {
  severity: number;
  fac: string;
  message: string;
}

/** How a client's binding tells that librdkafka is fatally failed (src/native/fatal.ts). */
export interface FatalSignals {
  /** The fatal error a log line announces (the first one only), or undefined. */
  fromLog(log: NativeLog): AIOKafkaError | undefined;
  /**
   * A client error, typed: `fatal: true` when librdkafka is fatal (`known`: the client knows it
   * already); undefined for librdkafka's echo of the fatal error a log line announced.
   */
  clientError(err: unknown, known: boolean): AIOKafkaError | undefined;
}

/** One client's fatal state: set once, announced once. */
export class FatalState {
  #error: AIOKafkaError | undefined;
  #announced = false;

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

  /** The fatal error to announce as `error`, once: the first one learnt; undefined after that. */
  announce(err: AIOKafkaError): AIOKafkaError | undefined {
    if (this.#announced || !err.fatal) return undefined;
    this.#announced = true;
    return err;
  }
}
