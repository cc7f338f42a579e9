#!/usr/bin/env node
/*
 * `npx aio-rdkafka-mock --brokers 3`: a throwaway Kafka cluster (librdkafka's mock cluster) for
 * trying things out. Prints the bootstrap servers and runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startMockCluster } from '../testing';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { brokers: { type: 'string', short: 'b', default: '3' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('usage: aio-rdkafka-mock [--brokers N]\n\nStarts librdkafka\'s mock cluster and prints its bootstrap servers.\n');
    return;
  }
  const cluster = await startMockCluster({ brokers: Number(values.brokers) });
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
