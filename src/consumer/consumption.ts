import pDefer from 'p-defer';
import type { ClientEvents } from '../core/client-events';
import { HandlerError, InvalidArgumentError, InvalidStateError, type AIOKafkaError } from '../core/errors';
import { Fifo } from '../core/fifo';
import { noop } from '../core/noop';
import { Serial } from '../core/serial';
import { settlesWithin, startTimer } from '../core/timeouts';
import { partitionKey } from '../core/topic-partition';
import type { NativeConsumerMessage } from '../native/consumer';
import type { CommitPlanner, OffsetTicket } from './commit-planner';
import { toConsumerMessage, type ConsumerMessage } from './consumer-message';
import type { MessageDecoder } from './deserialize';
import type { HandlerErrorAction, ResolvedRunOptions } from './options';
import { OrderedScheduler, type HoldBack, type LaneOf } from './scheduler';
import { consumerChannels, type ConsumeTrace } from './tracing';

/** A received message on its way through the consumer. */
interface Entry {
  readonly message: ConsumerMessage;
  readonly ticket: OffsetTicket;
  readonly pkey: string;
  /** The key lane for `orderBy: 'key'`, undefined when the message has no key. */
  readonly keyLane: string | undefined;
  /** When it was received (`Date.now()`): batches wait for more messages from here on. */
  readonly receivedAt: number;
  /** iterate(): resolves the entry's "released" promise. */
  release?: () => void;
  /** iterate(): the message as the loop body got it (deserialized). */
  handedOut?: ConsumerMessage<unknown, unknown>;
  /** iterate(): the consume channel's payload, when somebody subscribed as it was handed out. */
  trace: ConsumeTrace | undefined;
}

/** The consume channel's payload for `entries`; built only when the channel is active. */
function consumeTrace(kind: 'run' | 'iterate', entries: readonly Entry[]): ConsumeTrace {
  const messages = entries.map((entry) => entry.message);
  return { kind, message: messages[0]!, messages };
}

/** What a {@link Consumption} works with. */
export interface ConsumptionParts {
  readonly planner: CommitPlanner;
  readonly events: ClientEvents;
  /** How long an end caused by a failure waits for running handlers, in ms. */
  readonly closeTimeoutMs: number;
  /** Whether a fetched message of partition `pkey` is taken (not while it is revoked or the consumer closes). */
  takes(pkey: string): boolean;
  /** The number of waiting messages may have changed: backpressure. */
  buffered(waiting: number): void;
  /** Ends the consumption once its handlers are done or given up on: final commit, loop stop. Never rejects. */
  wrapUp(): Promise<void>;
  /** Whether the user paused partition `pkey`: its waiting messages are not handed out. */
  userPaused(pkey: string): boolean;
  /** The partitions the user paused, as partition keys. */
  userPausedKeys(): Iterable<string>;
  /** The deserializers; undefined when messages are handed out as received. */
  readonly decode: MessageDecoder | undefined;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

/** A message's deserialization failed: the handler failure it counts as. */
function decodeFailure(entries: readonly Entry[], cause: unknown): HandlerError {
  const { topic, partition, offset } = entries[0]!.message;
  const what = cause instanceof Error ? cause.message : String(cause);
  return new HandlerError(`deserializing failed: ${what}`, { topic, partition, offset, cause });
}

/** What `entries` (one message, or one batch) are called in an error message. */
function whereOf(entries: readonly Entry[]): string {
  const first = entries[0]!.message;
  const last = entries[entries.length - 1]!.message;
  const offsets = entries.length === 1 ? `offset ${first.offset}` : `offsets ${first.offset}..${last.offset} (${entries.length} messages)`;
  return `topic "${first.topic}" partition ${first.partition} ${offsets}`;
}

function laneOf(orderBy: ResolvedRunOptions['orderBy']): LaneOf<Entry> {
  if (orderBy === 'partition') return (entry) => entry.pkey;
  if (orderBy === 'key') return (entry) => entry.keyLane;
  return () => undefined;
}

/**
 * One consumption, `run()` or an iteration (a consumer has at most one): takes fetched messages
 * into the commit plan and the scheduler, hands them to handlers (run) or to `next()` calls
 * (iterate), applies `onError`, and ends once: nothing more starts, waiting messages are dropped
 * (uncommitted), running handlers get a bounded wait, then `wrapUp` commits and stops the loop.
 */
export class Consumption {
  readonly kind: 'run' | 'iterate';
  readonly #parts: ConsumptionParts;
  readonly #run: ResolvedRunOptions | undefined;
  readonly #scheduler: OrderedScheduler<Entry>;
  /** Settles when the consumption has ended (run(): its promise). */
  readonly #done = pDefer<void>();
  /** Running handlers (and the message an iteration handed out), and when each settles. */
  readonly #running = new Map<Entry, Promise<void>>();
  /** iterate(): next() calls waiting for a message; `undefined` when the consumption ended. */
  readonly #waiters = new Fifo<(entry: Entry | undefined) => void>();
  #ending = false;
  #failure: AIOKafkaError | undefined;
  /** iterate(): the message last handed out, until the loop body asks for the next one. */
  #current: Entry | undefined;
  /** Waiting messages per partition key: those of user-paused partitions do not count for backpressure. */
  readonly #waitingBy = new Map<string, number>();
  /** Batch runs with `maxWaitMs`: wakes the lanes whose batch has waited long enough. */
  #batchTimer: NodeJS.Timeout | undefined;

  constructor(parts: ConsumptionParts, run: ResolvedRunOptions | undefined) {
    this.kind = run === undefined ? 'iterate' : 'run';
    this.#parts = parts;
    this.#run = run;
    const batch = run?.batch;
    const holdBack: HoldBack<Entry> = (head, waiting) =>
      parts.userPaused(head.pkey) ||
      (batch !== undefined && batch.maxWaitMs > 0 && waiting < batch.maxMessages && Date.now() - head.receivedAt < batch.maxWaitMs);
    this.#scheduler =
      run === undefined
        ? new OrderedScheduler<Entry>(1, () => undefined, holdBack)
        : new OrderedScheduler(run.concurrency, laneOf(run.orderBy), holdBack);
    // The run() promise may be dropped by a caller that only closes; never an unhandled rejection.
    this.#done.promise.catch(noop);
  }

  /** Settles when the consumption has ended: rejects with the failure that ended it. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Messages waiting to be handed out. */
  get waiting(): number {
    return this.#scheduler.waiting;
  }

  /** Waiting messages of partitions the user has not paused: what backpressure counts. */
  get runnable(): number {
    let held = 0;
    for (const pkey of this.#parts.userPausedKeys()) held += this.#waitingBy.get(pkey) ?? 0;
    return this.#scheduler.waiting - held;
  }

  /** Handlers running (the message an iteration handed out counts as one). */
  get running(): number {
    return this.#running.size;
  }

  /** Takes fetched messages into the commit plan and the scheduler, and hands out what may start. */
  accept(messages: NativeConsumerMessage[]): void {
    // After the end fetched messages are dropped: never tracked, never committed.
    if (this.#ending) return;
    const receivedAt = Date.now();
    for (const raw of messages) {
      const pkey = partitionKey(raw.topic, raw.partition);
      if (!this.#parts.takes(pkey)) continue;
      const ticket = this.#parts.planner.receive(raw.topic, raw.partition, raw.offset);
      // Not assigned (a late message of a revoked partition) or already received (a re-fetch).
      if (ticket === undefined) continue;
      const message = toConsumerMessage(raw);
      const keyLane = message.key === null ? undefined : `${message.topic}\0${message.key.toString('latin1')}`;
      this.#scheduler.push({ message, ticket, pkey, keyLane, receivedAt, trace: undefined });
      this.#waitingBy.set(pkey, (this.#waitingBy.get(pkey) ?? 0) + 1);
    }
    this.dispatch();
  }

  /** The user resumed partitions: their waiting messages may be handed out again. */
  resumed(): void {
    this.#scheduler.unpark();
    this.dispatch();
  }

  /** Hands waiting messages out: to handlers (run) or to waiting next() calls (iterate). */
  dispatch(): void {
    if (this.#ending) return;
    const run = this.#run;
    if (run !== undefined) {
      const max = run.batch?.maxMessages ?? 1;
      for (let entries = this.#scheduler.nextBatch(max); entries !== undefined; entries = this.#scheduler.nextBatch(max)) {
        this.#taken(entries);
        this.#start(run, entries);
      }
      if (run.batch !== undefined && run.batch.maxWaitMs > 0) this.#armBatchTimer(run.batch.maxWaitMs);
    } else {
      while (this.#waiters.length > 0) {
        const entry = this.#scheduler.next();
        if (entry === undefined) break;
        this.#taken([entry]);
        const released = pDefer<void>();
        this.#running.set(entry, released.promise);
        this.#current = entry;
        entry.release = released.resolve;
        if (consumerChannels.consume.active) consumerChannels.consume.start((entry.trace = consumeTrace('iterate', [entry])));
        this.#waiters.shift()!(entry);
        if (entry.trace !== undefined) consumerChannels.consume.end(entry.trace);
      }
    }
    this.#parts.buffered(this.runnable);
  }

  /**
   * Revocation (or a seek) of the partitions `keys`: drops their waiting messages and returns
   * when their running handlers settle.
   */
  release(keys: ReadonlySet<string>): Promise<void>[] {
    this.#taken(this.#scheduler.remove((entry) => keys.has(entry.pkey)));
    return [...this.#running].filter(([entry]) => keys.has(entry.pkey)).map(([, settled]) => settled);
  }

  /**
   * iterate(): the loop body is done with `message`, the one in hand: it counts as processed now,
   * so it is committed even if the loop is left next (`break`).
   *
   * @throws {InvalidStateError} in run(), or when `message` is not the one the iteration handed out last.
   */
  markProcessed(message: unknown): void {
    if (this.kind === 'run') {
      throw new InvalidStateError('markProcessed: in run() a message is processed when its handler resolves');
    }
    const entry = this.#current;
    if (entry === undefined || entry.handedOut !== message) {
      throw new InvalidStateError('markProcessed: only the message the iteration handed out last, before the loop asks for the next one');
    }
    this.#parts.planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
    if (entry.trace !== undefined) entry.trace.processed = true;
  }

  /** Messages leave the waiting line: handed out or dropped. */
  #taken(entries: readonly Entry[]): void {
    for (const { pkey } of entries) {
      const left = (this.#waitingBy.get(pkey) ?? 0) - 1;
      if (left > 0) this.#waitingBy.set(pkey, left);
      else this.#waitingBy.delete(pkey);
    }
  }

  /** Batch runs: wakes the lanes held back to fill up once the oldest of them has waited `maxWaitMs`. */
  #armBatchTimer(maxWaitMs: number): void {
    if (this.#batchTimer !== undefined) return;
    let oldest = Infinity;
    for (const head of this.#scheduler.parkedHeads()) {
      if (!this.#parts.userPaused(head.pkey)) oldest = Math.min(oldest, head.receivedAt);
    }
    if (oldest === Infinity) return;
    this.#batchTimer = startTimer(
      () => {
        this.#batchTimer = undefined;
        this.#scheduler.unpark();
        this.dispatch();
      },
      Math.max(1, oldest + maxWaitMs - Date.now()),
      true,
    );
  }

  /**
   * Ends the consumption (once; a later call waits for the first): nothing more starts, waiting
   * messages are dropped (uncommitted), running handlers get up to `waitMs`, then `wrapUp`
   * runs. Then run() settles and waiting next() calls end.
   */
  end(failure: AIOKafkaError | undefined, waitMs = this.#parts.closeTimeoutMs): Promise<void> {
    if (this.#ending) return this.#done.promise.then(noop, noop);
    this.#ending = true;
    this.#failure = failure;
    if (this.#batchTimer !== undefined) clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    return (async () => {
      this.#taken(this.#scheduler.clear());
      for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) waiter(undefined);
      if (this.#running.size > 0) await settlesWithin(Promise.all(this.#running.values()), waitMs);
      await this.#parts.wrapUp();
      if (failure !== undefined) this.#done.reject(failure);
      else this.#done.resolve();
    })();
  }

  /** close(): ends it; the message an iteration holds is not waited for (close may be called from the loop body). */
  close(waitMs: number): Promise<void> {
    this.#releaseCurrent(false);
    return this.end(undefined, waitMs);
  }

  /** iterate(): the iterator `for await` uses. */
  iterator(): AsyncIterator<ConsumerMessage<unknown, unknown>> {
    const end = async (): Promise<IteratorResult<ConsumerMessage<unknown, unknown>>> => {
      // The message in hand was not finished: release its slot without committing it.
      this.#releaseCurrent(false);
      await this.end(undefined);
      return DONE;
    };
    // One next() at a time, like an async generator: a call waits for the previous one.
    const calls = new Serial();
    return {
      next: () => calls.run(() => this.#serve()),
      return: end,
      throw: async (err?: unknown) => {
        await end();
        throw err;
      },
    };
  }

  #serve(): Promise<IteratorResult<ConsumerMessage<unknown, unknown>>> {
    this.#releaseCurrent(true);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ending) return Promise.resolve(DONE);
    return new Promise<IteratorResult<ConsumerMessage<unknown, unknown>>>((resolve, reject) => {
      this.#waiters.push((entry) => {
        if (entry === undefined) {
          if (this.#failure !== undefined) reject(this.#failure);
          else resolve(DONE);
          return;
        }
        const decode = this.#parts.decode;
        if (decode === undefined) {
          entry.handedOut = entry.message;
          resolve({ done: false, value: entry.message });
          return;
        }
        decode(entry.message).then(
          (message) => {
            // Ended (close) while it was decoded: the message stays uncommitted.
            if (this.#current !== entry) return resolve(DONE);
            entry.handedOut = message;
            resolve({ done: false, value: message });
          },
          (err: unknown) => {
            // No onError for an iteration: the loop throws, the message stays uncommitted.
            const failure = decodeFailure([entry], err);
            if (this.#current === entry) this.#releaseCurrent(false, failure);
            void this.end(failure);
            reject(failure);
          },
        );
      });
      this.dispatch();
    });
  }

  /** iterate(): the loop body is done with the message in hand (or left the loop). */
  #releaseCurrent(finished: boolean, failure?: HandlerError): void {
    const entry = this.#current;
    if (entry === undefined) return;
    this.#current = undefined;
    if (finished) this.#parts.planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
    if (entry.trace !== undefined) {
      entry.trace.processed = finished || entry.trace.processed === true;
      consumerChannels.consume.settle(entry.trace, failure);
    }
    this.#scheduler.done(entry);
    this.#running.delete(entry);
    entry.release?.();
  }

  /** run(): runs the handler on one message, or on one batch (`entries` of one partition). */
  #start(run: ResolvedRunOptions, entries: Entry[]): void {
    const first = entries[0]!;
    const raw = entries.map((entry) => entry.message);
    const trace = consumerChannels.consume.active ? consumeTrace('run', entries) : undefined;
    if (trace !== undefined) consumerChannels.consume.start(trace);
    const settled = (async () => {
      let failure: HandlerError | undefined;
      let messages: Array<ConsumerMessage<unknown, unknown>> | undefined;
      const decode = this.#parts.decode;
      try {
        messages = decode === undefined ? raw : await Promise.all(raw.map(decode));
      } catch (cause) {
        failure = decodeFailure(entries, cause);
      }
      if (messages !== undefined) {
        try {
          await (run.handler as (arg: unknown) => unknown)(run.batch === undefined ? messages[0] : messages);
        } catch (cause) {
          const what = cause instanceof Error ? cause.message : String(cause);
          const { topic, partition, offset } = first.message;
          failure = new HandlerError(`handler failed on ${whereOf(entries)}: ${what}`, { topic, partition, offset, cause });
        }
      }
      let action: HandlerErrorAction = 'skip';
      if (failure !== undefined) {
        const shown = messages ?? raw;
        action = await this.#decide(run, failure, run.batch === undefined ? shown[0] : shown);
      }
      if (action === 'skip') {
        for (const entry of entries) this.#parts.planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
        if (failure !== undefined) this.#parts.events.emitOrReport('handlerError', failure, 'handler failed, message skipped');
      }
      if (trace !== undefined) {
        trace.processed = action === 'skip';
        consumerChannels.consume.settle(trace, failure);
      }
      this.#scheduler.done(first);
      this.#running.delete(first);
      if (action === 'stop') void this.end(failure);
      else this.dispatch();
    })();
    if (trace !== undefined) consumerChannels.consume.end(trace);
    this.#running.set(first, settled);
  }

  async #decide(run: ResolvedRunOptions, failure: HandlerError, shown: unknown): Promise<HandlerErrorAction> {
    if (run.onError === 'stop' || run.onError === 'skip') return run.onError;
    try {
      const action = await (run.onError as (err: HandlerError, shown: unknown) => unknown)(failure, shown);
      if (action === 'skip' || action === 'stop') return action;
      this.#parts.events.error(
        new InvalidArgumentError(`onError returned ${String(action)}, not 'skip' or 'stop'; stopping`, { cause: failure }),
        'onError',
      );
    } catch (err) {
      this.#parts.events.error(err, 'onError threw; stopping');
    }
    return 'stop';
  }
}
