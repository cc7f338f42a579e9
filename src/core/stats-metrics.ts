/*
 * librdkafka's statistics as OpenTelemetry metrics: `instrumentKafkaStats(client, meter)` keeps the
 * latest `stats` event of a producer or a consumer and reports it through observable instruments
 * whenever the SDK collects. The mapping is the table in docs/observability.md ("Mapping to
 * OpenTelemetry"). The meter is the application's: the OpenTelemetry API types are declared here
 * structurally (as in propagation.ts), so the package's types do not need `@opentelemetry/api`,
 * and it is loaded only for the default meter.
 */
import { InvalidArgumentError } from './errors';
import { openTelemetry } from './opentelemetry';
import type { ConsumerStats, LibrdkafkaStats, PartitionStats, ProducerStats, WindowStats } from './stats';

/** Attributes of a metric point (OpenTelemetry's `Attributes`). */
export type MetricAttributes = Record<string, string | number | boolean>;

/** An observable instrument, as the meter returns it (opaque here). */
export type ObservableInstrument = object;

/** The part of an OpenTelemetry `Meter` that {@link instrumentKafkaStats} uses. */
export interface StatsMeter {
  createObservableCounter(name: string, options?: { description?: string; unit?: string; valueType?: number }): ObservableInstrument;
  createObservableGauge(name: string, options?: { description?: string; unit?: string; valueType?: number }): ObservableInstrument;
  addBatchObservableCallback(callback: (result: StatsObservation) => void, observables: ObservableInstrument[]): void;
  removeBatchObservableCallback(callback: (result: StatsObservation) => void, observables: ObservableInstrument[]): void;
}

/** OpenTelemetry's `BatchObservableResult`: where a collection's values go. */
export interface StatsObservation {
  observe(observable: ObservableInstrument, value: number, attributes?: MetricAttributes): void;
}

/** A client whose `stats` event carries librdkafka's statistics: AIOProducer or AIOConsumer. */
export interface StatsSource<S extends LibrdkafkaStats = LibrdkafkaStats> {
  on(event: 'stats', listener: (stats: S) => void): unknown;
  off(event: 'stats', listener: (stats: S) => void): unknown;
}

/** OpenTelemetry's `ValueType.INT`. */
const INT = 0;

/** The instruments, created once per call (the SDK returns the same instrument for a name). */
function instruments(meter: StatsMeter) {
  const counter = (name: string, unit: string, description: string) => meter.createObservableCounter(name, { valueType: INT, unit, description });
  const gauge = (name: string, unit: string, description: string) => meter.createObservableGauge(name, { valueType: INT, unit, description });
  return {
    sentMessages: counter('messaging.client.sent.messages', '{message}', 'Messages produced to the broker (librdkafka partitions[].txmsgs)'),
    consumedMessages: counter('messaging.client.consumed.messages', '{message}', 'Messages fetched from the broker (librdkafka partitions[].rxmsgs)'),
    sentBytes: counter('kafka.client.sent.bytes', 'By', 'Message bytes produced (librdkafka partitions[].txbytes)'),
    receivedBytes: counter('kafka.client.received.bytes', 'By', 'Message bytes fetched (librdkafka partitions[].rxbytes)'),
    queueMessages: gauge(
      'kafka.client.queue.messages',
      '{message}',
      "Messages in librdkafka's local queue: produce queue (msg_cnt) or fetch queue (sum of fetchq_cnt)",
    ),
    queueBytes: gauge('kafka.client.queue.bytes', 'By', "Bytes in librdkafka's local queue: produce queue (msg_size) or fetch queue (sum of fetchq_size)"),
    inFlightRequests: gauge('kafka.client.in_flight.requests', '{request}', 'Requests sent to a broker and awaiting its response (brokers[].waitresp_cnt)'),
    inFlightMessages: gauge('kafka.client.in_flight.messages', '{message}', 'Messages in requests awaiting a broker response (brokers[].waitresp_msg_cnt)'),
    requestLatency: meter.createObservableGauge('kafka.client.request.latency', {
      unit: 's',
      description: 'Broker round-trip time over the last statistics interval that had requests (brokers[].rtt, avg/p50/p99/max)',
    }),
    consumerLag: gauge('kafka.consumer.lag', '{message}', 'High watermark minus committed offset, per assigned partition (partitions[].consumer_lag)'),
    rebalances: counter('kafka.consumer.rebalances', '{rebalance}', 'Rebalances (assign or revoke) of this group member (cgrp.rebalance_cnt)'),
    assignedPartitions: gauge('kafka.consumer.assigned_partitions', '{partition}', "Partitions in this member's assignment (cgrp.assignment_size)"),
  };
}

/** Real partitions of every topic (not librdkafka's internal unassigned queue, id -1). */
function* partitionsOf(stats: LibrdkafkaStats): Generator<[topic: string, partition: PartitionStats]> {
  for (const topic of Object.values(stats.topics)) {
    for (const partition of Object.values(topic.partitions)) {
      if (partition.partition >= 0) yield [topic.topic, partition];
    }
  }
}

/**
 * Reports one statistics snapshot through the instruments. `rtt` holds each broker's last
 * round-trip window that had samples: a window with none (an idle interval) says nothing of the
 * latency, so the last one that did is reported.
 */
function observe(stats: LibrdkafkaStats, rtt: ReadonlyMap<string, WindowStats>, i: ReturnType<typeof instruments>, result: StatsObservation): void {
  const client: MetricAttributes = { 'messaging.system': 'kafka', 'messaging.client.id': stats.name };
  const producer = stats.type === 'producer';
  let fetchCount = 0;
  let fetchBytes = 0;
  for (const [topic, p] of partitionsOf(stats)) {
    const at: MetricAttributes = { ...client, 'messaging.destination.name': topic, 'messaging.destination.partition.id': String(p.partition) };
    if (producer) {
      result.observe(i.sentMessages, p.txmsgs, { ...at, 'messaging.operation.name': 'send' });
      result.observe(i.sentBytes, p.txbytes, at);
    } else {
      result.observe(i.consumedMessages, p.rxmsgs, { ...at, 'messaging.operation.name': 'poll' });
      result.observe(i.receivedBytes, p.rxbytes, at);
      fetchCount += p.fetchq_cnt;
      fetchBytes += p.fetchq_size;
      // -1: not known yet (nothing committed, or no watermark from the broker).
      if (p.consumer_lag >= 0 && p.desired) result.observe(i.consumerLag, p.consumer_lag, at);
    }
  }
  const queue: MetricAttributes = { ...client, 'kafka.queue': producer ? 'produce' : 'fetch' };
  result.observe(i.queueMessages, producer ? stats.msg_cnt : fetchCount, queue);
  result.observe(i.queueBytes, producer ? stats.msg_size : fetchBytes, queue);
  for (const broker of Object.values(stats.brokers)) {
    // Bootstrap (-1) and logical brokers repeat connections a learned broker entry reports.
    if (broker.nodeid < 0 || broker.source === 'logical') continue;
    const [host = broker.nodename, port] = broker.nodename.split(/:(?=\d+$)/);
    const at: MetricAttributes = { ...client, 'server.address': host, 'server.port': Number(port), 'kafka.broker.id': broker.nodeid };
    result.observe(i.inFlightRequests, broker.waitresp_cnt, at);
    result.observe(i.inFlightMessages, broker.waitresp_msg_cnt, at);
    const window = rtt.get(broker.name);
    if (window !== undefined) {
      for (const stat of ['avg', 'p50', 'p99', 'max'] as const) {
        result.observe(i.requestLatency, window[stat] / 1e6, { ...at, 'kafka.statistic': stat });
      }
    }
  }
  if (stats.type === 'consumer' && stats.cgrp !== undefined) {
    result.observe(i.rebalances, stats.cgrp.rebalance_cnt, client);
    result.observe(i.assignedPartitions, stats.cgrp.assignment_size, client);
  }
}

/** The global meter provider's meter for this package, from `@opentelemetry/api`. */
function defaultMeter(): StatsMeter {
  const otel = openTelemetry<{ metrics: { getMeter(name: string): StatsMeter } }>();
  if (otel === null) {
    throw new InvalidArgumentError('instrumentKafkaStats: pass a meter, or install @opentelemetry/api for the global one');
  }
  return otel.metrics.getMeter('aio-rdkafka');
}

/**
 * Reports a client's librdkafka statistics as OpenTelemetry metrics (the instruments and
 * attributes of docs/observability.md, "Mapping to OpenTelemetry"). Set `statistics.interval.ms`
 * in the client's config: each collection reports the latest statistics, so an interval no longer
 * than the exporter's is best.
 *
 * @param client an AIOProducer or AIOConsumer.
 * @param meter the meter to create the instruments with. @default the global meter provider's
 *   `getMeter('aio-rdkafka')` (needs `@opentelemetry/api`, an optional peer dependency)
 * @returns a function that stops the reporting: it removes the `stats` listener and the meter's
 *   callback (call it before or after closing the client).
 * @throws {@link InvalidArgumentError} without `meter` when `@opentelemetry/api` is not installed.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const producer = await AIOProducer.connect({ 'bootstrap.servers': brokers, 'statistics.interval.ms': 15_000 });
 * const stop = instrumentKafkaStats(producer, metrics.getMeter('orders'));
 * ```
 */
export function instrumentKafkaStats(
  client: StatsSource<ProducerStats> | StatsSource<ConsumerStats> | StatsSource,
  meter: StatsMeter = defaultMeter(),
): () => void {
  const i = instruments(meter);
  let latest: LibrdkafkaStats | undefined;
  const rtt = new Map<string, WindowStats>();
  const listener = (stats: LibrdkafkaStats): void => {
    latest = stats;
    for (const broker of Object.values(stats.brokers)) if (broker.rtt.cnt > 0) rtt.set(broker.name, broker.rtt);
  };
  const source = client as StatsSource;
  source.on('stats', listener);
  const callback = (result: StatsObservation): void => {
    if (latest !== undefined) observe(latest, rtt, i, result);
  };
  const all = Object.values(i);
  meter.addBatchObservableCallback(callback, all);
  return () => {
    source.off('stats', listener);
    meter.removeBatchObservableCallback(callback, all);
  };
}
