import { AIOAdmin, AIOKafkaError, AdminClosedError, InvalidArgumentError, OperationTimeoutError } from '../../../src';
import { MAX_TIMER_MS } from '../../../src/core/timeouts';
import type { NativeAdmin, NativeAdminFactories } from '../../../src/native/admin';
import { nativeError } from '../../helpers/fake-native-producer';
import { fakeCluster, type FakeClusterOptions } from './fake-cluster-client';

/*
 * AIOAdmin against a fake native AdminClient whose calls answer when the test says so, with jest
 * fake timers driving the guards.
 */

interface NativeCall {
  readonly name: string;
  readonly topic: string;
  readonly timeoutMs: number;
  readonly cb: (err?: Error | null) => void;
}

function fakeAdmin(cluster: FakeClusterOptions = {}): {
  factories: NativeAdminFactories;
  calls: NativeCall[];
  disconnects: () => number;
  cluster: ReturnType<typeof fakeCluster>;
} {
  const calls: NativeCall[] = [];
  let disconnects = 0;
  const native: NativeAdmin = {
    createTopic: (topic, timeoutMs, cb) => void calls.push({ name: 'createTopic', topic: topic.topic, timeoutMs, cb }),
    deleteTopic: (topic, timeoutMs, cb) => void calls.push({ name: 'deleteTopic', topic, timeoutMs, cb }),
    createPartitions: (topic, _total, timeoutMs, cb) => void calls.push({ name: 'createPartitions', topic, timeoutMs, cb }),
    disconnect: () => void disconnects++,
  };
  const clients = fakeCluster(cluster);
  const factories: NativeAdminFactories = {
    createAdmin: () => native,
    createMetadataClient: (config) => clients.create(config),
    createOffsetsClient: (config) => clients.create(config),
  };
  return { factories, calls, disconnects: () => disconnects, cluster: clients };
}

/** The outcome of `promise` so far: 'pending', 'ok' or the rejection. */
function track(promise: Promise<unknown>): { readonly state: 'pending' | 'ok' | unknown } {
  const box: { state: 'pending' | 'ok' | unknown } = { state: 'pending' };
  promise.then(
    () => (box.state = 'ok'),
    (err: unknown) => (box.state = err),
  );
  return box;
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('AIOAdmin (fake AdminClient)', () => {
  test('calls are sent one at a time, and each guard starts when its call is sent', async () => {
    const { factories, calls } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const a = track(admin.createTopic({ topic: 'a' }, { timeoutMs: 1000 }));
    const b = track(admin.createTopic({ topic: 'b' }, { timeoutMs: 1000 }));
    await jest.advanceTimersByTimeAsync(0);
    // The second waits for the first: natively it would wait on the client's lock anyway.
    expect(calls.map((c) => c.topic)).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(1900);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(a.state).toBe('ok');
    expect(calls.map((c) => c.topic)).toEqual(['a', 'b']);
    // b's guard counts from when b was sent, not from when it was called.
    await jest.advanceTimersByTimeAsync(1900);
    expect(b.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(200);
    expect(b.state).toBeInstanceOf(OperationTimeoutError);
    expect((b.state as Error).message).toMatch(/outcome is unknown/);
    calls[1]!.cb(null); // a late answer changes nothing
    await admin.close();
  });

  test('close rejects queued calls and disconnects only after the call in flight answered', async () => {
    const { factories, calls, disconnects } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const a = track(admin.deleteTopic('a', { timeoutMs: 3000 }));
    const b = track(admin.deleteTopic('b', { timeoutMs: 3000 }));
    await jest.advanceTimersByTimeAsync(0); // the ApiVersions check done: 'a' sent, 'b' queued
    const closed = track(admin.close());
    await jest.advanceTimersByTimeAsync(0);
    expect(b.state).toBeInstanceOf(AdminClosedError);
    expect(calls.map((c) => c.topic)).toEqual(['a']);
    // node-rdkafka's disconnect() would block the event loop while 'a' holds the client's lock.
    await jest.advanceTimersByTimeAsync(2000);
    expect(disconnects()).toBe(0);
    expect(closed.state).toBe('pending');
    calls[0]!.cb(nativeError(-185)); // ERR__TIMED_OUT from librdkafka
    await jest.advanceTimersByTimeAsync(0);
    expect(a.state).toBeInstanceOf(OperationTimeoutError);
    expect(disconnects()).toBe(1);
    expect(closed.state).toBe('ok');
    expect(admin.close()).toBe(admin.close());
    await expect(admin.createTopic({ topic: 'c' })).rejects.toBeInstanceOf(AdminClosedError);
  });

  test("a broker's refusal keeps its code and is no timeout", async () => {
    const { factories, calls } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = admin.createTopic({ topic: 'a' }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    const grown = admin.createPartitions('a', 1, { timeoutMs: 1000 }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    calls[0]!.cb(nativeError(36)); // ERR_TOPIC_ALREADY_EXISTS
    await jest.advanceTimersByTimeAsync(0);
    calls[1]!.cb(nativeError(37)); // ERR_INVALID_PARTITIONS
    const [e1, e2] = await Promise.all([created, grown]);
    expect(e1).toBeInstanceOf(AIOKafkaError);
    expect(e1).not.toBeInstanceOf(OperationTimeoutError);
    expect(e1).toMatchObject({ code: 'ERR_TOPIC_ALREADY_EXISTS' });
    expect(e2).toMatchObject({ code: 'ERR_INVALID_PARTITIONS' });
    await admin.close();
  });

  test.each([2 ** 31, Infinity])('takes timeoutMs %p as no limit: the call waits for its answer', async (timeoutMs) => {
    const { factories, calls } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, { timeoutMs }, { factories });
    const created = track(admin.createTopic({ topic: 'a' }));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(created.state).toBe('pending');
    // librdkafka gets the longest limit it can hold.
    expect(calls[0]!.timeoutMs).toBe(MAX_TIMER_MS);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(created.state).toBe('ok');
    await admin.close();
  });

  test.each<[string, unknown]>([
    ['negative', -1],
    ['not a number', '100'],
    ['NaN', Number.NaN],
  ])('refuses a timeoutMs that is %s', async (_what, timeoutMs) => {
    const { factories } = fakeAdmin();
    await expect(AIOAdmin.connectWith({}, { timeoutMs: timeoutMs as number }, { factories })).rejects.toBeInstanceOf(InvalidArgumentError);
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    await expect(admin.deleteTopic('a', { timeoutMs: timeoutMs as number })).rejects.toBeInstanceOf(InvalidArgumentError);
    await admin.close();
  });
});
