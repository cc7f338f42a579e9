/*
 * Consume, transform, produce, exactly once: each input message of `orders` becomes one message
 * of `orders-upper`, and the output message and the input's offset are committed in one Kafka
 * transaction. After a failure (an aborted transaction, a crash, a restart) a `read_committed`
 * reader of the output sees each input once: what was aborted never shows, and the restarted
 * processor resumes right after the last committed input. (The embedded mock cluster answers the
 * transactional protocol but hides nothing: see docs/api.md, "Transactions", for what it lacks.)
 *
 *   npm run build && npm run build:examples
 *   node dist-examples/exactly-once.js                   # embedded mock cluster
 *   KAFKA_BROKERS=host:9092 node dist-examples/exactly-once.js
 *
 * One transaction per message keeps the example short; a transaction costs a few round trips
 * (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), so a busy processor groups
 * many messages per transaction.
 */
import { AIOConsumer, AIOProducer, type ConsumerMessage, type LibrdkafkaConfig } from 'aio-rdkafka';
import { startMockCluster } from 'aio-rdkafka/testing';

/** Options of {@link runProcessor}. */
export interface ProcessorOptions {
  bootstrapServers: string;
  inputTopic: string;
  outputTopic: string;
  /** The consumer group: where the committed input offsets live. */
  groupId: string;
  /**
   * Stable across restarts of *this* processor instance (one per input partition set): a
   * restarted producer with the same id fences the old one and aborts what it left open.
   */
  transactionalId: string;
  /** More librdkafka settings for the consumer (security, session timeout, ...). */
  consumerConfig?: LibrdkafkaConfig;
  /** More librdkafka settings for the producer. */
  producerConfig?: LibrdkafkaConfig;
  /** Turns an input value into the output value. @default upper-casing */
  transform?: (value: Buffer | null) => string | Buffer | null;
  /** Ends the processor (the consumer closes, the loop ends). */
  signal?: AbortSignal;
  /** Called inside each transaction, after produce and sendOffsets, before commit: a test's way to fail it. */
  beforeCommit?: (message: ConsumerMessage) => unknown;
  /** Called (and awaited) after each commit, with the input message whose output it committed. */
  onCommitted?: (message: ConsumerMessage) => unknown;
}

/**
 * Runs the processor until `signal` aborts (resolves) or a transaction fails (rejects with that
 * error, after the transaction was aborted and the clients closed). Restart it to go on.
 */
export async function runProcessor(options: ProcessorOptions): Promise<void> {
  const transform = options.transform ?? ((value) => (value === null ? null : value.toString().toUpperCase()));
  await using producer = await AIOProducer.connect({
    ...options.producerConfig,
    'bootstrap.servers': options.bootstrapServers,
    'transactional.id': options.transactionalId,
  });
  await using consumer = await AIOConsumer.connect(
    {
      ...options.consumerConfig,
      'bootstrap.servers': options.bootstrapServers,
      'group.id': options.groupId,
      'auto.offset.reset': 'earliest',
      // Skip what other transactional producers aborted (librdkafka's default, said out loud).
      'isolation.level': 'read_committed',
    },
    // The transaction commits the offsets. The consumer's own commits (on revocation, at the end,
    // on close) then only repeat an offset a transaction already committed, because the loop
    // body finishes a message after its commit; a periodic commit could land after a newer
    // transaction and move the group back, so it is off.
    { topics: [options.inputTopic], commitIntervalMs: Infinity },
  );
  const stop = (): void => void consumer.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  try {
    for await (const message of consumer) {
      await using tx = await producer.transaction();
      await tx.produce(options.outputTopic, transform(message.value), {
        key: message.key,
        headers: [{ source: `${message.topic}/${message.partition}/${message.offset}` }],
      });
      await tx.sendOffsets(consumer, [{ topic: message.topic, partition: message.partition, offset: message.offset + 1 }]);
      await options.beforeCommit?.(message);
      await tx.commit();
      await options.onCommitted?.(message);
      // Leaving the block: nothing to do after a commit; after a throw, the transaction is aborted.
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** Without `await using` (TypeScript < 5.2, or no `esnext.disposable` lib): the same transaction with try/finally. */
export async function processOne(producer: AIOProducer, consumer: AIOConsumer, message: ConsumerMessage, outputTopic: string): Promise<void> {
  const tx = await producer.transaction();
  let committed = false;
  try {
    await tx.produce(outputTopic, message.value, { key: message.key });
    await tx.sendOffsets(consumer, [{ topic: message.topic, partition: message.partition, offset: message.offset + 1 }]);
    await tx.commit();
    committed = true;
  } finally {
    if (!committed) await tx.abort();
  }
}

/** The demo: fills `orders`, fails the third transaction on purpose, restarts, prints the output. */
export async function main(): Promise<void> {
  const cluster = process.env.KAFKA_BROKERS ? undefined : await startMockCluster();
  const bootstrapServers = process.env.KAFKA_BROKERS ?? cluster!.bootstrapServers;
  try {
    const suffix = Date.now().toString(36);
    const base = { bootstrapServers, inputTopic: `orders-${suffix}`, outputTopic: `orders-upper-${suffix}`, groupId: `upper-${suffix}`, transactionalId: `upper-${suffix}`,
      // The restart rejoins the group without waiting out the default 45 s session of the first run.
      consumerConfig: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } };
    const inputs = ['apple', 'pear', 'plum', 'fig', 'kiwi'];
    {
      await using producer = await AIOProducer.connect({ 'bootstrap.servers': bootstrapServers });
      for (const value of inputs) await producer.produce(base.inputTopic, value, { partition: 0 });
    }
    const committed = new Set<number>();
    let attempts = 0;
    // First run: the third transaction fails before its commit, so it is aborted and the run ends.
    await runProcessor({
      ...base,
      beforeCommit: () => {
        if (++attempts === 3) throw new Error('simulated failure before commit');
      },
      onCommitted: (m) => committed.add(m.offset),
    }).catch((err: unknown) => console.log(`run 1 stopped: ${(err as Error).message}`));
    // Second run: resumes after the last committed input, stops once every input is committed.
    const done = new AbortController();
    await runProcessor({
      ...base,
      signal: done.signal,
      onCommitted: (m) => {
        committed.add(m.offset);
        if (committed.size === inputs.length) done.abort();
      },
    });
    console.log(`committed ${committed.size} of ${inputs.length} inputs into ${base.outputTopic}`);
  } finally {
    await cluster?.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
