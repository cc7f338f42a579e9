import { RateLimitedReporter } from '../../../src/core/rate-limited-reporter';

/* The stderr fallback of errors nobody listens for: never silent, never a flood, never a timer that holds the process. */

describe('RateLimitedReporter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function reporter(): { lines: string[]; stderr: RateLimitedReporter } {
    const lines: string[] = [];
    return { lines, stderr: new RateLimitedReporter(1000, (line) => void lines.push(line)) };
  }

  it('writes the first error of a code at once, and a second within the interval at its end, alone', () => {
    const { lines, stderr } = reporter();
    stderr.report('delivery failed', 'ERR__MSG_TIMED_OUT', new Error('first'));
    jest.advanceTimersByTime(300);
    stderr.report('delivery failed', 'ERR__MSG_TIMED_OUT', new Error('second'));
    expect(lines).toEqual(['aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: first\n']);
    jest.advanceTimersByTime(699);
    expect(lines).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(lines[1]).toBe(
      'aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: second (1 more with this code within 1000 ms of the line before; this is the last)\n',
    );
    expect(jest.getTimerCount()).toBe(0);
  });

  it('counts a storm into one line per interval, showing the last error; codes are apart', () => {
    const { lines, stderr } = reporter();
    for (let i = 1; i <= 50; i++) {
      stderr.report('delivery failed', 'ERR__MSG_TIMED_OUT', new Error(`timeout ${i}`));
      if (i === 1) stderr.report('delivery failed', 'ERR__UNKNOWN_PARTITION', new Error('partition'));
      jest.advanceTimersByTime(50); // 50 errors over 2.5 s
    }
    jest.advanceTimersByTime(1000);
    expect(lines).toEqual([
      'aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: timeout 1\n',
      'aio-rdkafka: delivery failed [ERR__UNKNOWN_PARTITION]: partition\n',
      'aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: timeout 20 (19 more with this code within 1000 ms of the line before; this is the last)\n',
      'aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: timeout 40 (20 more with this code within 1000 ms of the line before; this is the last)\n',
      'aio-rdkafka: delivery failed [ERR__MSG_TIMED_OUT]: timeout 50 (10 more with this code within 1000 ms of the line before; this is the last)\n',
    ]);
  });

  it('on close writes what it still counts, clears its timers, and then writes each report as it comes', () => {
    const { lines, stderr } = reporter();
    stderr.report('client error', 'ERR__TRANSPORT', new Error('a'));
    stderr.report('client error', 'ERR__TRANSPORT', new Error('b'));
    expect(jest.getTimerCount()).toBe(1);
    stderr.close();
    expect(jest.getTimerCount()).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\[ERR__TRANSPORT\]: b \(1 more with this code/);
    stderr.report('client error', 'ERR__TRANSPORT', new Error('c'));
    expect(lines[2]).toBe('aio-rdkafka: client error [ERR__TRANSPORT]: c\n');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('writes a report without detail as the line alone, never ": undefined"', () => {
    const { lines, stderr } = reporter();
    stderr.report('listTopics succeeded after its time limit of 5000 ms', 'AIO_OPERATION_TIMEOUT', undefined);
    expect(lines).toEqual(['aio-rdkafka: listTopics succeeded after its time limit of 5000 ms [AIO_OPERATION_TIMEOUT]\n']);
  });
});

it('never keeps the process alive with the timer of a counted error', () => {
  const stderr = new RateLimitedReporter(60_000, () => {});
  const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const before = timers();
  stderr.report('client error', 'ERR__TRANSPORT', new Error('a'));
  stderr.report('client error', 'ERR__TRANSPORT', new Error('b'));
  expect(timers()).toBe(before);
  stderr.close();
});
