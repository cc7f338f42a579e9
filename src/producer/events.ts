import type { AIOKafkaError } from '../core/errors';
import type { LogEntry } from '../core/client-events';
import type { LibrdkafkaStats, ProducerStats } from '../core/stats';
import type { DeliveryReport } from './delivery-report';

export type { LibrdkafkaStats, LogEntry };

/**
 * A delivery report that arrived after `deliveryTimeoutMs` had already failed the message: the
 * caller was told "timed out", and this is what really happened.
 */
export interface LateDelivery {
  topic: string;
  partition: number;
  /** Set when the message was delivered after all: a retry by the caller may have duplicated it. */
  report: DeliveryReport | undefined;
  /** Set when librdkafka finally reported a failure. */
  error: AIOKafkaError | undefined;
}

/** The events of an {@link AIOProducer} and their listeners. */
export interface AIOProducerEvents {
  /** A fire-and-forget or `produce2` message failed and no `onDelivery` was given for it. */
  deliveryError: (err: AIOKafkaError) => void;
  /**
   * A librdkafka client error (broker down, authentication, …), a throwing callback or listener.
   * Unlike a plain EventEmitter, an `error` with no listener does not crash the process: it is
   * written to stderr, rate-limited. An error with `fatal: true` means the producer has stopped.
   */
  error: (err: AIOKafkaError) => void;
  /** Parsed librdkafka statistics, every `statistics.interval.ms` (docs/observability.md). */
  stats: (stats: ProducerStats) => void;
  /** librdkafka log lines (warnings and errors always; set `debug` in the config for more). To see those of the connection attempts, give a `logger`. */
  log: (entry: LogEntry) => void;
  /** librdkafka reported a message that `deliveryTimeoutMs` had already failed. */
  lateDelivery: (late: LateDelivery) => void;
}
