import { InvalidArgumentError, SerializationError } from '../../../src/core/errors';
import { resolveConsumerOptions, resolveRunOptions, type AIOConsumerOptions } from '../../../src/consumer/options';

/*
 * Every consumer option's rule, in one table: the values it takes (with what they resolve to)
 * and the ones it refuses. Durations follow the one rule of core/validation: a number >= 0
 * (> 0 for a period), Infinity or anything above 2^31-1 = no limit; pollTimeoutMs goes to
 * librdkafka, so it must be a whole number that fits a timer.
 */

const NO_LIMIT = [Infinity, 2 ** 31, Number.MAX_VALUE];
const NOT_NUMBERS = ['5', null, true, {}, [], NaN];

const table: Array<{ option: Exclude<keyof AIOConsumerOptions, 'keyDeserializer' | 'valueDeserializer'>; accepted: unknown[]; refused: unknown[] }> = [
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

describe('deserializer options', () => {
  test.each([['keyDeserializer'], ['valueDeserializer']])('%s must be a function', (option) => {
    const options = { topics: ['t'], [option]: 'json' } as unknown as AIOConsumerOptions;
    expect(() => resolveConsumerOptions(options)).toThrow(InvalidArgumentError);
    expect(() => resolveConsumerOptions(options)).toThrow(option);
  });

  test('no deserializer: no decoding step at all', () => {
    expect(resolveConsumerOptions({ topics: ['t'] }).decode).toBeUndefined();
  });

  test('a decoder applies each deserializer to its part and leaves the rest of the message as received', async () => {
    const { decode } = resolveConsumerOptions({
      topics: ['t'],
      keyDeserializer: (data) => data?.toString('hex'),
      valueDeserializer: async (data, topic) => `${topic}:${String(data)}`,
    } as AIOConsumerOptions<unknown, unknown>);
    const raw = { topic: 't', partition: 1, offset: 7, key: Buffer.from([1, 2]), value: Buffer.from('v'), headers: [], timestamp: 3 };
    await expect(decode!(raw)).resolves.toEqual({ ...raw, key: '0102', value: 't:v' });
    expect(raw.key).toEqual(Buffer.from([1, 2]));
  });

  test('a deserializer that throws (sync) or rejects becomes a SerializationError naming the part, keeping the cause', async () => {
    const boom = new Error('bad bytes');
    const { decode } = resolveConsumerOptions({
      topics: ['t'],
      keyDeserializer: () => {
        throw boom;
      },
    } as AIOConsumerOptions<unknown, unknown>);
    const raw = { topic: 't', partition: 0, offset: 4, key: null, value: null, headers: [], timestamp: undefined };
    const err = await decode!(raw).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect(err).toMatchObject({ code: 'AIO_SERIALIZATION', part: 'key', topic: 't', cause: boom });
    expect((err as Error).message).toContain('offset 4');
    const rejecting = resolveConsumerOptions({ topics: ['t'], valueDeserializer: () => Promise.reject(boom) } as AIOConsumerOptions<unknown, unknown>);
    await expect(rejecting.decode!(raw)).rejects.toMatchObject({ part: 'value', cause: boom });
  });
});

describe('resolveRunOptions: batch', () => {
  const handler = (): void => {};
  test('true takes the defaults; a batch run orders by partition', () => {
    expect(resolveRunOptions({ batch: true, handler })).toMatchObject({ batch: { maxMessages: 100, maxWaitMs: 0 }, orderBy: 'partition' });
    expect(resolveRunOptions({ handler }).batch).toBeUndefined();
    expect(resolveRunOptions({ batch: false, handler }).batch).toBeUndefined();
  });

  test('takes maxMessages and maxWaitMs', () => {
    expect(resolveRunOptions({ batch: { maxMessages: 7, maxWaitMs: 50 }, handler }).batch).toEqual({ maxMessages: 7, maxWaitMs: 50 });
  });

  test.each([
    [{ maxMessages: 0 }, /maxMessages/],
    [{ maxMessages: 1.5 }, /maxMessages/],
    [{ maxWaitMs: -1 }, /maxWaitMs/],
    [{ maxWaitMs: Infinity }, /maxWaitMs/],
    ['yes', /batch/],
    [[], /batch/],
  ])('refuses batch %p', (batch, message) => {
    expect(() => resolveRunOptions({ batch, handler } as never)).toThrow(InvalidArgumentError);
    expect(() => resolveRunOptions({ batch, handler } as never)).toThrow(message);
  });

  test("refuses an orderBy other than 'partition' with batch", () => {
    expect(() => resolveRunOptions({ batch: true, orderBy: 'key', handler } as never)).toThrow(/orderBy must be 'partition'/);
  });
});
