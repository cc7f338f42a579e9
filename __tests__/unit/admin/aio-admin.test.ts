import {
  AIOAdmin,
  AIOKafkaError,
  AdminClosedError,
  InvalidArgumentError,
  OperationTimeoutError,
  UnsupportedByClusterError,
  type Logger,
  type OffsetSpec,
} from '../../../src';
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

describe('AIOAdmin: what the cluster serves (fake clients)', () => {
  test('a topic call the ApiVersions answer lacks is refused without being sent; the check runs once', async () => {
    const { factories, calls, cluster } = fakeAdmin({ apis: ['Metadata', 'DeleteTopics'] });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = admin.createTopic({ topic: 'a' }).catch((e: unknown) => e);
    const grown = admin.createPartitions('a', 2).catch((e: unknown) => e);
    await expect(created).resolves.toBeInstanceOf(UnsupportedByClusterError);
    await expect(grown).resolves.toMatchObject({ code: 'ERR__UNSUPPORTED_FEATURE', api: 'CreatePartitions' });
    const deleted = track(admin.deleteTopic('a'));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.name)).toEqual(['deleteTopic']);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(deleted.state).toBe('ok');
    expect(cluster.clients).toHaveLength(1);
    expect(cluster.clients[0]!.config.debug).toBe('feature');
    expect(cluster.clients[0]!.disconnected).toBe(true);
    await admin.close();
  });

  test('without an ApiVersions answer in the log, calls go unchecked after a short wait', async () => {
    const { factories, calls } = fakeAdmin({ apis: null });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = track(admin.createTopic({ topic: 'a' }));
    await jest.advanceTimersByTimeAsync(900);
    expect(calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(1);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(created.state).toBe('ok');
    await admin.close();
  });

  test('a check that cannot connect rejects the call with the connection error, and the next call checks again', async () => {
    const { factories, calls, cluster } = fakeAdmin({ apis: null, connectError: nativeError(-195, 'all brokers down') });
    const admin = await AIOAdmin.connectWith({}, { timeoutMs: 1000 }, { factories });
    await expect(admin.createTopic({ topic: 'a' })).rejects.toBeInstanceOf(OperationTimeoutError);
    await expect(admin.createTopic({ topic: 'a' })).rejects.toBeInstanceOf(OperationTimeoutError);
    expect(cluster.clients).toHaveLength(2);
    expect(calls).toHaveLength(0);
    await admin.close();
  });

  test('close during the check rejects the waiting calls', async () => {
    const { factories, calls } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = admin.createTopic({ topic: 'a' }).catch((e: unknown) => e);
    await admin.close();
    await expect(created).resolves.toBeInstanceOf(AdminClosedError);
    expect(calls).toHaveLength(0);
  });
});

// Issue 17: the check is shared, but each call waiting for it keeps its own time limit and name.
describe('AIOAdmin: concurrent calls and the shared cluster check (fake clients)', () => {
  test('a call waiting for the check another call started gives up at its own limit, naming itself; the other goes on', async () => {
    const { factories, calls } = fakeAdmin({ connectDelayMs: 5000 });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = track(admin.createTopic({ topic: 'a' }, { timeoutMs: 10_000 }));
    const deleted = track(admin.deleteTopic('b', { timeoutMs: 500 }));
    await jest.advanceTimersByTimeAsync(600);
    expect(deleted.state).toBeInstanceOf(OperationTimeoutError);
    expect(deleted.state).toMatchObject({ timeoutMs: 500, message: expect.stringMatching(/^deleteTopic: .*500 ms/) });
    expect(created.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(4500);
    expect(calls.map((c) => c.name)).toEqual(['createTopic']);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(created.state).toBe('ok');
    await admin.close();
  });

  test("a check that ran out of the starting call's time does not fail a call with time left: that call checks again", async () => {
    // Each connect answers after 2 s; the first call's check gives up at 300 ms (+ the 1 s grace).
    const { factories, calls, cluster } = fakeAdmin({ connectDelayMs: 2000, apis: null });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = track(admin.createTopic({ topic: 'a' }, { timeoutMs: 300 }));
    const deleted = track(admin.deleteTopic('b', { timeoutMs: 10_000 }));
    await jest.advanceTimersByTimeAsync(400);
    expect(created.state).toMatchObject({ timeoutMs: 300, message: expect.stringMatching(/^createTopic: /) });
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleted.state).toBe('pending');
    expect(cluster.clients).toHaveLength(2); // the second check, with deleteTopic's time
    await jest.advanceTimersByTimeAsync(3500); // connected, then no ApiVersions log: sent unchecked
    expect(calls.map((c) => c.name)).toEqual(['deleteTopic']);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(deleted.state).toBe('ok');
    await admin.close();
  });

  test('a failed check fails each waiting call in its own name, with the same code and the check as cause', async () => {
    const { factories, calls } = fakeAdmin({ connectDelayMs: 100, connectError: nativeError(-169, 'SASL authentication failed') });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = admin.createTopic({ topic: 'a' }, { timeoutMs: 5000 }).catch((e: unknown) => e as AIOKafkaError);
    const grown = admin.createPartitions('a', 3, { timeoutMs: 5000 }).catch((e: unknown) => e as AIOKafkaError);
    await jest.advanceTimersByTimeAsync(200);
    const [e1, e2] = await Promise.all([created, grown]);
    expect(e1).toMatchObject({ code: 'ERR__AUTHENTICATION', message: expect.stringMatching(/^createTopic: /) });
    expect(e2).toMatchObject({ code: 'ERR__AUTHENTICATION', message: expect.stringMatching(/^createPartitions: /) });
    // One check, one failure: each call's own error has it as cause.
    expect((e1 as AIOKafkaError).cause).toMatchObject({ code: 'ERR__AUTHENTICATION' });
    expect((e1 as AIOKafkaError).cause).toBe((e2 as AIOKafkaError).cause);
    expect(calls).toHaveLength(0);
    await admin.close();
  });

  test('close rejects the calls waiting for the check at once, each naming itself', async () => {
    const { factories, calls } = fakeAdmin({ connectDelayMs: 5000 });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = track(admin.createTopic({ topic: 'a' }, { timeoutMs: 10_000 }));
    const deleted = track(admin.deleteTopic('b', { timeoutMs: 10_000 }));
    await jest.advanceTimersByTimeAsync(10);
    await admin.close();
    await jest.advanceTimersByTimeAsync(0);
    expect(created.state).toBeInstanceOf(AdminClosedError);
    expect(deleted.state).toBeInstanceOf(AdminClosedError);
    expect((created.state as Error).message).toMatch(/^createTopic: /);
    expect((deleted.state as Error).message).toMatch(/^deleteTopic: /);
    await jest.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(0);
  });
});

describe('AIOAdmin: offsets (fake clients)', () => {
  test('listConsumerGroupOffsets asks, as the group, for every partition of the topics, sorted; none committed is null', async () => {
    const { factories, cluster } = fakeAdmin({ answer: (tp) => (tp.partition === 1 ? 42 : -1001) });
    const admin = await AIOAdmin.connectWith({ 'bootstrap.servers': 'b:9092' }, {}, { factories });
    await expect(admin.listConsumerGroupOffsets('billing', ['t', 't'])).resolves.toEqual([
      { topic: 't', partition: 0, offset: null },
      { topic: 't', partition: 1, offset: 42 },
    ]);
    const client = cluster.clients[0]!;
    expect(client.config).toMatchObject({ 'group.id': 'billing', 'enable.auto.commit': false, 'bootstrap.servers': 'b:9092' });
    expect(client.requests).toEqual([{ call: 'committed', toppars: [{ topic: 't', partition: 1 }, { topic: 't', partition: 0 }] }]);
    expect(client.disconnected).toBe(true);
    await expect(admin.listConsumerGroupOffsets('billing', ['missing'])).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TOPIC_OR_PART' });
    await expect(admin.listConsumerGroupOffsets('', ['t'])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.listConsumerGroupOffsets('g', [])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.listConsumerGroupOffsets('g', ['bad name'])).rejects.toBeInstanceOf(InvalidArgumentError);
    await admin.close();
    await expect(admin.listConsumerGroupOffsets('g', ['t'])).rejects.toBeInstanceOf(AdminClosedError);
  });

  test.each<[OffsetSpec, number]>([
    ['earliest', -2],
    ['latest', -1],
    [{ timestamp: 1_700_000_000_000 }, 1_700_000_000_000],
  ])('listOffsets(%p) asks librdkafka for offset %p in every partition', async (spec, target) => {
    const { factories, cluster } = fakeAdmin({ answer: (tp) => (tp.partition === 0 ? 7 : -1) });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    await expect(admin.listOffsets('t', spec)).resolves.toEqual([
      { partition: 0, offset: 7 },
      { partition: 1, offset: null },
    ]);
    expect(cluster.clients[0]!.requests).toEqual([
      {
        call: 'offsetsForTimes',
        toppars: [
          { topic: 't', partition: 1, offset: target },
          { topic: 't', partition: 0, offset: target },
        ],
      },
    ]);
    await admin.close();
  });

  test('listOffsets refuses a bad spec before connecting', async () => {
    const { factories, cluster } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    for (const spec of ['first', { timestamp: -1 }, { timestamp: 1.5 }, null]) {
      await expect(admin.listOffsets('t', spec as OffsetSpec)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(cluster.clients).toHaveLength(0);
    await admin.close();
  });
});

describe('AIOAdmin: logger (fake clients)', () => {
  function recorder(): { logger: Logger; lines: Array<[string, Record<string, unknown>, string]> } {
    const lines: Array<[string, Record<string, unknown>, string]> = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push([level, fields, message]);
    return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
  }

  test("gets librdkafka's lines with levels from their severity, but not the debug lines of the ApiVersions check", async () => {
    const logs = [
      { severity: 3, fac: 'FAIL', message: 'b:9092/bootstrap: Connect failed' },
      { severity: 4, fac: 'REQTMOUT', message: 'timed out' },
      { severity: 6, fac: 'INFO', message: 'info' },
      { severity: 7, fac: 'BROKER', message: 'debug' },
    ];
    const { factories } = fakeAdmin({ logs });
    const { logger, lines } = recorder();
    const write = jest.spyOn(process.stderr, 'write');
    try {
      const admin = await AIOAdmin.connectWith({}, { logger }, { factories });
      await admin.listTopics();
      expect(lines).toEqual([
        ['error', { facility: 'FAIL', severity: 3 }, 'b:9092/bootstrap: Connect failed'],
        ['warn', { facility: 'REQTMOUT', severity: 4 }, 'timed out'],
        ['info', { facility: 'INFO', severity: 6 }, 'info'],
      ]);
      await admin.close();
      // With debug asked for in the config, the debug lines come too (APIVERSION only for 'feature').
      lines.length = 0;
      const verbose = await AIOAdmin.connectWith({ debug: 'broker' }, { logger }, { factories });
      await verbose.listTopics();
      expect(lines.map(([level, fields]) => `${level}:${String(fields.facility)}`)).toEqual(['error:FAIL', 'warn:REQTMOUT', 'info:INFO', 'debug:BROKER']);
      await verbose.close();
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });

  test('a call that succeeds after its time limit is a warning to the logger, not to stderr', async () => {
    const { factories, calls } = fakeAdmin();
    const { logger, lines } = recorder();
    const write = jest.spyOn(process.stderr, 'write');
    try {
      const admin = await AIOAdmin.connectWith({}, { logger }, { factories });
      const created = admin.createTopic({ topic: 'a' }, { timeoutMs: 100 }).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(1200);
      await expect(created).resolves.toBeInstanceOf(OperationTimeoutError);
      calls[0]!.cb(null);
      expect(lines).toEqual([['warn', expect.objectContaining({ code: 'AIO_OPERATION_TIMEOUT' }), expect.stringMatching(/createTopic succeeded after its time limit of 100 ms/)]]);
      expect(write).not.toHaveBeenCalled();
      await admin.close();
    } finally {
      write.mockRestore();
    }
  });

  test('refuses a logger without the four methods', async () => {
    const { factories } = fakeAdmin();
    await expect(AIOAdmin.connectWith({}, { logger: { info: () => {} } as unknown as Logger }, { factories })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
