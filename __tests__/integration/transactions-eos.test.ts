import '../helpers/dispose-symbols';
import { AIOProducer, type ConsumerMessage } from 'aio-rdkafka';
import { runProcessor, type ProcessorOptions } from '../../examples/exactly-once';
import { itOnMockCluster, onMockCluster, randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic, type ReadMessage } from '../helpers/read-topic';

/*
 * Exactly once, end to end, with the consume-transform-produce processor of
 * examples/exactly-once.ts: N inputs; a first run whose transaction fails midway; a restart; then a
 * read_committed reader of the output must see each input exactly once.
 *
 * The embedded mock cluster answers the transactional protocol but neither hides aborted
 * messages from read_committed readers nor stores the offsets a transaction commits (see
 * transactions.test.ts, last block). On it the failure is therefore one that keeps the aborted
 * output off the log (the partition is refused to the transaction, as a real broker refuses an
 * unauthorised topic), and the restart resumes from the consumer's own commit of offsets that
 * transactions had committed. The failures that need the broker's side (output already written,
 * then aborted; a crash without close) run against a real cluster (KAFKA_BROKERS).
 */

const N = 30;
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker.stop();
});

const itOnRealCluster = onMockCluster ? it.skip : it;

interface Scenario {
  input: string;
  output: string;
  base: Omit<ProcessorOptions, 'signal' | 'beforeCommit' | 'onCommitted'>;
}

async function scenario(): Promise<Scenario> {
  const input = randomTopic('eos-in');
  const output = randomTopic('eos-out');
  await using producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 5 });
  // Two partitions' worth of keys, so that offsets of several partitions are committed.
  await Promise.all(Array.from({ length: N }, (_, i) => producer.produce(input, `in-${i}`, { key: `k${i % 5}` })));
  // The output topic exists before the first transaction adds it.
  await producer.produce(output, null, { partition: 0 }).then(() => undefined);
  return {
    input,
    output,
    base: {
      bootstrapServers: broker.bootstrapServers,
      inputTopic: input,
      outputTopic: output,
      groupId: randomTopic('eos-group'),
      transactionalId: randomTopic('eos-txid'),
      // A restarted member joins without waiting out the default 45 s session of the one before
      // (the mock waits for it even after the old member closed).
      consumerConfig: { 'session.timeout.ms': 3000, 'heartbeat.interval.ms': 300, 'fetch.wait.max.ms': 50 },
    },
  };
}

/** Runs the processor until every input was committed (as the processor reports it). */
async function runToEnd(s: Scenario, committed: Set<string>): Promise<void> {
  const done = new AbortController();
  if (committed.size === N) return;
  await runProcessor({
    ...s.base,
    signal: done.signal,
    onCommitted: (m: ConsumerMessage) => {
      committed.add(m.value!.toString());
      if (committed.size === N) done.abort();
    },
  });
}

/** The output as a read_committed reader sees it, without the empty message that created the topic. */
async function readOutput(s: Scenario): Promise<string[]> {
  const read: ReadMessage[] = await readTopic(broker.bootstrapServers, s.output, N + 1, { settleMs: 1000 });
  return read.filter((m) => m.value !== null).map((m) => m.value!.toString());
}

function expectEachOnce(outputs: string[]): void {
  const expected = Array.from({ length: N }, (_, i) => `IN-${i}`).sort();
  expect([...outputs].sort()).toEqual(expected);
}

describe('consume-transform-produce, exactly once', () => {
  itOnMockCluster('a transaction refused midway is aborted; after a restart each input is in the output once', async () => {
    const s = await scenario();
    const committed = new Set<string>();
    let commits = 0;
    const failure = await runProcessor({
      ...s.base,
      onCommitted: async (m) => {
        committed.add(m.value!.toString());
        // After the 10th commit, the next transaction's partition is refused: an abortable error.
        if (++commits === 10) await broker.cluster!.injectErrors('AddPartitionsToTxn', ['TOPIC_AUTHORIZATION_FAILED']);
      },
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ name: 'DeliveryError', code: 'ERR__PURGE_QUEUE' });
    expect(committed.size).toBe(10);

    await runToEnd(s, committed);
    expectEachOnce(await readOutput(s));
  });

  itOnRealCluster('an aborted transaction whose output was written: read_committed hides it; the restart redoes that input once', async () => {
    const s = await scenario();
    const committed = new Set<string>();
    let attempts = 0;
    const failure = await runProcessor({
      ...s.base,
      beforeCommit: () => {
        if (++attempts === 10) throw new Error('fails after its output was written');
      },
      onCommitted: (m) => void committed.add(m.value!.toString()),
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ message: 'fails after its output was written' });
    await runToEnd(s, committed);
    expectEachOnce(await readOutput(s));
  });

  itOnRealCluster('a processor stuck inside a transaction: a restart fences it and resumes from the transactions\' offsets', async () => {
    const s = await scenario();
    const committed = new Set<string>();
    let commits = 0;
    let unstick!: (err: Error) => void;
    const stuck = new Promise<never>((_, reject) => (unstick = reject));
    const first = runProcessor({
      ...s.base,
      // Hangs inside its 11th transaction, after that transaction's output was written.
      beforeCommit: () => (commits === 10 ? stuck : undefined),
      onCommitted: (m) => {
        commits++;
        committed.add(m.value!.toString());
      },
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    while (commits < 10) await new Promise((r) => setTimeout(r, 50));
    // The second instance (same transactional.id) fences the first, aborts its open transaction,
    // and takes its partitions over once the first's revocation gives up waiting for it.
    await runToEnd(s, committed);
    expectEachOnce(await readOutput(s));
    // The stuck one wakes up fenced: its transaction cannot be aborted or committed any more.
    unstick(new Error('woken up after the restart'));
    expect(await first).toBeDefined();
  });
});
