import { PollLoop } from '../../src/poll-loop';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function makeLoop(busy: { value: boolean }, tick: () => void = () => {}, onError: (e: unknown) => void = () => {}) {
  return new PollLoop({ tick, isBusy: () => busy.value, onError }, { busyMs: 1, idleMs: 100 });
}

describe('PollLoop', () => {
  it('ticks at the busy period while busy and the idle period otherwise', () => {
    const busy = { value: false };
    let ticks = 0;
    const loop = makeLoop(busy, () => ticks++);
    loop.start();
    jest.advanceTimersByTime(1000);
    expect(ticks).toBe(10);
    busy.value = true;
    loop.wake();
    ticks = 0;
    jest.advanceTimersByTime(50);
    expect(ticks).toBe(50);
    loop.stop();
  });

  it('leaves no timer after stop, and its timers never hold the process', () => {
    const loop = makeLoop({ value: true });
    loop.start();
    expect(jest.getTimerCount()).toBe(1);
    loop.stop();
    expect(jest.getTimerCount()).toBe(0);
    loop.wake();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('survives a tick that throws and an onError that throws', () => {
    let ticks = 0;
    const loop = makeLoop(
      { value: true },
      () => {
        ticks++;
        throw new Error('tick');
      },
      () => {
        throw new Error('onError');
      },
    );
    loop.start();
    jest.advanceTimersByTime(5);
    expect(ticks).toBe(5);
    loop.stop();
  });
});

describe('PollLoop timers', () => {
  it('are unref()ed', () => {
    jest.useRealTimers();
    const loop = makeLoop({ value: true });
    const spy = jest.spyOn(global, 'setTimeout');
    loop.start();
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    loop.stop();
    spy.mockRestore();
  });
});
