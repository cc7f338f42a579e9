import { InvalidArgumentError } from '../../../src/core/errors';
import { resolveConsumerOptions, resolveRunOptions, type AIOConsumerOptions } from '../../../src/consumer/options';

/*
 * Every consumer option's rule, in one table: the values it takes (with what they resolve to)
 * and the ones it refuses. Durations follow the one rule of core/validation: a number >= 0
 * (> 0 for a period), Infinity or anything above 2^31-1 = no limit; pollTimeoutMs goes to
 * librdkafka, so it must be a whole number that fits a timer.
 */

const NO_LIMIT = [Infinity, 2 ** 31, Number.MAX_VALUE];
const NOT_NUMBERS = ['5', null, true, {}, [], NaN];

const table: Array<{ option: keyof AIOConsumerOptions; accepted: unknown[]; refused: unknown[] }> = [
  { option: 'connectTimeoutMs', accepted: [0, 1, 1.5, 30_000, 2 ** 31 - 1, ...NO_LIMIT], refused: [-1, -Infinity, ...NOT_NUMBERS] },
  { option: 'closeTimeoutMs', accepted: [0, 1, 1.5, 30_000, ...NO_LIMIT], refused: [-1, -Infinity, ...NOT_NUMBERS] },
  { option: 'revokeTimeoutMs', accepted: [0, 1, 1.5, 5_000, ...NO_LIMIT], refused: [-1, -Infinity, ...NOT_NUMBERS] },
  { option: 'commitIntervalMs', accepted: [1, 0.5, 5_000, ...NO_LIMIT], refused: [0, -1, ...NOT_NUMBERS] },
  { option: 'pollTimeoutMs', accepted: [1, 100, 2 ** 31 - 1], refused: [0, -1, 1.5, ...NO_LIMIT, ...NOT_NUMBERS] },
  { option: 'maxBufferedMessages', accepted: [1, 1_000, Number.MAX_SAFE_INTEGER], refused: [0, -1, 1.5, Infinity, 2 ** 53, ...NOT_NUMBERS] },
  { option: 'batchSize', accepted: [1, 100, 10_000], refused: [0, -1, 1.5, Infinity, ...NOT_NUMBERS] },
  {
    option: 'topics',
    accepted: [['t'], ['a', 'b.c', 'd_e-f'], ['x'.repeat(249)]],
    refused: [[], 't', [''], ['bad topic'], ['x'.repeat(250)], ['.'], ['..'], ['ok', 7], [null], undefined, null],
  },
];

describe('resolveConsumerOptions', () => {
  describe.each(table)('$option', ({ option, accepted, refused }) => {
    test.each(accepted.map((value) => [value]))('takes %p', (value) => {
      const options = { topics: ['t'], [option]: value } as AIOConsumerOptions;
      expect(resolveConsumerOptions(options)[option]).toEqual(value);
    });
    test.each(refused.map((value) => [value]))('refuses %p, naming the option', (value) => {
      const options = { topics: ['t'], [option]: value } as unknown as AIOConsumerOptions;
      expect(() => resolveConsumerOptions(options)).toThrow(InvalidArgumentError);
      expect(() => resolveConsumerOptions(options)).toThrow(option);
    });
  });

  test('fills in the defaults', () => {
    expect(resolveConsumerOptions({ topics: ['t'] })).toEqual({
      topics: ['t'],
      connectTimeoutMs: 30_000,
      closeTimeoutMs: 30_000,
      commitIntervalMs: 5_000,
      maxBufferedMessages: 1_000,
      batchSize: 100,
      pollTimeoutMs: 100,
      revokeTimeoutMs: 5_000,
    });
  });

  test.each([[undefined], [null], ['topics'], [[]]])('refuses options %p that are not an object', (options) => {
    expect(() => resolveConsumerOptions(options as unknown as AIOConsumerOptions)).toThrow(InvalidArgumentError);
  });
});

describe('resolveRunOptions: concurrency', () => {
  const handler = (): void => {};
  test.each([[1], [20], [Number.MAX_SAFE_INTEGER]])('takes %p', (concurrency) => {
    expect(resolveRunOptions({ handler, concurrency }).concurrency).toBe(concurrency);
  });
  test.each([[0], [-1], [1.5], [Infinity], ['2'], [NaN]])('refuses %p', (concurrency) => {
    expect(() => resolveRunOptions({ handler, concurrency } as never)).toThrow(/concurrency/);
  });
});
