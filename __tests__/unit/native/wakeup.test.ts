import { QueueWakeup, createWithWakeup, wakeupPlugin } from '../../../src/native/wakeup';

const built = wakeupPlugin() !== undefined;
const itBuilt = built ? it : it.skip;

describe('QueueWakeup.configure', () => {
  itBuilt('loads the plugin before its property, first in the configuration, and never changes the input', async () => {
    const wakeup = (await QueueWakeup.open())!;
    try {
      const input = { 'bootstrap.servers': 'b:9092', 'linger.ms': 5 };
      const config = wakeup.configure(input);
      expect(Object.keys(config).slice(0, 2)).toEqual(['plugin.library.paths', 'aio.wakeup.socket']);
      expect(config['plugin.library.paths']).toBe(wakeupPlugin());
      expect(config).toMatchObject(input);
      expect(input).toEqual({ 'bootstrap.servers': 'b:9092', 'linger.ms': 5 });
    } finally {
      wakeup.close();
    }
  });

  itBuilt("appends itself to the user's plugins", async () => {
    const wakeup = (await QueueWakeup.open())!;
    try {
      const config = wakeup.configure({ 'bootstrap.servers': 'b:9092', 'plugin.library.paths': 'monitoring-interceptor' });
      expect(config['plugin.library.paths']).toBe(`monitoring-interceptor;${wakeupPlugin()}`);
    } finally {
      wakeup.close();
    }
  });

  itBuilt('says not attached, and closes, when librdkafka never connects', async () => {
    const wakeup = (await QueueWakeup.open())!;
    await expect(wakeup.attached(() => {}, 20)).resolves.toBe(false);
  });
});

describe('createWithWakeup', () => {
  itBuilt('creates the client without the plugin when librdkafka refuses it', async () => {
    const wakeup = (await QueueWakeup.open())!;
    const seen: Array<Record<string, unknown>> = [];
    const client = createWithWakeup(
      (config) => {
        seen.push(config);
        if ('plugin.library.paths' in config) throw new Error('plugin refused');
        return { config };
      },
      { 'bootstrap.servers': 'b:9092' },
      wakeup,
    );
    expect(client.config).toEqual({ 'bootstrap.servers': 'b:9092' });
    expect(seen).toHaveLength(2);
    // Closed: it can no longer attach.
    await expect(wakeup.attached(() => {}, 1000)).resolves.toBe(false);
  });

  it('passes the configuration through when there is no wake-up', () => {
    expect(createWithWakeup((config) => config, { a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
