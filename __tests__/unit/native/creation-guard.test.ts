import { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '../../../src';
import { REDACTED } from '../../../src/native/redaction';
import {
  checkCreation,
  creationCanCrash,
  guardCreation,
  hasInterceptorDoubleFree,
  probeConfig,
  type ProbeClient,
} from '../../../src/native/creation-guard';

/**
 * A node-rdkafka client as the guard sees it: connect creates librdkafka's client, refused with
 * `refusal` (node-rdkafka's producer error: code ERR__STATE), or fails the metadata request after
 * it (no broker), as node-rdkafka's connect does.
 */
class FakeClient extends EventEmitter implements ProbeClient {
  readonly calls: string[] = [];
  constructor(
    readonly config: Record<string, unknown>,
    private readonly refusal?: string,
  ) {
    super();
  }
  connect(_options: { timeout?: number }, cb: (err: Error | null) => void): this {
    this.calls.push('connect');
    setImmediate(() => {
      if (this.refusal !== undefined) cb(Object.assign(new Error(this.refusal), { code: -172 }));
      else cb(Object.assign(new Error('broker transport failure'), { code: -195 }));
    });
    return this;
  }
  disconnect(cb: () => void): void {
    this.calls.push('disconnect');
    setImmediate(cb);
  }
}

// The librdkafka version of the binding the guard is given: set per test.
let version = '2.12.0';
beforeEach(() => (version = '2.12.0'));

const plugin = { 'plugin.library.paths': '/opt/plugins/monitoring.so' };
const risky = { ...plugin, 'security.protocol': 'sasl_ssl' };
const connectOnce = (client: FakeClient): Promise<Error | null> => new Promise((resolve) => client.connect({ timeout: 100 }, resolve));

describe('hasInterceptorDoubleFree', () => {
  it.each([
    ['2.12.0', true],
    ['2.12.1', true],
    ['2.3.0', true],
    ['1.9.2', true],
    ['2.13.0', false],
    ['2.13.0-RC1', false],
    ['2.14.1', false],
    ['3.0.0', false],
    ['garbage', true],
  ])('librdkafka %s: %s (fixed in 2.13.0)', (version, affected) => {
    expect(hasInterceptorDoubleFree(version)).toBe(affected);
  });
});

describe('creationCanCrash', () => {
  it('needs a plugin and an affected librdkafka, whatever the other settings', () => {
    expect(creationCanCrash(plugin, '2.12.0')).toBe(true);
    expect(creationCanCrash({ ...plugin, 'group.protocol.type': 'x' }, '2.12.0')).toBe(true);
    expect(creationCanCrash(plugin, '2.11.1')).toBe(true);
    expect(creationCanCrash(plugin, '2.13.0')).toBe(false);
    expect(creationCanCrash({ 'plugin.library.paths': ' ' }, '2.12.0')).toBe(false);
    expect(creationCanCrash({ 'security.protocol': 'ssl' }, '2.12.0')).toBe(false);
  });
});

describe('probeConfig', () => {
  it('drops the plugins, their properties and the brokers, and keeps the rest (callbacks too)', () => {
    const rebalance = (): void => undefined;
    expect(
      probeConfig({
        ...plugin,
        'aio.poll.background': 'true',
        'user.plugin.tag': 'x',
        'bootstrap.servers': 'b:9092',
        'metadata.broker.list': 'b:9092',
        'security.protocol': 'ssl',
        'ssl.ca.location': '/ca.pem',
        rebalance_cb: rebalance,
        event_cb: true,
      }),
    ).toEqual({ 'security.protocol': 'ssl', 'ssl.ca.location': '/ca.pem', rebalance_cb: rebalance, event_cb: true });
  });
});

describe('guardCreation', () => {
  it('with a plugin on librdkafka 2.12: a refused probe rejects connect, and the real client is never created', async () => {
    const probes: FakeClient[] = [];
    const real = new FakeClient({});
    const config = { ...risky, 'ssl.key.location': '/secret/client.key' };
    guardCreation(
      real,
      config,
      (c) => {
        const probe = new FakeClient(c, 'ssl.key.location failed: error:0A080002:SSL routines::system lib (/secret/client.key)');
        probes.push(probe);
        return probe;
      },
      version,
    );
    const err = await connectOnce(real);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err!.message).toMatch(/^librdkafka refused config "ssl.key.location": ssl.key.location failed/);
    expect(err!.message).not.toContain('/secret/client.key');
    expect(real.calls).toEqual([]);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.config).not.toHaveProperty('plugin.library.paths');
  });

  it('with a plugin and SASL: an accepted probe is gone before the real client is created', async () => {
    const order: string[] = [];
    const real = new FakeClient({});
    const origConnect = real.connect.bind(real);
    real.connect = (o, cb) => (order.push('real connect'), origConnect(o, cb));
    guardCreation(
      real,
      risky,
      (c) => {
        const probe = new FakeClient(c);
        const probeConnect = probe.connect.bind(probe);
        probe.connect = (o, cb) => (order.push('probe connect'), probeConnect(o, (err) => (order.push('probe gone'), cb(err))));
        return probe;
      },
      version,
    );
    const err = await connectOnce(real);
    expect(err).toMatchObject({ code: -195 });
    expect(order).toEqual(['probe connect', 'probe gone', 'real connect']);
  });

  it('with a plugin on librdkafka 2.13 (fixed): no probe', async () => {
    version = '2.13.0';
    const build = jest.fn();
    const real = new FakeClient({});
    guardCreation(real, risky, build, version);
    await connectOnce(real);
    expect(build).not.toHaveBeenCalled();
    expect(real.calls).toEqual(['connect']);
  });

  it('without a plugin: no probe; a refused creation still becomes an InvalidArgumentError', async () => {
    const build = jest.fn();
    const real = new FakeClient({}, 'Unsupported SASL mechanism: GSSAPI');
    guardCreation(real, { 'security.protocol': 'sasl_ssl' }, build, version);
    const err = await connectOnce(real);
    expect(build).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err!.message).toBe('librdkafka refused config "sasl.mechanisms": Unsupported SASL mechanism: GSSAPI');
  });

  it("scrubs the configuration's secrets from log lines and error events before any listener sees them", () => {
    const real = new FakeClient({});
    guardCreation(real, { 'ssl.key.location': '/secret/client.key' }, jest.fn(), version);
    const logs: string[] = [];
    const errors: Error[] = [];
    real.on('event.log', (log: { message: string }) => logs.push(log.message));
    real.on('event.error', (err: Error) => errors.push(err));
    real.emit('event.log', { severity: 3, fac: 'SSL', message: 'calling fopen(/secret/client.key, r)' });
    real.emit('event.error', new Error('cannot read /secret/client.key'));
    expect(logs).toEqual([`calling fopen(${REDACTED}, r)`]);
    expect(errors[0]!.message).toBe(`cannot read ${REDACTED}`);
  });
});

describe('checkCreation', () => {
  it('rejects with the probe’s refusal, and resolves once an accepted probe is gone', async () => {
    const config = { 'partition.assignment.strategy': 'x' };
    await expect(checkCreation(config, (c) => new FakeClient(c, 'Unsupported partition.assignment.strategy: x'))).rejects.toThrow(
      /^librdkafka refused config "partition.assignment.strategy" \(got "x"\): Unsupported/,
    );
    let probe: FakeClient | undefined;
    await expect(checkCreation({}, (c) => (probe = new FakeClient(c)))).resolves.toBeUndefined();
    expect(probe!.calls).toEqual(['connect']);
  });
});
