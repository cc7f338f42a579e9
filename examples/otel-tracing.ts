/*
 * OpenTelemetry spans from aio-rdkafka's tracing channels (docs/observability.md, "Tracing"):
 * a PRODUCER span per message that ends at its delivery report, and a CONSUMER span per handled
 * message whose parent is that producer span, carried across Kafka in the `traceparent` header
 * (`propagateTraceContext: true`). aio-rdkafka itself never loads the OpenTelemetry SDK: this
 * file is the wiring an application writes once.
 *
 *   npm run build && npm run build:examples
 *   node dist-examples/otel-tracing.js                   # embedded mock cluster, spans to stdout
 *   KAFKA_BROKERS=host:9092 node dist-examples/otel-tracing.js
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AIOConsumer, AIOProducer, traceContextOf, type ConsumeTrace, type ProduceTrace } from 'aio-rdkafka';
import { startMockCluster } from 'aio-rdkafka/testing';

type Handlers<C> = { start?: (ctx: C) => void; error?: (ctx: C) => void; asyncEnd?: (ctx: C) => void };

/** Subscribes `handlers` to the sub-channels of `aio-rdkafka:<name>`; returns the unsubscriber. */
function on<C extends object>(name: string, handlers: Handlers<C>): () => void {
  const channel = tracingChannel(`aio-rdkafka:${name}`);
  const stops: Array<() => void> = [];
  for (const event of ['start', 'error', 'asyncEnd'] as const) {
    const handler = handlers[event];
    if (handler === undefined) continue;
    const listener = (message: unknown): void => handler(message as C);
    channel[event].subscribe(listener);
    stops.push(() => channel[event].unsubscribe(listener));
  }
  return () => stops.forEach((stop) => stop());
}

function failed(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Turns produce and consume operations into spans of `tracer`. Returns a function that stops.
 * The producer span is made the message's trace context (`ctx.traceContext`), so with
 * `propagateTraceContext: true` the consumer span becomes its child.
 */
export function instrumentKafka(tracer: Tracer): () => void {
  const spans = new WeakMap<object, Span>();
  const stops = [
    on<ProduceTrace>('producer:produce', {
      start(ctx) {
        const span = tracer.startSpan(`publish ${ctx.topic}`, {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': ctx.topic },
        });
        spans.set(ctx, span);
        ctx.traceContext = trace.setSpan(context.active(), span);
      },
      error: (ctx) => failed(spans.get(ctx), ctx.error),
      asyncEnd(ctx) {
        const span = spans.get(ctx);
        if (ctx.result !== undefined) {
          span?.setAttribute('messaging.destination.partition.id', String(ctx.result.partition));
          if (ctx.result.offset !== undefined) span?.setAttribute('messaging.kafka.offset', ctx.result.offset);
        }
        span?.end();
      },
    }),
    on<ConsumeTrace>('consumer:consume', {
      start(ctx) {
        const { topic, partition, offset } = ctx.message;
        const span = tracer.startSpan(
          `process ${topic}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'process',
              'messaging.destination.name': topic,
              'messaging.destination.partition.id': String(partition),
              'messaging.kafka.offset': offset,
            },
          },
          traceContextOf(ctx.message) ?? context.active(),
        );
        spans.set(ctx, span);
      },
      error: (ctx) => failed(spans.get(ctx), ctx.error),
      asyncEnd: (ctx) => spans.get(ctx)?.end(),
    }),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Produces `values` to `topic` with trace-context propagation, and consumes them back. */
export async function roundTrip(bootstrapServers: string, topic: string, values: string[]): Promise<string[]> {
  const producer = await AIOProducer.connect({ 'bootstrap.servers': bootstrapServers, 'linger.ms': 5 }, { propagateTraceContext: true });
  try {
    await Promise.all(values.map((value) => producer.produce(topic, value)));
  } finally {
    await producer.close();
  }
  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': bootstrapServers, 'group.id': `${topic}-readers`, 'auto.offset.reset': 'earliest' },
    { topics: [topic] },
  );
  const seen: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          handler: async (msg) => {
            seen.push(msg.value!.toString());
            if (seen.length === values.length) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.close();
  }
  return seen;
}

export async function main(): Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const stop = instrumentKafka(trace.getTracer('otel-tracing-example'));
  const cluster = process.env.KAFKA_BROKERS ? undefined : await startMockCluster();
  try {
    const bootstrap = process.env.KAFKA_BROKERS ?? cluster!.bootstrapServers;
    const parent = trace.getTracer('otel-tracing-example').startSpan('checkout');
    // The producer spans are children of the span active at produce().
    await context.with(trace.setSpan(context.active(), parent), () => roundTrip(bootstrap, `orders-${Date.now()}`, ['a', 'b']));
    parent.end();
  } finally {
    stop();
    await cluster?.stop();
    await provider.shutdown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
