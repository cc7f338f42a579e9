import { OperationTimeoutError } from '../../../src/core/errors';
import { MAX_TIMER_MS, callWithDeadline, nativeTimeoutMs, settlesWithin, startTimer } from '../../../src/core/timeouts';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('startTimer', () => {
  it('arms a timer for a delay a timer holds', async () => {
    const fn = jest.fn();
    expect(startTimer(fn, 10)).toBeDefined();
    await jest.advanceTimersByTimeAsync(9);
    expect(fn).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each([MAX_TIMER_MS + 1, 2 ** 40, Infinity])('arms nothing for %p: no limit (Node would fire it after 1 ms)', (delay) => {
    expect(startTimer(jest.fn(), delay)).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('unrefs the timer when asked', () => {
    expect(startTimer(jest.fn(), 5, true)!.hasRef()).toBe(false);
    expect(startTimer(jest.fn(), 5)!.hasRef()).toBe(true);
  });
});

describe('settlesWithin', () => {
  it('is true when the promise settles in time, whatever its outcome, and leaves no timer', async () => {
    const rejected = Promise.reject(new Error('x'));
    await expect(settlesWithin(rejected, 100)).resolves.toBe(true);
    await expect(settlesWithin(Promise.resolve(1), 100)).resolves.toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is false at the limit, and never false with no limit', async () => {
    const never = new Promise(() => {});
    const limited = settlesWithin(never, 50);
    await jest.advanceTimersByTimeAsync(50);
    await expect(limited).resolves.toBe(false);
    let done = false;
    void settlesWithin(never, Infinity).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(1e9);
    expect(done).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('callWithDeadline', () => {
  it('settles with the native answer', async () => {
    await expect(callWithDeadline<number>('x', 100, (done) => done(null, 7))).resolves.toBe(7);
    const err = new Error('refused');
    await expect(callWithDeadline('x', 100, (done) => done(err, undefined), { mapError: (e) => new Error(`mapped ${e.message}`) })).rejects.toThrow(
      'mapped refused',
    );
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with OperationTimeoutError after timeoutMs + grace, and releases a late success', async () => {
    let answer!: (err: Error | null, value: undefined) => void;
    const late = jest.fn();
    const call = callWithDeadline<undefined>('connect', 100, (done) => (answer = done), { graceMs: 50, late });
    const outcome = call.catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(149);
    expect(late).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    const err = (await outcome) as OperationTimeoutError;
    expect(err).toBeInstanceOf(OperationTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 100, retriable: true });
    answer(null, undefined);
    expect(late).toHaveBeenCalledTimes(1);
  });

  it('rejects at once when starting the call throws', async () => {
    await expect(
      callWithDeadline('x', 100, () => {
        throw new Error('no such method');
      }),
    ).rejects.toThrow('no such method');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('arms no timer with no limit', () => {
    void callWithDeadline('x', Infinity, () => {});
    expect(jest.getTimerCount()).toBe(0);
  });
});

it('nativeTimeoutMs gives librdkafka whole ms, at most what it holds', () => {
  expect(nativeTimeoutMs(1.2)).toBe(2);
  expect(nativeTimeoutMs(Infinity)).toBe(MAX_TIMER_MS);
  expect(nativeTimeoutMs(2 ** 31)).toBe(MAX_TIMER_MS);
});
