import type * as NodeRdkafka from 'node-rdkafka';
import { testBinding } from '../../helpers/binding';
import { AIOProducer, type AIOKafkaError } from '../../../src';
import { startMockCluster, type MockCluster } from '../../../src/testing';
import { randomTopic } from '../../helpers/broker';
import { readTopic } from '../../helpers/read-topic';
import { timeGroupJoin } from './group-join';

const Kafka = testBinding();

/*
 * The fault-injecting mock cluster against real clients over TCP: each fault is checked by what
 * node-rdkafka (through AIOProducer, or its own metadata call) then sees. One 3-broker cluster
 * for the file; every test that takes brokers down or slows them restores them in `finally`.
 */

let cluster: MockCluster;
const producers: AIOProducer[] = [];

beforeAll(async () => {
  cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'preset-topic', partitions: 6 }] });
});

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 5000 })));
});

afterAll(async () => {
  await cluster?.stop();
});

async function connect(config: Record<string, string | number | boolean> = {}): Promise<AIOProducer> {
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 0, ...config });
  producers.push(producer);
  return producer;
}

/** The cluster's metadata for `topic`, through a plain node-rdkafka client (fresh each call: no cache). */
async function topicMetadata(topic: string): Promise<NodeRdkafka.TopicMetadata> {
  const client = new Kafka.Producer({ 'bootstrap.servers': cluster.bootstrapServers, 'allow.auto.create.topics': false });
  await new Promise<void>((resolve, reject) => client.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const metadata = await new Promise<NodeRdkafka.Metadata>((resolve, reject) =>
      client.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))),
    );
    const found = metadata.topics.find((t) => t.name === topic);
    if (!found) throw new Error(`no metadata for ${topic}`);
    return found;
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }
}

/** Whether `promise` is still pending after `ms`. */
async function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const winner = await Promise.race([promise.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r(marker), ms))]);
  return winner === marker;
}

async function timeProduce(producer: AIOProducer, topic: string, partition: number): Promise<number> {
  const started = process.hrtime.bigint();
  await producer.produce(topic, 'timed', { partition });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('MockCluster fault injection, seen by real clients', () => {
  it('createTopic (and the topics option) makes topics whose partition counts metadata reports', async () => {
    const topic = randomTopic('twelve');
    await cluster.createTopic(topic, { partitions: 12 });
    const metadata = await topicMetadata(topic);
    expect(metadata.partitions).toHaveLength(12);
    // Replication factor defaults to min(3, brokers).
    expect(metadata.partitions[0]!.replicas).toHaveLength(3);
    expect((await topicMetadata('preset-topic')).partitions).toHaveLength(6);
    // Topics nobody created still appear on first use, with the mock's default 4 partitions.
    const producer = await connect();
    const auto = randomTopic('auto');
    await producer.produce(auto, 'x');
    expect((await topicMetadata(auto)).partitions).toHaveLength(4);
  });

  it("brokerDown('all') stalls an awaited produce; brokerUp lets it through", async () => {
    const topic = randomTopic('down');
    const producer = await connect();
    await producer.produce(topic, 'before');
    await cluster.brokerDown('all');
    let delivery: Promise<unknown> | undefined;
    try {
      delivery = producer.produce(topic, 'during');
      delivery.catch(() => {});
      expect(await stillPendingAfter(delivery, 1500)).toBe(true);
    } finally {
      await cluster.brokerUp('all');
    }
    await expect(delivery).resolves.toMatchObject({ topic });
  });

  it('injectErrors on Produce: a retrying producer still delivers, once; a non-retrying one sees the code', async () => {
    const topic = randomTopic('notleader');
    const producer = await connect();
    await producer.produce(topic, 'warm-up');
    await cluster.injectErrors('Produce', ['NOT_LEADER_FOR_PARTITION', 'ERR_NOT_LEADER_FOR_PARTITION', 6]);
    await expect(producer.produce(topic, 'retried')).resolves.toMatchObject({ topic });
    const values = (await readTopic(cluster.bootstrapServers, topic, 2)).map((m) => m.value?.toString()).sort();
    expect(values).toEqual(['retried', 'warm-up']); // exactly once each

    // The injection is real: a producer that does not retry sees a refusal it would otherwise retry.
    // (librdkafka retries NOT_LEADER_FOR_PARTITION even with retries 0, so this uses another code.)
    const noRetry = await connect({ 'enable.idempotence': false, retries: 0 });
    await noRetry.produce(topic, 'warm-up');
    await cluster.injectErrors('Produce', ['NOT_ENOUGH_REPLICAS']);
    const err = (await noRetry.produce(topic, 'refused').catch((e: unknown) => e)) as AIOKafkaError;
    expect(err.code).toBe('ERR_NOT_ENOUGH_REPLICAS');
    await cluster.injectErrors('Produce', Array(3).fill('NOT_ENOUGH_REPLICAS'));
    await expect(producer.produce(topic, 'retried too')).resolves.toMatchObject({ topic });
  });

  it('injectErrors with brokerId reaches only that broker, with its delay', async () => {
    const topic = randomTopic('perbroker');
    await cluster.createTopic(topic, { partitions: 3 });
    const leaders = (await topicMetadata(topic)).partitions.map((p) => p.leader);
    const noRetry = await connect({ 'enable.idempotence': false, retries: 0 });
    for (let p = 0; p < 3; p++) await noRetry.produce(topic, 'warm-up', { partition: p });
    const target = leaders[0]!;
    const other = leaders.findIndex((l) => l !== target);
    await cluster.injectErrors('Produce', ['NOT_ENOUGH_REPLICAS'], { brokerId: target, rttMs: 200 });
    // A partition led by another broker is not affected ...
    if (other >= 0) await expect(noRetry.produce(topic, 'elsewhere', { partition: other })).resolves.toMatchObject({ partition: other });
    // ... the target broker's next Produce is refused.
    const started = Date.now();
    await expect(noRetry.produce(topic, 'refused', { partition: 0 })).rejects.toMatchObject({ code: 'ERR_NOT_ENOUGH_REPLICAS' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('setRtt makes produce slower than it is without (relative check, same test)', async () => {
    const topic = randomTopic('rtt');
    await cluster.createTopic(topic, { partitions: 1 });
    const producer = await connect();
    await producer.produce(topic, 'warm-up', { partition: 0 });
    const before = Math.max(await timeProduce(producer, topic, 0), await timeProduce(producer, topic, 0));
    let slow: number;
    try {
      await cluster.setRtt('all', 300);
      slow = Math.min(await timeProduce(producer, topic, 0), await timeProduce(producer, topic, 0));
    } finally {
      await cluster.setRtt('all', 0);
    }
    expect(slow).toBeGreaterThan(before);
    expect(slow).toBeGreaterThanOrEqual(250);
  });

  it('moveLeader moves the leader in metadata, and producing follows it', async () => {
    const topic = randomTopic('move');
    await cluster.createTopic(topic, { partitions: 2 });
    const leader = (await topicMetadata(topic)).partitions.find((p) => p.id === 1)!.leader;
    const next = cluster.brokerIds.find((id) => id !== leader)!;
    const producer = await connect();
    await producer.produce(topic, 'before', { partition: 1 });
    await cluster.moveLeader(topic, 1, next);
    expect((await topicMetadata(topic)).partitions.find((p) => p.id === 1)!.leader).toBe(next);
    // The producer learns of the move from the old leader's refusal and still delivers.
    await expect(producer.produce(topic, 'after', { partition: 1 })).resolves.toMatchObject({ partition: 1 });
  });

  it('setCoordinator moves a group: with its coordinator down, the group cannot join until it is back up', async () => {
    const topic = randomTopic('coord');
    const group = randomTopic('group');
    await cluster.createTopic(topic, { partitions: 2 });
    await cluster.setCoordinator(group, 2);
    await cluster.setCoordinator({ transaction: 'tx-1' }, 3);
    await cluster.brokerDown(2);
    let upAfterMs: number | undefined;
    let joinMs: number | undefined;
    try {
      joinMs = await timeGroupJoin(cluster.bootstrapServers, group, topic, {
        waitingMs: 1500,
        onWaiting: async () => {
          upAfterMs = 1500;
          await cluster.brokerUp(2);
        },
      });
    } finally {
      await cluster.brokerUp(2);
    }
    // It joined, but only after its coordinator came back.
    expect(upAfterMs).toBe(1500);
    expect(joinMs).toBeGreaterThanOrEqual(1500);
  });

  it('rejects with the mock\'s own code when it refuses a call', async () => {
    const topic = randomTopic('refused');
    await cluster.createTopic(topic, { partitions: 1 });
    await expect(cluster.createTopic(topic, { partitions: 1 })).rejects.toMatchObject({
      name: 'AIOKafkaError',
      code: 'ERR_TOPIC_ALREADY_EXISTS',
      message: expect.stringContaining('rd_kafka_mock_topic_create'),
    });
    await expect(cluster.moveLeader(topic, 5, 1)).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TOPIC_OR_PART',
      message: expect.stringContaining('rd_kafka_mock_partition_set_leader'),
    });
  });
});
