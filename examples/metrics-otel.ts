/*
 * librdkafka's statistics as OpenTelemetry metrics, printed to the console: the package's
 * `instrumentKafkaStats(client, meter)` on a producer and a consumer, with the OpenTelemetry SDK's
 * console exporter. The mapping is the table in docs/observability.md.
 *
 *   npm run build && npm run build:examples && node dist-examples/metrics-otel.js
 *   KAFKA_BROKERS=host:9092 node dist-examples/metrics-otel.js
 *
 * Why OpenTelemetry rather than prom-client: `@opentelemetry/api` is the one metrics API this
 * package already names (an optional peer, no cost to those who do not use it), it is
 * vendor-neutral (OTLP, or Prometheus through OpenTelemetry's Prometheus exporter), and
 * librdkafka's totals map one to one onto its cumulative observable counters.
 */

/** Produces and consumes a few messages with metrics printed to the console, then stops. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { AIOConsumer, AIOProducer, instrumentKafkaStats } = await import('aio-rdkafka');
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
