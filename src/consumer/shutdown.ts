/*
 * How a consumer stops: the wrap-up at the end of a consumption (the final commit, then the
 * answers still owed, then the loop stops) and close, one deadline for all of it: what still
 * waits at the limit is answered, and the disconnect follows the native work still running
 * (a consume call, a rebalance step, a lease) in the background, never under it.
 */
import type { ClientEvents } from '../core/client-events';
import { ConsumerClosedError, type AIOKafkaError } from '../core/errors';
import type { Leases } from '../core/lease';
import { disconnectNative } from '../core/lifecycle';
import { delay, settlesWithin } from '../core/timeouts';
import type { NativeConsumer } from '../native/consumer';
import type { CommitPlanner } from './commit-planner';
import { COMMIT_TIMEOUT_MS, type Committer } from './committer';
import type { ConsumeLoop } from './consume-loop';
import type { Consumption } from './consumption';
import type { Rebalancer } from './rebalancer';

/** The first pause before the final commit is tried again after a refusal, in ms (doubled each time). */
const FINAL_COMMIT_RETRY_MS = 50;
/** The longest pause between two tries of the final commit, in ms. */
const FINAL_COMMIT_RETRY_MAX_MS = 1_000;

/** The consumer's parts a shutdown works with. */
export interface ShutdownParts {
  readonly native: NativeConsumer;
  readonly events: ClientEvents;
  readonly planner: CommitPlanner;
  readonly loop: ConsumeLoop;
  readonly committer: Committer;
  readonly rebalancer: Rebalancer;
  readonly leases: Leases;
  readonly revokeTimeoutMs: number;
  /** The consumption, once run() or an iteration started it. */
  consumption(): Consumption | undefined;
}

/** One consumer's wrap-up and close. */
export class Shutdown {
  readonly #parts: ShutdownParts;
  /** When close() must be done (ms since the epoch; `Infinity`: no limit), once it began. */
  #closeBy: number | undefined;

  constructor(parts: ShutdownParts) {
    this.#parts = parts;
  }

  /** The end of a consumption, after its handlers: the final commit, then the loop stops. */
  async wrapUp(): Promise<void> {
    // One budget for the final commit and the settling: a revocation's time limits. With no limit
    // on revocations (revokeTimeoutMs Infinity) a refused final commit is still not retried
    // forever: it gets a commit's own limit.
    // During close, close's own deadline comes first.
    const revokeMs = Number.isFinite(this.#parts.revokeTimeoutMs) ? this.#parts.revokeTimeoutMs : 0;
    const deadline = Math.min(Date.now() + revokeMs + COMMIT_TIMEOUT_MS, this.#closeBy ?? Infinity);
    await this.#finalCommit(deadline);
    // Answers to commits (a revocation's, say) arrive only while the loop polls.
    await this.#settleRebalancesAndCommits(deadline);
    await this.#stopPolling();
  }

  /**
   * Commits everything finished until librdkafka confirms it, while the loop still polls: each
   * round waits for the rebalance steps asked for so far and plans after them (a step that came
   * late may have given a partition back with a resume point, owed a commit), and a refused or
   * unanswered commit is tried again after a short pause. Bounded by `deadline`; the last
   * failure is reported when it runs out.
   */
  async #finalCommit(deadline: number): Promise<void> {
    let failure: AIOKafkaError | undefined;
    for (let round = 0; ; round++) {
      const remaining = deadline - Date.now();
      // The first round always sends (sending costs nothing: librdkafka commits asynchronously).
      if (remaining <= 0 && round > 0) break;
      await settlesWithin(this.#parts.rebalancer.idle(), Math.max(0, remaining));
      const commits = this.#parts.planner.plan();
      if (commits.length === 0) {
        if (this.#parts.rebalancer.busy && Date.now() < deadline) continue;
        failure = undefined;
        break;
      }
      // Without polling no answer can come: sent once, reported unconfirmed by the committer.
      const polling = this.#parts.loop.polling;
      const answer = this.#parts.committer.commit(commits, 'final commit');
      const answered = await settlesWithin(answer, deadline - Date.now());
      failure = answered ? await answer : undefined;
      if (!answered || failure instanceof ConsumerClosedError) {
        // close's limit came first (its timer, or close answering the commit): sent, not confirmed.
        this.#parts.events.warn("final commit: sent, but not confirmed within close's limit", 'AIO_COMMIT_UNCONFIRMED', JSON.stringify(commits));
        failure = undefined;
        break;
      }
      if (!polling) break;
      // Confirmed (the next plan tells what a late step added) or refused: plan again, after a pause.
      if (failure !== undefined) {
        const pause = Math.min(FINAL_COMMIT_RETRY_MAX_MS, FINAL_COMMIT_RETRY_MS * 2 ** round, deadline - Date.now());
        await delay(pause);
      }
    }
    if (failure !== undefined) this.#parts.events.error(failure, 'final commit failed');
  }


  /**
   * Before the loop stops: waits, while it still polls, for the rebalance steps and the commits
   * in flight (their answers arrive only through polling), until `deadline`.
   */
  async #settleRebalancesAndCommits(deadline: number): Promise<void> {
    for (;;) {
      const commits = this.#parts.committer.pending;
      if (commits.length === 0 && !this.#parts.rebalancer.busy) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      await settlesWithin(Promise.all([this.#parts.rebalancer.idle(), ...commits]), remaining);
    }
  }

  #stopPolling(): Promise<void> {
    this.#parts.committer.stopPeriodic();
    return this.#parts.loop.stop();
  }

  /**
   * One deadline for all of close: the handlers, the final commit, a rebalance step, the consume
   * call in flight and the leases. At the limit what still waits is answered (commits with
   * {@link ConsumerClosedError}; commit(), seek() and new leases refuse) and the rest goes on in
   * the background: the disconnect waits for the native work still running (a consume call, a
   * rebalance step's native calls, a lease), which node-rdkafka must not have deleted under it.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closeBy = Date.now() + timeoutMs;
    if (await settlesWithin(this.#closeInOrder(timeoutMs), timeoutMs)) return;
    this.#parts.rebalancer.disconnecting = true;
    this.#parts.committer.closed();
  }

  async #closeInOrder(timeoutMs: number): Promise<void> {
    await this.#parts.consumption()?.close(timeoutMs);
    await this.#stopPolling();
    // A revocation still queued commits without waiting for an answer: nothing polls now.
    await this.#parts.rebalancer.idle();
    // From here on the consumer counts as closed: commit() refuses, a revoke just releases; no
    // more leases.
    this.#parts.rebalancer.disconnecting = true;
    // A sendOffsets still reading the client holds the disconnect.
    await this.#parts.leases.returned();
    await this.#disconnect();
  }


  async #disconnect(): Promise<void> {
    // librdkafka leaves the group; a final revoke reaches the rebalancer, which just releases.
    const err = await disconnectNative((cb) => this.#parts.native.disconnect(cb));
    if (err !== undefined) this.#parts.events.error(err, 'disconnect failed');
    this.#parts.committer.closed();
    this.#parts.events.close();
  }
}
