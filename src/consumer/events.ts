import type { LogEntry } from '../core/client-events';
import type { AIOKafkaError, HandlerError } from '../core/errors';
import type { ConsumerStats } from '../core/stats';
import type { TopicPartition } from '../core/topic-partition';

/** A change of the consumer's assignment, after it was applied. */
export interface RebalanceEvent {
  /** `assign`: the partitions were added; `revoke`: they were taken away. */
  type: 'assign' | 'revoke';
  partitions: TopicPartition[];
}

/** The events of an {@link AIOConsumer} and their listeners. */
export interface AIOConsumerEvents {
  /**
   * A librdkafka client error, a failed commit, a failed pause/resume or rebalance step. Unlike a
   * plain EventEmitter, an `error` with no listener does not crash the process: it is written to
   * stderr, rate-limited. An error with `fatal: true` ends the consumption.
   */
  error: (err: AIOKafkaError) => void;
  /** A handler failed and `onError` chose `'skip'`: the message counts as processed. */
  handlerError: (err: HandlerError) => void;
  /** The assignment changed (after the revoked partitions' finished offsets were committed). */
  rebalance: (event: RebalanceEvent) => void;
  /** Backpressure: `maxBufferedMessages` were waiting, so the assigned partitions were paused. */
  pause: (partitions: TopicPartition[]) => void;
  /**
   * The buffer drained to half of `maxBufferedMessages`: the partitions backpressure paused were
   * resumed (those the user paused with {@link AIOConsumer.pause} stay paused and are not listed).
   */
  resume: (partitions: TopicPartition[]) => void;
  /** Parsed librdkafka statistics, every `statistics.interval.ms` (set it in the config). */
  stats: (stats: ConsumerStats) => void;
  /** librdkafka log lines (set `debug` in the config for more of them); see also the `logger` option. */
  log: (entry: LogEntry) => void;
}
