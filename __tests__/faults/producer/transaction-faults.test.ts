/*
 * Transactions under faults injected on the wire (issue 17), against the embedded mock cluster
 * (3 brokers):
 *
 * - 1. A fence on AddPartitionsToTxn (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH): librdkafka goes
 *   fatal. Expected: the producer is closed, every call of the transaction rejects with a
 *   `fatal` TransactionError (commit and abort too: not `abortable`, not a plain AIOKafkaError),
 *   the transaction is `failed`, and docs/api.md's example (close the producer on `err.fatal`)
 *   takes its fatal branch. A fence on EndTxn (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) or
 *   TxnOffsetCommit (INVALID_PRODUCER_EPOCH): fatal as well, the producer closed as the call rejects. librdkafka
 *   2.12 calls PRODUCER_FENCED on TxnOffsetCommit abortable: so do we.
 * - 2. close({ timeoutMs: 1500 }) during a commit whose coordinator is down: close returns by its
 *   deadline, the commit rejects (ProducerClosedError, possiblyDelivered: the native commit still
 *   runs), nothing else reaches librdkafka, and the client is disconnected once librdkafka's
 *   commit returns (its own timeout): the process then exits by itself, without a crash.
 * - 3. A consumer closed while a sendOffsets reads it: its disconnect waits for the call.
 */
import '../../helpers/dispose-symbols';
import { AIOConsumer, AIOProducer, TransactionError, isAIOKafkaError } from '../../../src';
import { startMockCluster, type MockCluster } from '../../../src/testing';
import { onMockCluster, randomTopic } from '../../helpers/broker';
import { DIST, requireDist, runNode } from '../../helpers/run-node';
import { record } from '../ledger';
import { failOnUnhandledRejection } from '../setup';

const describeOnMock = onMockCluster ? describe : describe.skip;

/** What a call was answered: `ok`, or the error's class, code and flags. */
function outcome(err: unknown): string {
  if (err === undefined) return 'ok';
  if (!isAIOKafkaError(err)) return `untyped ${String(err)}`;
  const flags = err instanceof TransactionError ? ` fatal=${err.fatal} abortable=${err.abortable}` : ` fatal=${err.fatal}`;
  return `${err.constructor.name} ${err.code}${flags}`;
}

const settle = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', outcome);

const FATAL_TRANSACTION_ERROR = /^TransactionError \S+ fatal=true abortable=false$/;

describeOnMock('transactions: faults on the wire', () => {
  let cluster: MockCluster;
  const producers: AIOProducer[] = [];
  const consumers: AIOConsumer[] = [];
  failOnUnhandledRejection();

  beforeAll(async () => {
    cluster = await startMockCluster({ brokers: 3 });
  });
  afterEach(async () => {
    await cluster.brokerUp('all').catch(() => {});
    for (const api of ['AddPartitionsToTxn', 'EndTxn', 'TxnOffsetCommit'] as const) await cluster.clearErrors(api).catch(() => {});
    await Promise.all(consumers.splice(0).map((c) => c.close({ timeoutMs: 2000 })));
    await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function connect(): Promise<{ producer: AIOProducer; errorEvents: string[] }> {
    const producer = await AIOProducer.connect({
      'bootstrap.servers': cluster.bootstrapServers,
      'transactional.id': randomTopic('txid'),
      'linger.ms': 5,
    });
    producers.push(producer);
    const errorEvents: string[] = [];
    producer.on('error', (e) => errorEvents.push(outcome(e)));
    return { producer, errorEvents };
  }

  async function connectConsumer(topic: string, group = randomTopic('g')): Promise<AIOConsumer> {
    const consumer = await AIOConsumer.connect(
      { 'bootstrap.servers': cluster.bootstrapServers, 'group.id': group, 'auto.offset.reset': 'earliest' },
      { topics: [topic], commitIntervalMs: Infinity },
    );
    consumer.on('error', () => {});
    consumers.push(consumer);
    return consumer;
  }

  /**
   * docs/api.md's example ("Errors of a transaction"), with the branch it took; `awaitProduce`
   * false: the message is produced without await (commit waits for it), as the docs allow.
   */
  async function docsExample(producer: AIOProducer, topic: string, awaitProduce: boolean): Promise<string> {
    try {
      await using tx = await producer.transaction();
      if (awaitProduce) await tx.produce(topic, '42');
      else void tx.produce(topic, '42');
      await tx.commit();
      return 'committed';
    } catch (err) {
      if (isAIOKafkaError(err) && err.fatal) {
        await producer.close();
        return 'closed the producer (fatal)';
      }
      return `rethrown: ${outcome(err)}`;
    }
  }

  /** The docs example on two fresh producers, each fenced by `inject`: produce awaited, and not. */
  async function docsExamples(topic: string, inject: () => Promise<void>): Promise<Record<string, string>> {
    const examples: Record<string, string> = {};
    for (const awaitProduce of [true, false]) {
      const { producer } = await connect();
      await inject();
      examples[awaitProduce ? 'produceAwaited' : 'produceNotAwaited'] = await docsExample(producer, topic, awaitProduce);
    }
    return examples;
  }

  for (const [id, code] of [
    ['1a', 'PRODUCER_FENCED'],
    ['1b', 'INVALID_PRODUCER_EPOCH'],
  ] as const) {
    it(`${id}. ${code} on AddPartitionsToTxn: the producer is fatal, and so is every call of its transaction (commit and abort too)`, async () => {
      const topic = randomTopic('tx-fence');
      const { producer, errorEvents } = await connect();
      await cluster.injectErrors('AddPartitionsToTxn', [code]);
      const tx = await producer.transaction();
      const first = await settle(tx.produce(topic, 'a'));
      const closedAfterProduce = producer.closed;
      const second = await settle(tx.produce(topic, 'b'));
      const commit = await settle(tx.commit());
      const commitAgain = await settle(tx.commit());
      const abort = await settle(tx.abort());
      const state = tx.state;
      const begin = await settle(producer.transaction());
      const plainProduce = await settle(producer.produce(topic, 'c'));
      let disposed = 'ok';
      await tx[Symbol.asyncDispose]().catch((e: unknown) => (disposed = outcome(e)));

      // docs/api.md's example on fresh producers, fenced the same way.
      const examples = await docsExamples(topic, () => cluster.injectErrors('AddPartitionsToTxn', [code]));
      record(`transactions ${id}: ${code} on AddPartitionsToTxn`, {
        first,
        closedAfterProduce,
        second,
        commit,
        commitAgain,
        abort,
        state,
        begin,
        plainProduce,
        disposed,
        errorEvents,
        examples,
      });
      expect(first).toMatch(/fatal=true/);
      expect(closedAfterProduce).toBe(true);
      expect(second).toMatch(/fatal=true/);
      expect(commit).toMatch(FATAL_TRANSACTION_ERROR);
      expect(commitAgain).toBe(commit);
      expect(abort).toMatch(FATAL_TRANSACTION_ERROR);
      expect(state).toBe('failed');
      expect(begin).toMatch(FATAL_TRANSACTION_ERROR);
      expect(plainProduce).toMatch(/^DeliveryError \S+ fatal=true$/);
      expect(disposed).toBe('ok');
      expect(errorEvents.filter((e) => e.includes('fatal=true'))).toHaveLength(1);
      expect(examples).toEqual({ produceAwaited: 'closed the producer (fatal)', produceNotAwaited: 'closed the producer (fatal)' });
    });
  }

  it.each([
    ['1c', 'PRODUCER_FENCED'],
    ['1c2', 'INVALID_PRODUCER_EPOCH'],
  ])('%s. %s on EndTxn: commit and abort reject fatal; the producer is closed as commit rejects', async (id, code) => {
    const topic = randomTopic('tx-fence');
    const { producer, errorEvents } = await connect();
    await cluster.injectErrors('EndTxn', [code]);
    const tx = await producer.transaction();
    const produced = await settle(tx.produce(topic, 'a'));
    const commit = await settle(tx.commit());
    const closedAtCommit = producer.closed;
    const abort = await settle(tx.abort());
    const state = tx.state;
    const plainProduce = await settle(producer.produce(topic, 'c'));
    const examples = await docsExamples(topic, () => cluster.injectErrors('EndTxn', [code]));
    record(`transactions ${id}: ${code} on EndTxn`, { produced, commit, closedAtCommit, abort, state, plainProduce, errorEvents, examples });
    expect(produced).toBe('ok');
    expect(commit).toBe('TransactionError ERR__FENCED fatal=true abortable=false');
    // One fatal state: the producer knows it as soon as the commit's answer says it.
    expect(closedAtCommit).toBe(true);
    expect(abort).toBe(commit);
    expect(state).toBe('failed');
    expect(plainProduce).toMatch(/^DeliveryError \S+ fatal=true$/);
    expect(errorEvents.filter((e) => e.includes('fatal=true'))).toHaveLength(1);
    expect(examples).toEqual({ produceAwaited: 'closed the producer (fatal)', produceNotAwaited: 'closed the producer (fatal)' });
  });

  /** A transaction that sends offsets for `topic` (which exists: a first transaction wrote to it). */
  async function offsetsScenario(code: string): Promise<Record<string, unknown>> {
    const topic = randomTopic('tx-offsets');
    const { producer } = await connect();
    const first = await producer.transaction();
    await first.produce(topic, 'the input', { partition: 0 });
    await first.commit();
    const consumer = await connectConsumer(topic);
    await cluster.injectErrors('TxnOffsetCommit', [code]);
    const tx = await producer.transaction();
    const sent = await settle(tx.sendOffsets(consumer, [{ topic, partition: 0, offset: 1 }]));
    const closedAtSendOffsets = producer.closed;
    const commit = await settle(tx.commit());
    const abort = await settle(tx.abort());
    const state = tx.state;
    const next = await settle(producer.transaction().then((t) => t.commit()));
    return { sent, closedAtSendOffsets, commit, abort, state, next };
  }

  it('1d. INVALID_PRODUCER_EPOCH on TxnOffsetCommit: sendOffsets, commit and abort reject fatal', async () => {
    const result = await offsetsScenario('INVALID_PRODUCER_EPOCH');
    record('transactions 1d: INVALID_PRODUCER_EPOCH on TxnOffsetCommit', result);
    expect(result).toEqual({
      sent: 'TransactionError ERR__FENCED fatal=true abortable=false',
      closedAtSendOffsets: true,
      commit: 'TransactionError ERR__FENCED fatal=true abortable=false',
      abort: 'TransactionError ERR__FENCED fatal=true abortable=false',
      state: 'failed',
      next: 'TransactionError ERR__FENCED fatal=true abortable=false',
    });
  });

  it('1e. PRODUCER_FENCED on TxnOffsetCommit: librdkafka 2.12 says abortable, not fatal: abort, and the producer goes on', async () => {
    const result = await offsetsScenario('PRODUCER_FENCED');
    record('transactions 1e: PRODUCER_FENCED on TxnOffsetCommit', result);
    expect(result).toEqual({
      sent: 'TransactionError ERR__FENCED fatal=false abortable=true',
      closedAtSendOffsets: false,
      commit: 'TransactionError ERR__FENCED fatal=false abortable=true',
      abort: 'ok',
      state: 'aborted',
      next: 'ok',
    });
  });

  it('3. a consumer closed while sendOffsets reads it: its disconnect waits for the native call', async () => {
    const topic = randomTopic('tx-lease');
    const group = randomTopic('g');
    const { producer } = await connect();
    const first = await producer.transaction();
    await first.produce(topic, 'the input', { partition: 0 });
    await first.commit();
    // The group's coordinator, broker 2, answers the next TxnOffsetCommit 2 s late.
    await cluster.setCoordinator({ group }, 2);
    const consumer = await connectConsumer(topic, group);
    await cluster.injectErrors('TxnOffsetCommit', ['NO_ERROR'], { brokerId: 2, rttMs: 2000 });
    const tx = await producer.transaction();
    const order: string[] = [];
    const sending = tx.sendOffsets(consumer, [{ topic, partition: 0, offset: 1 }]).then(
      () => order.push('sendOffsets resolved'),
      (e: unknown) => order.push(`sendOffsets rejected: ${outcome(e)}`),
    );
    // The call is on libuv's pool (it waits for the coordinator's answer) when the consumer closes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closing = consumer.close({ timeoutMs: 10_000 }).then(() => order.push('consumer closed'));
    await Promise.all([sending, closing]);
    const commit = await settle(tx.commit());
    record('transactions 3: consumer closed during sendOffsets', { order, commit });
    expect(order).toEqual(['sendOffsets resolved', 'consumer closed']);
    expect(commit).toBe('ok');
  });
});

/*
 * 2. Runs in a node process of its own (--unhandled-rejections=strict): the point is also that
 * the process exits by itself, without a crash, once librdkafka's commit has returned and the
 * client was disconnected after it. The commit keeps librdkafka's default limit (30 s), as in the
 * issue's report.
 */
const CLOSE_DURING_COMMIT = `
const { AIOProducer, isAIOKafkaError, startMockCluster } = require(${JSON.stringify(DIST)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const describe = (e) => (isAIOKafkaError(e) ? e.constructor.name + ' ' + e.code + ' possiblyDelivered=' + e.possiblyDelivered : 'untyped ' + String(e));
(async () => {
  const cluster = await startMockCluster({ brokers: 3 });
  const id = 'txid-close-' + process.pid;
  await cluster.setCoordinator({ transaction: id }, 1);
  await cluster.createTopic('out', { partitions: 1, replicationFactor: 1 });
  await cluster.moveLeader('out', 0, 2);
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'transactional.id': id, 'linger.ms': 5 });
  producer.on('error', () => {});
  const tx = await producer.transaction();
  await tx.produce('out', 'x');
  await cluster.brokerDown(1); // the transaction coordinator
  const result = {};
  const committing = tx.commit().then(() => 'ok', describe);
  await sleep(300); // librdkafka's commit waits for the coordinator
  result.stateAtClose = tx.state;
  const started = Date.now();
  await producer.close({ timeoutMs: 1500 });
  result.closeMs = Date.now() - started;
  result.commit = await committing;
  result.stateAfterClose = tx.state;
  result.abortAfterClose = await tx.abort().then(() => 'ok', describe);
  result.begin = await producer.transaction().then(() => 'ok', describe);
  process.on('exit', () => {
    result.exitAfterCloseMs = Date.now() - started;
    result.stateAtExit = tx.state;
    console.log(JSON.stringify(result));
  });
})();
`;

(onMockCluster ? describe : describe.skip)('transactions: close() during a commit', () => {
  it('2. close({ timeoutMs: 1500 }) with the coordinator down returns by its deadline; the process exits by itself once librdkafka returns', async () => {
    requireDist();
    const run = await runNode(CLOSE_DURING_COMMIT, [], 60_000);
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    record('transactions 2: close({ timeoutMs: 1500 }) during a commit, coordinator down', { ...result, processWallMs: run.wallMs });
    expect(run.stderr).not.toMatch(/unhandled|Segmentation|Abort/i);
    expect(run.exitedByItself).toBe(true);
    expect(run.code).toBe(0);
    expect(result.stateAtClose).toBe('committing');
    // A bound with room for a busy machine, not a measurement.
    expect(result.closeMs).toBeLessThan(1500 + 3000);
    expect(result.commit).toBe('ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=true');
    expect(result.stateAfterClose).toBe('failed');
    expect(result.abortAfterClose).toBe('ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=false');
    expect(result.begin).toBe('ProducerClosedError AIO_PRODUCER_CLOSED possiblyDelivered=false');
    // librdkafka's commit timed out (its default 30 s): the transaction stays failed.
    expect(result.stateAtExit).toBe('failed');
  });
});
