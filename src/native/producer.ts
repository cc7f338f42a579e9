/*
 * The part of node-rdkafka's Producer that AIOProducer calls, and nothing more: the seam where
 * unit tests put a fake (__tests__/helpers/fake-native-producer.ts).
 */
import { checkBootstrap, splitConfig, type LibrdkafkaConfig } from './config';
import { createWithConfig } from './config-refusal';
import { guardCreation } from './creation-guard';
import { prepareCodeTables } from './errors';
import { nodeRdkafka } from './loader';

import type { NativeHeader } from '../core/headers';

export type { NativeHeader };

/**
 * A delivery report as node-rdkafka emits it (`dr_cb: true`, no `dr_msg_cb`). `opaque` is what
 * `produce()` was given, absent when it was given none.
 */
export interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | null;
  opaque?: unknown;
  timestamp?: number;
  size: number;
}

/**
 * How many delivery reports the binding hands to JavaScript per event-loop turn, at most.
 * librdkafka's callbacks queue each report in the binding (`DeliveryReportDispatcher::Add`,
 * src/callbacks.cc) and wake the event loop through uv_async; the async callback
 * (`DeliveryReportDispatcher::Flush`) then emits at most 100 of them and, when more are queued,
 * wakes the loop again for the next turn. So under load reports wait in the binding, a turn of
 * 100 after another: a report librdkafka produced long ago may still be on its way to JavaScript
 * while the binding's last turn handed over exactly this many. The same in node-rdkafka 3.6.1
 * and @confluentinc/kafka-javascript 1.10.1 (`std::min<size_t>(outstanding_event_count, 100UL)`
 * in both callbacks.cc).
 */
export const DELIVERY_REPORTS_PER_TURN = 100;

/** A client event as node-rdkafka emits it for `event.log`. */
export interface NativeLogEvent {
  severity: number;
  fac: string;
  message: string;
}

/** The producer methods and events we use, with node-rdkafka's own signatures. */
export interface NativeProducer {
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null) => void): unknown;
  /**
   * Throws a `LibrdKafkaError` (numeric `code`) when librdkafka refuses the message. `opaque`
   * comes back in the message's delivery report; with `undefined` the binding keeps nothing for
   * the message (no persistent handle) and its report has no `opaque`.
   */
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | string | null | undefined,
    timestamp: number | null | undefined,
    opaque: number | undefined,
    headers: NativeHeader[] | undefined,
  ): unknown;
  /** Serves librdkafka's queued callbacks (delivery reports, errors, stats, logs). */
  poll(): unknown;
  disconnect(timeoutMs: number, cb: (err?: Error | null) => void): unknown;
  on(event: 'delivery-report', listener: (err: Error | null, report: NativeDeliveryReport) => void): unknown;
  on(event: 'event.error', listener: (err: Error) => void): unknown;
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown;
  on(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
  removeListener(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
}

/** A transactional call's answer: node-rdkafka's `LibrdKafkaError`, or null. */
export type NativeTransactionCallback = (err: Error | null | undefined) => void;

/**
 * The transactional calls of node-rdkafka's Producer (node-rdkafka 3.6.1). Each runs the
 * blocking librdkafka call on libuv's thread pool and calls back on the main thread; each but
 * `beginTransaction` takes a timeout in whole ms (a 32-bit integer) and its error carries
 * librdkafka's `isFatal`, `isRetriable` and `isTxnRequiresAbort`. They must not be called
 * after `disconnect()`: node-rdkafka then answers ERR__STATE with flags it never set.
 */
export interface NativeTransactions {
  initTransactions(timeoutMs: number, cb: NativeTransactionCallback): unknown;
  beginTransaction(cb: NativeTransactionCallback): unknown;
  commitTransaction(timeoutMs: number, cb: NativeTransactionCallback): unknown;
  abortTransaction(timeoutMs: number, cb: NativeTransactionCallback): unknown;
  /**
   * `consumer` is node-rdkafka's KafkaConsumer, connected (its group metadata is read on the
   * worker thread: a disconnected one crashes the process); `offsets` are the next offsets to read.
   */
  sendOffsetsToTransaction(
    offsets: Array<{ topic: string; partition: number; offset: number }>,
    consumer: object,
    timeoutMs: number,
    cb: NativeTransactionCallback,
  ): unknown;
}

/** A native producer that has the transactional calls (node-rdkafka's always has them). */
export type NativeTransactionalProducer = NativeProducer & NativeTransactions;

/** Whether `native` has the transactional calls. */
export function hasTransactions(native: NativeProducer): native is NativeTransactionalProducer {
  const n = native as Partial<NativeTransactions>;
  return (
    typeof n.initTransactions === 'function' &&
    typeof n.beginTransaction === 'function' &&
    typeof n.commitTransaction === 'function' &&
    typeof n.abortTransaction === 'function' &&
    typeof n.sendOffsetsToTransaction === 'function'
  );
}

/** Builds the native producer from a full librdkafka configuration. */
export type NativeProducerFactory = (config: LibrdkafkaConfig) => NativeProducer;

/** node-rdkafka's `Producer` from `config`, topic-level properties where they count. */
function buildProducer(config: LibrdkafkaConfig): NativeProducer {
  const [global, topic] = splitConfig(config);
  return new (nodeRdkafka().Producer)(global, topic) as NativeProducer;
}

/**
 * The default factory: node-rdkafka's `Producer`, with topic-level properties where they count,
 * its creation guarded (src/native/creation-guard.ts).
 */
export const createNativeProducer: NativeProducerFactory = (config) => {
  checkBootstrap(config);
  prepareCodeTables();
  return guardCreation(
    createWithConfig(config, () => buildProducer(config)),
    config,
    buildProducer,
  );
};
