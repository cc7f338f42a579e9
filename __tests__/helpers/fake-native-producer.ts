import { EventEmitter } from 'node:events';
import { codeName } from '../../src/native/errors';
import type { LibrdkafkaConfig } from '../../src/native/config';
import {
  DELIVERY_REPORTS_PER_TURN,
  type NativeDeliveryReport,
  type NativeHeader,
  type NativeProducer,
  type NativeTransactionCallback,
  type NativeTransactions,
} from '../../src/native/producer';

/** An error shaped like node-rdkafka's LibrdKafkaError for a numeric librdkafka code. */
export function nativeError(code: number, message: string = codeName(code)): Error & { code: number } {
  return Object.assign(new Error(message), { code, errno: code, origin: 'local' });
}

/** An error shaped like the ones node-rdkafka emits for delivery reports and client events. */
export function textError(text: string): Error {
  const [origin, message] = text.split(': ');
  return Object.assign(new Error(message!.toLowerCase()), { code: -1, origin: origin!.toLowerCase() });
}

export interface ProducedMessage {
  topic: string;
  partition: number | null;
  value: Buffer | null;
  key: Buffer | string | null | undefined;
  timestamp: number | null | undefined;
  /** undefined: sent without one (its report has none). */
  opaque: number | undefined;
  headers: NativeHeader[] | undefined;
}

export const QUEUE_FULL = -184;

/**
 * A fake of the part of node-rdkafka's Producer that AIOProducer uses. Messages it accepts wait
 * until the test calls `deliver()`; the reports are then served by AIOProducer's next `poll()`
 * and reach it right after that call, as node-rdkafka's do: at most DELIVERY_REPORTS_PER_TURN
 * per turn of the event loop, the rest in later turns. The fake's turn is the one after each
 * `poll()` (AIOProducer polls once per tick, and a tick runs at most once per turn).
 */
export class FakeNativeProducer extends EventEmitter implements NativeProducer {
  readonly config: LibrdkafkaConfig;
  readonly produced: ProducedMessage[] = [];
  /** Accepted and not yet delivered, by opaque (by the message itself when it has none). */
  readonly inQueue = new Map<unknown, ProducedMessage>();
  /** How many undelivered messages librdkafka's queue holds before it answers QUEUE_FULL. */
  capacity = Infinity;
  polls = 0;
  connected = false;
  disconnects = 0;
  connectError: Error | null = null;
  #throwNext: Error[] = [];
  #ready: Array<[Error | null, NativeDeliveryReport]> = [];
  /** Served by poll(), not yet handed to JavaScript (node-rdkafka's DeliveryReportDispatcher). */
  #dispatching: Array<[Error | null, NativeDeliveryReport]> = [];
  #offsets = new Map<string, number>();

  constructor(config: LibrdkafkaConfig) {
    super();
    this.config = config;
  }

  connect(_options: { timeout?: number }, cb: (err: Error | null) => void): void {
    setImmediate(() => {
      this.connected = this.connectError === null;
      cb(this.connectError);
    });
  }

  /** The next produce() throws `err` (a LibrdKafkaError-like error). */
  throwOnNextProduce(err: Error): void {
    this.#throwNext.push(err);
  }

  /**
   * librdkafka's fatal state: from now on every produce() throws ERR__FATAL, checked first, as
   * librdkafka's rd_kafka_producev does.
   */
  fatal = false;
  /**
   * Calls refused as librdkafka refuses them after its fatal check, before queueing anything:
   * a topic name over 512 bytes (ERR__INVALID_ARG), a value over `message.max.bytes`
   * (MSG_SIZE_TOO_LARGE). With the bytes of the value each one was handed.
   */
  readonly refusals: Array<{ topic: string; valueBytes: number }> = [];

  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | string | null | undefined,
    timestamp: number | null | undefined,
    opaque: number | undefined,
    headers: NativeHeader[] | undefined,
  ): boolean {
    if (!this.connected) throw new Error('Producer not connected');
    if (this.fatal) throw nativeError(-150, 'Local: Fatal error');
    const valueBytes = value?.length ?? 0;
    if (Buffer.byteLength(topic) > 512) {
      this.refusals.push({ topic, valueBytes });
      throw nativeError(-186, 'Local: Invalid argument or configuration');
    }
    if (valueBytes > Number(this.config['message.max.bytes'] ?? 1_000_000)) {
      this.refusals.push({ topic, valueBytes });
      throw nativeError(10, 'Broker: Message size too large');
    }
    const err = this.#throwNext.shift();
    if (err) throw err;
    if (this.inQueue.size >= this.capacity) throw nativeError(QUEUE_FULL);
    const message = { topic, partition, value, key, timestamp, opaque, headers };
    this.produced.push(message);
    this.inQueue.set(opaque ?? message, message);
    return true;
  }

  /** Marks the message with this opaque as delivered (or failed with `err`): reported on next poll. */
  deliver(opaque: number, err: Error | null = null): void {
    const message = this.inQueue.get(opaque);
    if (!message) throw new Error(`no message with opaque ${opaque} in the queue`);
    this.#report(message, err);
  }

  /** Delivers (or fails) the oldest queued message sent without an opaque. */
  deliverUntracked(err: Error | null = null): void {
    const message = [...this.inQueue.values()].find((m) => m.opaque === undefined);
    if (!message) throw new Error('no message without an opaque in the queue');
    this.#report(message, err);
  }

  #report(message: ProducedMessage, err: Error | null): void {
    this.inQueue.delete(message.opaque ?? message);
    const partition = message.partition ?? 0;
    const tp = `${message.topic}/${partition}`;
    const offset = err ? -1 : (this.#offsets.get(tp) ?? 0);
    if (!err) this.#offsets.set(tp, offset + 1);
    const report: NativeDeliveryReport = {
      topic: message.topic,
      partition,
      offset,
      key: message.key == null ? null : Buffer.from(message.key),
      timestamp: 1_700_000_000_000,
      size: message.value?.length ?? 0,
    };
    // node-rdkafka sets `opaque` on a report only when the message had one.
    if (message.opaque !== undefined) report.opaque = message.opaque;
    this.#ready.push([err, report]);
  }

  /** Delivers every queued message, oldest first. */
  deliverAll(err: Error | null = null): void {
    for (const message of [...this.inQueue.values()]) this.#report(message, err);
  }

  /** Reports served by poll() and not yet handed to JavaScript. */
  get dispatching(): number {
    return this.#dispatching.length;
  }

  poll(): boolean {
    if (!this.connected) throw new Error('Producer not connected');
    this.polls++;
    this.#dispatching.push(...this.#ready);
    this.#ready = [];
    // node-rdkafka hands the reports poll() served to JavaScript later, through uv_async: never
    // inside poll() itself. (A real, not faked, process.nextTick: after the poll timer's callback.)
    if (this.#dispatching.length > 0) {
      const turn = this.#dispatching.splice(0, DELIVERY_REPORTS_PER_TURN);
      process.nextTick(() => {
        for (const [err, report] of turn) this.emit('delivery-report', err, report);
      });
    }
    return true;
  }

  disconnect(_timeoutMs: number, cb: (err?: Error | null) => void): void {
    this.disconnects++;
    setImmediate(() => {
      this.connected = false;
      cb(null);
    });
  }
}

/** Builds an AIOProducer factory hook that records the fake it created. */
export function fakeFactory(setup?: (fake: FakeNativeProducer) => void): {
  createNative: (config: LibrdkafkaConfig) => FakeNativeProducer;
  fake: () => FakeNativeProducer;
} {
  let created: FakeNativeProducer | undefined;
  return {
    createNative: (config) => {
      created = new FakeNativeProducer(config);
      setup?.(created);
      return created;
    },
    fake: () => {
      if (!created) throw new Error('no fake native producer was created');
      return created;
    },
  };
}

/** A transactional call made on a {@link FakeTransactionalProducer}. */
export interface FakeTransactionCall {
  name: keyof NativeTransactions;
  timeoutMs?: number;
  cb: NativeTransactionCallback;
  offsets?: unknown;
  consumer?: unknown;
  answered?: boolean;
}

/**
 * The fake producer with node-rdkafka's transactional calls: each is recorded and waits until the
 * test answers it (`answer()`, a macrotask later, as node-rdkafka calls back from libuv's pool).
 */
export class FakeTransactionalProducer extends FakeNativeProducer implements NativeTransactions {
  readonly calls: FakeTransactionCall[] = [];
  /** Answers initTransactions at once (connect() calls it). */
  autoInit = true;

  initTransactions(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'initTransactions', timeoutMs, cb });
    if (this.autoInit) this.answer('initTransactions');
  }
  beginTransaction(cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'beginTransaction', cb });
  }
  commitTransaction(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'commitTransaction', timeoutMs, cb });
  }
  abortTransaction(timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'abortTransaction', timeoutMs, cb });
  }
  sendOffsetsToTransaction(offsets: unknown[], consumer: object, timeoutMs: number, cb: NativeTransactionCallback): void {
    this.calls.push({ name: 'sendOffsetsToTransaction', timeoutMs, cb, offsets, consumer });
  }

  /** The names of the transactional calls made, in order. */
  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  /** The oldest unanswered call named `name`, if any. */
  pending(name: keyof NativeTransactions): FakeTransactionCall | undefined {
    return this.calls.find((c) => c.name === name && !c.answered);
  }

  /** Answers the oldest unanswered call named `name`, with `err` or success, a macrotask later. */
  answer(name: keyof NativeTransactions, err: Error | null = null): void {
    const call = this.pending(name);
    if (call === undefined) throw new Error(`no pending ${name}`);
    call.answered = true;
    setImmediate(() => call.cb(err));
  }
}

/**
 * A librdkafka transactional error as node-rdkafka hands it to the callbacks of init / commit /
 * abort / sendOffsets: numeric code and librdkafka's three flags.
 */
export function transactionError(code: number, message: string, flags: { fatal?: boolean; retriable?: boolean; abort?: boolean } = {}): Error {
  return Object.assign(new Error(message), {
    code,
    errno: code,
    origin: 'kafka',
    isFatal: flags.fatal ?? false,
    isRetriable: flags.retriable ?? false,
    isTxnRequiresAbort: flags.abort ?? false,
  });
}
