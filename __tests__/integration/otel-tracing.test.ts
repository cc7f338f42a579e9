import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AIOConsumer, AIOProducer, getHeader, traceContextOf, traceParentOf, type ConsumerMessage } from '../../src';
import { instrumentKafka, roundTrip } from '../../examples/otel-tracing';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * Issue 12, propagation: examples/otel-tracing.ts against a broker over TCP, with the
 * OpenTelemetry SDK's in-memory exporter; and the propagation option without any subscriber.
 */

let broker: TestBroker;
let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let contextManager: AsyncLocalStorageContextManager;

beforeAll(async () => {
  broker = await startTestBroker();
});

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterEach(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

afterAll(async () => {
  await broker?.stop();
});

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

test('the example: producer spans end at the delivery report; each consumer span is a child of its producer span', async () => {
  const stop = instrumentKafka(trace.getTracer('test'));
  try {
    const topic = randomTopic();
    const root = trace.getTracer('test').startSpan('request');
    const consumed = await context.with(trace.setSpan(context.active(), root), () => roundTrip(broker.bootstrapServers, topic, ['a', 'b', 'c']));
    root.end();
    expect(consumed.sort()).toEqual(['a', 'b', 'c']);

    const spans = exporter.getFinishedSpans();
    const producers = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(producers).toHaveLength(3);
    expect(consumers).toHaveLength(3);
    for (const span of producers) {
      // A child of the span active at produce(), ended with the broker's offset.
      expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(parentOf(span)).toBe(root.spanContext().spanId);
      expect(span.attributes['messaging.kafka.offset']).toEqual(expect.any(Number));
      expect(span.name).toBe(`publish ${topic}`);
    }
    const byId = new Map(producers.map((s) => [s.spanContext().spanId, s]));
    for (const span of consumers) {
      const producerSpan = byId.get(parentOf(span)!);
      expect(producerSpan).toBeDefined();
      expect(span.spanContext().traceId).toBe(producerSpan!.spanContext().traceId);
      // Same message: the consumer read the offset the producer span recorded.
      expect(span.attributes['messaging.kafka.offset']).toBe(producerSpan!.attributes['messaging.kafka.offset']);
      expect(span.attributes['messaging.destination.partition.id']).toBe(producerSpan!.attributes['messaging.destination.partition.id']);
    }
    // Each producer span has exactly one consumer child.
    expect(new Set(consumers.map(parentOf)).size).toBe(3);
  } finally {
    stop();
  }
});

test('propagateTraceContext without subscribers: the active span travels in traceparent; caller headers are kept and not changed', async () => {
  const topic = randomTopic();
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 }, { propagateTraceContext: true });
  const span = trace.getTracer('test').startSpan('send');
  const headers = [{ source: 'web' }];
  const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  try {
    await context.with(trace.setSpan(context.active(), span), async () => {
      await producer.produce(topic, 'traced', { partition: 0, headers });
      await producer.produce(topic, 'own', { partition: 0, headers: [{ traceparent: own }] });
    });
    await producer.produce(topic, 'untraced', { partition: 0 }); // no active span: no header
  } finally {
    span.end();
    await producer.close();
  }
  expect(headers).toEqual([{ source: 'web' }]);

  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': broker.bootstrapServers, 'group.id': randomTopic('group'), 'auto.offset.reset': 'earliest' },
    { topics: [topic] },
  );
  const messages: ConsumerMessage[] = [];
  try {
    for await (const msg of consumer) {
      messages.push(msg);
      if (messages.length === 3) break;
    }
  } finally {
    await consumer.close();
  }
  const [traced, ownMsg, untraced] = messages as [ConsumerMessage, ConsumerMessage, ConsumerMessage];
  expect(getHeader(traced, 'source')?.toString()).toBe('web');
  const parent = traceParentOf(traced);
  expect(parent).toMatchObject({ traceId: span.spanContext().traceId, parentSpanId: span.spanContext().spanId, sampled: true });
  const extracted = trace.getSpanContext(traceContextOf(traced)!);
  expect(extracted).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, isRemote: true });

  // The caller's own traceparent wins, and is not duplicated.
  expect(traceParentOf(ownMsg)?.traceparent).toBe(own);
  expect(ownMsg.headers.filter((h) => 'traceparent' in h)).toHaveLength(1);

  expect(traceParentOf(untraced)).toBeUndefined();
  expect(trace.getSpanContext(traceContextOf(untraced)!)).toBeUndefined();
});
