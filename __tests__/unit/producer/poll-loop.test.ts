import { PollLoop } from '../../../src/producer/poll-loop';

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

describe('PollLoop with a zero busy period', () => {
  it('uses a ref()ed setImmediate while busy (an unref()ed one would wait for other events) and clears it on stop', () => {
    jest.useRealTimers();
    const spy = jest.spyOn(global, 'setImmediate');
    const loop = new PollLoop({ tick: () => {}, isBusy: () => true, onError: () => {} }, { busyMs: 0, idleMs: 100 });
    loop.start();
    const immediate = spy.mock.results[0]!.value as NodeJS.Immediate;
    expect(immediate.hasRef()).toBe(true);
    loop.stop();
    spy.mockRestore();
  });

  it('refuses a zero idle period, which would spin forever', () => {
    expect(() => new PollLoop({ tick: () => {}, isBusy: () => false, onError: () => {} }, { busyMs: 1, idleMs: 0 })).toThrow(RangeError);
  });
});

describe('PollLoop re-entrancy', () => {
  it('keeps one timer when a tick wakes the loop (a listener that produces), and never ticks after stop', () => {
    const busy = { value: false };
    let ticks = 0;
    let loop: PollLoop;
    loop = new PollLoop(
      {
        tick: () => {
          ticks++;
          busy.value = true;
          loop.wake();
        },
        isBusy: () => busy.value,
        onError: () => {},
      },
      { busyMs: 10, idleMs: 100 },
    );
    loop.start();
    jest.advanceTimersByTime(100);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(100);
    expect(ticks).toBe(11); // one idle tick, then one per 10 ms: not two chains
    loop.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('PollLoop.setIntervals (the background poll)', () => {
  it('applies from the next timer', () => {
    let ticks = 0;
    const loop = makeLoop({ value: true }, () => ticks++);
    loop.start();
    loop.setIntervals({ busyMs: 10, idleMs: 100 });
    jest.advanceTimersByTime(1); // the timer armed before still fires at 1 ms
    expect(ticks).toBe(1);
    jest.advanceTimersByTime(100);
    expect(ticks).toBe(11);
    loop.stop();
  });

  it('refuses a zero idle period there too', () => {
    expect(() => makeLoop({ value: false }).setIntervals({ busyMs: 1, idleMs: 0 })).toThrow(RangeError);
  });
});

describe('PollLoop without an idle period', () => {
  it('arms no timer while nothing is pending, ticks at the busy period once woken, and none again once the work is done', () => {
    const busy = { value: false };
    let ticks = 0;
    const loop = new PollLoop({ tick: () => ticks++, isBusy: () => busy.value, onError: () => {} }, { busyMs: 10, idleMs: undefined });
    loop.start();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(60_000);
    expect(ticks).toBe(0);

    busy.value = true;
    loop.wake();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(50);
    expect(ticks).toBe(5);

    busy.value = false;
    jest.advanceTimersByTime(10); // the tick that finds nothing pending arms nothing
    expect(ticks).toBe(6);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(60_000);
    expect(ticks).toBe(6);

    busy.value = true;
    loop.wake();
    jest.advanceTimersByTime(10);
    expect(ticks).toBe(7);
    loop.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
