import type * as NodeRdkafka from 'node-rdkafka';
import { testBinding } from './binding';

const Kafka = testBinding();

/** A message read back from the broker. */
export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<Record<string, Buffer>>;
}

/**
 * Reads `topic` from the beginning with node-rdkafka's KafkaConsumer (a fresh group each time)
 * until `count` messages arrived, then waits `settleMs` more to catch any extra (duplicate)
 * message, and returns them in arrival order. Rejects if `count` did not arrive within
 * `timeoutMs`, saying where the shortfall is; with `partial`, returns what arrived instead (and
 * prints where the shortfall is), for a caller that reports what is missing.
 */
export async function readTopic(
  bootstrapServers: string,
  topic: string,
  count: number,
  { timeoutMs = 30_000, settleMs = 500, partial = false }: { timeoutMs?: number; settleMs?: number; partial?: boolean } = {},
): Promise<ReadMessage[]> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrapServers,
      'group.id': `read-${topic}-${Date.now()}-${Math.random()}`,
      'enable.auto.commit': false,
      'fetch.wait.max.ms': 50,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const messages: ReadMessage[] = [];
  try {
    consumer.subscribe([topic]);
    const deadline = Date.now() + timeoutMs;
    let settleUntil: number | undefined;
    for (;;) {
      const batch = await new Promise<NodeRdkafka.Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, batchMessages) => (err ? reject(err) : resolve(batchMessages))),
      );
      for (const m of batch) {
        messages.push({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: m.key == null ? null : Buffer.from(m.key as Buffer | string),
          value: m.value,
          headers: (m.headers ?? []).map((h) => {
            const out: Record<string, Buffer> = {};
            for (const [k, v] of Object.entries(h)) out[k] = Buffer.from(v as Buffer | string);
            return out;
          }),
        });
      }
      const now = Date.now();
      if (messages.length >= count) {
        settleUntil ??= now + settleMs;
        if (now >= settleUntil) break;
      } else if (now > deadline) {
        const where = await describeShortfall(consumer, topic, messages);
        if (partial) {
          console.log(`READ-BACK-SHORT read ${messages.length} of ${count} messages from ${topic} within ${timeoutMs} ms; ${where}`);
          break;
        }
        throw new Error(`read ${messages.length} of ${count} messages from ${topic} within ${timeoutMs} ms; ${where}`);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return messages;
}

/**
 * Per assigned partition: how many messages were read, the next offset the reader would fetch,
 * and the log's watermarks. Tells a message the broker never had (high watermark below the count)
 * from a reader that stopped short.
 */
async function describeShortfall(consumer: NodeRdkafka.KafkaConsumer, topic: string, messages: ReadMessage[]): Promise<string> {
  const parts: string[] = [];
  for (const { partition } of consumer.assignments()) {
    const read = messages.filter((m) => m.partition === partition);
    const next = read.length === 0 ? 0 : Math.max(...read.map((m) => m.offset)) + 1;
    const marks = await new Promise<string>((resolve) =>
      consumer.queryWatermarkOffsets(topic, partition, 5000, (err, offsets) =>
        resolve(err ? `watermarks unknown (${err.message})` : `log [${offsets.lowOffset}, ${offsets.highOffset})`),
      ),
    );
    parts.push(`p${partition}: read ${read.length}, next ${next}, ${marks}`);
  }
  return parts.join('; ');
}
