import type * as NodeRdkafka from 'node-rdkafka';
import { testBinding } from '../../helpers/binding';

const Kafka = testBinding();

/**
 * Joins `group` on `topic` with a plain node-rdkafka consumer and returns how long it took from
 * subscribe() to the first assignment, in ms; undefined if no assignment came within `limitMs`.
 * `onWaiting` runs once, after `waitingMs` without an assignment (to lift a fault mid-join).
 */
export async function timeGroupJoin(
  bootstrapServers: string,
  group: string,
  topic: string,
  { limitMs = 15_000, waitingMs, onWaiting }: { limitMs?: number; waitingMs?: number; onWaiting?: () => Promise<void> } = {},
): Promise<number | undefined> {
  let assignedAt: number | undefined;
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrapServers,
      'group.id': group,
      'enable.auto.commit': false,
      rebalance_cb: (err: NodeRdkafka.LibrdKafkaError, assignment: NodeRdkafka.Assignment[]) => {
        if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
          consumer.assign(assignment);
          assignedAt ??= Date.now();
        } else {
          consumer.unassign();
        }
      },
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const started = Date.now();
    let waited = false;
    consumer.setDefaultConsumeTimeout(100);
    consumer.subscribe([topic]);
    while (assignedAt === undefined && Date.now() - started < limitMs) {
      await new Promise<void>((resolve) => consumer.consume(1, () => resolve()));
      if (!waited && waitingMs !== undefined && Date.now() - started >= waitingMs) {
        waited = true;
        await onWaiting?.();
      }
    }
    return assignedAt === undefined ? undefined : assignedAt - started;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
