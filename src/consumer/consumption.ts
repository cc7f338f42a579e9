import pDefer from 'p-defer';
import type { ClientEvents } from '../core/client-events';
import { HandlerError, InvalidArgumentError, type AIOKafkaError } from '../core/errors';
import { Fifo } from '../core/fifo';
import { noop } from '../core/noop';
import { settlesWithin } from '../core/timeouts';
import { partitionKey } from '../core/topic-partition';
import type { NativeConsumerMessage } from '../native/consumer';
import type { CommitPlanner, OffsetTicket } from './commit-planner';
import { toConsumerMessage, type ConsumerMessage } from './consumer-message';
import type { HandlerErrorAction, ResolvedRunOptions } from './options';
import { OrderedScheduler, type LaneOf } from './scheduler';

/** A received message on its way through the consumer. */
interface Entry {
  readonly message: ConsumerMessage;
  readonly ticket: OffsetTicket;
  readonly pkey: string;
  /** The key lane for `orderBy: 'key'`, undefined when the message has no key. */
  readonly keyLane: string | undefined;
  /** iterate(): resolves the entry's "released" promise. */
  release?: () => void;
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
}

const DONE: IteratorResult<ConsumerMessage> = { done: true, value: undefined };

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

  constructor(parts: ConsumptionParts, run: ResolvedRunOptions | undefined) {
    this.kind = run === undefined ? 'iterate' : 'run';
    this.#parts = parts;
    this.#run = run;
    this.#scheduler =
      run === undefined ? new OrderedScheduler<Entry>(1, () => undefined) : new OrderedScheduler(run.concurrency, laneOf(run.orderBy));
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

  /** Handlers running (the message an iteration handed out counts as one). */
  get running(): number {
    return this.#running.size;
  }

  /** Takes fetched messages into the commit plan and the scheduler, and hands out what may start. */
  accept(messages: NativeConsumerMessage[]): void {
    // After the end fetched messages are dropped: never tracked, never committed.
    if (this.#ending) return;
    for (const raw of messages) {
      const pkey = partitionKey(raw.topic, raw.partition);
      if (!this.#parts.takes(pkey)) continue;
      const ticket = this.#parts.planner.receive(raw.topic, raw.partition, raw.offset);
      // Not assigned (a late message of a revoked partition) or already received (a re-fetch).
      if (ticket === undefined) continue;
      const message = toConsumerMessage(raw);
      const keyLane = message.key === null ? undefined : `${message.topic}\0${message.key.toString('latin1')}`;
      this.#scheduler.push({ message, ticket, pkey, keyLane });
    }
    this.dispatch();
  }

  /** Hands waiting messages out: to handlers (run) or to waiting next() calls (iterate). */
  dispatch(): void {
    if (this.#ending) return;
    if (this.#run !== undefined) {
      for (let entry = this.#scheduler.next(); entry !== undefined; entry = this.#scheduler.next()) this.#start(this.#run, entry);
    } else {
      while (this.#waiters.length > 0) {
        const entry = this.#scheduler.next();
        if (entry === undefined) break;
        const released = pDefer<void>();
        this.#running.set(entry, released.promise);
        this.#current = entry;
        entry.release = released.resolve;
        this.#waiters.shift()!(entry);
      }
    }
    this.#parts.buffered(this.#scheduler.waiting);
  }

  /**
   * Revocation of the partitions `keys`: drops their waiting messages and returns when their
   * running handlers settle.
   */
  release(keys: ReadonlySet<string>): Promise<void>[] {
    this.#scheduler.remove((entry) => keys.has(entry.pkey));
    return [...this.#running].filter(([entry]) => keys.has(entry.pkey)).map(([, settled]) => settled);
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
    return (async () => {
      this.#scheduler.clear();
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
  iterator(): AsyncIterator<ConsumerMessage> {
    const end = async (): Promise<IteratorResult<ConsumerMessage>> => {
      // The message in hand was not finished: release its slot without committing it.
      this.#releaseCurrent(false);
      await this.end(undefined);
      return DONE;
    };
    // One next() at a time, like an async generator: a call waits for the previous one.
    let previous: Promise<unknown> = Promise.resolve();
    return {
      next: () => {
        const result = previous.then(() => this.#serve());
        previous = result.catch(noop);
        return result;
      },
      return: end,
      throw: async (err?: unknown) => {
        await end();
        throw err;
      },
    };
  }

  #serve(): Promise<IteratorResult<ConsumerMessage>> {
    this.#releaseCurrent(true);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ending) return Promise.resolve(DONE);
    return new Promise<IteratorResult<ConsumerMessage>>((resolve, reject) => {
      this.#waiters.push((entry) => {
        if (entry !== undefined) resolve({ done: false, value: entry.message });
        else if (this.#failure !== undefined) reject(this.#failure);
        else resolve(DONE);
      });
      this.dispatch();
    });
  }

  /** iterate(): the loop body is done with the message in hand (or left the loop). */
  #releaseCurrent(finished: boolean): void {
    const entry = this.#current;
    if (entry === undefined) return;
    this.#current = undefined;
    if (finished) this.#parts.planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
    this.#scheduler.done(entry);
    this.#running.delete(entry);
    entry.release?.();
  }

  #start(run: ResolvedRunOptions, entry: Entry): void {
    const settled = (async () => {
      let failure: HandlerError | undefined;
      try {
        await run.handler(entry.message);
      } catch (cause) {
        const { topic, partition, offset } = entry.message;
        failure = new HandlerError(
          `handler failed on topic "${topic}" partition ${partition} offset ${offset}: ${cause instanceof Error ? cause.message : String(cause)}`,
          { topic, partition, offset, cause },
        );
      }
      let action: HandlerErrorAction = 'skip';
      if (failure !== undefined) action = await this.#decide(run, failure, entry.message);
      if (action === 'skip') {
        this.#parts.planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
        if (failure !== undefined) this.#parts.events.emitOrReport('handlerError', failure, 'handler failed, message skipped');
      }
      this.#scheduler.done(entry);
      this.#running.delete(entry);
      if (action === 'stop') void this.end(failure);
      else this.dispatch();
    })();
    this.#running.set(entry, settled);
  }

  async #decide(run: ResolvedRunOptions, failure: HandlerError, message: ConsumerMessage): Promise<HandlerErrorAction> {
    if (run.onError === 'stop' || run.onError === 'skip') return run.onError;
    try {
      const action = await run.onError(failure, message);
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
