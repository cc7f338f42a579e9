import { AIOAdmin, OperationTimeoutError, UnsupportedByBindingError, UnsupportedByClusterError, type AIOKafkaError } from '../../src';
import { CKJS, NODE_RDKAFKA } from '../../src/core/bindings';
import { describeOn } from '../helpers/binding';
import { onMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The admin operations only @confluentinc/kafka-javascript's AdminClient has, through the same
 * AIOAdmin on either binding (AIO_BINDING): on node-rdkafka each refuses at once, naming CKJS; on
 * CKJS each reaches the cluster. The embedded cluster answers describeTopics (on CKJS's
 * librdkafka, whose mock has a controller) and serves none of the others: there they refuse with
 * UnsupportedByClusterError before anything is sent (describeGroups would otherwise reach CKJS
 * 1.10's crash on an errored group, which runs in a child process for that reason).
 */

let broker: TestBroker;
let admin: AIOAdmin;

beforeAll(async () => {
  broker = await startTestBroker(3);
  admin = await AIOAdmin.connect({ 'bootstrap.servers': broker.bootstrapServers }, { callTimeoutMs: 10_000 });
});

afterAll(async () => {
  await admin?.close();
  await broker?.stop();
});

/** Each operation CKJS alone has, called with valid arguments. */
const OPERATIONS: Array<[string, () => Promise<unknown>]> = [
  ['describeTopics', () => admin.describeTopics(['orders'])],
  ['deleteRecords', () => admin.deleteRecords('orders', [{ partition: 0, offset: 'end' }])],
  ['listGroups', () => admin.listGroups()],
  ['describeGroups', () => admin.describeGroups(['a-group'])],
  ['deleteGroups', () => admin.deleteGroups(['a-group'])],
];

async function rejection(call: () => Promise<unknown>): Promise<{ err: AIOKafkaError; ms: number }> {
  const started = performance.now();
  const err = await call().then(
    () => {
      throw new Error('resolved');
    },
    (e: unknown) => e as AIOKafkaError,
  );
  return { err, ms: performance.now() - started };
}

describeOn(NODE_RDKAFKA)('admin operations on node-rdkafka', () => {
  it.each(OPERATIONS)('%s: refused at once with UnsupportedByBindingError naming CKJS, nothing sent', async (name, call) => {
    const { err } = await rejection(call);
    expect(err).toBeInstanceOf(UnsupportedByBindingError);
    expect(err).toMatchObject({ code: 'AIO_UNSUPPORTED_BY_BINDING', binding: NODE_RDKAFKA, supportedBy: CKJS, retriable: false });
    expect(err.message).toContain(`${name}: node-rdkafka's AdminClient has no such call`);
    expect(err.message).toContain(`binding: '${CKJS}'`);
  });

});

describeOn(CKJS)('admin operations on CKJS', () => {
  it('describeTopics: every partition with its leader, replicas and in-sync replicas', async () => {
    const topic = randomTopic('admin-ops');
    if (broker.cluster !== undefined) await broker.cluster.createTopic(topic, { partitions: 3, replicationFactor: 2 });
    else await admin.createTopic({ topic, numPartitions: 3, replicationFactor: 2 });
    const [info, ...rest] = await admin.describeTopics([topic]);
    expect(rest).toEqual([]);
    expect(info).toMatchObject({ name: topic, isInternal: false });
    expect(info!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of info!.partitions) {
      expect(p.replicas).toHaveLength(2);
      expect(p.replicas).toContain(p.leader);
      expect(p.isr).toEqual(expect.arrayContaining([p.leader]));
    }
  });

  it('describeTopics: a topic that does not exist rejects typed, naming it', async () => {
    const topic = randomTopic('admin-missing');
    const { err } = await rejection(() => admin.describeTopics([topic]));
    expect(err).toMatchObject({ code: 'ERR_UNKNOWN_TOPIC_OR_PART', message: expect.stringContaining(`describeTopics: topic "${topic}"`) });
  });

  it('describeTopics: the call limit bounds it; a broker that does not answer is a timeout', async () => {
    if (broker.cluster === undefined) return;
    const topic = randomTopic('admin-slow');
    await broker.cluster.createTopic(topic, { partitions: 1 });
    await broker.cluster.pause();
    try {
      const { err, ms } = await rejection(() => admin.describeTopics([topic], { timeoutMs: 1000 }));
      expect(err).toBeInstanceOf(OperationTimeoutError);
      // Bounded by the call's limit plus librdkafka's grace, not by anything longer.
      expect(ms).toBeLessThan(10_000);
    } finally {
      await broker.cluster.resume();
    }
  });

  (onMockCluster ? it.each(OPERATIONS.slice(1)) : it.skip.each(OPERATIONS.slice(1)))(
    '%s: the embedded cluster does not serve it: UnsupportedByClusterError at once, nothing sent',
    async (name, call) => {
      const { err } = await rejection(call);
      expect(err).toBeInstanceOf(UnsupportedByClusterError);
      expect(err).toMatchObject({ code: 'ERR__UNSUPPORTED_FEATURE', message: expect.stringContaining(name) });
    },
  );

  it('arguments are checked before anything is sent', async () => {
    await expect(admin.describeTopics([])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(admin.deleteRecords('t', [{ partition: -1, offset: 0 }])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(admin.describeGroups([''])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(admin.deleteGroups([])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});

