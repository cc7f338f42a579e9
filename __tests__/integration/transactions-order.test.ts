import { AIOProducer, DeliveryError } from '../../src';
import { TEST_BINDING } from '../helpers/binding';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * One partition's messages settle in the order they were produced, also across the end of a
 * transaction. librdkafka's commit and abort flush, and a flush serves the client's queue from the
 * thread that runs it while the background poll thread (node-rdkafka: this package's plugin; CKJS:
 * librdkafka's own) or the poll timer serves it too: two threads each take a batch of reports and
 * hand them over unlocked, so one partition's reports can reach JavaScript out of order (measured
 * before the fix: hundreds of inversions per 90,000 messages around an abort).
 *
 * The order is that of the messages librdkafka took. One it refused (on a loaded machine the
 * transaction can fail mid-round, and librdkafka then takes no more of its messages: ERR__STATE)
 * has no report to wait for: its produce() rejects at once, "not sent", ahead of the reports of
 * the messages before it. Those are counted apart, and each must say it was not sent.
 */

const ROUNDS = 6;
const MESSAGES = 3000;

let broker: TestBroker;
let producer: AIOProducer;
let topic: string;

beforeAll(async () => {
  broker = await startTestBroker(1);
  topic = randomTopic('txorder');
});

afterAll(async () => {
  await producer?.close({ timeoutMs: 5000 });
  await broker.stop();
});

/** Whether `err` is a refusal at send: librdkafka never took the message (no report comes). */
function refusedAtSend(err: unknown): boolean {
  return err instanceof DeliveryError && !err.possiblyDelivered && / not sent$/.test(err.message);
}

/** Messages settled out of their partition's order (a later one before an earlier one). */
function inversions(settled: Map<number, number[]>): number {
  let count = 0;
  for (const ids of settled.values()) for (let i = 1; i < ids.length; i++) if (ids[i]! < ids[i - 1]!) count++;
  return count;
}

describe.each([
  ['the background poll', true],
  ['the poll timer alone', false],
])(`transactions on ${TEST_BINDING} with %s: per-partition order of outcomes`, (_how, backgroundPoll) => {
  beforeAll(async () => {
    await producer?.close({ timeoutMs: 5000 });
    producer = await AIOProducer.connect(
      {
        'bootstrap.servers': broker.bootstrapServers,
        'transactional.id': randomTopic('txid'),
        'linger.ms': 0,
        'batch.num.messages': 100,
      },
      { backgroundPoll },
    );
    producer.on('error', () => {});
  });

  it('runs as configured', () => {
    expect(producer.backgroundPoll).toBe(backgroundPoll);
  });

  it.each([['commit'], ['abort']])('%s: every message settles once, in the order produced per partition', async (end) => {
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const tx = await producer.transaction();
      const settled = new Map<number, number[]>([[0, []], [1, []]]);
      const refused: number[] = [];
      const outcomes: Array<Promise<unknown>> = [];
      for (let i = 0; i < MESSAGES; i++) {
        const partition = i % 2;
        const record = (): void => void settled.get(partition)!.push(i);
        const failed = (err: unknown): void => (refusedAtSend(err) ? void refused.push(i) : record());
        outcomes.push(tx.produce(topic, `m${i}`, { partition }).then(record, failed));
      }
      if (end === 'commit') await tx.commit();
      else await tx.abort();
      await Promise.all(outcomes);
      expect(settled.get(0)!.length + settled.get(1)!.length + refused.length).toBe(MESSAGES);
      total += inversions(settled);
    }
    expect(total).toBe(0);
  });
});
