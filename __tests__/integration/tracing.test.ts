import { tracingChannel } from 'node:diagnostics_channel';
import {
  AIOConsumer,
  AIOProducer,
  InvalidArgumentError,
  HandlerError,
  type CommitTrace,
  type ConsumeTrace,
  type ProduceTrace,
  type RebalanceTrace,
} from '../../src';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { until } from '../helpers/until';

/*
 * Issue 12: every tracing channel's payloads and their order, against a broker over TCP (the
 * embedded mock cluster, or KAFKA_BROKERS).
 */

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
type Event = (typeof EVENTS)[number];
interface Seen {
  channel: string;
  event: Event;
  /** The payload object itself (published again at each step) and what it held at this step. */
  ctx: object;
  had: { result: boolean; error: unknown };
}

/** Subscribes to every sub-channel of `names`; returns what was seen and the unsubscriber. */
function record(names: string[]): { seen: Seen[]; stop(): void } {
  const seen: Seen[] = [];
  const stops: Array<() => void> = [];
  for (const name of names) {
    const tc = tracingChannel(`aio-rdkafka:${name}`);
    const handlers = Object.fromEntries(
      EVENTS.map((event) => [
        event,
        (ctx: Record<string, unknown>) => seen.push({ channel: name, event, ctx, had: { result: 'result' in ctx && ctx.result !== undefined, error: ctx.error } }),
      ]),
    ) as unknown as Parameters<typeof tc.subscribe>[0];
    tc.subscribe(handlers);
    stops.push(() => tc.unsubscribe(handlers));
  }
  return { seen, stop: () => stops.forEach((stop) => stop()) };
}

/** The steps one payload went through, in order. */
function steps(seen: Seen[], ctx: object): string[] {
  return seen.filter((s) => s.ctx === ctx).map((s) => s.event);
}
/** The distinct payloads of `name`, in the order they started. */
function payloads<T>(seen: Seen[], name: string): T[] {
  return seen.filter((s) => s.channel === name && s.event === 'start').map((s) => s.ctx as T);
}

const OK = ['start', 'end', 'asyncStart', 'asyncEnd'];
const FAILED = ['start', 'end', 'error', 'asyncStart', 'asyncEnd'];

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.stop();
});

test('producer channels: connect, produce (awaited, fire-and-forget, refused), produceBatch, close', async () => {
  const { seen, stop } = record(['producer:connect', 'producer:produce', 'producer:produceBatch', 'producer:close']);
  try {
    const topic = randomTopic();
    const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 });
    const report = await producer.produce(topic, 'hello', { key: 'k1', partition: 1, headers: [{ source: 'web' }] });
    let ffDone!: () => void;
    const ffDelivered = new Promise<void>((resolve) => (ffDone = resolve));
    producer.produce2(topic, Buffer.from('abc'), { fireAndForget: true, onDelivery: () => ffDone() });
    await ffDelivered;
    const refused = await producer.produce('bad topic name!', 'x').catch((err: unknown) => err);
    const results = await producer.produceBatch([
      { topic, value: 'b1' },
      { topic, value: 'b2', key: 'k2' },
    ]);
    await producer.close();

    // connect: bootstrap servers at start, the producer as result.
    const [connect] = payloads<Record<string, unknown>>(seen, 'producer:connect');
    expect(connect).toMatchObject({ bootstrapServers: broker.bootstrapServers, groupId: undefined, result: producer });
    expect(steps(seen, connect!)).toEqual(OK);

    const produced = payloads<ProduceTrace>(seen, 'producer:produce');
    expect(produced).toHaveLength(5);
    const [awaited, ff, bad, b1, b2] = produced as [ProduceTrace, ProduceTrace, ProduceTrace, ProduceTrace, ProduceTrace];
    expect(awaited).toMatchObject({ topic, partition: 1, key: 'k1', valueSize: 5, headers: [{ source: 'web' }] });
    expect(awaited.result).toEqual(report);
    expect(steps(seen, awaited)).toEqual(OK);
    // The span ends at the delivery report: asyncStart carried the report already.
    expect(seen.find((s) => s.ctx === awaited && s.event === 'asyncStart')!.had.result).toBe(true);
    expect(seen.find((s) => s.ctx === awaited && s.event === 'start')!.had.result).toBe(false);

    expect(ff).toMatchObject({ topic, partition: -1, key: undefined, valueSize: 3 });
    expect(ff.result).toMatchObject({ topic, size: 3 });
    expect(steps(seen, ff)).toEqual(OK);

    // Refused inside the call: still start, end, then error / asyncStart / asyncEnd.
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect(bad.error).toBe(refused);
    expect(steps(seen, bad)).toEqual(FAILED);
    expect(seen.find((s) => s.ctx === bad && s.event === 'error')!.had.error).toBe(refused);

    expect(b1).toMatchObject({ topic, valueSize: 2 });
    expect(b2).toMatchObject({ topic, key: 'k2' });
    expect(steps(seen, b1)).toEqual(OK);

    const [batch] = payloads<Record<string, unknown>>(seen, 'producer:produceBatch');
    expect(batch).toMatchObject({ size: 2, result: results });
    expect(steps(seen, batch!)).toEqual(OK);
    // One span for the batch, around its messages' own.
    const order: object[] = seen.map((s) => s.ctx);
    expect(order.indexOf(batch!)).toBeLessThan(order.indexOf(b1));
    expect(order.lastIndexOf(batch!)).toBeGreaterThan(order.lastIndexOf(b2));

    const [close] = payloads<Record<string, unknown>>(seen, 'producer:close');
    expect(close).toMatchObject({ timeoutMs: 30_000 });
    expect(steps(seen, close!)).toEqual(OK);
    expect(payloads(seen, 'producer:close')).toHaveLength(1);
  } finally {
    stop();
  }
});

test('transaction channels: commit and abort', async () => {
  const { seen, stop } = record(['producer:commitTransaction', 'producer:abortTransaction']);
  const producer = await AIOProducer.connect({
    'bootstrap.servers': broker.bootstrapServers,
    'transactional.id': randomTopic('txid'),
    'linger.ms': 5,
  });
  try {
    const topic = randomTopic();
    const tx = await producer.transaction();
    void tx.produce(topic, 'in tx');
    await tx.commit();
    const tx2 = await producer.transaction();
    await tx2.produce(topic, 'aborted');
    await tx2.abort();
    // A commit after abort is refused: the error is published.
    const refused = await tx2.commit().catch((err: unknown) => err);

    const commits = payloads<Record<string, unknown>>(seen, 'producer:commitTransaction');
    expect(commits).toHaveLength(2);
    expect(commits[0]).toMatchObject({ inFlight: 1 });
    expect(steps(seen, commits[0]!)).toEqual(OK);
    expect(commits[1]!.error).toBe(refused);
    expect(steps(seen, commits[1]!)).toEqual(FAILED);
    const [abort] = payloads<Record<string, unknown>>(seen, 'producer:abortTransaction');
    expect(abort).toMatchObject({ inFlight: 0 });
    expect(steps(seen, abort!)).toEqual(OK);
  } finally {
    stop();
    await producer.close();
  }
});

test('consumer channels: connect, rebalance, consume (handled and failed), commit, close', async () => {
  const topic = randomTopic();
  const group = randomTopic('group');
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 });
  await Promise.all(['m0', 'm1', 'bad'].map((value) => producer.produce(topic, value, { partition: 0 })));
  await producer.close();

  const { seen, stop } = record(['consumer:connect', 'consumer:rebalance', 'consumer:consume', 'consumer:commit', 'consumer:close']);
  try {
    const consumer = await AIOConsumer.connect(
      {
        'bootstrap.servers': broker.bootstrapServers,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'session.timeout.ms': 3000,
        'heartbeat.interval.ms': 300,
        'fetch.wait.max.ms': 50,
      },
      { topics: [topic], commitIntervalMs: 60_000 },
    );
    consumer.on('error', () => {});
    consumer.on('handlerError', () => {});
    const handled: string[] = [];
    const running = consumer.run({
      onError: 'skip',
      handler: async (msg) => {
        if (msg.value!.toString() === 'bad') throw new Error('cannot handle');
        handled.push(msg.value!.toString());
      },
    });
    await until('three messages consumed', () => payloads<ConsumeTrace>(seen, 'consumer:consume').filter((c) => c.processed !== undefined).length === 3);
    await consumer.commit();
    await consumer.close();
    await running;

    const [connect] = payloads<Record<string, unknown>>(seen, 'consumer:connect');
    expect(connect).toMatchObject({ bootstrapServers: broker.bootstrapServers, groupId: group, result: consumer });
    expect(steps(seen, connect!)).toEqual(OK);

    const rebalances = payloads<RebalanceTrace>(seen, 'consumer:rebalance');
    expect(rebalances[0]!.type).toBe('assign');
    expect(rebalances[0]!.partitions.some((p) => p.topic === topic && p.partition === 0)).toBe(true);
    for (const r of rebalances) expect(steps(seen, r)).toEqual(OK);

    const consumed = payloads<ConsumeTrace>(seen, 'consumer:consume');
    expect(consumed.map((c) => c.message.value!.toString())).toEqual(['m0', 'm1', 'bad']);
    const [m0, , bad] = consumed as [ConsumeTrace, ConsumeTrace, ConsumeTrace];
    expect(m0).toMatchObject({ kind: 'run', processed: true, messages: [m0.message] });
    expect(m0.message).toMatchObject({ topic, partition: 0, offset: 0 });
    expect(steps(seen, m0)).toEqual(OK);
    // The handler ran between start and asyncEnd.
    expect(handled).toEqual(['m0', 'm1']);
    expect(bad.error).toBeInstanceOf(HandlerError);
    expect(bad.processed).toBe(true); // skipped by onError: counts as processed
    expect(steps(seen, bad)).toEqual(FAILED);

    const commits = payloads<CommitTrace>(seen, 'consumer:commit');
    const explicit = commits.find((c) => c.reason === 'commit');
    expect(explicit).toBeDefined();
    expect(explicit!.offsets).toEqual([{ topic, partition: 0, offset: 3 }]);
    expect(steps(seen, explicit!)).toEqual(OK);

    const [close] = payloads<Record<string, unknown>>(seen, 'consumer:close');
    expect(close).toMatchObject({ timeoutMs: 30_000 });
    expect(steps(seen, close!)).toEqual(OK);
    // Everything else happened inside connect .. close.
    const order = seen.map((s) => s.ctx);
    expect(order[0]).toBe(connect);
    expect(order[order.length - 1]).toBe(close);
  } finally {
    stop();
  }
});

test('consumer channel for an iteration: a message ends when the loop asks for the next one, or unprocessed on break', async () => {
  const topic = randomTopic();
  const producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 });
  await Promise.all(['i0', 'i1'].map((value) => producer.produce(topic, value, { partition: 0 })));
  await producer.close();
  const { seen, stop } = record(['consumer:consume']);
  try {
    const consumer = await AIOConsumer.connect(
      { 'bootstrap.servers': broker.bootstrapServers, 'group.id': randomTopic('group'), 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 50 },
      { topics: [topic] },
    );
    consumer.on('error', () => {});
    let n = 0;
    for await (const msg of consumer) {
      const [current] = payloads<ConsumeTrace>(seen, 'consumer:consume').slice(-1);
      expect(current!.message).toBe(msg); // no deserializers: the message handed out is the one traced
      expect(steps(seen, current!)).toEqual(['start', 'end']);
      if (++n === 2) break;
    }
    await consumer.close();
    const [i0, i1] = payloads<ConsumeTrace>(seen, 'consumer:consume') as [ConsumeTrace, ConsumeTrace];
    expect(i0).toMatchObject({ kind: 'iterate', processed: true });
    expect(i1).toMatchObject({ kind: 'iterate', processed: false });
    expect(steps(seen, i0)).toEqual(OK);
    expect(steps(seen, i1)).toEqual(OK);
  } finally {
    stop();
  }
});
