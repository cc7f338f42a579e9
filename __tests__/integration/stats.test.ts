import {
  AIOConsumer,
  AIOProducer,
  type BrokerStats,
  type ClientStatsBase,
  type ConsumerGroupStats,
  type ConsumerStats,
  type EosStats,
  type LibrdkafkaStats,
  type PartitionStats,
  type ProducerStats,
  type TopicStats,
  type WindowStats,
} from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The statistics types against real statistics from a producer and a consumer over TCP: every
 * field the types declare is present with the declared JSON type, at every level. The shapes
 * below are typed from the interfaces (`Shape<T>`), so a field added to or removed from a type
 * without its shape here does not compile.
 */

type Kind = 'number' | 'string' | 'boolean';
type ShapeOf<V> = V extends number ? 'number' : V extends string ? 'string' : V extends boolean ? 'boolean' : never;
/** Every key of T, mapped to its JSON kind or to the shape of the nested object. */
type Shape<T> = { [K in keyof T]-?: ShapeOf<T[K]> | Nested };
type Nested = { object: Record<string, unknown> } | { each: Record<string, unknown> | Kind };

const WINDOW: Shape<WindowStats> = {
  min: 'number', max: 'number', avg: 'number', sum: 'number', cnt: 'number', stddev: 'number', hdrsize: 'number',
  p50: 'number', p75: 'number', p90: 'number', p95: 'number', p99: 'number', p99_99: 'number', outofrange: 'number',
};

const BROKER: Shape<BrokerStats> = {
  name: 'string', nodeid: 'number', nodename: 'string', source: 'string', state: 'string', stateage: 'number',
  outbuf_cnt: 'number', outbuf_msg_cnt: 'number', waitresp_cnt: 'number', waitresp_msg_cnt: 'number',
  tx: 'number', txbytes: 'number', txerrs: 'number', txretries: 'number', txidle: 'number', req_timeouts: 'number',
  rx: 'number', rxbytes: 'number', rxerrs: 'number', rxcorriderrs: 'number', rxpartial: 'number', rxidle: 'number',
  req: { each: 'number' }, zbuf_grow: 'number', buf_grow: 'number', wakeups: 'number', connects: 'number', disconnects: 'number',
  int_latency: { object: WINDOW }, outbuf_latency: { object: WINDOW }, rtt: { object: WINDOW }, throttle: { object: WINDOW },
  toppars: { each: { topic: 'string', partition: 'number' } },
};

const PARTITION: Shape<PartitionStats> = {
  partition: 'number', broker: 'number', leader: 'number', desired: 'boolean', unknown: 'boolean',
  msgq_cnt: 'number', msgq_bytes: 'number', xmit_msgq_cnt: 'number', xmit_msgq_bytes: 'number',
  fetchq_cnt: 'number', fetchq_size: 'number', fetch_state: 'string', query_offset: 'number', next_offset: 'number',
  app_offset: 'number', stored_offset: 'number', stored_leader_epoch: 'number', committed_offset: 'number',
  commited_offset: 'number', committed_leader_epoch: 'number', eof_offset: 'number', lo_offset: 'number',
  hi_offset: 'number', ls_offset: 'number', consumer_lag: 'number', consumer_lag_stored: 'number',
  leader_epoch: 'number', txmsgs: 'number', txbytes: 'number', rxmsgs: 'number', rxbytes: 'number', msgs: 'number',
  rx_ver_drops: 'number', msgs_inflight: 'number', next_ack_seq: 'number', next_err_seq: 'number', acked_msgid: 'number',
};

const TOPIC: Shape<TopicStats> = {
  topic: 'string', age: 'number', metadata_age: 'number', batchsize: { object: WINDOW }, batchcnt: { object: WINDOW },
  partitions: { each: PARTITION },
};

const TOP: Shape<ClientStatsBase> = {
  name: 'string', client_id: 'string', type: 'string', ts: 'number', time: 'number', age: 'number', replyq: 'number',
  msg_cnt: 'number', msg_size: 'number', msg_max: 'number', msg_size_max: 'number', tx: 'number', tx_bytes: 'number',
  rx: 'number', rx_bytes: 'number', txmsgs: 'number', txmsg_bytes: 'number', rxmsgs: 'number', rxmsg_bytes: 'number',
  simple_cnt: 'number', metadata_cache_cnt: 'number', brokers: { each: BROKER }, topics: { each: TOPIC },
};

const EOS: Shape<EosStats> = {
  idemp_state: 'string', idemp_stateage: 'number', txn_state: 'string', txn_stateage: 'number', txn_may_enq: 'boolean',
  producer_id: 'number', producer_epoch: 'number', epoch_cnt: 'number',
};

const CGRP: Shape<ConsumerGroupStats> = {
  state: 'string', stateage: 'number', join_state: 'string', rebalance_age: 'number', rebalance_cnt: 'number',
  rebalance_reason: 'string', assignment_size: 'number',
};

/** Every place where `value` does not have `shape`, as "path: expected, got". */
function mismatches(value: unknown, shape: Record<string, unknown> | Kind, path: string): string[] {
  if (typeof shape === 'string') return typeof value === shape ? [] : [`${path}: ${shape}, got ${typeof value}`];
  if (typeof value !== 'object' || value === null) return [`${path}: object, got ${String(value)}`];
  const found: string[] = [];
  for (const [key, expected] of Object.entries(shape)) {
    const field = (value as Record<string, unknown>)[key];
    const at = `${path}.${key}`;
    if (field === undefined) found.push(`${at}: missing`);
    else if (typeof expected === 'string') found.push(...mismatches(field, expected as Kind, at));
    else if ('object' in (expected as object)) found.push(...mismatches(field, (expected as { object: Record<string, unknown> }).object, at));
    else {
      const each = (expected as { each: Record<string, unknown> | Kind }).each;
      if (typeof field !== 'object' || field === null) found.push(`${at}: object, got ${String(field)}`);
      else for (const [name, item] of Object.entries(field)) found.push(...mismatches(item, each, `${at}[${JSON.stringify(name)}]`));
    }
  }
  return found;
}

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker.stop();
});

/** The first statistics emitted after `ready()` turns true. */
function statsWhen<S>(client: { on(event: 'stats', listener: (s: S) => void): unknown; off(event: 'stats', listener: (s: S) => void): unknown }, ready: (s: S) => boolean): Promise<S> {
  return new Promise<S>((resolve) => {
    const listener = (s: S): void => {
      if (!ready(s)) return;
      client.off('stats', listener);
      resolve(s);
    };
    client.on('stats', listener);
  });
}

test("a producer's statistics have every declared field, with the declared types", async () => {
  const topic = randomTopic();
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'statistics.interval.ms': 100, 'linger.ms': 1 });
  try {
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.produce(topic, `v${i}`, { key: `k${i}` })));
    const stats: ProducerStats = await statsWhen(producer, (s: ProducerStats) => s.txmsgs >= 20);
    expect(stats.type).toBe('producer');
    expect(mismatches(stats, TOP as Record<string, unknown>, 'stats')).toEqual([]);
    expect(mismatches(stats.eos, EOS as Record<string, unknown>, 'stats.eos')).toEqual([]);
    expect(Object.keys(stats.topics)).toContain(topic);
    const partitions = Object.values(stats.topics[topic]!.partitions).filter((p) => p.partition >= 0);
    expect(partitions.reduce((sum, p) => sum + p.txmsgs, 0)).toBe(20);
    expect(Object.keys(stats.brokers).length).toBeGreaterThan(0);
  } finally {
    await producer.close();
  }
});

test("a consumer's statistics have every declared field, with the declared types", async () => {
  const topic = randomTopic();
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 });
  await Promise.all(Array.from({ length: 10 }, (_, i) => producer.produce(topic, `v${i}`)));
  await producer.close();
  const consumer = await AIOConsumer.connect(
    { 'bootstrap.servers': broker.bootstrapServers, 'group.id': randomTopic('group'), 'auto.offset.reset': 'earliest', 'statistics.interval.ms': 100 },
    { topics: [topic], commitIntervalMs: 100 },
  );
  try {
    const run = consumer.run({ handler: () => {} });
    const stats = (await statsWhen(consumer, (s: LibrdkafkaStats) => s.rxmsgs >= 10 && s.type === 'consumer')) as ConsumerStats;
    expect(stats.type).toBe('consumer');
    expect(mismatches(stats, TOP as Record<string, unknown>, 'stats')).toEqual([]);
    expect(mismatches(stats.cgrp, CGRP as Record<string, unknown>, 'stats.cgrp')).toEqual([]);
    expect(stats.cgrp!.rebalance_cnt).toBeGreaterThanOrEqual(1);
    const partitions = Object.values(stats.topics[topic]!.partitions).filter((p) => p.partition >= 0);
    expect(partitions.reduce((sum, p) => sum + p.rxmsgs, 0)).toBe(10);
    await consumer.close();
    await run;
  } finally {
    await consumer.close();
  }
});
