import type * as NodeRdkafka from 'node-rdkafka';
import { testBinding } from '../../helpers/binding';
import { AIOConsumer, AIOProducer, type AIOConsumerOptions, type AIOKafkaError, type ConsumerMessage } from '../../../src';
import { startMockCluster, type MockCluster } from '../../../src/testing';
import { itOnMockCluster, randomTopic } from '../../helpers/broker';
import { record } from '../ledger';
import { memberConfig } from './common';
import { sleep } from '../setup';

const Kafka = testBinding();

/*
 * The consumer on the wire while the group and the cluster misbehave: members join and leave,
 * the coordinator moves, a broker goes down, Fetch and OffsetCommit requests fail. Each scenario
 * checks at-least-once (every message handled, no commit past an unfinished message), bounds the
 * duplicates, and that a clean close leaves lag 0 on every partition (read by a fresh client).
 */

const PARTITIONS = 12;

let cluster: MockCluster;
let producer: AIOProducer;

beforeAll(async () => {
  cluster = await startMockCluster({ brokers: 3 });
  producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 5 });
}, 60_000);

/** Closed after each test, even a failed one: nothing may keep the process alive. */
const open: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})));
});

afterAll(async () => {
  await producer?.close();
  await cluster?.stop();
});

/** Every handled message: who handled it, and when it finished (ms since the scenario began). */
interface Handled {
  partition: number;
  offset: number;
  member: string;
  at: number;
}

/** What a scenario's consumers handled, and the checks over it. */
class HandlerLog {
  readonly handled: Handled[] = [];
  /** Per partition, the offsets finished by any member. */
  readonly #finished = Array.from({ length: PARTITIONS }, () => new Set<number>());
  readonly #began = Date.now();

  constructor(readonly perPartition: number) {}

  handler(member: string, delay: () => number): (msg: ConsumerMessage) => Promise<void> {
    return async (msg) => {
      await sleep(delay());
      this.handled.push({ partition: msg.partition, offset: msg.offset, member, at: Date.now() - this.#began });
      this.#finished[msg.partition]!.add(msg.offset);
    };
  }

  /** 1 + the highest offset below which every offset of `partition` is finished (the safe commit limit). */
  contiguous(partition: number): number {
    const done = this.#finished[partition]!;
    let next = 0;
    while (done.has(next)) next++;
    return next;
  }

  get distinct(): number {
    return this.#finished.reduce((sum, s) => sum + s.size, 0);
  }

  get complete(): boolean {
    return this.#finished.every((s) => s.size === this.perPartition);
  }

  get duplicates(): number {
    return this.handled.length - this.distinct;
  }

  missing(): string[] {
    const out: string[] = [];
    this.#finished.forEach((s, p) => {
      for (let o = 0; o < this.perPartition; o++) if (!s.has(o)) out.push(`${p}@${o}`);
    });
    return out;
  }
}

/** A plain node-rdkafka client of the group that never joins it: reads committed offsets and watermarks. */
class GroupProbe {
  readonly #consumer: NodeRdkafka.KafkaConsumer;

  private constructor(consumer: NodeRdkafka.KafkaConsumer) {
    this.#consumer = consumer;
  }

  static async open(group: string): Promise<GroupProbe> {
    const consumer = new Kafka.KafkaConsumer(
      { 'bootstrap.servers': cluster.bootstrapServers, 'group.id': group, 'enable.auto.commit': false },
      {},
    );
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    const probe = new GroupProbe(consumer);
    open.push(probe);
    return probe;
  }

  /** The committed offset of each partition (-1001 when none), or undefined when the read failed. */
  committed(topic: string, timeoutMs = 5000): Promise<number[] | undefined> {
    const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
    return new Promise((resolve) => {
      this.#consumer.committed(tps, timeoutMs, (err, offsets) => {
        if (err) return resolve(undefined);
        const out = Array<number>(PARTITIONS).fill(-1001);
        for (const o of offsets) out[o.partition] = o.offset;
        resolve(out);
      });
    });
  }

  /** The end (high watermark) of each partition; retried while the probe's metadata is behind. */
  async ends(topic: string): Promise<number[]> {
    const one = (p: number): Promise<number> =>
      new Promise<number>((resolve, reject) =>
        this.#consumer.queryWatermarkOffsets(topic, p, 5000, (err, w) => (err ? reject(err) : resolve(w.highOffset))),
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => one(p)));
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(300);
      }
    }
  }

  close(): Promise<void> {
    if (!this.#consumer.isConnected()) return Promise.resolve();
    return new Promise((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}

/**
 * Samples the group's committed offsets every `everyMs` while a scenario runs and checks each
 * against the handler log: a committed offset above 1 + the highest contiguous finished offset
 * would skip a message. (A sample is read after the commit, when at least as much is finished:
 * any commit past an unfinished message that survives until a sample is caught.)
 */
function watchCommits(probe: GroupProbe, topic: string, log: HandlerLog, everyMs = 200): { stop: () => Promise<{ samples: number; violations: string[] }> } {
  let running = true;
  let samples = 0;
  const violations: string[] = [];
  const loop = (async () => {
    while (running) {
      const committed = await probe.committed(topic, 2000);
      if (committed !== undefined) {
        samples++;
        committed.forEach((offset, p) => {
          const limit = log.contiguous(p);
          if (offset > limit) violations.push(`p${p}: committed ${offset} > finished-contiguous ${limit}`);
        });
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, violations };
    },
  };
}

/** Produces `perPartition` numbered, keyed messages to each partition of `topic`. */
async function produceNumbered(topic: string, perPartition: number): Promise<void> {
  const calls: Array<Promise<unknown>> = [];
  for (let n = 0; n < perPartition; n++) {
    for (let p = 0; p < PARTITIONS; p++) calls.push(producer.produce(topic, `${p}:${n}`, { key: `k${p}-${n % 7}`, partition: p }));
  }
  await Promise.all(calls);
}

async function connect(group: string, topic: string, errors: AIOKafkaError[], options: Partial<AIOConsumerOptions> = {}): Promise<AIOConsumer> {
  const consumer = await AIOConsumer.connect(
    { ...memberConfig(cluster.bootstrapServers, group), 'socket.connection.setup.timeout.ms': 3000, 'reconnect.backoff.max.ms': 500 },
    { topics: [topic], commitIntervalMs: 200, revokeTimeoutMs: 3000, closeTimeoutMs: 5000, ...options },
  );
  consumer.on('error', (e) => errors.push(e));
  open.push(consumer);
  return consumer;
}

async function until(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** After the clean close: the committed offset and the end of every partition, and the lag. */
async function finalLag(probe: GroupProbe, topic: string): Promise<{ committed: number[]; ends: number[]; lag: number[] }> {
  const ends = await probe.ends(topic);
  let committed: number[] | undefined;
  for (let i = 0; i < 5 && committed === undefined; i++) committed = await probe.committed(topic);
  if (committed === undefined) throw new Error('could not read the committed offsets');
  return { committed, ends, lag: ends.map((end, p) => end - committed[p]!) };
}

const codes = (errors: AIOKafkaError[]): Record<string, number> =>
  errors.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.code]: (acc[e.code] ?? 0) + 1 }), {});

describe('consumer faults on the wire', () => {
  itOnMockCluster('12 partitions, concurrency 16: a member joins and leaves, the coordinator moves, a broker goes down and up; clean close leaves lag 0', async () => {
    const perPartition = 400;
    const topic = randomTopic('cf-churn');
    const group = randomTopic('cf-churn-g');
    await cluster.createTopic(topic, { partitions: PARTITIONS });
    await produceNumbered(topic, perPartition);
    const log = new HandlerLog(perPartition);
    const probe = await GroupProbe.open(group);
    const errorsA: AIOKafkaError[] = [];
    const errorsB: AIOKafkaError[] = [];
    const rebalancesA: string[] = [];
    // ~20 ms a message, 16 at a time: the 4800 messages take ~6 s, through every fault.
    const delay = (): number => 10 + Math.floor(Math.random() * 20);
    const a = await connect(group, topic, errorsA);
    a.on('rebalance', (e) => rebalancesA.push(`${e.type}:${e.partitions.length}`));
    const runA = a.run({ concurrency: 16, handler: log.handler('A', delay) });
    const watch = watchCommits(probe, topic, log);
    let b: AIOConsumer | undefined;
    try {
      await until('A handles', () => log.handled.length > 300, 20_000);
      b = await connect(group, topic, errorsB);
      const runB = b.run({ concurrency: 16, handler: log.handler('B', delay) });
      await until('B handles', () => log.handled.some((h) => h.member === 'B'), 20_000);
      await cluster.setCoordinator(group, 2);
      await sleep(700);
      await cluster.brokerDown(3);
      await sleep(1000);
      await b.close();
      await runB;
      await sleep(800);
      await cluster.brokerUp(3);
      await until('every message handled', () => log.complete, 60_000);
      // Idle a little, as after the last message: the periodic commit has had its chances.
      await sleep(500);
    } finally {
      await b?.close();
    }
    await a.close();
    await runA;
    const { samples, violations } = await watch.stop();
    const { committed, ends, lag } = await finalLag(probe, topic);
    await probe.close();

    const byB = log.handled.filter((h) => h.member === 'B').length;
    record('consumer: member joins and leaves, coordinator moves, broker down/up', {
      messages: PARTITIONS * perPartition,
      faults: 'member B joins+leaves, setCoordinator, brokerDown/Up(3)',
      handled: log.handled.length,
      distinct: log.distinct,
      duplicates: log.duplicates,
      handledByB: byB,
      commitSamples: samples,
      commitPastUnfinished: violations.length,
      lagAfterClose: lag.reduce((s, l) => s + l, 0),
      partitionsWithLag: lag.filter((l) => l !== 0).length,
      rebalancesA: rebalancesA.join(' '),
      errorsA: codes(errorsA),
      errorsB: codes(errorsB),
    });
    expect(log.missing()).toEqual([]);
    expect(violations).toEqual([]);
    expect(ends).toEqual(Array(PARTITIONS).fill(perPartition));
    expect(committed).toEqual(ends);
    // Re-deliveries come only from messages unfinished at a rebalance (at most the concurrency
    // plus the fetched-but-waiting buffer of each member at each of its revocations) and from
    // commits that failed while a partition moved: a small fraction of the topic, never a replay.
    expect(log.duplicates).toBeLessThan(PARTITIONS * perPartition * 0.25);
  });

  itOnMockCluster('Fetch errors (NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PART): every message handled, none skipped, lag 0', async () => {
    const perPartition = 150;
    const topic = randomTopic('cf-fetch');
    const group = randomTopic('cf-fetch-g');
    await cluster.createTopic(topic, { partitions: PARTITIONS });
    await produceNumbered(topic, perPartition);
    const log = new HandlerLog(perPartition);
    const probe = await GroupProbe.open(group);
    const errors: AIOKafkaError[] = [];
    const consumer = await connect(group, topic, errors);
    const run = consumer.run({ concurrency: 16, handler: log.handler('A', () => 5 + Math.floor(Math.random() * 10)) });
    const watch = watchCommits(probe, topic, log);
    await until('A handles', () => log.handled.length > 100, 20_000);
    const injected = [...Array<string>(6).fill('NOT_LEADER_FOR_PARTITION'), ...Array<string>(4).fill('UNKNOWN_TOPIC_OR_PART')];
    await cluster.injectErrors('Fetch', injected);
    await until('every message handled', () => log.complete, 60_000);
    await sleep(300);
    await consumer.close();
    await run;
    const { violations } = await watch.stop();
    const { committed, ends, lag } = await finalLag(probe, topic);
    await probe.close();
    record('consumer: Fetch errors', {
      messages: PARTITIONS * perPartition,
      faults: `Fetch: 6x NOT_LEADER_FOR_PARTITION, 4x UNKNOWN_TOPIC_OR_PART`,
      handled: log.handled.length,
      duplicates: log.duplicates,
      commitPastUnfinished: violations.length,
      lagAfterClose: lag.reduce((s, l) => s + l, 0),
      errors: codes(errors),
    });
    expect(log.missing()).toEqual([]);
    expect(violations).toEqual([]);
    // One member, no rebalance: nothing is delivered twice.
    expect(log.duplicates).toBe(0);
    expect(committed).toEqual(ends);
  });

  itOnMockCluster('OffsetCommit errors: a refusal surfaces typed and retriable, the next commit succeeds, a refused final commit is retried: lag 0', async () => {
    const refusals = ['REBALANCE_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR'];
    const initial = 100;
    const perPartition = initial + refusals.length + 1;
    const topic = randomTopic('cf-commit');
    const group = randomTopic('cf-commit-g');
    await cluster.createTopic(topic, { partitions: PARTITIONS });
    await produceNumbered(topic, initial);
    const log = new HandlerLog(perPartition);
    const probe = await GroupProbe.open(group);
    const errors: AIOKafkaError[] = [];
    // No periodic commit: the only commits are the test's and the final one.
    const consumer = await connect(group, topic, errors, { commitIntervalMs: Infinity });
    const run = consumer.run({ concurrency: 16, handler: log.handler('A', () => 2) });
    let produced = initial;
    /** One more message per partition, handled: the next commit has something new to commit. */
    const oneMore = async (): Promise<void> => {
      await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => producer.produce(topic, `${p}:${produced}`, { key: `k${p}`, partition: p })));
      produced++;
      await until('handled', () => log.distinct === PARTITIONS * produced, 20_000);
    };
    await until('the first batch handled', () => log.distinct === PARTITIONS * initial, 20_000);
    // librdkafka retries some refusals itself (COORDINATOR_NOT_AVAILABLE: it looks the coordinator
    // up again and resends); the ones it hands back must surface typed and retriable.
    const outcomes: string[] = [];
    const surfaced: AIOKafkaError[] = [];
    for (const code of refusals) {
      await cluster.injectErrors('OffsetCommit', [code]);
      await consumer.commit().then(
        () => outcomes.push(`${code}: retried inside librdkafka`),
        (err: AIOKafkaError) => {
          surfaced.push(err);
          outcomes.push(`${code}: ${err.code}${err.retriable ? ' (retriable)' : ''}`);
        },
      );
      await cluster.clearErrors('OffsetCommit');
      await oneMore();
    }
    await consumer.commit(); // the next one goes through
    const afterRecovery = await probe.committed(topic);
    await oneMore();
    // The final commit is refused once, then retried while the consumer still polls.
    await cluster.injectErrors('OffsetCommit', ['REBALANCE_IN_PROGRESS']);
    await consumer.close();
    await run;
    const { committed, ends, lag } = await finalLag(probe, topic);
    record('consumer: OffsetCommit errors', {
      messages: PARTITIONS * perPartition,
      faults: `OffsetCommit: ${refusals.join(', ')} on commit(); REBALANCE_IN_PROGRESS on the final commit`,
      outcomes: outcomes.join('; '),
      duplicates: log.duplicates,
      lagAfterClose: lag.reduce((s, l) => s + l, 0),
      errors: codes(errors),
    });
    expect(surfaced.map((e) => e.code)).toContain('ERR_REBALANCE_IN_PROGRESS');
    expect(surfaced.every((e) => e.retriable && refusals.includes(e.code.replace(/^ERR_/, '')))).toBe(true);
    expect(afterRecovery?.every((o) => o >= initial)).toBe(true);
    expect(errors.filter((e) => e.message.includes('final commit'))).toEqual([]);
    expect(log.missing()).toEqual([]);
    expect(log.duplicates).toBe(0);
    expect(committed).toEqual(ends);
  });
});
