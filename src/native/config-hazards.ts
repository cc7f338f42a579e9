/*
 * Values librdkafka takes but mishandles: it accepts them without a word, then corrupts memory,
 * overflows a stack, sends malformed requests, or uses another value than the one written. Each
 * rule names the place in librdkafka that makes it a hazard, the same in 2.12.0 and 2.15.1.
 * checkConfigHazards() refuses such a value with an InvalidArgumentError before either binding
 * sees it; the error names the key, and shows the value only of a key that is not a secret.
 */
import { InvalidArgumentError } from '../core/errors';
import { showValue } from '../core/validation';
import type { LibrdkafkaConfig } from './config';
import { canonicalName, keyFor, propertiesNamed } from './property-index';

/** A value as node-rdkafka hands it to librdkafka (which parses its text). */
type Value = string | number | boolean;

/** A rule: why `value` of `property` (canonical name) is refused, or undefined. */
type Hazard = (property: string, value: Value, config: LibrdkafkaConfig) => string | undefined;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * What librdkafka reads from `text` for an integer property: `(int)strtol(text, &end, 0)`
 * (rdkafka_conf.c), which skips leading blanks, reads base 8 after a 0 and base 16 after 0x,
 * stops at the first other character and saturates at 64 bits, and the cast keeps the low 32
 * bits. Undefined when strtol reads no digit (librdkafka then looks the text up in the property's
 * named values, or refuses it itself).
 */
export function librdkafkaReadsInteger(text: string): number | undefined {
  const match = /^[\s]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(text);
  if (match === null) return undefined;
  const [, sign, digits] = match;
  const radix = /^0[xX]/.test(digits!) ? 16 : digits!.length > 1 && digits!.startsWith('0') ? 8 : 10;
  let read = [...(radix === 16 ? digits!.slice(2) : digits!)].reduce((n, d) => n * BigInt(radix) + BigInt(parseInt(d, 16)), 0n);
  if (sign === '-') read = -read;
  const long = BigInt.asIntN(64, read) === read ? read : read < 0n ? -(2n ** 63n) : 2n ** 63n - 1n;
  return Number(BigInt.asIntN(32, long));
}

/**
 * Integer properties: refused when librdkafka would read another number than the value says
 * (`"010"` is 8, `"1e6"` 1, `1.5` 1, `4294968296` 1000, `"1000ms"` 1000).
 */
const integerRead: Hazard = (property, value) => {
  if (typeof value === 'boolean' || !propertiesNamed(property).some((p) => p.type === 'integer')) return undefined;
  const read = librdkafkaReadsInteger(String(value));
  if (read === undefined || read === Number(value)) return undefined;
  return `got ${showValue(value)}, which librdkafka would read as ${read}: write a decimal whole number between ${INT_MIN} and ${INT_MAX}`;
};

/** A finite decimal number, which librdkafka's strtod reads as Number() does. */
const DECIMAL_NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/** Text strtod starts to read as a number (digits, a point, NaN, infinity; hex starts with a digit). */
const READ_AS_FLOAT = /^\s*[+-]?(?:\d|\.\d|nan|inf)/i;

/** Float properties (`linger.ms`): NaN passes librdkafka's range check, and strtod reads a leading part. */
const floatRead: Hazard = (property, value) => {
  if (typeof value === 'boolean' || !propertiesNamed(property).some((p) => p.type === 'float')) return undefined;
  if (typeof value === 'number' ? Number.isFinite(value) : !READ_AS_FLOAT.test(value) || DECIMAL_NUMBER.test(value)) return undefined;
  return `got ${showValue(value)}: librdkafka reads it with C's strtod, which takes hex, NaN (past its range check) and a leading part: write a finite decimal number`;
};

/** The rules for single properties, by canonical name. */
const BY_PROPERTY: Readonly<Record<string, Hazard>> = {
  // A librdkafka handler for a signal is not for a Node process.
  'internal.termination.signal': (_property, value) =>
    typeof value !== 'boolean' && Number(value) !== 0
      ? 'must be 0 (its default) in Node.js: librdkafka would install its own handler for that signal in the whole process ' +
        "(SIGTERM, SIGINT and SIGCHLD are libuv's; SIGKILL kills the process when the client is destroyed)"
      : undefined,
  // rd_kafka_sw_str_sanitize_inplace() (rdkafka_conf.c) skips leading non-alphanumerics without
  // stopping at the end of the string. Found by the config fuzz (free(): invalid next size).
  'client.software.name': softwareText,
  'client.software.version': softwareText,
  // A hidden unit-test hook that rd_kafka_conf_set() takes: librdkafka calls the string's address
  // as a function on the first produce response (rdkafka_request.c; SIGSEGV).
  ut_handle_ProduceResponse: () => 'is a librdkafka unit-test hook that only C code can set (a string there is called as a function)',
  // Its default is three times the refresh interval (rd_kafka_conf_finalize()), which can overflow.
  'topic.metadata.refresh.interval.ms': (_property, value, config) => {
    const ms = Number(value);
    if (!(ms * 3 > MAX_MS_AS_MICROSECONDS) || keyFor(config, 'metadata.max.age.ms') !== undefined) return undefined;
    return (
      `is ${String(ms)}, so librdkafka's default metadata.max.age.ms (3 times it) overflows its 32-bit microsecond count and ` +
      `the metadata cache's lifetime would be wrong: set "metadata.max.age.ms" to at most ${MAX_MS_AS_MICROSECONDS}, or this to at most ${Math.floor(MAX_MS_AS_MICROSECONDS / 3)}`
    );
  },
};

function softwareText(_property: string, value: Value): string | undefined {
  if (typeof value !== 'string' || /[A-Za-z0-9]/.test(value)) return undefined;
  return (
    `must hold at least one ASCII letter or digit, got ${showValue(value)}: librdkafka reads and writes ` +
    'past the end of a value without one when it creates the client, which corrupts memory and kills the process'
  );
}

/**
 * Byte limits on strings. Kafka protocol strings: librdkafka writes these with a 16-bit length
 * (rd_kafkap_str_new, rdkafka_proto.h) in non-flexible requests, and client.id in every request
 * header, so a longer one wraps and malforms the request. Values librdkafka copies onto a
 * thread's stack (rd_strdupa, rd_alloca): a few megabytes overflow it (measured: SIGSEGV from 4 MB
 * of `plugin.library.paths`). SASL PLAIN and SCRAM copy the username and password together on a
 * broker thread, whose stack is librdkafka's default one: 128 KiB on musl; hence their lower limit.
 */
const BYTE_LIMITS: Readonly<Record<string, readonly [number, string]>> = (() => {
  const protocol = [32_767, 'librdkafka writes it with a 16-bit length in requests, which would wrap and malform them'] as const;
  const stack = [65_536, 'librdkafka copies it onto a thread stack, which a few megabytes overflow (the limit leaves a wide margin)'] as const;
  const sasl = [16_384, 'librdkafka copies the SASL username and password together onto a broker thread\'s stack, which is 128 KiB on musl'] as const;
  return {
    ...Object.fromEntries(['client.id', 'group.id', 'group.instance.id', 'group.protocol.type', 'transactional.id', 'client.rack'].map((p) => [p, protocol])),
    ...Object.fromEntries(['metadata.broker.list', 'plugin.library.paths', 'topic.blacklist', 'partition.assignment.strategy'].map((p) => [p, stack])),
    'sasl.username': sasl,
    'sasl.password': sasl,
  };
})();

const propertyRule: Hazard = (property, value, config) => BY_PROPERTY[property]?.(property, value, config);

const byteLimit: Hazard = (property, value) => {
  const limit = BYTE_LIMITS[property];
  if (limit === undefined || typeof value !== 'string') return undefined;
  const bytes = Buffer.byteLength(value);
  return bytes > limit[0] ? `is ${bytes} bytes long, more than ${limit[0]}: ${limit[1]}` : undefined;
};

/**
 * The largest millisecond value librdkafka can turn into microseconds where it multiplies by 1000
 * in a 32-bit int (`rk_conf.x_ms * 1000`): 2,147,483 ms, 35.8 minutes.
 */
const MAX_MS_AS_MICROSECONDS = Math.floor(INT_MAX / 1000);

/** The properties librdkafka multiplies that way, with ranges beyond it, and what they time. */
const MICROSECOND_OVERFLOW: Readonly<Record<string, string>> = {
  'metadata.max.age.ms': "the metadata cache's lifetime (rdkafka_metadata_cache.c, rdkafka_coord.c)",
  'broker.address.ttl': "how long a broker's resolved addresses are kept (rdkafka_broker.c)",
  'reconnect.backoff.max.ms': 'the pause before a reconnect (rdkafka_broker.c)',
  'session.timeout.ms': "the group's session timeout (rdkafka_cgrp.c)",
  'heartbeat.interval.ms': 'the heartbeat interval (rdkafka_cgrp.c)',
  'coordinator.query.interval.ms': 'the coordinator query interval (rdkafka_cgrp.c)',
  'topic.metadata.propagation.max.ms': 'the wait for a new topic to propagate (rdkafka_topic.c)',
};

const microsecondOverflow: Hazard = (property, value) => {
  const what = MICROSECOND_OVERFLOW[property];
  if (what === undefined || !(Number(value) > MAX_MS_AS_MICROSECONDS)) return undefined;
  return (
    `must be at most ${MAX_MS_AS_MICROSECONDS} (35.8 minutes), got ${showValue(value)}: librdkafka counts it in microseconds in a ` +
    `32-bit int, which would wrap, and ${what} would be wrong (often negative)`
  );
};

/** The rules, in order: how librdkafka reads a number comes first, since the others use the number. */
const RULES: readonly Hazard[] = [integerRead, floatRead, propertyRule, byteLimit, microsecondOverflow];

/**
 * Refuses a value librdkafka would take and mishandle (the rules above) with an
 * {@link InvalidArgumentError} naming the key. Values of other types are checkConfigValues()'s to
 * judge. The rules that show a value are for numbers and names, none of them a secret; the
 * secrets' rule shows a length only.
 */
export function checkConfigHazards(config: LibrdkafkaConfig): void {
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const property = canonicalName(key);
    for (const rule of RULES) {
      const hazard = rule(property, value, config);
      if (hazard !== undefined) throw new InvalidArgumentError(`config "${key}" ${hazard}`);
    }
  }
}
