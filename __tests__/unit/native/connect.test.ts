import { EventEmitter } from 'node:events';
import { AIOKafkaError, OperationTimeoutError } from '../../../src/core/errors';
import { BootstrapFailures } from '../../../src/native/bootstrap-failures';
import { connectNative, METADATA_SLICE_MS } from '../../../src/native/connect';
import { nativeError } from '../../helpers/fake-native-producer';

describe('connectNative', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('times out after the limit plus a grace, and releases a connection made afterwards', async () => {
    let answer!: (err: Error | null) => void;
    const release = jest.fn();
    const native = Object.assign(new EventEmitter(), { connect: (_o: { timeout?: number }, cb: (err: Error | null) => void) => (answer = cb) });
    const outcome = connectNative(native, 500, release).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1500);
    expect(await outcome).toBeInstanceOf(OperationTimeoutError);
    answer(null);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('passes librdkafka a limit it holds, and no timer of ours for no limit', () => {
    const timeouts: Array<number | undefined> = [];
    const native = Object.assign(new EventEmitter(), { connect: (o: { timeout?: number }) => void timeouts.push(o.timeout) });
    void connectNative(native, Infinity, jest.fn());
    expect(timeouts).toEqual([2 ** 31 - 1]);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('connectNative, when the cluster cannot be reached', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const refused = (broker: string, suppressed = 0): { severity: number; fac: string; message: string } => ({
    severity: 3,
    fac: 'FAIL',
    message:
      `[thrd:${broker}/bootstrap]: ${broker}/bootstrap: Connect to ipv4#${broker} failed: Connection refused ` +
      `(after 0ms in state CONNECT${suppressed > 0 ? `, ${suppressed} identical error(s) suppressed` : ''})`,
  });

  it('gives up once librdkafka failed twice to reach every bootstrap broker, naming each and the cause', async () => {
    let answer!: (err: Error | null) => void;
    const release = jest.fn();
    const native = Object.assign(new EventEmitter(), { connect: (_o: unknown, cb: (err: Error | null) => void) => (answer = cb) });
    const outcome = connectNative(native, 30_000, release, '127.0.0.1:1,127.0.0.1:2').catch((e: unknown) => e);
    native.emit('event.log', refused('127.0.0.1:1'));
    native.emit('event.log', refused('127.0.0.1:1', 1));
    native.emit('event.log', refused('127.0.0.1:2'));
    native.emit('event.log', { severity: 7, fac: 'BROKER', message: 'unrelated' });
    await jest.advanceTimersByTimeAsync(0);
    let settled = false;
    void outcome.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    native.emit('event.log', refused('127.0.0.1:2', 1));
    const err = (await outcome) as AIOKafkaError;
    expect(err).toMatchObject({ code: 'ERR__TRANSPORT', retriable: true });
    expect(err.message).toBe(
      'connect: no broker of "127.0.0.1:1,127.0.0.1:2" can be reached: ' +
        '127.0.0.1:1: Connect to ipv4#127.0.0.1:1 failed: Connection refused; 127.0.0.1:2: Connect to ipv4#127.0.0.1:2 failed: Connection refused',
    );
    expect(native.listenerCount('event.log')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    // librdkafka's own connect goes on; should it succeed after all, what it opened is released.
    answer(null);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('names the failures seen in the timeout error when some broker was not tried twice', async () => {
    const native = Object.assign(new EventEmitter(), { connect: () => undefined });
    const outcome = connectNative(native, 1000, jest.fn(), 'nohost:9092').catch((e: unknown) => e);
    native.emit('event.log', {
      severity: 3,
      fac: 'FAIL',
      message: "[thrd:nohost:9092/bootstrap]: nohost:9092/bootstrap: Failed to resolve 'nohost:9092': Name or service not known (after 1ms in state CONNECT)",
    });
    await jest.advanceTimersByTimeAsync(2000);
    const err = (await outcome) as OperationTimeoutError;
    expect(err).toBeInstanceOf(OperationTimeoutError);
    expect(err.message).toBe(
      "connect: no metadata from the cluster within 1000 ms; nohost:9092: Failed to resolve 'nohost:9092': Name or service not known",
    );
  });
});

/**
 * A fake of node-rdkafka's client as far as connect goes: `connect()` fetches metadata through
 * `this.getMetadata`, whose librdkafka call waits for its whole timeout while no broker is up
 * (`ERR__TRANSPORT`), unless `answer` says otherwise for a call.
 */
class SlowMetadataClient extends EventEmitter {
  readonly waits: number[] = [];
  answer: (call: number) => { afterMs: number; err: Error | null } | undefined = () => undefined;
  connected: Error | null | undefined;

  connect(options: { timeout?: number }, cb: (err: Error | null) => void): void {
    this.getMetadata(options, (err) => {
      this.connected = err;
      cb(err);
    });
  }

  getMetadata(options: { timeout?: number }, cb: (err: Error | null) => void): void {
    const timeout = options.timeout!;
    this.waits.push(timeout);
    const { afterMs, err } = this.answer(this.waits.length) ?? { afterMs: timeout, err: nativeError(-195) };
    setTimeout(() => cb(err), afterMs);
  }
}

describe('connectNative, while no broker is up', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const refused = { severity: 3, fac: 'FAIL', message: '127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)' };

  it('has librdkafka wait in short slices, and once it gave up starts no other: the client lets go within one slice', async () => {
    const client = new SlowMetadataClient();
    const outcome = connectNative(client, 30_000, jest.fn(), '127.0.0.1:1').catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(3 * METADATA_SLICE_MS);
    expect(client.waits.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...client.waits)).toBeLessThanOrEqual(METADATA_SLICE_MS);
    client.emit('event.log', refused);
    client.emit('event.log', refused);
    expect(await outcome).toMatchObject({ code: 'ERR__TRANSPORT' });
    const waits = client.waits.length;
    await jest.advanceTimersByTimeAsync(METADATA_SLICE_MS);
    // The slice under way ran out and none followed: node-rdkafka's connect has its answer.
    expect(client.waits.length).toBe(waits);
    expect(client.connected).toMatchObject({ code: -195 });
    expect(Object.prototype.hasOwnProperty.call(client, 'getMetadata')).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps waiting in slices until the time limit, and then rejects as a timeout', async () => {
    const client = new SlowMetadataClient();
    const outcome = connectNative(client, 2000, jest.fn()).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(2000);
    expect(await outcome).toBeInstanceOf(OperationTimeoutError);
    expect(client.waits.reduce((sum, ms) => sum + ms, 0)).toBe(2000);
    expect(client.waits.length).toBe(2000 / METADATA_SLICE_MS);
  });

  it('gives a request that reached a broker all the time left, and connects when it is answered', async () => {
    const client = new SlowMetadataClient();
    // Slice 2 reached a broker that has not answered yet; slice 3 gets the answer after 3 s.
    client.answer = (call) => (call === 2 ? { afterMs: METADATA_SLICE_MS, err: nativeError(-185) } : call === 3 ? { afterMs: 3000, err: null } : undefined);
    const outcome = connectNative(client, 30_000, jest.fn());
    await jest.advanceTimersByTimeAsync(2 * METADATA_SLICE_MS + 3000);
    await expect(outcome).resolves.toBeUndefined();
    expect(client.waits).toEqual([METADATA_SLICE_MS, METADATA_SLICE_MS, 30_000 - 2 * METADATA_SLICE_MS]);
  });
});


describe('BootstrapFailures', () => {
  it('matches brokers librdkafka names with a scheme (TLS, SASL) or with the default port', () => {
    const failures = new BootstrapFailures('SSL://kafka-1:9093,kafka-2', 1);
    expect(
      failures.note({ fac: 'FAIL', message: '[thrd:ssl://kafka-1:9093/bootstrap]: ssl://kafka-1:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection refused (after 1ms in state CONNECT)' }),
    ).toBe(false);
    expect(
      failures.note({ fac: 'FAIL', message: "[thrd:kafka-2:9092/bootstrap]: kafka-2:9092/bootstrap: Failed to resolve 'kafka-2:9092': Name or service not known (after 2ms in state CONNECT)" }),
    ).toBe(true);
    expect(failures.describe()).toBe(
      "kafka-1:9093: Connect to ipv4#10.0.0.1:9093 failed: Connection refused; kafka-2:9092: Failed to resolve 'kafka-2:9092': Name or service not known",
    );
  });

  it('ignores other facilities and lines it cannot read', () => {
    const failures = new BootstrapFailures('a:1', 1);
    expect(failures.note({ fac: 'BROKER', message: 'a:1/bootstrap: Connect to ipv4#a:1 failed' })).toBe(false);
    expect(failures.note({ fac: 'FAIL', message: 'something else entirely' })).toBe(false);
    expect(failures.unreachable).toBe(false);
  });
});
