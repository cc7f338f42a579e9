#!/usr/bin/env node
/*
 * `npx aio-rdkafka-mock --brokers 3 --topic items:12`: a throwaway Kafka cluster (librdkafka's
 * mock cluster) for trying things out. Prints the bootstrap servers and runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startMockCluster, type MockTopic } from '../testing';

const USAGE = `usage: aio-rdkafka-mock [--brokers N] [--topic name:partitions]...

Starts librdkafka's mock cluster and prints its bootstrap servers.
  -b, --brokers N               number of brokers (default 3)
  -t, --topic name:partitions   create this topic up front (repeatable); other topics are
                                created on first use with 4 partitions
`;

/** `items:12` -> { name: 'items', partitions: 12 }; the cluster checks the values. */
function parseTopic(spec: string): MockTopic {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || !/^\d+$/.test(spec.slice(at + 1))) {
    throw new Error(`--topic wants name:partitions (such as items:12), got "${spec}"`);
  }
  return { name: spec.slice(0, at), partitions: Number(spec.slice(at + 1)) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', short: 'b', default: '3' },
      topic: { type: 'string', short: 't', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const topics = (values.topic ?? []).map(parseTopic);
  const cluster = await startMockCluster({ brokers: Number(values.brokers), topics });
  process.stdout.write(`${cluster.bootstrapServers}\n`);
  process.stderr.write('mock cluster running (data in memory only); Ctrl-C to stop\n');
  // The cluster's process does not keep this one alive: this timer does, until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    void cluster.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`aio-rdkafka-mock: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
