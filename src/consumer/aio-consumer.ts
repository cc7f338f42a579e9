import { EventEmitter } from 'node:events';
import pDefer from 'p-defer';
import {
  AIOKafkaError,
  ConsumerClosedError,
  HandlerError,
  InvalidArgumentError,
  OperationTimeoutError,
} from '../core/errors';
import { fromLibrdkafka } from '../native/errors';
import { Fifo } from '../core/fifo';
import type { LibrdkafkaConfig } from '../native/config';
import { RateLimitedReporter } from '../core/rate-limited-reporter';
import { callTimeoutMs } from '../core/validation';
import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../core/topic-partition';
import { CommitPlanner, type OffsetTicket, type PlannedCommit } from './commit-planner';
import { toConsumerMessage, type ConsumerMessage } from './consumer-message';
import {
  createNativeConsumer,
  type NativeConsumer,
  type NativeConsumerMessage,
  type NativeRebalanceCallback,
} from '../native/consumer';
import {
  resolveConsumerConfig,
  resolveConsumerOptions,
  resolveRunOptions,
  type AIOConsumerOptions,
  type ConsumerCloseOptions,
  type ConsumerInternalOptions,
  type HandlerErrorAction,
  type ResolvedConsumerOptions,
  type ResolvedRunOptions,
  type RunOptions,
} from './options';
import { OrderedScheduler } from './scheduler';

/** A change of the consumer's assignment, after it was applied. */
export interface RebalanceEvent {
  /** `assign`: the partitions were added; `revoke`: they were taken away. */
  type: 'assign' | 'revoke';
  partitions: TopicPartition[];
}

/** The events of an {@link AIOConsumer} and their listeners. */
export interface AIOConsumerEvents {
  /**
   * A librdkafka client error, a failed commit, a failed pause/resume or rebalance step. Unlike a
   * plain EventEmitter, an `error` with no listener does not crash the process: it is written to
   * stderr, rate-limited. An error with `fatal: true` ends the consumption.
   */
  error: (err: AIOKafkaError) => void;
  /** A handler failed and `onError` chose `'skip'`: the message counts as processed. */
  handlerError: (err: HandlerError) => void;
  /** The assignment changed (after the revoked partitions' finished offsets were committed). */
  rebalance: (event: RebalanceEvent) => void;
  /** Backpressure: `maxBufferedMessages` were waiting, so the assigned partitions were paused. */
  pause: (partitions: TopicPartition[]) => void;
  /** The buffer drained to half of `maxBufferedMessages`: the paused partitions were resumed. */
  resume: (partitions: TopicPartition[]) => void;
}

/* Typed listeners: the EventEmitter methods, narrowed to AIOConsumerEvents. */
export interface AIOConsumer {
  on<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  once<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  off<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  addListener<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  removeListener<E extends keyof AIOConsumerEvents>(event: E, listener: AIOConsumerEvents[E]): this;
  emit<E extends keyof AIOConsumerEvents>(event: E, ...args: Parameters<AIOConsumerEvents[E]>): boolean;
}

/** A received message on its way through the consumer. */
interface Entry {
  readonly message: ConsumerMessage;
  readonly ticket: OffsetTicket;
  readonly pkey: string;
  /** The key lane for `orderBy: 'key'`, undefined when the message has no key. */
  readonly keyLane: string | undefined;
}

/** A commit sent asynchronously and waiting for its `offset.commit` answer. */
interface PendingCommit {
  readonly offsets: PlannedCommit[];
  readonly settle: (err: AIOKafkaError | undefined) => void;
  /** Settles with the commit (never rejects). */
  readonly settled: Promise<unknown>;
}

/** One consumption: a `run()` or an iteration. */
interface Consumption {
  readonly kind: 'run' | 'iterate';
  readonly scheduler: OrderedScheduler<Entry>;
  /** run(): the handler and its error policy. */
  readonly run: ResolvedRunOptions | undefined;
  /** run(): settles when the consumption has ended. */
  readonly done: pDefer.DeferredPromise<void>;
  /** Set once it must end; no message is started afterwards. */
  ending: boolean;
  /** Why it ended, if it failed. */
  failure: AIOKafkaError | undefined;
  /** iterate(): the message last handed out, until the loop body asks for the next one. */
  current: Entry | undefined;
  /** iterate(): next() calls waiting for a message; `undefined` when the consumption ended. */
  readonly waiters: Fifo<(entry: Entry | undefined) => void>;
}

const enum State {
  Open,
  Closing,
  Closed,
}

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
/** How long a commit waits for the coordinator's answer, in ms. */
const COMMIT_TIMEOUT_MS = 10_000;

const noop = (): void => {};

/**
 * An async/await Kafka consumer over node-rdkafka's KafkaConsumer: a group member that either
 * runs a handler on up to `concurrency` messages at once ({@link AIOConsumer.run}) or hands out
 * messages one at a time to `for await`. It commits only offsets below which every message is
 * finished, so a crash, a rebalance or a failing handler never skips a message (at-least-once).
 *
 * @example
 * ```ts
 * await using consumer = await AIOConsumer.connect(
 *   { 'bootstrap.servers': 'localhost:9092', 'group.id': 'billing' },
 *   { topics: ['orders'] },
 * );
 * await consumer.run({ concurrency: 20, handler: async (msg) => bill(msg.value) });
 * ```
 */
export class AIOConsumer extends EventEmitter implements AsyncDisposable, AsyncIterable<ConsumerMessage> {
  readonly #native: NativeConsumer;
  readonly #options: ResolvedConsumerOptions;
  readonly #planner = new CommitPlanner();
  readonly #reporter = new RateLimitedReporter();
  /** Running handlers (and the message an iteration handed out), and when each settles. */
  readonly #running = new Map<Entry, Promise<void>>();
  /** Partitions whose revocation is under way: their messages are dropped on arrival. */
  readonly #revoking = new Set<string>();
  /**
   * Where a partition revoked in the last (eager) rebalance step resumes if the very next step
   * gives it straight back: set only when the commit on revocation failed.
   */
  #resumeAt = new Map<string, number>();
  readonly #pendingCommits = new Set<PendingCommit>();
  #assignment: TopicPartition[] = [];
  #state = State.Open;
  #consumption: Consumption | undefined;
  #closing: Promise<void> | undefined;
  /** Rebalance steps run one after another, in the order librdkafka asked for them. */
  #rebalancing: Promise<void> = Promise.resolve();
  /** Rebalance steps asked for and not finished. */
  #rebalanceSteps = 0;
  #paused = false;
  // The consume loop.
  #polling = false;
  #consumeInFlight = false;
  /** Rebalance steps that keep the loop from starting a consume call. */
  #loopHolds = 0;
  #loopTimer: NodeJS.Timeout | undefined;
  #loopImmediate: NodeJS.Immediate | undefined;
  /** Waiting for the consume call in flight to return. */
  readonly #consumeReturned: Array<() => void> = [];
  #commitTimer: NodeJS.Timeout | undefined;
  /** Set while librdkafka closes: a revoke then just releases the partitions. */
  #disconnecting = false;

  /** Use {@link AIOConsumer.connect}. */
  private constructor(native: NativeConsumer, options: ResolvedConsumerOptions) {
    super();
    this.#native = native;
    this.#options = options;
    native.on('event.error', (err) => this.#onClientError(err));
    native.on('offset.commit', (err, offsets) => this.#onCommitted(err, offsets));
  }

  /**
   * Creates a consumer, connects it and subscribes to `options.topics`: resolves once librdkafka
   * has fetched the cluster's metadata. Nothing is fetched until {@link AIOConsumer.run} or
   * iteration starts.
   *
   * @param config librdkafka configuration (`bootstrap.servers`, `group.id`, …), copied, never
   *   changed. `enable.auto.commit` is forced off (the consumer commits finished messages itself)
   *   and `enable.auto.offset.store` defaults to off; `rebalance_cb` and `offset_commit_cb` are
   *   owned by the consumer.
   * @param options topics and how the wrapper polls, buffers and commits; see {@link AIOConsumerOptions}.
   * @throws {InvalidArgumentError} for a bad config or option.
   * @throws {OperationTimeoutError} when no metadata arrived within `connectTimeoutMs`.
   * @throws {AIOKafkaError} when librdkafka refused to connect or subscribe.
   */
  static connect(config: LibrdkafkaConfig, options: AIOConsumerOptions): Promise<AIOConsumer> {
    return AIOConsumer.connectWith(config, options, {});
  }

  /** @internal `connect` with the native factory replaceable: the seam unit tests use. */
  static async connectWith(
    config: LibrdkafkaConfig,
    options: AIOConsumerOptions,
    internal: ConsumerInternalOptions,
  ): Promise<AIOConsumer> {
    const resolved = resolveConsumerOptions(options);
    let consumer: AIOConsumer | undefined;
    // node-rdkafka calls this on the main thread, asynchronously; librdkafka holds the
    // rebalance until we assign or unassign.
    const rebalanceCb: NativeRebalanceCallback = (err, partitions) => {
      if (consumer !== undefined) consumer.#onRebalance(err, partitions);
    };
    const resolvedConfig = { ...resolveConsumerConfig(config), rebalance_cb: rebalanceCb, offset_commit_cb: true };
    let native: NativeConsumer;
    try {
      native = (internal.createNative ?? createNativeConsumer)(resolvedConfig);
    } catch (err) {
      throw new InvalidArgumentError(`librdkafka refused the configuration: ${(err as Error).message}`, { cause: err });
    }
    consumer = new AIOConsumer(native, resolved);
    await connectNative(native, resolved.connectTimeoutMs);
    try {
      native.setDefaultConsumeTimeout(resolved.pollTimeoutMs);
      native.subscribe(resolved.topics);
    } catch (err) {
      await new Promise<void>((resolve) => native.disconnect(() => resolve()));
      throw fromLibrdkafka(err, { kind: 'client' });
    }
    return consumer;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#state !== State.Open;
  }

  /** The partitions currently assigned to this member. */
  get assignment(): TopicPartition[] {
    return this.#assignment.map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Messages fetched and waiting to be handed to a handler (or to the loop body). */
  get buffered(): number {
    return this.#consumption?.scheduler.waiting ?? 0;
  }

  /** Handlers running now (the message an iteration handed out counts as one). */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Whether the assigned partitions are paused for backpressure. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Runs `handler` on every message, up to `concurrency` at a time, in the order `orderBy` asks
   * for, while the consume loop keeps polling. Resolves when {@link AIOConsumer.close} ends it
   * (after the finished offsets were committed); rejects with the {@link HandlerError} that
   * stopped it (`onError: 'stop'`, the default), or with a fatal client error. Either way the
   * consumption is over: close the consumer (a new one resumes from the committed offsets). Once
   * it has ended the consumer no longer polls: until `close()`, the group's rebalances wait for
   * this member up to `max.poll.interval.ms`.
   *
   * @example
   * ```ts
   * await consumer.run({
   *   concurrency: 20,
   *   orderBy: 'key',
   *   onError: (err) => (err.cause instanceof SyntaxError ? 'skip' : 'stop'),
   *   handler: async (msg) => { await save(JSON.parse(msg.value!.toString())); },
   * });
   * ```
   * @throws (rejects) {@link InvalidArgumentError} for bad options, {@link ConsumerClosedError}
   *   after close or when a run or iteration already took place.
   */
  run(options: RunOptions): Promise<void> {
    let resolved: ResolvedRunOptions;
    try {
      resolved = resolveRunOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const laneOf =
      resolved.orderBy === 'partition'
        ? (entry: Entry) => entry.pkey
        : resolved.orderBy === 'key'
          ? (entry: Entry) => entry.keyLane
          : () => undefined;
    const consumption = this.#begin('run', new OrderedScheduler<Entry>(resolved.concurrency, laneOf), resolved);
    if (consumption instanceof AIOKafkaError) return Promise.reject(consumption);
    return consumption.done.promise;
  }

  /**
   * Hands out messages one at a time to `for await`. A message counts as processed when the loop
   * asks for the next one; leaving the loop (`break`, `return`, a throw) ends the consumption and
   * leaves the message in hand uncommitted (it is delivered again after a restart), while the
   * ones before it are committed. `close()` ends the loop too. A fatal client error makes the
   * waiting (and every later) `next()` reject with it, so the loop throws. Calls to `next()` that
   * overlap are served one after another, in call order; each one finishes the message the
   * previous one handed out.
   *
   * After the loop is left the consumer no longer polls: until `close()`, the group's rebalances
   * wait for this member up to `max.poll.interval.ms`. Close it promptly.
   *
   * @example
   * ```ts
   * for await (const msg of consumer) {
   *   await handle(msg);
   *   if (shuttingDown) break;
   * }
   * await consumer.close();
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    const consumption = this.#begin('iterate', new OrderedScheduler<Entry>(1, () => undefined), undefined);
    const done: IteratorResult<ConsumerMessage> = { done: true, value: undefined };
    const end = async (): Promise<IteratorResult<ConsumerMessage>> => {
      if (!(consumption instanceof AIOKafkaError)) {
        // The message in hand was not finished: release its slot without committing it.
        this.#releaseCurrent(consumption, false);
        await this.#end(consumption, undefined);
      }
      return done;
    };
    // One next() at a time, like an async generator: a call waits for the previous one.
    let previous: Promise<unknown> = Promise.resolve();
    const serve = (c: Consumption): Promise<IteratorResult<ConsumerMessage>> => {
      this.#releaseCurrent(c, true);
      if (c.failure !== undefined) return Promise.reject(c.failure);
      if (c.ending) return Promise.resolve(done);
      return new Promise<IteratorResult<ConsumerMessage>>((resolve, reject) => {
        c.waiters.push((entry) => {
          if (entry !== undefined) resolve({ done: false, value: entry.message });
          else if (c.failure !== undefined) reject(c.failure);
          else resolve(done);
        });
        this.#dispatch();
      });
    };
    return {
      next: () => {
        if (consumption instanceof AIOKafkaError) return Promise.reject(consumption);
        const result = previous.then(() => serve(consumption));
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

  /**
   * Commits the finished offsets now (they are also committed every `commitIntervalMs`, on
   * revocation, when a consumption ends and on close).
   *
   * @throws (rejects) the commit's error ({@link AIOKafkaError}), {@link OperationTimeoutError}
   *   when the coordinator did not answer in time, {@link ConsumerClosedError} after close.
   */
  async commit(): Promise<void> {
    if (this.#state === State.Closed) throw new ConsumerClosedError('commit: the consumer is closed');
    if (!this.#polling) {
      throw new InvalidArgumentError('commit: nothing is consuming; commits are answered while run() or an iteration polls');
    }
    const err = await this.#commit(this.#planner.plan());
    if (err !== undefined) throw err;
  }

  /**
   * Closes the consumer: no message is started any more; running handlers get up to `timeoutMs`
   * to finish; then the finished offsets are committed (a message still running stays
   * uncommitted and is delivered again to the next owner of its partition), a running `run()`
   * resolves, a waiting iteration ends, and the client leaves the group and disconnects.
   * Idempotent: every call returns the same Promise. Afterwards nothing of the consumer keeps the
   * process alive.
   */
  close(options: ConsumerCloseOptions = {}): Promise<void> {
    if (this.#closing === undefined) {
      let timeoutMs: number;
      try {
        timeoutMs = callTimeoutMs('close', options?.timeoutMs, this.#options.closeTimeoutMs);
      } catch (err) {
        return Promise.reject(err);
      }
      this.#state = State.Closing;
      this.#closing = this.#close(timeoutMs);
    }
    return this.#closing;
  }

  /** `await using consumer = await AIOConsumer.connect(...)`: closes with the default timeout. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Consumption: run() and iteration.

  #begin(
    kind: 'run' | 'iterate',
    scheduler: OrderedScheduler<Entry>,
    run: ResolvedRunOptions | undefined,
  ): Consumption | AIOKafkaError {
    if (this.#state !== State.Open) return new ConsumerClosedError(`${kind === 'run' ? 'run' : 'iteration'}: the consumer is closed`);
    if (this.#consumption !== undefined) {
      return new ConsumerClosedError(
        'a consumer consumes once: run() or one iteration, not both and not twice (close it and connect a new one)',
      );
    }
    const done = pDefer<void>();
    // The run() promise may be dropped by a caller that only closes; never an unhandled rejection.
    done.promise.catch(noop);
    const consumption: Consumption = {
      kind, scheduler, run, done, ending: false, failure: undefined, current: undefined, waiters: new Fifo(),
    };
    this.#consumption = consumption;
    this.#startLoop();
    return consumption;
  }

  /** Hands waiting messages out: to handlers (run) or to waiting next() calls (iterate). */
  #dispatch(): void {
    const consumption = this.#consumption;
    if (consumption === undefined || consumption.ending) return;
    const { scheduler } = consumption;
    if (consumption.kind === 'run') {
      for (let entry = scheduler.next(); entry !== undefined; entry = scheduler.next()) this.#startHandler(consumption, entry);
    } else {
      while (consumption.waiters.length > 0) {
        const entry = scheduler.next();
        if (entry === undefined) break;
        const released = pDefer<void>();
        this.#running.set(entry, released.promise);
        consumption.current = entry;
        (entry as EntryWithRelease).release = released.resolve;
        consumption.waiters.shift()!(entry);
      }
    }
    this.#updateBackpressure();
  }

  /** iterate(): the loop body is done with the message in hand (or left the loop). */
  #releaseCurrent(consumption: Consumption, finished: boolean): void {
    const entry = consumption.current;
    if (entry === undefined) return;
    consumption.current = undefined;
    if (finished) this.#planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
    consumption.scheduler.done(entry);
    this.#running.delete(entry);
    (entry as EntryWithRelease).release?.();
  }

  #startHandler(consumption: Consumption, entry: Entry): void {
    const run = consumption.run!;
    const settled = (async () => {
      let failure: HandlerError | undefined;
      try {
        await run.handler(entry.message);
      } catch (cause) {
        const { topic, partition, offset } = entry.message;
        failure = new HandlerError(
          `handler failed on topic "${topic}" partition ${partition} offset ${offset}: ${describeCause(cause)}`,
          { topic, partition, offset, cause },
        );
      }
      let action: HandlerErrorAction = 'skip';
      if (failure !== undefined) action = await this.#decide(run, failure, entry.message);
      if (action === 'skip') {
        this.#planner.finish(entry.message.topic, entry.message.partition, entry.ticket);
        if (failure !== undefined) this.#emitHandlerError(failure);
      }
      consumption.scheduler.done(entry);
      this.#running.delete(entry);
      if (action === 'stop') void this.#end(consumption, failure);
      else this.#dispatch();
    })();
    this.#running.set(entry, settled);
  }

  async #decide(run: ResolvedRunOptions, failure: HandlerError, message: ConsumerMessage): Promise<HandlerErrorAction> {
    if (run.onError === 'stop' || run.onError === 'skip') return run.onError;
    try {
      const action = await run.onError(failure, message);
      if (action === 'skip' || action === 'stop') return action;
      this.#reportError(
        new InvalidArgumentError(`onError returned ${String(action)}, not 'skip' or 'stop'; stopping`, { cause: failure }),
        'onError',
      );
    } catch (err) {
      this.#reportError(err, 'onError threw; stopping');
    }
    return 'stop';
  }

  /**
   * Ends a consumption: nothing more starts; waiting messages are dropped (uncommitted); running
   * handlers get up to `waitMs` (run, on failure: `closeTimeoutMs`); the finished offsets are
   * committed; the loop stops. Then run() settles and waiting next() calls end.
   */
  #end(consumption: Consumption, failure: AIOKafkaError | undefined, waitMs = this.#options.closeTimeoutMs): Promise<void> {
    if (consumption.ending) return consumption.done.promise.then(noop, noop);
    consumption.ending = true;
    consumption.failure = failure;
    return (async () => {
      consumption.scheduler.clear();
      for (let waiter = consumption.waiters.shift(); waiter !== undefined; waiter = consumption.waiters.shift()) waiter(undefined);
      await this.#waitForRunning([...this.#running.values()], waitMs);
      await this.#rebalancing;
      const err = await this.#commit(this.#planner.plan());
      if (err !== undefined) this.#reportError(err, 'final commit failed');
      // Answers to commits (a revocation's, say) arrive only while the loop polls.
      await this.#settleRebalancesAndCommits();
      await this.#stopLoop();
      if (failure !== undefined) consumption.done.reject(failure);
      else consumption.done.resolve();
    })();
  }

  // ---------------------------------------------------------------------------------------------
  // The consume loop.

  #startLoop(): void {
    if (this.#polling) return;
    this.#polling = true;
    this.#commitTimer = setInterval(() => {
      const commits = this.#planner.plan();
      if (commits.length > 0) {
        void this.#commit(commits).then((err) => {
          if (err !== undefined) this.#reportError(err, 'periodic commit failed');
        });
      }
    }, this.#options.commitIntervalMs).unref();
    this.#poll();
  }

  /** Stops polling; resolves once the native consume call in progress (if any) has returned. */
  #stopLoop(): Promise<void> {
    this.#polling = false;
    if (this.#commitTimer !== undefined) clearInterval(this.#commitTimer);
    this.#commitTimer = undefined;
    if (this.#loopTimer !== undefined) clearTimeout(this.#loopTimer);
    if (this.#loopImmediate !== undefined) clearImmediate(this.#loopImmediate);
    this.#loopTimer = undefined;
    this.#loopImmediate = undefined;
    return this.#consumeIdle();
  }

  /** Resolves once no native consume call is in flight. */
  #consumeIdle(): Promise<void> {
    if (!this.#consumeInFlight) return Promise.resolve();
    return new Promise<void>((resolve) => this.#consumeReturned.push(resolve));
  }

  /**
   * Keeps the loop from starting consume calls (it goes on polling when released) and resolves
   * once the call in flight, if any, has returned and its messages went through #accept.
   */
  #holdLoop(): Promise<void> {
    this.#loopHolds++;
    return this.#consumeIdle();
  }

  #releaseLoop(): void {
    this.#loopHolds--;
    if (this.#loopHolds > 0 || !this.#polling || this.#consumeInFlight) return;
    if (this.#loopTimer === undefined && this.#loopImmediate === undefined) this.#loopImmediate = setImmediate(this.#poll);
  }

  /**
   * Before the loop stops: waits, while it still polls, for the rebalance steps and the commits
   * in flight (their answers arrive only through polling), bounded by a revocation's time limits.
   */
  async #settleRebalancesAndCommits(): Promise<void> {
    const deadline = Date.now() + this.#options.revokeTimeoutMs + COMMIT_TIMEOUT_MS;
    for (;;) {
      const rebalancing = this.#rebalancing;
      const commits = [...this.#pendingCommits];
      if (commits.length === 0 && this.#rebalanceSteps === 0) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([rebalancing, ...commits.map((c) => c.settled)]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  readonly #poll = (): void => {
    this.#loopTimer = undefined;
    this.#loopImmediate = undefined;
    if (!this.#polling || this.#loopHolds > 0) return;
    // Ask for no more than there is room for, but always poll: polling serves rebalances and
    // commit answers and keeps the member within max.poll.interval.ms.
    const room = this.#options.maxBufferedMessages - this.buffered;
    const count = Math.max(1, Math.min(this.#options.batchSize, room));
    this.#consumeInFlight = true;
    try {
      this.#native.consume(count, (err, messages) => this.#onConsumed(err, messages));
    } catch (err) {
      this.#consumeInFlight = false;
      this.#reportError(err, 'consume failed');
      this.#scheduleNext(true);
    }
  };

  #onConsumed(err: Error | null, messages: NativeConsumerMessage[] | undefined): void {
    this.#consumeInFlight = false;
    if (err) {
      const typed = fromLibrdkafka(err, { kind: 'client' });
      // A timeout or a partition EOF is no error; anything else is reported.
      if (typed.code !== 'ERR__TIMED_OUT' && typed.code !== 'ERR__PARTITION_EOF') this.#reportError(typed, 'consume failed');
      if (typed.fatal && this.#consumption !== undefined) void this.#end(this.#consumption, typed);
    } else if (messages !== undefined && messages.length > 0) {
      this.#accept(messages);
    }
    for (const returned of this.#consumeReturned.splice(0)) returned();
    this.#scheduleNext(err !== null && err !== undefined);
  }

  #scheduleNext(backOff: boolean): void {
    if (!this.#polling || this.#loopHolds > 0) return;
    // Back off after an error so that a persistent one cannot spin the loop.
    if (backOff) this.#loopTimer = setTimeout(this.#poll, this.#options.pollTimeoutMs);
    else this.#loopImmediate = setImmediate(this.#poll);
  }

  /** Takes fetched messages into the commit plan and the scheduler. */
  #accept(messages: NativeConsumerMessage[]): void {
    const consumption = this.#consumption;
    // After the end (or during close) fetched messages are dropped: never tracked, never committed.
    if (consumption === undefined || consumption.ending || this.#state !== State.Open) return;
    for (const raw of messages) {
      const pkey = partitionKey(raw.topic, raw.partition);
      if (this.#revoking.has(pkey)) continue;
      const ticket = this.#planner.receive(raw.topic, raw.partition, raw.offset);
      // Not assigned (a late message of a revoked partition) or already received (a re-fetch).
      if (ticket === undefined) continue;
      const message = toConsumerMessage(raw);
      const keyLane = message.key === null ? undefined : `${message.topic}\0${message.key.toString('latin1')}`;
      consumption.scheduler.push({ message, ticket, pkey, keyLane });
    }
    this.#dispatch();
  }

  // ---------------------------------------------------------------------------------------------
  // Backpressure.

  #updateBackpressure(): void {
    if (this.#disconnecting || this.#state === State.Closed) return;
    const waiting = this.buffered;
    const max = this.#options.maxBufferedMessages;
    if (!this.#paused && waiting >= max && this.#assignment.length > 0) {
      this.#paused = true;
      const partitions = this.assignment;
      if (this.#nativeCall('pause', () => this.#native.pause(partitions))) this.#safeEmit('pause', partitions);
    } else if (this.#paused && waiting <= Math.floor(max / 2)) {
      this.#paused = false;
      const partitions = this.assignment;
      if (partitions.length === 0) return;
      if (this.#nativeCall('resume', () => this.#native.resume(partitions))) this.#safeEmit('resume', partitions);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rebalances.

  #onRebalance(err: { code: number; message?: string } | undefined, partitions: TopicPartition[]): void {
    const code = err?.code;
    const list = (partitions ?? []).map(({ topic, partition }) => ({ topic, partition }));
    this.#rebalanceSteps++;
    this.#rebalancing = this.#rebalancing.then(async () => {
      // A resume point counts for the step right after the revocation that set it, no later.
      const resumeAt = this.#resumeAt;
      this.#resumeAt = new Map();
      try {
        if (code === ERR_ASSIGN_PARTITIONS) this.#assign(list, resumeAt);
        else if (code === ERR_REVOKE_PARTITIONS) await this.#revoke(list, true);
        else {
          this.#reportError(err, 'rebalance failed; releasing the assignment');
          await this.#revoke(this.assignment, false);
        }
      } catch (e) {
        this.#reportError(e, 'rebalance step failed');
      } finally {
        this.#rebalanceSteps--;
      }
    });
  }

  #cooperative(): boolean {
    try {
      return this.#native.rebalanceProtocol() === 'COOPERATIVE';
    } catch {
      return false;
    }
  }

  #assign(partitions: TopicPartition[], resumeAt: ReadonlyMap<string, number>): void {
    const cooperative = this.#cooperative();
    const withOffsets = partitions.map(({ topic, partition }) => {
      // An eager assign right after a revocation whose commit failed: a partition given straight
      // back resumes where this member finished rather than at the older committed offset.
      const start = cooperative ? undefined : resumeAt.get(partitionKey(topic, partition));
      this.#planner.assign(topic, partition, start);
      return start === undefined ? { topic, partition } : { topic, partition, offset: start };
    });
    this.#assignment = cooperative ? [...this.#assignment, ...partitions] : partitions;
    this.#nativeCall('assign', () =>
      cooperative ? this.#native.incrementalAssign(withOffsets) : this.#native.assign(withOffsets),
    );
    if (this.#paused && partitions.length > 0) this.#nativeCall('pause', () => this.#native.pause(partitions));
    this.#safeEmit('rebalance', { type: 'assign', partitions });
  }

  /**
   * Releases `partitions`: drops their waiting messages, waits (bounded) for their running
   * handlers, commits their finished offsets, lets the consume call in flight return (its
   * messages of these partitions were fetched before the revocation and are dropped), then
   * unassigns them. `revoked`: librdkafka asked for it (false: a failed rebalance, where the
   * assignment may have been lost and the position is no resume point).
   */
  async #revoke(partitions: TopicPartition[], revoked: boolean): Promise<void> {
    const keys = new Set(partitions.map(({ topic, partition }) => partitionKey(topic, partition)));
    const cooperative = this.#cooperative();
    let held = false;
    let commitFailed = false;
    try {
      if (!this.#disconnecting) {
        for (const key of keys) this.#revoking.add(key);
        // Not started yet: drop them (uncommitted); the next owner reads them.
        this.#consumption?.scheduler.remove((entry) => keys.has(entry.pkey));
        const running = [...this.#running].filter(([entry]) => keys.has(entry.pkey)).map(([, settled]) => settled);
        if (this.#state === State.Open) await this.#waitForRunning(running, this.#options.revokeTimeoutMs);
        const err = await this.#commit(this.#planner.plan(partitions));
        if (err !== undefined) {
          commitFailed = true;
          this.#reportError(err, 'commit on revocation failed');
        }
        // One native consume() may still be running, holding messages fetched before this
        // revocation: let it return while #revoking drops them. Left to a later call, they would
        // land in the partition's next assignment ahead of the offsets librdkafka fetches again.
        held = true;
        await this.#holdLoop();
      }
      for (const { topic, partition } of partitions) {
        const position = this.#planner.revoke(topic, partition);
        if (position !== undefined && commitFailed && revoked && !cooperative) {
          this.#resumeAt.set(partitionKey(topic, partition), position);
        }
      }
      this.#assignment = this.#assignment.filter(({ topic, partition }) => !keys.has(partitionKey(topic, partition)));
      const report = !this.#disconnecting;
      // Under the cooperative protocol unassign() would drop partitions this member keeps.
      if (cooperative) this.#nativeCall('unassign', () => this.#native.incrementalUnassign(partitions), report);
      else this.#nativeCall('unassign', () => this.#native.unassign(), report);
    } finally {
      for (const key of keys) this.#revoking.delete(key);
      if (held) this.#releaseLoop();
    }
    this.#safeEmit('rebalance', { type: 'revoke', partitions });
    this.#dispatch();
  }

  // ---------------------------------------------------------------------------------------------
  // Commits.

  /**
   * Commits `offsets` asynchronously and waits (bounded) for librdkafka's answer, which arrives
   * as `offset.commit` while the loop polls. Resolves with the error, never rejects.
   */
  #commit(offsets: PlannedCommit[]): Promise<AIOKafkaError | undefined> {
    if (offsets.length === 0) return Promise.resolve(undefined);
    const native: TopicPartitionOffset[] = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    if (!this.#polling) {
      // Nothing polls, so no answer would come: commit synchronously instead.
      try {
        this.#native.commitSync(native);
        this.#planner.markCommitted(offsets);
        return Promise.resolve(undefined);
      } catch (err) {
        return Promise.resolve(fromLibrdkafka(err, { kind: 'client' }));
      }
    }
    const outcome = pDefer<AIOKafkaError | undefined>();
    const timer = setTimeout(() => {
      this.#pendingCommits.delete(pending);
      outcome.resolve(new OperationTimeoutError(`commit: no answer from the group coordinator within ${COMMIT_TIMEOUT_MS} ms`, COMMIT_TIMEOUT_MS));
    }, COMMIT_TIMEOUT_MS).unref();
    const pending: PendingCommit = {
      offsets,
      settled: outcome.promise,
      settle: (err) => {
        clearTimeout(timer);
        this.#pendingCommits.delete(pending);
        // Tagged with their assignment: a late answer cannot mark a newer one committed.
        if (err === undefined) this.#planner.markCommitted(offsets);
        outcome.resolve(err);
      },
    };
    this.#pendingCommits.add(pending);
    try {
      this.#native.commit(native);
    } catch (err) {
      pending.settle(fromLibrdkafka(err, { kind: 'client' }));
    }
    return outcome.promise;
  }

  /** librdkafka's answer to a commit: settles the pending commits it covers. */
  #onCommitted(err: Error | null | undefined, offsets: TopicPartitionOffset[] | undefined): void {
    const answered = new Set((offsets ?? []).map((o) => `${partitionKey(o.topic, o.partition)}\0${o.offset}`));
    const typed = err ? fromLibrdkafka(err, { kind: 'client' }) : undefined;
    for (const pending of [...this.#pendingCommits]) {
      if (pending.offsets.every((o) => answered.has(`${partitionKey(o.topic, o.partition)}\0${o.offset}`))) {
        pending.settle(typed);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Close.

  async #close(timeoutMs: number): Promise<void> {
    const consumption = this.#consumption;
    if (consumption !== undefined) {
      // The message an iteration holds is not waited for: close may be called from the loop body.
      if (consumption.kind === 'iterate') this.#releaseCurrent(consumption, false);
      await this.#end(consumption, undefined, timeoutMs);
    }
    await this.#stopLoop();
    await this.#rebalancing;
    this.#disconnecting = true;
    this.#state = State.Closed;
    await new Promise<void>((resolve) => {
      try {
        // librdkafka leaves the group; a final revoke reaches #revoke, which just releases.
        this.#native.disconnect((err) => {
          if (err) this.#reportError(fromLibrdkafka(err, { kind: 'client' }), 'disconnect failed');
          resolve();
        });
      } catch (err) {
        this.#reportError(err, 'disconnect failed');
        resolve();
      }
    });
    for (const pending of [...this.#pendingCommits]) pending.settle(new ConsumerClosedError('commit: the consumer closed before the answer came'));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /** Waits for `settled` (handlers' completion promises), at most `timeoutMs`. */
  async #waitForRunning(settled: Promise<void>[], timeoutMs: number): Promise<void> {
    if (settled.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled(settled), timeout]);
    clearTimeout(timer);
  }

  /** Runs a native call; reports (or, when `report` is false, swallows) a throw. */
  #nativeCall(what: string, call: () => unknown, report = true): boolean {
    try {
      call();
      return true;
    } catch (err) {
      if (report) this.#reportError(err, `${what} failed`);
      return false;
    }
  }

  #onClientError(err: Error): void {
    const typed = fromLibrdkafka(err, { kind: 'client' });
    this.#reportError(typed, 'client error');
    if (typed.fatal && this.#consumption !== undefined) void this.#end(this.#consumption, typed);
  }

  /** Emits an event; a listener that throws is reported, never allowed to break the loop. */
  #safeEmit<E extends 'pause' | 'resume' | 'rebalance'>(event: E, ...args: Parameters<AIOConsumerEvents[E]>): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.#reportError(err, `${event} listener threw`);
    }
  }

  #emitHandlerError(err: HandlerError): void {
    if (this.listenerCount('handlerError') === 0) {
      this.#reporter.report('handler failed, message skipped', err.code, err);
      return;
    }
    try {
      this.emit('handlerError', err);
    } catch (listenerErr) {
      this.#reportError(listenerErr, 'handlerError listener threw');
    }
  }

  /** Emits `error` (or writes to stderr, rate-limited, when nobody listens); never throws. */
  #reportError(err: unknown, what: string): void {
    const typed = toAIOError(err, what);
    if (this.listenerCount('error') === 0) {
      this.#reporter.report(what, typed.code, typed);
      return;
    }
    try {
      this.emit('error', typed);
    } catch (listenerErr) {
      this.#reporter.report('error listener threw', 'AIO_UNKNOWN', listenerErr);
    }
  }
}

/** An iteration's entry carries the resolver of its "released" promise. */
type EntryWithRelease = Entry & { release?: () => void };

function toAIOError(err: unknown, what: string): AIOKafkaError {
  if (err instanceof AIOKafkaError) return err;
  if (typeof err === 'object' && err !== null && 'code' in err) return fromLibrdkafka(err, { kind: 'client' });
  return new AIOKafkaError(`${what}: ${describeCause(err)}`, { code: 'AIO_UNKNOWN', cause: err });
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function connectNative(native: NativeConsumer, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      reject(new OperationTimeoutError(`connect: no metadata from the cluster within ${timeoutMs} ms`, timeoutMs));
    }, timeoutMs + 1000);
    native.connect({ timeout: timeoutMs }, (err) => {
      clearTimeout(timer);
      if (gaveUp) {
        // We stopped waiting already; release what librdkafka opened.
        if (!err) native.disconnect(noop);
        return;
      }
      if (!err) {
        resolve();
        return;
      }
      const typed = fromLibrdkafka(err, { kind: 'client' });
      reject(
        typed.code === 'ERR__TIMED_OUT' || typed.code === 'ERR__TRANSPORT'
          ? new OperationTimeoutError(`connect: no metadata from the cluster within ${timeoutMs} ms (${typed.message})`, timeoutMs, typed)
          : typed,
      );
    });
  });
}
