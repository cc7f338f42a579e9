/*
 * Message headers as callers write them (an object map or a list of records) and as the bindings'
 * produce() takes them (a list of single-entry objects), with the one rule of what each binding
 * can carry.
 *
 * node-rdkafka converts every header value to a JavaScript string and copies it as a C string
 * (src/producer.cc: `Nan::To<v8::String>`, then `std::string(*Nan::Utf8String)`), so a value
 * reaches the broker byte for byte only when it is NUL-free UTF-8. Measured over TCP
 * (__tests__/integration/headers.test.ts): a Buffer's invalid UTF-8 sequences arrive as U+FFFD
 * (EF BF BD), a value is cut at its first NUL byte, a string's lone surrogate arrives as U+FFFD,
 * `null` arrives as the four bytes "null" and a number as its decimal text, and an empty value
 * arrives empty. So anything but a string or a Buffer of NUL-free UTF-8 is refused here, naming
 * the header, rather than altered on the way.
 *
 * @confluentinc/kafka-javascript sends a Buffer value byte for byte (its src/producer.cc copies
 * the Buffer's data and length), so there any Buffer goes (`binaryValues`); it still copies a
 * string value as a C string (cut at a NUL), and refuses other types only after queueing the
 * message without that header: the same rule for strings and other types on both.
 */
import { isUtf8 } from 'node:buffer';
import { InvalidArgumentError } from './errors';
import { describe } from './validation';

/** A header value: a string (sent as UTF-8) or a Buffer of NUL-free UTF-8. */
export type HeaderValue = Buffer | string;

/**
 * Headers as an object map (KafkaJS style): one header per property, in property order; an array
 * value sends one header per element under the same name, in order; an `undefined` value sends
 * none (an optional property left out).
 * @example { 'trace-id': 'abc', source: Buffer.from('web'), tag: ['a', 'b'] }
 */
export type HeadersMap = { readonly [name: string]: HeaderValue | readonly HeaderValue[] | undefined };

/**
 * Headers as a list, in order: each record holds one or more entries.
 * @example [{ 'trace-id': 'abc' }, { tag: 'a' }, { tag: 'b' }]
 */
export type HeadersList = ReadonlyArray<Readonly<Record<string, HeaderValue>>>;

/**
 * The headers of a produced message: a {@link HeadersMap} or a {@link HeadersList}. Kafka allows
 * repeated names; both forms can send them. Values are strings or Buffers. On node-rdkafka a
 * Buffer must be NUL-free UTF-8: node-rdkafka sends header values as C strings, so a Buffer of
 * other bytes (binary data, a NUL) is refused with `InvalidArgumentError` instead of arriving
 * altered (encode such data first: `buf.toString('base64')`). On @confluentinc/kafka-javascript
 * any Buffer arrives byte for byte. Null header values cannot be sent through either binding.
 */
export type ProduceHeaders = HeadersMap | HeadersList;

/** One header as node-rdkafka's produce() takes it: an object with a single property. */
export type NativeHeader = Record<string, HeaderValue>;

/** A UTF-16 surrogate not part of a pair (with the `u` flag, a pair is one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Throws unless `value` is a header value the binding carries unchanged (`binary`: any Buffer
 * does, as on CKJS; else only NUL-free UTF-8, node-rdkafka's C strings).
 */
function checkValue(topic: string, name: string, value: unknown, binary: boolean): asserts value is HeaderValue {
  if (typeof value === 'string') {
    if (value.includes('\0')) {
      throw new InvalidArgumentError(`header "${name}" for topic "${topic}" contains a NUL character, which node-rdkafka cannot send`);
    }
    if (LONE_SURROGATE.test(value)) {
      throw new InvalidArgumentError(
        `header "${name}" for topic "${topic}" contains a lone UTF-16 surrogate, which has no UTF-8 form (it would arrive as U+FFFD)`,
      );
    }
    return;
  }
  if (!Buffer.isBuffer(value)) {
    throw new InvalidArgumentError(`header "${name}" for topic "${topic}" must be a string or a Buffer, got ${describe(value)}`);
  }
  if (!binary && (value.includes(0) || !isUtf8(value))) {
    throw new InvalidArgumentError(
      `header "${name}" for topic "${topic}" is a Buffer that is not NUL-free UTF-8; node-rdkafka sends ` +
        'header values as C strings, so it would be altered: encode it (base64, hex) first',
    );
  }
}

function checkName(topic: string, name: string): void {
  // node-rdkafka copies header names as C strings too: a NUL would cut them short.
  if (name.includes('\0')) {
    throw new InvalidArgumentError(`a header name for topic "${topic}" contains a NUL character, which node-rdkafka cannot send`);
  }
}

/** The list form, checked; the caller's array itself when it is already one entry per record. */
function fromList(topic: string, headers: readonly unknown[], binary: boolean): NativeHeader[] {
  // node-rdkafka reads only the first property of each header object: a record with several
  // entries is split into one object per entry, in order. The caller's array is never changed.
  let split = false;
  for (let i = 0; i < headers.length; i++) {
    const record: unknown = headers[i];
    if (typeof record !== 'object' || record === null || Array.isArray(record) || Buffer.isBuffer(record)) {
      throw new InvalidArgumentError(`header ${i} for topic "${topic}" must be an object, got ${describe(record)}`);
    }
    const names = Object.keys(record);
    if (names.length === 0) throw new InvalidArgumentError(`header ${i} for topic "${topic}" has no entries: it would be dropped`);
    if (names.length !== 1) split = true;
    for (const name of names) {
      checkName(topic, name);
      checkValue(topic, name, (record as Record<string, unknown>)[name], binary);
    }
  }
  if (!split) return headers as NativeHeader[];
  const flat: NativeHeader[] = [];
  for (const record of headers as NativeHeader[]) {
    for (const name of Object.keys(record)) flat.push({ [name]: record[name]! });
  }
  return flat;
}

/** The map form, checked and converted to a new list. */
function fromMap(topic: string, headers: object, binary: boolean): NativeHeader[] {
  const proto: unknown = Object.getPrototypeOf(headers);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidArgumentError(
      `headers for topic "${topic}" must be a plain object or an array of objects, got ${describe(headers)}`,
    );
  }
  const flat: NativeHeader[] = [];
  for (const name of Object.keys(headers)) {
    const value: unknown = (headers as Record<string, unknown>)[name];
    if (value === undefined) continue;
    checkName(topic, name);
    if (Array.isArray(value)) {
      for (const each of value as unknown[]) {
        checkValue(topic, name, each, binary);
        flat.push({ [name]: each });
      }
    } else {
      checkValue(topic, name, value, binary);
      flat.push({ [name]: value });
    }
  }
  return flat;
}

/**
 * Checks a message's headers and converts them to what the bindings' produce() takes: undefined
 * for none. Throws {@link InvalidArgumentError} naming the first header (and the topic) that the
 * binding could not carry unchanged (`binaryValues`: it sends Buffers byte for byte, as CKJS
 * does). Never changes the caller's object.
 */
export function toNativeHeaders(topic: string, headers: unknown, binaryValues = false): NativeHeader[] | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (Array.isArray(headers)) return headers.length === 0 ? undefined : fromList(topic, headers, binaryValues);
  if (typeof headers !== 'object' || Buffer.isBuffer(headers)) {
    throw new InvalidArgumentError(
      `headers for topic "${topic}" must be an object map or an array of objects, got ${describe(headers)}`,
    );
  }
  const flat = fromMap(topic, headers, binaryValues);
  return flat.length === 0 ? undefined : flat;
}
