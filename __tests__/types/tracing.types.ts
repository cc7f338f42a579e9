/*
 * Compiled, never run, by __tests__/types/config-types.test.ts (and by `tsc -p tsconfig.json`):
 * a tracing subscriber reads the typed error of each payload, without a cast. Every
 * `@ts-expect-error` must meet the error named on its line.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { AIOKafkaError, CloseTrace, CommitTrace, ConnectTrace, ProduceBatchTrace, TransactionTrace } from '../../src';

export function payloadErrors(connect: ConnectTrace, close: CloseTrace, commit: CommitTrace, transaction: TransactionTrace, batch: ProduceBatchTrace): Array<AIOKafkaError | undefined> {
  return [connect.error, close.error, commit.error, transaction.error, batch.error];
}

export function subscribe(): void {
  tracingChannel<object, CommitTrace>('aio-rdkafka:consumer:commit').subscribe({
    start() {},
    end() {},
    asyncStart() {},
    asyncEnd() {},
    error(trace) {
      // @ts-expect-error TS18048 set only when the operation failed: the subscriber checks
      console.warn(trace.error.code);
      if (trace.error?.retriable) console.warn(`commit of ${trace.offsets.length} offsets will be retried: ${trace.error.code}`);
    },
  });
}
