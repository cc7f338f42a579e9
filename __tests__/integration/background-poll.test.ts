import { AIOProducer } from '../../src';
import { createWithBackgroundPoll, pollerPlugin, withBackgroundPoll } from '../../src/native/background-poll';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The background poll (native/poller.c + src/native/background-poll.ts) against librdkafka
 * itself: with the JavaScript poll timer slowed to 30 s, only the plugin's thread can bring
 * delivery reports back in time.
 */

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.stop();
});

const SLOW_TIMER = { pollIntervalMs: 30_000, idlePollIntervalMs: 30_000 };

describe('background poll', () => {
  it('is built on Linux (npm install builds it; a silent build failure would cost every user the latency)', () => {
    if (process.platform !== 'linux') return;
    expect(pollerPlugin()).toBeDefined();
  });

  it('settles awaited produces without the JavaScript poll timer', async () => {
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 0, 'statistics.interval.ms': 100 }, SLOW_TIMER);
    try {
      expect(producer.backgroundPoll).toBe(true);
      const topic = randomTopic();
      // Sequential: each report must come through the plugin's thread, or the 30 s timer would fail the test.
      for (let i = 0; i < 50; i++) {
        const report = await producer.produce(topic, `v${i}`, { key: 'k' });
        expect(report.offset).toBe(i);
      }
      // Many in flight at once, as in a web server under load.
      const reports = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.produce(topic, `w${i}`, { key: 'k' })));
      expect(new Set(reports.map((r) => r.offset)).size).toBe(500);
    } finally {
      await producer.close();
    }
  }, 20_000);

  it('keeps linger.ms: messages produced together still wait for it and go in one batch', async () => {
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 200 }, SLOW_TIMER);
    try {
      const topic = randomTopic();
      const started = performance.now();
      const reports = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.produce(topic, `v${i}`, { partition: 0 })));
      // flush() on a worker thread would have sent at once; librdkafka's linger holds the batch ~200 ms.
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      expect(reports.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await producer.close();
    }
  }, 20_000);

  it('stops its thread on close (the process can exit), and backgroundPoll: false polls on the timer alone', async () => {
    const timerOnly = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers }, { backgroundPoll: false });
    expect(timerOnly.backgroundPoll).toBe(false);
    await timerOnly.produce(randomTopic(), 'x');
    await timerOnly.close();
    // Many clients opened and closed: a thread left behind, or a join that hangs, would show here.
    for (let i = 0; i < 5; i++) {
      const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
      await producer.produce(randomTopic(), 'x');
      await producer.close();
    }
  }, 30_000);
});

describe('an idle producer', () => {
  /**
   * How many timers the producer arms in 300 ms with nothing in flight, after one delivered
   * message (setTimeout, watched from outside: the wait here runs on the timer saved before), and
   * how many statistics reach its listener meanwhile (librdkafka queues them every 100 ms).
   */
  const whileIdle = async (backgroundPoll: boolean): Promise<{ timers: number; stats: number }> => {
    const wait = global.setTimeout;
    // A short idle period: without the thread, 300 ms hold some thirty idle ticks to see.
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 0, 'statistics.interval.ms': 100 }, { backgroundPoll, idlePollIntervalMs: 10 });
    try {
      expect(producer.backgroundPoll).toBe(backgroundPoll);
      await producer.produce(randomTopic(), 'x');
      // The busy timer's last tick, which finds nothing in flight.
      await new Promise((resolve) => wait(resolve, 50));
      expect(producer.inFlight).toBe(0);
      let stats = 0;
      producer.on('stats', () => stats++);
      const armed = jest.spyOn(global, 'setTimeout');
      try {
        await new Promise((resolve) => wait(resolve, 300));
        return { timers: armed.mock.calls.length, stats };
      } finally {
        armed.mockRestore();
      }
    } finally {
      await producer.close();
    }
  };

  it('arms no timer with the background poll: librdkafka\'s thread serves errors, statistics and logs, an idle tick would only wake the process', async () => {
    const background = await whileIdle(true);
    expect(background.timers).toBe(0);
    expect(background.stats).toBeGreaterThanOrEqual(1);
    // The same watch sees the idle ticks of a producer that polls on its timer alone.
    expect((await whileIdle(false)).timers).toBeGreaterThanOrEqual(3);
  }, 20_000);
});

describe('withBackgroundPoll / createWithBackgroundPoll', () => {
  it('loads the plugin before its property, after the user\'s plugins, and never changes the input', () => {
    const input = { 'bootstrap.servers': 'b:9092', 'plugin.library.paths': 'monitoring-interceptor', 'linger.ms': 5 };
    const config = withBackgroundPoll(input, '/x/poller.node');
    expect(Object.keys(config).slice(0, 2)).toEqual(['plugin.library.paths', 'aio.poll.background']);
    expect(config['plugin.library.paths']).toBe('monitoring-interceptor;/x/poller.node');
    expect(input['plugin.library.paths']).toBe('monitoring-interceptor');
  });

  it('creates the client without the plugin when librdkafka refuses it', () => {
    if (pollerPlugin() === undefined) return;
    const seen: Array<Record<string, unknown>> = [];
    const made = createWithBackgroundPoll(
      (config) => {
        seen.push(config);
        if ('plugin.library.paths' in config) throw new Error('plugin refused');
        return config;
      },
      { 'bootstrap.servers': 'b:9092' },
      true,
    );
    expect(made).toEqual({ native: { 'bootstrap.servers': 'b:9092' }, backgroundPoll: false });
    expect(seen).toHaveLength(2);
    expect(createWithBackgroundPoll((c) => c, { a: 1 }, false)).toEqual({ native: { a: 1 }, backgroundPoll: false });
  });
});
