import { channel, tracingChannel } from 'node:diagnostics_channel';
import { OperationChannel } from '../../../src/core/tracing';
import { parseTraceParent } from '../../../src/core/propagation';
import { AIOProducer } from '../../../src/producer/aio-producer';
import { withTraceHeaders, type LateDeliveryTrace, type ProduceTrace } from '../../../src/producer/tracing';
import { DeliveryError } from '../../../src/core/errors';
import { fakeFactory } from '../../helpers/fake-native-producer';

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

function listen(name: string): { events: string[]; stop(): void } {
  const events: string[] = [];
  const tc = tracingChannel(name);
  const handlers = Object.fromEntries(EVENTS.map((e) => [e, () => events.push(e)])) as unknown as Parameters<typeof tc.subscribe>[0];
  tc.subscribe(handlers);
  return { events, stop: () => tc.unsubscribe(handlers) };
}

describe('OperationChannel', () => {
  it('is inactive until any one sub-channel has a subscriber, and builds no context then', async () => {
    const op = new OperationChannel<{ n: number; result?: number }>('unit', 'inactive');
    expect(op.name).toBe('aio-rdkafka:unit:inactive');
    expect(op.active).toBe(false);
    const build = jest.fn(() => ({ n: 1 }));
    await expect(op.trace(build, async () => 7)).resolves.toBe(7);
    expect(build).not.toHaveBeenCalled();
    const only = (): void => {};
    channel('tracing:aio-rdkafka:unit:inactive:asyncEnd').subscribe(only);
    expect(op.active).toBe(true);
    channel('tracing:aio-rdkafka:unit:inactive:asyncEnd').unsubscribe(only);
    expect(op.active).toBe(false);
  });

  it('publishes an outcome reached inside the call after end, in TracingChannel order', () => {
    const { events, stop } = listen('aio-rdkafka:unit:order');
    try {
      const op = new OperationChannel<{ error?: unknown }>('unit', 'order');
      const ctx: { error?: unknown } = {};
      op.start(ctx);
      op.settle(ctx, new Error('refused')); // inside the call
      expect(events).toEqual(['start']);
      op.end(ctx);
      expect(events).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      expect((ctx.error as Error).message).toBe('refused');
    } finally {
      stop();
    }
  });

  it('trace(): result on success, error on rejection, the caller gets the same outcome', async () => {
    const { events, stop } = listen('aio-rdkafka:unit:trace');
    try {
      const op = new OperationChannel<{ result?: number; error?: unknown }>('unit', 'trace');
      const ok: { result?: number } = {};
      await expect(op.trace(() => ok, async () => 42)).resolves.toBe(42);
      expect(ok.result).toBe(42);
      const failure = new Error('no');
      const bad: { error?: unknown } = {};
      await expect(op.trace(() => bad, () => Promise.reject(failure))).rejects.toBe(failure);
      expect(bad.error).toBe(failure);
      expect(events).toEqual(['start', 'end', 'asyncStart', 'asyncEnd', 'start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    } finally {
      stop();
    }
  });
});

describe('parseTraceParent', () => {
  const header = (traceparent: string, tracestate?: string): Array<Record<string, Buffer | string>> => [
    { traceparent: Buffer.from(traceparent) },
    ...(tracestate ? [{ tracestate }] : []),
  ];

  it('reads a version-00 header, with tracestate, the last traceparent winning', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseTraceParent([{ traceparent: 'garbage' }, ...header(tp, 'vendor=1')])).toEqual({
      traceparent: tp,
      tracestate: 'vendor=1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      sampled: true,
    });
    expect(parseTraceParent(header('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'))?.sampled).toBe(false);
  });

  it.each([
    ['none', []],
    ['malformed', header('00-xyz-00f067aa0ba902b7-01')],
    ['version ff', header('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')],
    ['all-zero trace id', header('00-00000000000000000000000000000000-00f067aa0ba902b7-01')],
    ['all-zero span id', header('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')],
    ['version 00 with extra fields', header('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')],
  ])('returns undefined for %s', (_name, headers) => {
    expect(parseTraceParent(headers)).toBeUndefined();
  });

  it('accepts a later version with extra fields (forward compatible)', () => {
    expect(parseTraceParent(header('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'))?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('withTraceHeaders', () => {
  const added = [{ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }];
  it('appends to a copy, keeps a traceparent the caller set, and takes the added list alone without headers', () => {
    const own = [{ a: '1' }];
    const merged = withTraceHeaders(own, added);
    expect(merged).toEqual([{ a: '1' }, ...added]);
    expect(own).toEqual([{ a: '1' }]);
    const theirs = [{ traceparent: 'mine' }];
    expect(withTraceHeaders(theirs, added)).toBe(theirs);
    expect(withTraceHeaders(undefined, added)).toBe(added);
  });
});

describe('produce channel with a fake librdkafka', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('ends a timed-out message with the deadline error and publishes its late report on lateDelivery', async () => {
    const payloads: ProduceTrace[] = [];
    const lates: LateDeliveryTrace[] = [];
    const tc = tracingChannel<unknown, ProduceTrace>('aio-rdkafka:producer:produce');
    const handlers = { start: (c: ProduceTrace) => payloads.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    const onLate = (m: unknown): void => void lates.push(m as LateDeliveryTrace);
    tc.subscribe(handlers);
    channel('aio-rdkafka:producer:lateDelivery').subscribe(onLate);
    const factory = fakeFactory();
    const connecting = AIOProducer.connectWith({ 'bootstrap.servers': 'fake:9092' }, { deliveryTimeoutMs: 1000 }, { createNative: factory.createNative });
    await jest.advanceTimersByTimeAsync(0);
    const producer = await connecting;
    try {
      producer.on('lateDelivery', () => {});
      const result = producer.produce('t', 'v', { partition: 1 }).catch((err: unknown) => err);
      await jest.advanceTimersByTimeAsync(1200);
      const err = await result;
      expect(err).toBeInstanceOf(DeliveryError);
      expect(payloads).toHaveLength(1);
      expect(payloads[0]!.error).toBe(err);
      expect(lates).toEqual([]);
      factory.fake().deliver(1);
      // Nothing is pending any more: the report is served by the next idle poll (1 s).
      await jest.advanceTimersByTimeAsync(1100);
      expect(lates).toHaveLength(1);
      expect(lates[0]!.trace).toBe(payloads[0]);
      expect(lates[0]!.late).toMatchObject({ topic: 't', partition: 1, report: expect.objectContaining({ offset: 0 }), error: undefined });
    } finally {
      tc.unsubscribe(handlers);
      channel('aio-rdkafka:producer:lateDelivery').unsubscribe(onLate);
      const closing = producer.close({ timeoutMs: 0 });
      await jest.advanceTimersByTimeAsync(50);
      await closing;
    }
  });
});

describe('without @opentelemetry/api installed', () => {
  it('propagateTraceContext adds no header and traceContextOf returns undefined', async () => {
    jest.resetModules();
    jest.doMock('@opentelemetry/api', () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    });
    try {
      const { AIOProducer: Producer } = await import('../../../src/producer/aio-producer');
      const { traceContextOf, traceParentOf } = await import('../../../src/consumer/tracing');
      const helpers = await import('../../helpers/fake-native-producer');
      const factory = helpers.fakeFactory();
      const producer = await Producer.connectWith({ 'bootstrap.servers': 'fake:9092' }, { propagateTraceContext: true }, { createNative: factory.createNative });
      try {
        producer.produce2('t', 'v', { fireAndForget: true, headers: [{ a: '1' }] });
        expect(factory.fake().produced[0]!.headers).toEqual([{ a: '1' }]);
      } finally {
        await producer.close({ timeoutMs: 0 });
      }
      const message = { headers: [{ traceparent: Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') }] };
      expect(traceContextOf(message)).toBeUndefined();
      expect(traceParentOf(message)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    } finally {
      jest.dontMock('@opentelemetry/api');
      jest.resetModules();
    }
  });
});
