/*
 * close({ timeoutMs }) while messages wait in an asynchronous serializer, or behind one (issue 17,
 * item 3), on the embedded cluster over TCP. The contract (docs/api.md, close): close waits up to
 * timeoutMs for serializers as for deliveries, and what comes out of them in time is sent and
 * waited for; at the deadline every message still in a serializer (or queued behind one) is
 * rejected with ProducerClosedError, possiblyDelivered: false, and whatever the serializer
 * returns later is dropped, never sent. Nothing stays pending once close() has returned, even
 * behind a serializer that never settles.
 */
import { AIOProducer, isAIOKafkaError, type BatchResult } from '../../../src';
import { onMockCluster, randomTopic } from '../../helpers/broker';
import { readTopic } from '../../helpers/read-topic';
import { DIST, requireDist, runNode } from '../../helpers/run-node';
import { record } from '../ledger';
import { failOnUnhandledRejection, sleep, useMockCluster } from '../setup';

const describeOnMock = onMockCluster ? describe : describe.skip;

/** What each call was told, by kind: `delivered`, or `ErrorClass CODE possiblyDelivered=…`. */
class Outcomes {
  readonly counts: Record<string, number> = {};
  settled = 0;

  add(err: unknown): void {
    this.settled++;
    const kind =
      err === null || err === undefined
        ? 'delivered'
        : isAIOKafkaError(err)
          ? `${err.constructor.name} ${err.code} possiblyDelivered=${String((err as { possiblyDelivered?: boolean }).possiblyDelivered)}`
          : `untyped ${String(err)}`;
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  track(call: Promise<unknown>): void {
    call.then(
      () => this.add(null),
      (err: unknown) => this.add(err),
    );
  }
}

describeOnMock('producer: close() with messages in an asynchronous serializer', () => {
  const { cluster } = useMockCluster(1);
  failOnUnhandledRejection();

  const producers: Array<AIOProducer<string, string>> = [];
  afterEach(async () => {
    await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 1000 })));
  });

  /** A producer whose value serializer answers after `delayOf(value)` ms. */
  async function slowProducer(delayOf: (value: string) => number): Promise<AIOProducer<string, string>> {
    const producer = await AIOProducer.connect<string, string>(
      { 'bootstrap.servers': cluster().bootstrapServers, 'linger.ms': 5 },
      {
        valueSerializer: async (value: string) => {
          await sleep(delayOf(value));
          return value;
        },
      },
    );
    producers.push(producer);
    return producer;
  }

  it('7a. close({ timeoutMs: 500 }) while 15 of 20 messages are still being serialized: all settled when close returns; the 15 rejected, never sent', async () => {
    const topic = randomTopic('pc-serializer');
    await cluster().createTopic(topic, { partitions: 1 });
    // Messages 0-4 are serialized in 100 ms, the rest in 3 s: well past close's deadline.
    const SLOW_MS = 3000;
    const producer = await slowProducer((value) => (Number(value.split(':')[1]) < 5 ? 100 : SLOW_MS));
    const outcomes = new Outcomes();
    // Every way to produce: produce(), produce2 with a callback, produceBatch.
    for (let i = 0; i < 14; i++) outcomes.track(producer.produce(topic, `m:${i}`));
    for (let i = 14; i < 17; i++) producer.produce2(topic, `m:${i}`, { fireAndForget: true, onDelivery: (err) => outcomes.add(err) });
    void producer.produceBatch([17, 18, 19].map((i) => ({ topic, value: `m:${i}` }))).then((results: BatchResult[]) => {
      for (const r of results) outcomes.add(r.status === 'fulfilled' ? null : r.reason);
    });
    const started = Date.now();
    await producer.close({ timeoutMs: 500 });
    const closeMs = Date.now() - started;
    const settledAtClose = outcomes.settled;
    const inFlightAtClose = producer.inFlight;
    // Let the slow serializers finish: what they return must not be sent.
    await sleep(SLOW_MS);
    const read = await readTopic(cluster().bootstrapServers, topic, 5, { settleMs: 1000 });
    record('producer 7a: close({ timeoutMs: 500 }) with 15 of 20 messages in a 3 s serializer', {
      closeMs,
      settledAtClose,
      inFlightAtClose,
      outcomes: outcomes.counts,
      inLog: read.length,
    });
    expect(settledAtClose).toBe(20);
    expect(inFlightAtClose).toBe(0);
    expect(outcomes.counts).toEqual({
      delivered: 5,
      'ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=false': 15,
    });
    expect(read.map((m) => m.value!.toString())).toEqual(['m:0', 'm:1', 'm:2', 'm:3', 'm:4']);
    // A bound with room for a busy machine (not a measurement): close did not wait for the 3 s.
    expect(closeMs).toBeLessThan(SLOW_MS);
  });

  it('7b. close() with time to spare: it waits for the serializers, then for the deliveries; everything delivered in call order', async () => {
    const topic = randomTopic('pc-serializer-ok');
    await cluster().createTopic(topic, { partitions: 1 });
    // Later calls answer sooner: call order must still be send order.
    const producer = await slowProducer((value) => 400 - 15 * Number(value.split(':')[1]));
    const outcomes = new Outcomes();
    for (let i = 0; i < 20; i++) outcomes.track(producer.produce(topic, `m:${i}`, { key: 'k' }));
    await producer.close({ timeoutMs: 10_000 });
    expect(outcomes.settled).toBe(20);
    expect(outcomes.counts).toEqual({ delivered: 20 });
    const read = await readTopic(cluster().bootstrapServers, topic, 20);
    expect(read.map((m) => m.value!.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m:${i}`));
  });
});

/*
 * A serializer that never settles, in a process of its own (--unhandled-rejections=strict): the
 * message in it and the ten queued behind it are rejected at close's deadline, and the process
 * then exits by itself (the hung serializer holds nothing of the producer).
 */
const HUNG_SCRIPT = `
const { AIOProducer, startMockCluster, isAIOKafkaError } = require(${JSON.stringify(DIST)});
(async () => {
  const cluster = await startMockCluster({ brokers: 1, topics: [{ name: 'hung', partitions: 1 }] });
  const producer = await AIOProducer.connect(
    { 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 5 },
    { valueSerializer: (v) => (v === 'hang' ? new Promise(() => {}) : v) },
  );
  await producer.produce('hung', 'before');
  const outcomes = {};
  let settled = 0;
  const note = (k) => { settled++; outcomes[k] = (outcomes[k] || 0) + 1; };
  const describe = (e) => (isAIOKafkaError(e) ? e.constructor.name + ' ' + e.code + ' possiblyDelivered=' + e.possiblyDelivered : 'untyped ' + String(e));
  const calls = [producer.produce('hung', 'hang')];
  for (let i = 0; i < 10; i++) calls.push(producer.produce('hung', 'behind-' + i));
  for (const c of calls) c.then(() => note('delivered'), (e) => note(describe(e)));
  const started = Date.now();
  await producer.close({ timeoutMs: 300 });
  const closeMs = Date.now() - started;
  const settledAtClose = settled;
  await cluster.stop();
  console.log(JSON.stringify({ closeMs, settledAtClose, outcomes, inFlight: producer.inFlight }));
})();
`;

(onMockCluster ? describe : describe.skip)('producer: close() behind a serializer that never settles', () => {
  it('7c. the hung message and those queued behind it are rejected at the deadline; the process exits by itself', async () => {
    requireDist();
    const result = await runNode(HUNG_SCRIPT, [], 30_000);
    expect(result.stderr).not.toMatch(/unhandled/i);
    const figures = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
      closeMs: number;
      settledAtClose: number;
      outcomes: Record<string, number>;
      inFlight: number;
    };
    record('producer 7c: close({ timeoutMs: 300 }) behind a serializer that never settles', { ...figures, processWallMs: result.wallMs });
    expect(result.exitedByItself).toBe(true);
    expect(result.code).toBe(0);
    expect(figures.settledAtClose).toBe(11);
    expect(figures.inFlight).toBe(0);
    expect(figures.outcomes).toEqual({ 'ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=false': 11 });
  });
});
