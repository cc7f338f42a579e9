import { AIOAdmin, AIOProducer, AdminClosedError, InvalidArgumentError, OperationTimeoutError } from '../../src';
import { onMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

let broker: TestBroker;
let admin: AIOAdmin;

beforeAll(async () => {
  broker = await startTestBroker(1);
  admin = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers }, { timeoutMs: 10_000 });
});

afterAll(async () => {
  await admin?.close();
  await broker?.stop();
});

const itOnRealCluster = onMockCluster ? it.skip : it;
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

  itOnMock('settles CreateTopics / CreatePartitions / DeleteTopics with a typed timeout on the mock cluster (which does not serve them)', async () => {
    const topic = randomTopic('admin');
    const calls = [
      () => admin.createTopic({ topic, numPartitions: 2, replicationFactor: 1 }, { timeoutMs: 2000 }),
      () => admin.createPartitions(topic, 4, { timeoutMs: 2000 }),
      () => admin.deleteTopic(topic, { timeoutMs: 2000 }),
    ];
    for (const call of calls) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OperationTimeoutError);
      expect((err as OperationTimeoutError).code).toBe('AIO_OPERATION_TIMEOUT');
      expect((err as OperationTimeoutError).retriable).toBe(true);
      expect((err as OperationTimeoutError).timeoutMs).toBe(2000);
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

  itOnMock('close lets the call in flight settle before disconnecting and rejects the queued ones', async () => {
    const other = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers });
    const inFlight = other.createTopic({ topic: randomTopic('admin') }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    const queued = other.deleteTopic(randomTopic('admin'), { timeoutMs: 1000 }).catch((e: unknown) => e);
    await other.close();
    // The mock does not serve CreateTopics: librdkafka's own timeout answered before disconnect.
    expect(await inFlight).toBeInstanceOf(OperationTimeoutError);
    expect(await queued).toBeInstanceOf(AdminClosedError);
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
