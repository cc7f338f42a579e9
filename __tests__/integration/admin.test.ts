import {
  AIOAdmin,
  AIOConsumer,
  AIOProducer,
  AdminClosedError,
  InvalidArgumentError,
  UnsupportedByClusterError,
} from '../../src';
import { onMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

let broker: TestBroker;
let admin: AIOAdmin;

beforeAll(async () => {
  broker = await startTestBroker(1);
  admin = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers }, { callTimeoutMs: 10_000 });
});

afterAll(async () => {
  await admin?.close();
  await broker?.stop();
});

const itOnRealCluster = onMockCluster ? it.skip : it;

/** A topic with `partitions` partitions: through the test kit on the mock (which serves no CreateTopics). */
async function createTopic(topic: string, partitions: number): Promise<void> {
  if (broker.cluster !== undefined) await broker.cluster.createTopic(topic, { partitions });
  else await admin.createTopic({ topic, numPartitions: partitions });
}
const itOnMock = onMockCluster ? it : it.skip;

describe('AIOAdmin', () => {
  it('lists topics with their partition counts through metadata', async () => {
    const topic = randomTopic('admin');
    // The mock cluster auto-creates a produced-to topic with 4 partitions.
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      await producer.produce(topic, 'x');
    } finally {
      await producer.close();
    }
    const topics = await admin.listTopics();
    const found = topics.find((t) => t.name === topic);
    expect(found).toBeDefined();
    if (onMockCluster) expect(found!.partitions).toBe(4);
    else expect(found!.partitions).toBeGreaterThanOrEqual(1);
    const names = topics.map((t) => t.name);
    expect(names).toEqual([...names].sort());
  });

  it('rejects bad input before calling librdkafka', async () => {
    await expect(admin.createTopic({ topic: 'bad name!' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.createTopic({ topic: 'ok', numPartitions: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.createPartitions('ok', 1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.deleteTopic('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(admin.listTopics({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  itOnMock('refuses CreateTopics / CreatePartitions / DeleteTopics at once on the mock cluster, which does not serve them', async () => {
    const topic = randomTopic('admin');
    // A limit far past jest's own: a call that waited for its answer would fail the test.
    const slow = { timeoutMs: 120_000 };
    const calls: Array<[string, () => Promise<void>]> = [
      ['CreateTopics', () => admin.createTopic({ topic, numPartitions: 2, replicationFactor: 1 }, slow)],
      ['CreatePartitions', () => admin.createPartitions(topic, 4, slow)],
      ['DeleteTopics', () => admin.deleteTopic(topic, slow)],
    ];
    for (const [api, call] of calls) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnsupportedByClusterError);
      expect(err).toMatchObject({ code: 'ERR__UNSUPPORTED_FEATURE', retriable: false, api });
      expect((err as Error).message).toMatch(new RegExp(`does not serve ${api} requests .*ApiVersions.*mock cluster`));
    }
  });

  itOnRealCluster('creates a topic, grows it and deletes it on a real cluster', async () => {
    const topic = randomTopic('admin');
    await admin.createTopic({ topic, numPartitions: 2, replicationFactor: 1 });
    await expect(admin.createTopic({ topic, numPartitions: 2, replicationFactor: 1 })).rejects.toMatchObject({
      code: 'ERR_TOPIC_ALREADY_EXISTS',
    });
    await admin.createPartitions(topic, 3);
    const waitFor = async (predicate: (partitions: number | undefined) => boolean): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        const found = (await admin.listTopics()).find((t) => t.name === topic);
        if (predicate(found?.partitions)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`metadata of ${topic} never matched`);
    };
    await waitFor((p) => p === 3);
    await admin.deleteTopic(topic);
    await waitFor((p) => p === undefined);
  });

  itOnMock('connect is bounded by connectTimeoutMs: a broker 1.5 s slow fails it, naming connect (issue 17)', async () => {
    await broker.cluster!.setRtt('all', 1500);
    try {
      const err = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers }, { connectTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'AIO_OPERATION_TIMEOUT', timeoutMs: 300, message: expect.stringMatching(/^connect: /) });
    } finally {
      await broker.cluster!.setRtt('all', 0);
    }
  });

  it('close refuses the calls made afterwards; closed says so', async () => {
    const other = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers });
    expect(other.closed).toBe(false);
    await other.close({ timeoutMs: 1000 });
    expect(other.closed).toBe(true);
    await expect(other.listTopics()).rejects.toBeInstanceOf(AdminClosedError);
  });

  it('lists the earliest and latest offsets of every partition', async () => {
    const topic = randomTopic('admin');
    await createTopic(topic, 2);
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
    const before = Date.now();
    try {
      for (let i = 0; i < 3; i++) await producer.produce(topic, `m${i}`, { partition: 0 });
      await producer.produce(topic, 'm3', { partition: 1 });
    } finally {
      await producer.close();
    }
    await expect(admin.listOffsets(topic, 'earliest')).resolves.toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);
    await expect(admin.listOffsets(topic)).resolves.toEqual([
      { partition: 0, offset: 3 },
      { partition: 1, offset: 1 },
    ]);
    const byTime = await admin.listOffsets(topic, { timestamp: before - 60_000 });
    // The mock cluster implements no lookup by timestamp: it answers "none" for every partition.
    if (onMockCluster) expect(byTime).toEqual([{ partition: 0, offset: null }, { partition: 1, offset: null }]);
    else expect(byTime).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    await expect(admin.listOffsets(randomTopic('missing'))).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TOPIC_OR_PART' });
  });

  it("lists a consumer group's committed offsets, null where it committed none, without joining the group", async () => {
    const topic = randomTopic('admin');
    const group = randomTopic('group');
    await createTopic(topic, 2);
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      for (let i = 0; i < 3; i++) await producer.produce(topic, `m${i}`, { partition: 0 });
    } finally {
      await producer.close();
    }
    await expect(admin.listConsumerGroupOffsets(group, [topic])).resolves.toEqual([
      { topic, partition: 0, offset: null },
      { topic, partition: 1, offset: null },
    ]);
    const consumer = await AIOConsumer.connect(
      { 'bootstrap.servers': broker.bootstrapServers, 'group.id': group, 'auto.offset.reset': 'earliest' },
      { topics: [topic] },
    );
    try {
      let seen = 0;
      const run = consumer.run({ handler: () => void seen++ });
      for (let i = 0; i < 200 && seen < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toBe(3);
      await consumer.commit();
      await expect(admin.listConsumerGroupOffsets(group, [topic])).resolves.toEqual([
        { topic, partition: 0, offset: 3 },
        { topic, partition: 1, offset: null },
      ]);
      // The admin's reader never joined: the consumer still owns both partitions.
      expect(consumer.assignment).toHaveLength(2);
      await consumer.close();
      await run;
    } finally {
      await consumer.close();
    }
  });

  it('rejects every call after close, and close is idempotent', async () => {
    const other = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers });
    await other.close();
    await other.close();
    expect(other.closed).toBe(true);
    await expect(other.createTopic({ topic: 'x' })).rejects.toBeInstanceOf(AdminClosedError);
    await expect(other.listTopics()).rejects.toBeInstanceOf(AdminClosedError);
  });
});
