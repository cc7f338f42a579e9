/*
 * librdkafka's statistics, typed after its STATISTICS.md (librdkafka 2.12): what the `stats` event
 * of the producer and the consumer carries every `statistics.interval.ms`.
 *
 * Field kinds, as STATISTICS.md names them: "int" is a counter that only grows (a total since the
 * client was created: a cumulative OpenTelemetry counter), "int gauge" a current value. All sizes
 * are in bytes, times in microseconds unless a field says otherwise. librdkafka's values are
 * 64-bit; JSON.parse reads them as numbers, exact up to 2^53. The figures are gathered
 * asynchronously: totals may lag the sum of their parts (top-level `tx` below the brokers' sum).
 * docs/observability.md maps them to OpenTelemetry metrics.
 */

/** Rolling-window statistics (a histogram over the last interval); microseconds unless noted. */
export interface WindowStats {
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Average value. */
  avg: number;
  /** Sum of values. */
  sum: number;
  /** Number of values sampled. */
  cnt: number;
  /** Standard deviation (based on the histogram). */
  stddev: number;
  /** Memory size of the HDR histogram. */
  hdrsize: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  p99_99: number;
  /** Values skipped as out of the histogram's range. */
  outofrange: number;
}

/** A partition a broker handles (`brokers[].toppars`, keyed `"topic-partition"`). */
export interface BrokerToppar {
  topic: string;
  partition: number;
}

/** Per broker (`brokers`, keyed by `"host:port/id"`; also bootstrap and logical brokers). */
export interface BrokerStats {
  /** Host, port and broker id, e.g. `"example.com:9092/13"`. */
  name: string;
  /** Broker id; -1 for bootstrap brokers. */
  nodeid: number;
  /** `"host:port"`. */
  nodename: string;
  /** How the broker became known: `learned`, `configured`, `internal`, `logical`. */
  source: string;
  /** Connection state: INIT, DOWN, CONNECT, AUTH, APIVERSION_QUERY, AUTH_HANDSHAKE, UP, UPDATE. */
  state: string;
  /** Gauge: time since the last state change, µs. */
  stateage: number;
  /** Gauge: requests awaiting transmission. */
  outbuf_cnt: number;
  /** Gauge: messages awaiting transmission. */
  outbuf_msg_cnt: number;
  /** Gauge: requests in flight, awaiting a response. */
  waitresp_cnt: number;
  /** Gauge: messages in flight, awaiting a response. */
  waitresp_msg_cnt: number;
  /** Total requests sent. */
  tx: number;
  /** Total bytes sent. */
  txbytes: number;
  /** Total transmission errors. */
  txerrs: number;
  /** Total request retries. */
  txretries: number;
  /** µs since the last socket send, -1 before any. */
  txidle: number;
  /** Total requests timed out. */
  req_timeouts: number;
  /** Total responses received. */
  rx: number;
  /** Total bytes received. */
  rxbytes: number;
  /** Total receive errors. */
  rxerrs: number;
  /** Total responses whose correlation id matched no request (typically timed out). */
  rxcorriderrs: number;
  /** Total partial MessageSets received. */
  rxpartial: number;
  /** µs since the last socket receive, -1 before any. */
  rxidle: number;
  /** Requests sent, by request name (`Produce`, `Fetch`, ...). */
  req: Record<string, number>;
  /** Total decompression buffer size increases. */
  zbuf_grow: number;
  /** Deprecated, unused. */
  buf_grow: number;
  /** Broker thread poll loop wakeups. */
  wakeups: number;
  /** Connection attempts, successful or not, and name resolution failures. */
  connects: number;
  /** Disconnects (by the broker, the network, a load balancer, ...). */
  disconnects: number;
  /** Producer: time messages wait in the internal queue, µs. */
  int_latency: WindowStats;
  /** Time requests wait in the transmit queue before being written to the socket, µs. */
  outbuf_latency: WindowStats;
  /** Broker round-trip time, µs. */
  rtt: WindowStats;
  /** Broker throttling time, **ms**. */
  throttle: WindowStats;
  /** Partitions handled by this broker, keyed `"topic-partition"`. */
  toppars: Record<string, BrokerToppar>;
}

/** Per partition (`topics[].partitions`, keyed by partition id; `"-1"` is the unassigned queue). */
export interface PartitionStats {
  /** Partition id; -1 for the internal unassigned (UA) partition. */
  partition: number;
  /** Id of the broker messages are fetched from. */
  broker: number;
  /** Current leader's broker id. */
  leader: number;
  /** Explicitly desired by the application. */
  desired: boolean;
  /** Not seen in the topic's metadata. */
  unknown: boolean;
  /** Gauge: messages waiting to be produced in the first-level queue. */
  msgq_cnt: number;
  /** Gauge: bytes of `msgq_cnt`. */
  msgq_bytes: number;
  /** Gauge: messages ready to be produced in the transmit queue. */
  xmit_msgq_cnt: number;
  /** Gauge: bytes of `xmit_msgq_cnt`. */
  xmit_msgq_bytes: number;
  /** Gauge: pre-fetched messages in the fetch queue. */
  fetchq_cnt: number;
  /** Gauge: bytes in the fetch queue. */
  fetchq_size: number;
  /** Consumer fetch state: none, stopping, stopped, offset-query, offset-wait, active. */
  fetch_state: string;
  /** Gauge: current or last logical offset query. */
  query_offset: number;
  /** Gauge: next offset to fetch. */
  next_offset: number;
  /** Gauge: offset of the last message passed to the application + 1. */
  app_offset: number;
  /** Gauge: offset to be committed. */
  stored_offset: number;
  /** Leader epoch of the stored offset. */
  stored_leader_epoch: number;
  /** Gauge: last committed offset. */
  committed_offset: number;
  /** @deprecated librdkafka's old misspelling of `committed_offset`, still emitted. */
  commited_offset: number;
  /** Leader epoch of the committed offset. */
  committed_leader_epoch: number;
  /** Gauge: last PARTITION_EOF offset signalled. */
  eof_offset: number;
  /** Gauge: low watermark on the broker. */
  lo_offset: number;
  /** Gauge: high watermark on the broker. */
  hi_offset: number;
  /** Gauge: last stable offset on the broker. */
  ls_offset: number;
  /**
   * Gauge: high watermark (or last stable offset with `read_committed`) minus `committed_offset`;
   * -1 when unknown.
   */
  consumer_lag: number;
  /** Gauge: as `consumer_lag`, against `stored_offset`. */
  consumer_lag_stored: number;
  /** Last known leader epoch, -1 if unknown. */
  leader_epoch: number;
  /** Total messages transmitted (produced). */
  txmsgs: number;
  /** Total bytes of `txmsgs`. */
  txbytes: number;
  /** Total messages consumed, not counting ignored ones. */
  rxmsgs: number;
  /** Total bytes of `rxmsgs`. */
  rxbytes: number;
  /** Total messages received (consumer) or produced, possibly not yet sent (producer). */
  msgs: number;
  /** Dropped outdated messages. */
  rx_ver_drops: number;
  /** Gauge: messages in flight to or from the broker. */
  msgs_inflight: number;
  /** Gauge: next expected acked sequence (idempotent producer). */
  next_ack_seq: number;
  /** Gauge: next expected errored sequence (idempotent producer). */
  next_err_seq: number;
  /** Last acked internal message id (idempotent producer). */
  acked_msgid: number;
}

/** Per topic (`topics`, keyed by topic name). */
export interface TopicStats {
  topic: string;
  /** Gauge: age of the client's topic object, **ms**. */
  age: number;
  /** Gauge: age of the topic's metadata, **ms**. */
  metadata_age: number;
  /** Producer batch sizes, bytes. */
  batchsize: WindowStats;
  /** Producer batch message counts. */
  batchcnt: WindowStats;
  /** Keyed by partition id (`"0"`, ..., and `"-1"` for the unassigned queue). */
  partitions: Record<string, PartitionStats>;
}

/** The consumer group (`cgrp`): present for a consumer in a group. */
export interface ConsumerGroupStats {
  /** The local group handler's state, e.g. `"up"`. */
  state: string;
  /** Gauge: time since the last state change, **ms**. */
  stateage: number;
  /** The join state, e.g. `"steady"`. */
  join_state: string;
  /** Gauge: time since the last rebalance (assign or revoke), **ms**. */
  rebalance_age: number;
  /** Total rebalances (assign or revoke). */
  rebalance_cnt: number;
  /** Reason of the last rebalance, or ''. */
  rebalance_reason: string;
  /** Gauge: partitions in the current assignment. */
  assignment_size: number;
}

/** Idempotent and transactional producer state (`eos`): present when idempotence is on. */
export interface EosStats {
  /** Producer id state, e.g. `"Assigned"`. */
  idemp_state: string;
  /** Gauge: time since the last `idemp_state` change, **ms**. */
  idemp_stateage: number;
  /** Transactional state, e.g. `"InTransaction"`. */
  txn_state: string;
  /** Gauge: time since the last `txn_state` change, **ms**. */
  txn_stateage: number;
  /** Whether the transactional state allows producing. */
  txn_may_enq: boolean;
  /** Gauge: the producer id, or -1. */
  producer_id: number;
  /** Gauge: the producer epoch, or -1. */
  producer_epoch: number;
  /** Producer id assignments since start. */
  epoch_cnt: number;
}

/** Fields every client's statistics have (STATISTICS.md, "Top-level"). */
export interface ClientStatsBase {
  /** Handle instance name, e.g. `"rdkafka#producer-1"`. */
  name: string;
  /** The configured (or default) `client.id`. */
  client_id: string;
  /** `"producer"` or `"consumer"`. */
  type: string;
  /** librdkafka's monotonic clock, µs. */
  ts: number;
  /** Wall clock, **seconds** since the epoch. */
  time: number;
  /** Time since the client was created, µs. */
  age: number;
  /** Gauge: ops (callbacks, events) waiting for the application to poll. */
  replyq: number;
  /** Gauge: messages in the producer queues. */
  msg_cnt: number;
  /** Gauge: bytes of the messages in the producer queues. */
  msg_size: number;
  /** Limit: messages allowed in the producer queues. */
  msg_max: number;
  /** Limit: bytes allowed in the producer queues. */
  msg_size_max: number;
  /** Total requests sent to brokers. */
  tx: number;
  /** Total bytes sent to brokers. */
  tx_bytes: number;
  /** Total responses received from brokers. */
  rx: number;
  /** Total bytes received from brokers. */
  rx_bytes: number;
  /** Total messages produced to brokers. */
  txmsgs: number;
  /** Total message bytes produced (with framing). */
  txmsg_bytes: number;
  /** Total messages consumed, not counting ignored ones. */
  rxmsgs: number;
  /** Total message bytes consumed (with framing). */
  rxmsg_bytes: number;
  /** Gauge: legacy vs new consumer API state. */
  simple_cnt: number;
  /** Gauge: topics in the metadata cache. */
  metadata_cache_cnt: number;
  /** By broker name. */
  brokers: Record<string, BrokerStats>;
  /** By topic name. */
  topics: Record<string, TopicStats>;
}

/** A producer's statistics (`type: "producer"`). */
export interface ProducerStats extends ClientStatsBase {
  type: 'producer';
  /** Present when idempotence (the producer's default) or transactions are on. */
  eos?: EosStats;
}

/** A consumer's statistics (`type: "consumer"`). */
export interface ConsumerStats extends ClientStatsBase {
  type: 'consumer';
  /** Present for a consumer in a group (every AIOConsumer). */
  cgrp?: ConsumerGroupStats;
}

/**
 * librdkafka's statistics, as the `stats` event carries them: narrow on `type`.
 * @example
 * ```ts
 * producer.on('stats', (stats) => {
 *   for (const broker of Object.values(stats.brokers)) console.log(broker.name, broker.rtt.p99);
 * });
 * ```
 */
export type LibrdkafkaStats = ProducerStats | ConsumerStats;
