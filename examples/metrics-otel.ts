/*
 * librdkafka's statistics as OpenTelemetry metrics: `instrumentKafkaStats(client, meter)` keeps
 * the latest `stats` event of a producer or a consumer and reports it through observable
 * instruments whenever the SDK collects. The mapping is the table in docs/observability.md.
 *
 *   npm run build && npm run build:examples && node dist-examples/metrics-otel.js
 *   KAFKA_BROKERS=host:9092 node dist-examples/metrics-otel.js
 *
 * Why OpenTelemetry rather than prom-client: `@opentelemetry/api` is the one metrics API this
 * package already names (an optional peer, no cost to those who do not use it), it is
 * vendor-neutral (OTLP, or Prometheus through OpenTelemetry's Prometheus exporter), and
 * librdkafka's totals map one to one onto its cumulative observable counters.
 */
import {
  metrics,
  ValueType,
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type Observable,
} from '@opentelemetry/api';
import type { ConsumerStats, LibrdkafkaStats, PartitionStats, ProducerStats, WindowStats } from 'aio-rdkafka';

/** A client whose `stats` event carries librdkafka's statistics: AIOProducer or AIOConsumer. */
export interface StatsSource<S extends LibrdkafkaStats = LibrdkafkaStats> {
  on(event: 'stats', listener: (stats: S) => void): unknown;
  off(event: 'stats', listener: (stats: S) => void): unknown;
}

/** The instruments, created once per meter (the SDK returns the same instrument for a name). */
function instruments(meter: Meter) {
  const int = { valueType: ValueType.INT };
  return {
    sentMessages: meter.createObservableCounter('messaging.client.sent.messages', {
      ...int,
      unit: '{message}',
      description: 'Messages produced to the broker (librdkafka partitions[].txmsgs)',
    }),
    consumedMessages: meter.createObservableCounter('messaging.client.consumed.messages', {
      ...int,
      unit: '{message}',
      description: 'Messages fetched from the broker (librdkafka partitions[].rxmsgs)',
    }),
    sentBytes: meter.createObservableCounter('kafka.client.sent.bytes', {
      ...int,
      unit: 'By',
      description: 'Message bytes produced (librdkafka partitions[].txbytes)',
    }),
    receivedBytes: meter.createObservableCounter('kafka.client.received.bytes', {
      ...int,
      unit: 'By',
      description: 'Message bytes fetched (librdkafka partitions[].rxbytes)',
    }),
    queueMessages: meter.createObservableGauge('kafka.client.queue.messages', {
      ...int,
      unit: '{message}',
      description: "Messages in librdkafka's local queue: produce queue (msg_cnt) or fetch queue (sum of fetchq_cnt)",
    }),
    queueBytes: meter.createObservableGauge('kafka.client.queue.bytes', {
      ...int,
      unit: 'By',
      description: "Bytes in librdkafka's local queue: produce queue (msg_size) or fetch queue (sum of fetchq_size)",
    }),
    inFlightRequests: meter.createObservableGauge('kafka.client.in_flight.requests', {
      ...int,
      unit: '{request}',
      description: 'Requests sent to a broker and awaiting its response (brokers[].waitresp_cnt)',
    }),
    inFlightMessages: meter.createObservableGauge('kafka.client.in_flight.messages', {
      ...int,
      unit: '{message}',
      description: 'Messages in requests awaiting a broker response (brokers[].waitresp_msg_cnt)',
    }),
    requestLatency: meter.createObservableGauge('kafka.client.request.latency', {
      unit: 's',
      description: 'Broker round-trip time over the last statistics interval that had requests (brokers[].rtt, avg/p50/p99/max)',
    }),
    consumerLag: meter.createObservableGauge('kafka.consumer.lag', {
      ...int,
      unit: '{message}',
      description: 'High watermark minus committed offset, per assigned partition (partitions[].consumer_lag)',
    }),
    rebalances: meter.createObservableCounter('kafka.consumer.rebalances', {
      ...int,
      unit: '{rebalance}',
      description: 'Rebalances (assign or revoke) of this group member (cgrp.rebalance_cnt)',
    }),
    assignedPartitions: meter.createObservableGauge('kafka.consumer.assigned_partitions', {
      ...int,
      unit: '{partition}',
      description: "Partitions in this member's assignment (cgrp.assignment_size)",
    }),
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
function observe(
  stats: LibrdkafkaStats,
  rtt: ReadonlyMap<string, WindowStats>,
  i: ReturnType<typeof instruments>,
  result: BatchObservableResult,
): void {
  const client: Attributes = { 'messaging.system': 'kafka', 'messaging.client.id': stats.name };
  const producer = stats.type === 'producer';
  let fetchCount = 0;
  let fetchBytes = 0;
  for (const [topic, p] of partitionsOf(stats)) {
    const at: Attributes = { ...client, 'messaging.destination.name': topic, 'messaging.destination.partition.id': String(p.partition) };
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
  const queue: Attributes = { ...client, 'kafka.queue': producer ? 'produce' : 'fetch' };
  result.observe(i.queueMessages, producer ? stats.msg_cnt : fetchCount, queue);
  result.observe(i.queueBytes, producer ? stats.msg_size : fetchBytes, queue);
  for (const broker of Object.values(stats.brokers)) {
    // Bootstrap (-1) and logical brokers repeat connections a learned broker entry reports.
    if (broker.nodeid < 0 || broker.source === 'logical') continue;
    const [host, port] = broker.nodename.split(/:(?=\d+$)/);
    const at: Attributes = { ...client, 'server.address': host, 'server.port': Number(port), 'kafka.broker.id': broker.nodeid };
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

/**
 * Reports a client's librdkafka statistics as OpenTelemetry metrics. Set `statistics.interval.ms`
 * in the client's config (every collection reports the latest statistics, so an interval no longer
 * than the exporter's is best). Returns a function that stops it (call it before closing the
 * client, or after: it only removes a listener and a callback).
 */
export function instrumentKafkaStats(
  client: StatsSource<ProducerStats> | StatsSource<ConsumerStats> | StatsSource,
  meter: Meter = metrics.getMeter('aio-rdkafka'),
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
  const callback = (result: BatchObservableResult): void => {
    if (latest !== undefined) observe(latest, rtt, i, result);
  };
  const all = Object.values(i) as Observable[];
  meter.addBatchObservableCallback(callback, all);
  return () => {
    source.off('stats', listener);
    meter.removeBatchObservableCallback(callback, all);
  };
}

/** Produces and consumes a few messages with metrics printed to the console, then stops. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { AIOConsumer, AIOProducer } = await import('aio-rdkafka');
  const { startMockCluster } = await import('aio-rdkafka/testing');
  const { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');

  const cluster = env.KAFKA_BROKERS ? undefined : await startMockCluster({ brokers: 1 });
  const brokers = env.KAFKA_BROKERS ?? cluster!.bootstrapServers;
  const reader = new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 1000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('aio-rdkafka-example');
  const topic = `metrics-example-${Date.now()}`;

  const producer = await AIOProducer.connect({ 'bootstrap.servers': brokers, 'statistics.interval.ms': 500 });
  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': brokers, 'group.id': `${topic}-group`, 'auto.offset.reset': 'earliest', 'statistics.interval.ms': 500 },
    { topics: [topic] },
  );
  const stops = [instrumentKafkaStats(producer, meter), instrumentKafkaStats(consumer, meter)];
  try {
    await Promise.all(Array.from({ length: 100 }, (_, n) => producer.produce(topic, `message ${n}`, { key: `k${n % 4}` })));
    let consumed = 0;
    const run = consumer.run({ handler: () => void consumed++ });
    while (consumed < 100) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // one more statistics interval and export
    await consumer.close();
    await run;
  } finally {
    for (const stop of stops) stop();
    await consumer.close();
    await producer.close();
    await provider.shutdown();
    await cluster?.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
