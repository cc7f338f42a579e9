/*
 * Input checks shared by every client: one rule for each kind of value, one wording for each
 * refusal. Each throws InvalidArgumentError naming the option and the value it got.
 */
import { InvalidArgumentError } from './errors';
import { MAX_TIMER_MS } from './timeouts';

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A value's type, for an error message: never the value itself. */
export function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}`;
}

/** A value for an error message: a string or boolean as JSON, a number as JavaScript writes it (NaN too), anything else by its type. */
export function showValue(value: unknown): string {
  if (typeof value === 'number') return String(value); // NaN and Infinity as such
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  return typeOfValue(value);
}

/** Checks that a client's options argument is an object (or absent). */
export function checkOptionsObject(options: unknown, hint = ''): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`options must be an object${hint}, got ${describe(options)}`);
  }
}

/** Kafka's limit on topic name length. */
const MAX_TOPIC_LENGTH = 249;

/** The last topic name found legal: most calls repeat it, and the check is then one comparison. */
let lastLegalTopic: string | undefined;

/** A character Kafka does not allow in a topic name. */
const ILLEGAL_TOPIC_CHARACTER = /[^a-zA-Z0-9._-]/;

/** How much of a refused topic name its refusal quotes. */
const QUOTED_TOPIC_LENGTH = 60;

/**
 * Why `topic` is not a legal Kafka topic name, or undefined if it is one. The reason names the
 * topic (quoted, as JSON, so that spaces and control characters show): `"my topic" may contain
 * only ...`; callers put what it is in front (`topic`, `option topics[0]`).
 */
export function topicProblem(topic: unknown): string | undefined {
  if (topic === lastLegalTopic) return undefined;
  if (typeof topic !== 'string') return `must be a string, got ${describe(topic)}`;
  if (topic.length === 0) return 'must not be empty';
  if (topic.length > MAX_TOPIC_LENGTH) return `${quoteTopic(topic)} must be at most ${MAX_TOPIC_LENGTH} characters, got ${topic.length}`;
  if (topic === '.' || topic === '..') return `must not be ${quoteTopic(topic)}`;
  const illegal = ILLEGAL_TOPIC_CHARACTER.exec(topic);
  if (illegal !== null) {
    return `${quoteTopic(topic)} may contain only ASCII letters, digits, ".", "_" and "-", not ${JSON.stringify(illegal[0])} (at index ${illegal.index})`;
  }
  lastLegalTopic = topic;
  return undefined;
}

/** A topic name as a refusal quotes it: JSON (spaces and control characters show), long ones cut. */
function quoteTopic(topic: string): string {
  return JSON.stringify(topic.length > QUOTED_TOPIC_LENGTH ? `${topic.slice(0, QUOTED_TOPIC_LENGTH)}...` : topic);
}

/** Throws unless `topic` is a legal Kafka topic name; `what` names it in the message. */
export function checkTopic(topic: unknown, what = 'topic'): asserts topic is string {
  const problem = topicProblem(topic);
  if (problem !== undefined) throw new InvalidArgumentError(`${what} ${problem}`);
}

/** How a duration option may be set. */
export interface DurationRule {
  /** 0 is refused (a period, or a limit that must leave some time). @default false */
  positive?: boolean;
  /**
   * The value must fit a timer (at most 2^31-1 ms): for periods such as a poll interval, where
   * "never" makes no sense. Otherwise anything longer, `Infinity` included, means no limit.
   * @default false
   */
  finite?: boolean;
  /** Whole ms only (the value goes to librdkafka). @default false */
  integer?: boolean;
}

/**
 * A duration option in ms (`connectTimeoutMs`, `commitIntervalMs`, a call's `timeoutMs`, ...),
 * under the one rule: a number >= 0 (> 0 when `positive`); `Infinity`, or anything past what a
 * timer holds, means no limit unless `finite` says it must fit one.
 */
export function durationOption(name: string, value: unknown, fallback: number, rule: DurationRule = {}): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    (rule.positive ? value > 0 : value >= 0) &&
    (!rule.finite || value <= MAX_TIMER_MS) &&
    (!rule.integer || Number.isInteger(value) || value === Infinity);
  if (!ok) {
    const range = rule.finite ? ` and at most ${MAX_TIMER_MS}` : ' (Infinity: no limit)';
    throw new InvalidArgumentError(
      `${name} must be ${rule.integer ? 'an integer' : 'a number'} ${rule.positive ? '> 0' : '>= 0'}${range}, got ${describe(value)}`,
    );
  }
  return value;
}

/** A count option (`concurrency`, `batchSize`, `numPartitions`, ...): a safe integer >= `min`. */
export function countOption(name: string, value: unknown, fallback: number | undefined, min = 1): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

/** A boolean option: `fallback` when absent, anything but true/false refused. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** A call's `timeoutMs` argument (flush, close): the duration rule, `fallback` when absent. */
export function callTimeoutMs(call: string, value: unknown, fallback: number): number {
  return durationOption(`${call} timeoutMs`, value, fallback);
}
