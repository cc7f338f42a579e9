import { InvalidArgumentError } from '../../../src/core/errors';
import { checkConfig } from '../../../src/native/config';
import { checkTopic, countOption, durationOption, topicProblem } from '../../../src/core/validation';

describe('durationOption: the one rule for every time option', () => {
  it.each<[string, unknown, Parameters<typeof durationOption>[3], number]>([
    ['absent', undefined, {}, 42],
    ['0', 0, {}, 0],
    ['a fraction', 1.5, {}, 1.5],
    ['past what timers hold', 2 ** 31, {}, 2 ** 31],
    ['Infinity', Infinity, {}, Infinity],
    ['Infinity, positive', Infinity, { positive: true }, Infinity],
    ['the largest timer', 2 ** 31 - 1, { finite: true }, 2 ** 31 - 1],
  ])('accepts %s', (_what, value, rule, expected) => {
    expect(durationOption('option x', value, 42, rule)).toBe(expected);
  });

  it.each<[string, unknown, Parameters<typeof durationOption>[3]]>([
    ['negative', -1, {}],
    ['NaN', Number.NaN, {}],
    ['a string', '100', {}],
    ['null', null, {}],
    ['0 when positive', 0, { positive: true }],
    ['Infinity when finite', Infinity, { finite: true }],
    ['past timers when finite', 2 ** 31, { finite: true }],
    ['a fraction when integer', 1.5, { integer: true }],
  ])('refuses %s, naming the option and the value', (_what, value, rule) => {
    expect(() => durationOption('option pollIntervalMs', value, 1, rule)).toThrow(InvalidArgumentError);
    expect(() => durationOption('option pollIntervalMs', value, 1, rule)).toThrow(/^option pollIntervalMs must be/);
  });
});

describe('countOption', () => {
  it('accepts safe integers from min, with the fallback when absent', () => {
    expect(countOption('n', undefined, 3)).toBe(3);
    expect(countOption('n', 1, 3)).toBe(1);
    expect(countOption('n', 0, 3, 0)).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, '2', 2 ** 53])('refuses %p', (value) => {
    expect(() => countOption('concurrency', value, 1)).toThrow(/^concurrency must be an integer >= 1/);
  });

  it('refuses a missing count that has no fallback', () => {
    expect(() => countOption('total', undefined, undefined)).toThrow(InvalidArgumentError);
  });
});

describe('topic names', () => {
  it.each(['a', 'A.b_c-1', 'x'.repeat(249)])('accepts %p', (topic) => {
    expect(topicProblem(topic)).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    ['', /empty/],
    ['.', /must not be "."/],
    ['..', /must not be ".."/],
    ['x'.repeat(250), /^"x{60}\.\.\." must be at most 249 characters, got 250$/],
    ['a b', /^"a b" may contain only ASCII letters, digits, ".", "_" and "-", not " " \(at index 1\)$/],
    ['orders/eu', /^"orders\/eu" may contain only ASCII letters.*not "\/" \(at index 6\)$/],
    ['tab\there', /^"tab\\there" may contain only .*not "\\t" \(at index 3\)$/],
    [7, /must be a string/],
    [undefined, /must be a string/],
  ])('refuses %p', (topic, reason) => {
    expect(topicProblem(topic)).toMatch(reason);
    expect(() => checkTopic(topic, 'topic name')).toThrow(InvalidArgumentError);
  });

  it('names the topic it refuses, after what the caller says it is', () => {
    expect(() => checkTopic('my topic', 'option topics[0]')).toThrow(/^option topics\[0\] "my topic" may contain only ASCII letters/);
  });
});

it('checkConfig refuses what is not a plain object', () => {
  for (const config of [null, undefined, 'bootstrap.servers=x', [], 3]) {
    expect(() => checkConfig(config)).toThrow(/config must be an object of librdkafka properties/);
  }
  expect(() => checkConfig({})).not.toThrow();
});
