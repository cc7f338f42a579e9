import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import { AIOConsumer, AIOProducer, instrumentKafkaStats, type LibrdkafkaStats } from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { until } from '../helpers/until';

/*
 * instrumentKafkaStats (src/core/stats-metrics.ts) against a broker over TCP, exported through the
 * SDK's in-memory exporter: the values it reports are the ones the messages produced and consumed
 * imply.
 */

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker.stop();
});

test('reports messages, bytes, queue depth, in-flight, latency, lag and rebalances from librdkafka statistics', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long export interval: the test collects itself, with forceFlush.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  const topic = randomTopic();
  const count = 40;

  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'statistics.interval.ms': 100, 'linger.ms': 1 });
  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': broker.bootstrapServers, 'group.id': randomTopic('group'), 'auto.offset.reset': 'earliest', 'statistics.interval.ms': 100 },
    { topics: [topic], commitIntervalMs: 100 },
  );
  const stops = [instrumentKafkaStats(producer, meter), instrumentKafkaStats(consumer, meter)];
  let producerStats: LibrdkafkaStats | undefined;
  let consumerStats: LibrdkafkaStats | undefined;
  producer.on('stats', (s) => (producerStats = s));
  consumer.on('stats', (s) => (consumerStats = s));
  let consumed = 0;
  const run = consumer.run({ handler: () => void consumed++ });
  try {
    const payload = 'x'.repeat(100);
    await Promise.all(Array.from({ length: count }, (_, n) => producer.produce(topic, payload, { key: `k${n}` })));
    await until('every message consumed', () => consumed === count);
    // Statistics taken after the work, with everything committed: the instruments report the latest.
    const committed = (s: LibrdkafkaStats | undefined): boolean =>
      s !== undefined &&
      Object.values(s.topics[topic]?.partitions ?? {}).some((p) => p.partition >= 0) &&
      Object.values(s.topics[topic]!.partitions).every((p) => p.partition < 0 || p.consumer_lag === 0);
    await until('producer statistics after delivery', () => (producerStats?.txmsgs ?? 0) >= count);
    await until('consumer statistics after the commit', () => committed(consumerStats));

    await reader.forceFlush();
    const exported = exporter.getMetrics().at(-1)!.scopeMetrics.flatMap((scope) => scope.metrics);
    const points = (name: string): DataPoint<number>[] => {
      const metric = exported.find((m) => m.descriptor.name === name);
      if (metric === undefined) throw new Error(`metric ${name} not exported`);
      expect([DataPointType.SUM, DataPointType.GAUGE]).toContain(metric.dataPointType);
      return metric.dataPoints as DataPoint<number>[];
    };
    const forTopic = (name: string): DataPoint<number>[] => points(name).filter((p) => p.attributes['messaging.destination.name'] === topic);
    const total = (list: DataPoint<number>[]): number => list.reduce((sum, p) => sum + p.value, 0);

    // Messages: every one produced, every one consumed, counted per partition.
    expect(total(forTopic('messaging.client.sent.messages'))).toBe(count);
    expect(total(forTopic('messaging.client.consumed.messages'))).toBe(count);
    expect(forTopic('messaging.client.sent.messages').every((p) => p.attributes['messaging.system'] === 'kafka')).toBe(true);
    // Bytes: at least the payloads themselves (librdkafka counts key and value).
    expect(total(forTopic('kafka.client.sent.bytes'))).toBeGreaterThanOrEqual(count * payload.length);
    expect(total(forTopic('kafka.client.received.bytes'))).toBeGreaterThanOrEqual(count * payload.length);
    // Lag: one point per assigned partition, 0 once everything is committed.
    const lag = forTopic('kafka.consumer.lag');
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.map((p) => p.value)).toEqual(lag.map(() => 0));
    // Rebalances: this member joined (an assignment) at least once, and holds partitions.
    expect(points('kafka.consumer.rebalances')[0]!.value).toBeGreaterThanOrEqual(1);
    expect(points('kafka.consumer.assigned_partitions')[0]!.value).toBeGreaterThan(0);
    // Queue depth: the produce queue is empty once everything is delivered.
    const produceQueue = points('kafka.client.queue.messages').filter((p) => p.attributes['kafka.queue'] === 'produce');
    expect(produceQueue.map((p) => p.value)).toEqual([producerStats!.msg_cnt]);
    expect(producerStats!.msg_cnt).toBe(0);
    // In flight: one gauge per broker and client, whole numbers, what the statistics said.
    const inFlight = points('kafka.client.in_flight.requests');
    expect(inFlight.length).toBeGreaterThanOrEqual(2);
    expect(inFlight.every((p) => Number.isInteger(p.value) && p.value >= 0 && typeof p.attributes['server.port'] === 'number')).toBe(true);
    // Latency: the producer's requests had a round trip, reported in seconds.
    const latency = points('kafka.client.request.latency').filter((p) => p.attributes['kafka.statistic'] === 'max');
    expect(latency.length).toBeGreaterThan(0);
    expect(latency.every((p) => p.value > 0 && p.value < 10)).toBe(true);
  } finally {
    for (const stop of stops) stop();
    await consumer.close();
    await run;
    await producer.close();
    await provider.shutdown();
  }
});

test('stops reporting once stopped', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'statistics.interval.ms': 100 });
  try {
    const stop = instrumentKafkaStats(producer, provider.getMeter('test'));
    await new Promise<void>((resolve) => producer.once('stats', () => resolve()));
    stop();
    expect(producer.listenerCount('stats')).toBe(0);
    await reader.forceFlush();
    const names = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.dataPoints.length > 0)));
    expect(names).toEqual([]);
  } finally {
    await producer.close();
    await provider.shutdown();
  }
});
