/*
 * The consumer's mechanisms wired together: the consume loop, the commit planner and committer,
 * pauses, the rebalancer, the shutdown and the one consumption (run() or an iteration) they feed.
 * The facade (aio-consumer.ts) holds one engine and keeps the public methods.
 */
import type { ClientEvents } from '../core/client-events';
import { InvalidStateError } from '../core/errors';
import { disconnectNative } from '../core/lifecycle';
import { fromLibrdkafka } from '../native/errors';
import { Leases } from '../core/lease';
import type { NativeConsumer } from '../native/consumer';
import { CommitPlanner } from './commit-planner';
import { Committer } from './committer';
import { ConsumeLoop } from './consume-loop';
import { Consumption } from './consumption';
import type { ResolvedConsumerOptions, resolveRunOptions } from './options';
import { Pauses } from './pauses';
import { Rebalancer } from './rebalancer';
import { Shutdown } from './shutdown';

/** What the engine needs of its consumer. */
export interface EngineHost {
  readonly events: ClientEvents;
  /** Whether close() has begun. */
  closing(): boolean;
  /** A failed consume call: reported, a fatal one stops the consumer. */
  failed(err: unknown, what: string): void;
}

/** One consumer's mechanisms; see the file's comment. */
export class ConsumerEngine {
  readonly planner = new CommitPlanner();
  readonly loop: ConsumeLoop;
  readonly committer: Committer;
  readonly pauses: Pauses;
  readonly rebalancer: Rebalancer;
  /** The native client lent to transactional producers' sendOffsets calls: close waits for them. */
  readonly leases = new Leases();
  /** The wrap-up of a consumption and close. */
  readonly shutdown: Shutdown;
  /** The consumption, once `run()` or an iteration started it (a consumer consumes once). */
  consumption: Consumption | undefined;
  readonly #options: ResolvedConsumerOptions;
  readonly #host: EngineHost;

  constructor(native: NativeConsumer, options: ResolvedConsumerOptions, host: EngineHost) {
    this.#options = options;
    this.#host = host;
    const events = host.events;
    this.loop = new ConsumeLoop(
      native,
      {
        room: () => options.maxBufferedMessages - (this.consumption?.runnable ?? 0),
        accept: (messages) => this.consumption?.accept(messages),
        failed: (err, what) => host.failed(err, what),
      },
      { batchSize: options.batchSize, backOffMs: options.pollTimeoutMs },
    );
    this.committer = new Committer(native, this.planner, events, {
      polling: () => this.loop.polling,
      intervalMs: options.commitIntervalMs,
    });
    this.pauses = new Pauses(native, events, options.maxBufferedMessages, () => this.rebalancer.assignment);
    this.rebalancer = new Rebalancer({
      native,
      events,
      planner: this.planner,
      committer: this.committer,
      loop: this.loop,
      pauses: this.pauses,
      revokeTimeoutMs: options.revokeTimeoutMs,
      release: (keys) => this.consumption?.release(keys) ?? [],
      waitsForHandlers: () => !host.closing(),
      revoked: () => this.consumption?.dispatch(),
    });
    this.shutdown = new Shutdown({
      native,
      events,
      planner: this.planner,
      loop: this.loop,
      committer: this.committer,
      rebalancer: this.rebalancer,
      leases: this.leases,
      revokeTimeoutMs: options.revokeTimeoutMs,
      consumption: () => this.consumption,
    });
  }

  /** Starts the one consumption, and the loop that feeds it. */
  begin(what: 'run' | 'iteration', run: ReturnType<typeof resolveRunOptions> | undefined): Consumption {
    if (this.consumption !== undefined) {
      throw new InvalidStateError(
        `${what}: a consumer consumes once: run() or one iteration, not both and not twice (close it and connect a new one)`,
      );
    }
    const host = this.#host;
    const consumption = new Consumption(
      {
        planner: this.planner,
        events: host.events,
        closeTimeoutMs: this.#options.closeTimeoutMs,
        // During close (or a revocation) fetched messages are dropped: never tracked, never committed.
        takes: (pkey) => !host.closing() && !this.rebalancer.revoking(pkey),
        buffered: (waiting) => {
          if (!this.rebalancer.disconnecting) this.pauses.update(waiting);
        },
        wrapUp: () => this.shutdown.wrapUp(),
        userPaused: (pkey) => this.pauses.userPaused(pkey),
        userPausedKeys: () => this.pauses.userKeys(),
        decode: this.#options.decode,
      },
      run,
    );
    this.consumption = consumption;
    this.loop.start();
    this.committer.startPeriodic();
    return consumption;
  }
}

/** Subscribes a connected client to the topics; a refusal disconnects it and rejects, typed. */
export async function subscribe(native: NativeConsumer, options: ResolvedConsumerOptions): Promise<void> {
  try {
    native.setDefaultConsumeTimeout(options.pollTimeoutMs);
    native.subscribe(options.topics);
  } catch (err) {
    await disconnectNative((cb) => native.disconnect(cb));
    throw fromLibrdkafka(err, { kind: 'client' });
  }
}
