/*
 * W3C trace-context propagation through Kafka headers, with `@opentelemetry/api` when the
 * application has it installed (loaded by opentelemetry.ts). The types here are the few members
 * of the OpenTelemetry API this file calls, declared structurally.
 */
import { openTelemetry } from './opentelemetry';

/** An OpenTelemetry `Context` (structurally): pass it to `tracer.startSpan(name, options, context)`. */
export interface TraceContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): TraceContext;
  deleteValue(key: symbol): TraceContext;
}

interface TextMapSetter {
  set(carrier: Record<string, string>, key: string, value: string): void;
}
interface TextMapGetter<C> {
  keys(carrier: C): string[];
  get(carrier: C, key: string): string | string[] | undefined;
}
/** The part of `@opentelemetry/api` this package uses. */
interface OtelApi {
  context: { active(): TraceContext };
  propagation: {
    inject(context: TraceContext, carrier: Record<string, string>, setter: TextMapSetter): void;
    extract<C>(context: TraceContext, carrier: C, getter: TextMapGetter<C>): TraceContext;
  };
  ROOT_CONTEXT: TraceContext;
}

/** The W3C trace-context header names. */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

const setter: TextMapSetter = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * The headers the registered OpenTelemetry propagator writes for `context` (the active context
 * by default): `traceparent` and `tracestate` with the W3C propagator, one header record per
 * entry. Undefined without `@opentelemetry/api`, or when the propagator wrote nothing (no span
 * in the context, or no propagator registered).
 */
export function traceHeaders(context?: TraceContext): Array<Record<string, string>> | undefined {
  const otel = openTelemetry<OtelApi>();
  if (otel === null) return undefined;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(context ?? otel.context.active(), carrier, setter);
  const names = Object.keys(carrier);
  if (names.length === 0) return undefined;
  return names.map((name) => ({ [name]: carrier[name]! }));
}

/** Headers in the consumed form: one record per entry, values as Buffers (or strings). */
export type HeaderList = ReadonlyArray<Readonly<Record<string, Buffer | string>>>;

/** The last value of header `name` (a later header overrides an earlier one), as a string. */
export function lastHeader(headers: HeaderList, name: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) {
    const record = headers[i]!;
    if (Object.prototype.hasOwnProperty.call(record, name)) return record[name]!.toString();
  }
  return undefined;
}

const getter: TextMapGetter<HeaderList> = {
  keys(carrier) {
    const names = new Set<string>();
    for (const record of carrier) for (const name of Object.keys(record)) names.add(name);
    return [...names];
  },
  get(carrier, key) {
    return lastHeader(carrier, key);
  },
};

/**
 * The context the registered propagator reads from `headers`, on top of `base` (the root
 * context by default); undefined without `@opentelemetry/api`.
 */
export function extractContext(headers: HeaderList, base?: TraceContext): TraceContext | undefined {
  const otel = openTelemetry<OtelApi>();
  if (otel === null) return undefined;
  return otel.propagation.extract(base ?? otel.ROOT_CONTEXT, headers, getter);
}

/** A W3C `traceparent` header, read without OpenTelemetry. */
export interface TraceParent {
  /** The header as received. */
  traceparent: string;
  /** The `tracestate` header as received, when there is one. */
  tracestate: string | undefined;
  /** 32 lowercase hex digits. */
  traceId: string;
  /** The producer-side span: 16 lowercase hex digits. */
  parentSpanId: string;
  /** The `sampled` flag. */
  sampled: boolean;
}

const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses the `traceparent` header of `headers` (W3C Trace Context, version 00 and the forward
 * compatible later versions); undefined when there is none or it is malformed (version `ff`,
 * an all-zero trace or span id, a bad format), as the spec says a receiver must treat it.
 */
export function parseTraceParent(headers: HeaderList): TraceParent | undefined {
  const traceparent = lastHeader(headers, TRACEPARENT);
  if (traceparent === undefined) return undefined;
  const match = TRACEPARENT_FORMAT.exec(traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return {
    traceparent,
    tracestate: lastHeader(headers, TRACESTATE),
    traceId,
    parentSpanId,
    sampled: (parseInt(flags, 16) & 1) === 1,
  };
}
