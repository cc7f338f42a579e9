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
import { CKJS } from '../../../src/core/bindings';
import type { NativeAdmin, NativeAdminFactories } from '../../../src/native/admin';
import type { NativeAdminOperations } from '../../../src/native/admin-operations';
import { nativeError } from '../../helpers/fake-native-producer';
import { ALL_TOPIC_APIS, fakeCluster, type FakeClusterOptions } from './fake-cluster-client';

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

/**
 * Gives the fake AdminClient a describeGroups that runs "in a child process" (answering when the
 * test says so) and the stopIsolated that stops it, as CKJS's operations do (native/admin-ckjs.ts).
 */
function childOperations(factories: NativeAdminFactories): {
  running: () => boolean;
  stops: () => number;
  answer: (err: Error | null) => void;
} {
  let pending: ((err: Error | null, result: { groups: [] }) => void) | undefined;
  let stops = 0;
  const answer = (err: Error | null): void => {
    const cb = pending;
    pending = undefined;
    cb?.(err, { groups: [] });
  };
  const operations: Pick<NativeAdminOperations, 'describeGroups' | 'stopIsolated'> = {
    describeGroups: (_groups, _timeoutMs, cb) => void (pending = cb),
    stopIsolated: () => {
      stops++;
      answer(new Error('describeGroups: the call was stopped (its admin client closed)'));
    },
  };
  const createAdmin = factories.createAdmin;
  factories.createAdmin = (config) => Object.assign(createAdmin(config), { binding: CKJS, operations: operations as NativeAdminOperations });
  return { running: () => pending !== undefined, stops: () => stops, answer };
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
    const admin = await AIOAdmin.connectWith({}, { callTimeoutMs: timeoutMs }, { factories });
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
    for (const option of ['callTimeoutMs', 'connectTimeoutMs', 'closeTimeoutMs']) {
      await expect(AIOAdmin.connectWith({}, { [option]: timeoutMs as number }, { factories })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
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

  test('without an ApiVersions answer in the log, connect waits a short while, then calls go unchecked', async () => {
    const { factories, calls } = fakeAdmin({ apis: null });
    const connecting = AIOAdmin.connectWith({}, {}, { factories });
    const connected = track(connecting);
    await jest.advanceTimersByTimeAsync(900);
    expect(connected.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(200);
    expect(connected.state).toBe('ok');
    const admin = await connecting;
    const created = track(admin.createTopic({ topic: 'a' }));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(created.state).toBe('ok');
    await admin.close();
  });

  test('connect connects: an unreachable cluster fails it, as it fails the other clients, and nothing is left open (issue 17)', async () => {
    const { factories, calls, cluster, disconnects } = fakeAdmin({ apis: null, connectError: nativeError(-195, 'all brokers down') });
    const failed = AIOAdmin.connectWith({}, { connectTimeoutMs: 1000 }, { factories }).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    await expect(failed).resolves.toBeInstanceOf(OperationTimeoutError);
    expect(cluster.clients).toHaveLength(1);
    expect(disconnects()).toBe(1);
    expect(calls).toHaveLength(0);
  });

  test('connect is bounded by connectTimeoutMs (and librdkafka is given its grace)', async () => {
    const { factories, disconnects } = fakeAdmin({ connectDelayMs: 60_000 });
    const connected = track(AIOAdmin.connectWith({}, { connectTimeoutMs: 500 }, { factories }));
    await jest.advanceTimersByTimeAsync(1400);
    expect(connected.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(200);
    expect(connected.state).toBeInstanceOf(OperationTimeoutError);
    expect(connected.state).toMatchObject({ timeoutMs: 500, message: expect.stringMatching(/^connect: /) });
    expect(disconnects()).toBe(1);
  });
});

describe('AIOAdmin: the client lifecycle every client shares (fake clients, issue 17)', () => {
  test('close({ timeoutMs }) returns at its limit with a call in flight: the call rejects closed, the disconnect waits for its answer', async () => {
    const { factories, calls, disconnects } = fakeAdmin();
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const created = track(admin.createTopic({ topic: 'a' }, { timeoutMs: 60_000 }));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    const closed = track(admin.close({ timeoutMs: 500 }));
    expect(admin.closed).toBe(true);
    await jest.advanceTimersByTimeAsync(499);
    expect(closed.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(closed.state).toBe('ok');
    expect(created.state).toBeInstanceOf(AdminClosedError);
    expect((created.state as Error).message).toMatch(/^createTopic: .*outcome is unknown/);
    // node-rdkafka's call still holds the AdminClient: no disconnect under it.
    expect(disconnects()).toBe(0);
    calls[0]!.cb(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(disconnects()).toBe(1);
    expect(created.state).toBeInstanceOf(AdminClosedError);
  });

  // Review of 37f6132: describeGroups and deleteGroups run in a child process on CKJS; close
  // rejected the call on time but left the child running, whose pipes kept the process alive up
  // to the call's limit plus about 15 s.
  test('close({ timeoutMs }) stops a call given up on that runs in a child process; the disconnect follows its answer', async () => {
    const { factories, disconnects } = fakeAdmin({ apis: [...ALL_TOPIC_APIS, 'DescribeGroups'] });
    const child = childOperations(factories);
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const described = track(admin.describeGroups(['g'], { timeoutMs: 60_000 }));
    await jest.advanceTimersByTimeAsync(0);
    expect(child.running()).toBe(true);
    const closed = track(admin.close({ timeoutMs: 100 }));
    await jest.advanceTimersByTimeAsync(99);
    expect(child.stops()).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(closed.state).toBe('ok');
    expect(described.state).toBeInstanceOf(AdminClosedError);
    expect(child.stops()).toBe(1);
    expect(child.running()).toBe(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(disconnects()).toBe(1);
  });

  test('close() stops nothing when the call in a child process answered in time', async () => {
    const { factories } = fakeAdmin({ apis: [...ALL_TOPIC_APIS, 'DescribeGroups'] });
    const child = childOperations(factories);
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const described = admin.describeGroups(['g'], { timeoutMs: 60_000 });
    await jest.advanceTimersByTimeAsync(0);
    const closed = admin.close({ timeoutMs: 1000 });
    child.answer(null);
    await expect(described).resolves.toEqual([]);
    await closed;
    expect(child.stops()).toBe(0);
  });

  // Review of d64f993: close answered only the AdminClient's calls; listTopics and the offsets
  // calls, each on a short-lived client of its own, stayed pending past close's limit.
  test('close({ timeoutMs }) answers a call in flight on a short-lived client too (listTopics): closed, outcome unknown', async () => {
    const { factories } = fakeAdmin();
    const quick = fakeCluster();
    const slow = fakeCluster({ connectDelayMs: 20_000 });
    let sessions = 0;
    factories.createMetadataClient = (config) => (sessions++ === 0 ? quick.create(config) : slow.create(config));
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const listed = track(admin.listTopics({ timeoutMs: 30_000 }));
    await jest.advanceTimersByTimeAsync(10);
    const closed = track(admin.close({ timeoutMs: 100 }));
    await jest.advanceTimersByTimeAsync(99);
    expect(closed.state).toBe('pending');
    expect(listed.state).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(closed.state).toBe('ok');
    expect(listed.state).toBeInstanceOf(AdminClosedError);
    expect((listed.state as Error).message).toMatch(/^listTopics: .*outcome is unknown/);
    // The session ends in the background once its client answered; nothing is left after that.
    await jest.advanceTimersByTimeAsync(20_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('is an EventEmitter with typed events: log lines reach "log"; a FATAL line closes it, announced once, and later calls reject with it', async () => {
    const logs = [{ severity: 4, fac: 'REQTMOUT', message: 'timed out' }];
    const { factories } = fakeAdmin({ logs });
    const admin = await AIOAdmin.connectWith({}, {}, { factories });
    const seen: string[] = [];
    const errors: AIOKafkaError[] = [];
    admin.on('log', (entry) => seen.push(entry.facility));
    admin.on('error', (err) => errors.push(err));
    await admin.listTopics();
    expect(seen).toEqual(['REQTMOUT']);
    expect(admin.closed).toBe(false);
    logs.push({ severity: 0, fac: 'FATAL', message: 'Fatal error: Local: Fatal error' });
    await expect(admin.listTopics()).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true });
    expect(admin.closed).toBe(true);
    await expect(admin.createTopic({ topic: 'a' })).rejects.toMatchObject({ code: 'ERR__FATAL', fatal: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR__FATAL', fatal: true });
    await admin.close();
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
    const client = cluster.clients.at(-1)!;
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
    expect(cluster.clients.at(-1)!.requests).toEqual([
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
    expect(cluster.clients).toHaveLength(1); // connect's
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
      lines.length = 0; // connect's lines
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
      lines.length = 0;
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
