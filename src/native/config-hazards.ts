/*
 * Values librdkafka takes but mishandles: it accepts them without a word, then corrupts memory,
 * overflows its stack, sends malformed requests, or does something other than what was written.
 * Each rule below names the place in librdkafka (2.12.0 and 2.15.1 alike unless it says) that
 * makes it a hazard; checkConfigHazards() refuses such a value with an InvalidArgumentError before
 * either binding sees it. The error names the key, and shows the value only of a key that is not
 * a secret.
 */
import { InvalidArgumentError } from '../core/errors';
import { showValue } from '../core/validation';
import type { LibrdkafkaConfig } from './config';
import { canonicalName, propertiesNamed } from './property-index';

/** Why a refusal: appended to `config "<key>" ...`. */
type Hazard = (value: string | number | boolean, key: string, config: LibrdkafkaConfig) => string | undefined;

/** The largest int a librdkafka integer property holds. */
const INT_MAX = 2 ** 31 - 1;

/**
 * The largest millisecond value librdkafka can turn into microseconds: it multiplies these
 * properties by 1000 in a 32-bit int (`rk_conf.x_ms * 1000`), which overflows above 2,147,483 ms
 * (35.8 minutes) into a negative or wrapped duration.
 */
const MAX_MS_AS_MICROSECONDS = Math.floor(INT_MAX / 1000);

/**
 * The properties librdkafka multiplies by 1000 in an int, where its range allows more than
 * {@link MAX_MS_AS_MICROSECONDS}, and what the overflow does.
 */
const MICROSECOND_OVERFLOW: Readonly<Record<string, string>> = {
  'metadata.max.age.ms': 'cached metadata expires at once (rdkafka_metadata_cache.c)',
  'broker.address.ttl': "a broker's resolved addresses expire at once (rdkafka_broker.c)",
  'reconnect.backoff.ms': 'reconnects come without a pause (rdkafka_broker.c)',
  'reconnect.backoff.max.ms': 'reconnects come without a pause (rdkafka_broker.c)',
  'session.timeout.ms': "the group's session timer is wrong (rdkafka_cgrp.c)",
  'heartbeat.interval.ms': 'heartbeats come at a wrong interval (rdkafka_cgrp.c)',
  'coordinator.query.interval.ms': 'coordinator queries come at a wrong interval (rdkafka_cgrp.c)',
  'topic.metadata.propagation.max.ms': 'the wait for a new topic to propagate is wrong (rdkafka_topic.c)',
};

/**
 * Kafka protocol strings: librdkafka sends these values with a 16-bit length (rd_kafkap_str_new),
 * so a longer one wraps and every request that carries it is malformed.
 */
const PROTOCOL_STRINGS: ReadonlySet<string> = new Set([
  'client.id',
  'group.id',
  'group.instance.id',
  'group.protocol.type',
  'group.remote.assignor',
  'transactional.id',
  'client.rack',
]);
const MAX_PROTOCOL_STRING_BYTES = 32_767;

/**
 * Values librdkafka copies onto a thread's stack (rd_strdupa, rd_alloca): a few megabytes
 * overflow the stack and kill the process (measured: `plugin.library.paths` from 4 MB,
 * `sasl.password` with PLAIN from 9 MB; a thread's stack on musl is 128 KB). The limit is far
 * above any real value.
 */
const STACK_COPIED: ReadonlySet<string> = new Set([
  'metadata.broker.list',
  'plugin.library.paths',
  'topic.blacklist',
  'sasl.username',
  'sasl.password',
  'partition.assignment.strategy',
]);
const MAX_STACK_COPIED_BYTES = 65_536;

/** A decimal integer as librdkafka's strtol reads it the same: no leading zero (base 0 reads "010" as octal 8), no fraction, no hex. */
const DECIMAL_INTEGER = /^\s*[+-]?(?:0|[1-9]\d*)\s*$/;
/** Text librdkafka's strtol starts to read as a number (anything else goes to the property's named values, if any). */
const READ_AS_INTEGER = /^\s*[+-]?\d/;
/** Text librdkafka's strtod starts to read as a number (digits, a point, NaN, infinity; hex starts with a digit). */
const READ_AS_FLOAT = /^\s*[+-]?(?:\d|\.\d|nan|inf)/i;
/** A finite decimal number as librdkafka's strtod reads it the same. */
const DECIMAL_NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** The rule for a whole number property (`integer`): what librdkafka's parser would silently change. */
const integerValue: Hazard = (value) => {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `must be a whole number, got ${showValue(value)}: librdkafka reads only the digits before the point`;
    return Math.abs(value) > INT_MAX ? tooBig(value) : undefined;
  }
  if (typeof value !== 'string' || !READ_AS_INTEGER.test(value)) return undefined;
  if (!DECIMAL_INTEGER.test(value)) {
    return `must be a decimal whole number, got ${showValue(value)}: librdkafka reads only its leading part, in base 8 after a 0 and base 16 after 0x`;
  }
  return Math.abs(Number(value)) > INT_MAX ? tooBig(value) : undefined;
};

function tooBig(value: string | number): string {
  return `must be between -${INT_MAX} and ${INT_MAX}, got ${showValue(value)}: librdkafka casts it to a 32-bit int, which would take another value`;
}

/** The rule for a float property: NaN passes librdkafka's range check, and strtod reads hex, "inf" and a leading part. */
const floatValue: Hazard = (value) => {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `must be a finite number, got ${String(value)}`;
  if (typeof value !== 'string' || !READ_AS_FLOAT.test(value)) return undefined;
  return DECIMAL_NUMBER.test(value) ? undefined : `must be a decimal number, got ${showValue(value)}: librdkafka reads only its leading part (NaN, Infinity and hex included)`;
};

/** The rules by canonical property name, besides the ones every property of a type gets. */
const BY_PROPERTY: Readonly<Record<string, Hazard>> = {
  // A librdkafka handler for a signal is not for a Node process.
  'internal.termination.signal': (value) =>
    (typeof value === 'string' || typeof value === 'number') && Number(value) !== 0
      ? 'must be 0 (its default) in Node.js: librdkafka would install its own handler for that signal in the whole process ' +
        "(SIGTERM, SIGINT and SIGCHLD are libuv's; SIGKILL kills the process when the client is destroyed)"
      : undefined,
  // rd_kafka_sw_str_sanitize_inplace() (rdkafka_conf.c) skips leading non-alphanumerics without
  // stopping at the end of the string: found by the config fuzz (free(): invalid next size).
  'client.software.name': softwareText,
  'client.software.version': softwareText,
  // A hidden unit-test hook: librdkafka takes the string's address as a function and calls it on
  // the first produce response (SIGSEGV).
  ut_handle_ProduceResponse: () => 'is a librdkafka unit-test hook that only C code can set (a string there is called as a function)',
  // Its default is three times the refresh interval: MICROSECOND_OVERFLOW's metadata.max.age.ms.
  'topic.metadata.refresh.interval.ms': (value, _key, config) => {
    const ms = Number(value);
    if (!(ms * 3 > MAX_MS_AS_MICROSECONDS) || hasKeyFor(config, 'metadata.max.age.ms')) return undefined;
    return (
      `is ${String(ms)}, so librdkafka's default metadata.max.age.ms (3 times it) overflows its microsecond clock and cached ` +
      `metadata expires at once: set "metadata.max.age.ms" to at most ${MAX_MS_AS_MICROSECONDS}, or this to at most ${Math.floor(MAX_MS_AS_MICROSECONDS / 3)}`
    );
  },
};

function softwareText(value: string | number | boolean): string | undefined {
  if (typeof value !== 'string' || /[A-Za-z0-9]/.test(value)) return undefined;
  return (
    `must hold at least one ASCII letter or digit, got ${showValue(value)}: librdkafka reads and writes ` +
    'past the end of a value without one when it creates the client, which corrupts memory and kills the process'
  );
}

/** Whether `config` sets `property` under its own name or an alias. */
function hasKeyFor(config: LibrdkafkaConfig, property: string): boolean {
  return Object.keys(config).some((key) => config[key] !== undefined && canonicalName(key) === property);
}

/** A length rule: at most `max` UTF-8 bytes, because `why`. */
function byteLimit(value: string | number | boolean, max: number, why: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.byteLength(value);
  return bytes > max ? `is ${bytes} bytes long, more than ${max}: ${why}` : undefined;
}

/** The hazards of one value: the first reason to refuse it, or undefined. */
function hazardOf(key: string, value: string | number | boolean, config: LibrdkafkaConfig): string | undefined {
  const property = canonicalName(key);
  const types = new Set(propertiesNamed(property).map((p) => p.type));
  const found =
    BY_PROPERTY[property]?.(value, key, config) ??
    (types.has('integer') ? integerValue(value, key, config) : undefined) ??
    (types.has('float') ? floatValue(value, key, config) : undefined) ??
    (PROTOCOL_STRINGS.has(property)
      ? byteLimit(value, MAX_PROTOCOL_STRING_BYTES, 'librdkafka sends it with a 16-bit length, which would wrap and malform every request carrying it')
      : undefined) ??
    (STACK_COPIED.has(property)
      ? byteLimit(value, MAX_STACK_COPIED_BYTES, 'librdkafka copies it onto a thread stack, which a value of a few megabytes overflows')
      : undefined);
  if (found !== undefined) return found;
  const why = MICROSECOND_OVERFLOW[property];
  if (why !== undefined && Number(value) > MAX_MS_AS_MICROSECONDS) {
    return `must be at most ${MAX_MS_AS_MICROSECONDS} (35.8 minutes), got ${showValue(value)}: librdkafka turns it into microseconds in a 32-bit int, which overflows, and ${why}`;
  }
  return undefined;
}

/**
 * Refuses a value librdkafka would take and mishandle (the rules above) with an
 * {@link InvalidArgumentError} naming the key. Values of other types are checkConfigValues()'s to
 * judge. The rules that show a value are for numbers and names, none of them a secret; a
 * secret's rule shows its length only.
 */
export function checkConfigHazards(config: LibrdkafkaConfig): void {
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const hazard = hazardOf(key, value, config);
    if (hazard !== undefined) throw new InvalidArgumentError(`config "${key}" ${hazard}`);
  }
}
