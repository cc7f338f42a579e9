/*
 * The part of the binding's Producer that AIOProducer calls, and nothing more (node-rdkafka's and
 * CKJS's are the same call for call): the seam where unit tests put a fake
 * (__tests__/helpers/fake-native-producer.ts).
 */
import { createWithBackgroundPoll } from './background-poll';
import { splitConfig, type LibrdkafkaConfig } from './config';
import { createGuarded } from './creation-guard';
import { loadBinding, type Binding, type BindingOption } from './loader';

import type { NativeHeader } from '../core/headers';
import { AIOKafkaError } from '../core/errors';

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
  /**
   * Set by the seam (never by the binding): Buffer header values reach the broker byte for byte,
   * so they need not be NUL-free UTF-8 (CKJS). Absent: node-rdkafka's C-string rule.
   */
  readonly binaryHeaderValues?: boolean;
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

/**
 * The factory of `binding`'s `Producer`: topic-level properties where they count, its creation
 * guarded (src/native/creation-guard.ts).
 */
function producerFactory(binding: Binding): NativeProducerFactory {
  const build = (config: LibrdkafkaConfig): NativeProducer => {
    const [global, topic] = splitConfig(config);
    return new binding.module.Producer(global, topic) as NativeProducer;
  };
  return (config) => createGuarded(binding, config, build);
}

/**
 * The factory of the `Producer` of the binding `option` names (loaded at the first call), without
 * the background poll: for tests and benchmarks that drive the native producer themselves.
 */
export function nativeProducerFactory(option?: BindingOption): NativeProducerFactory {
  return (config) => producerFactory(loadBinding(option))(config);
}

/** CKJS's Producer: librdkafka's background thread serves the main queue once this is on. */
interface PollsInBackground {
  setPollInBackground(on: boolean): unknown;
  isConnected(): boolean;
}

/**
 * Turns CKJS's background poll on the moment a connect succeeds. Never before (CKJS reads the
 * librdkafka handle before checking it is connected: the process dies, SIGSEGV) and never off
 * again (after a disconnect the same read crashes; turned off while reports are queued, two
 * threads would serve them). Once on, a JavaScript `poll()` returns at once: only that thread
 * serves the queue, so one partition's reports reach JavaScript in order.
 */
export function pollInBackgroundOnceConnected(native: NativeProducer): void {
  const producer = native as NativeProducer & PollsInBackground;
  const connect = producer.connect;
  producer.connect = (metadataOptions, cb) =>
    connect.call(producer, metadataOptions, (err) => {
      if (err != null) return cb(err);
      // A producer said to poll in the background that does not would wait for every report until
      // its deadline: the connect fails instead, its client released (and a throw here would
      // escape into CKJS's callback).
      try {
        if (!producer.isConnected()) throw new Error('the client was disconnected before it started');
        producer.setPollInBackground(true);
      } catch (cause) {
        const failed = new AIOKafkaError(`connect: the background poll did not start: ${cause instanceof Error ? cause.message : String(cause)}`, {
          code: 'ERR__STATE',
          cause,
        });
        producer.disconnect(0, () => cb(failed));
        return;
      }
      cb(null);
    });
}

/** A native producer as {@link openNativeProducer} made it. */
export interface OpenedNativeProducer {
  native: NativeProducer;
  /** Whether a librdkafka thread serves its reports the moment they come (see `backgroundPoll`). */
  backgroundPoll: boolean;
}

/**
 * The native producer for `config` on the binding `option` names (src/native/loader.ts), with its
 * reports served from a librdkafka thread when `backgroundPoll` is wanted: on node-rdkafka through
 * this package's plugin (when it was built and librdkafka takes it), on CKJS through its own
 * `setPollInBackground`, turned on once connected.
 */
export function openNativeProducer(option: BindingOption | undefined, config: LibrdkafkaConfig, backgroundPoll: boolean): OpenedNativeProducer {
  const binding = loadBinding(option);
  const factory = producerFactory(binding);
  let opened: OpenedNativeProducer;
  if (binding.backgroundPoll === 'plugin') {
    opened = createWithBackgroundPoll(factory, config, backgroundPoll);
  } else {
    opened = { native: factory(config), backgroundPoll };
    if (backgroundPoll) pollInBackgroundOnceConnected(opened.native);
  }
  if (binding.binaryHeaderValues) Object.defineProperty(opened.native, 'binaryHeaderValues', { value: true });
  return opened;
}
