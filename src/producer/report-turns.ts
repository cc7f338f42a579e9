import { DELIVERY_REPORTS_PER_TURN } from '../native/producer';

/**
 * Whether the binding may still hold delivery reports that librdkafka has already produced.
 *
 * The binding hands reports to JavaScript at most {@link DELIVERY_REPORTS_PER_TURN} per
 * event-loop turn and, when more are queued, wakes the loop again for the next turn
 * (src/native/producer.ts); under load the rest wait there, turn after turn. A message past its
 * deadline may then have been reported long ago, its report still in that queue: failing it
 * would turn a delivered message into a timeout and its report into a late delivery.
 *
 * This counts the reports of each turn (the first report of a turn arms a `setImmediate`, which
 * runs at the end of that turn's I/O) and, once per poll tick, says whether the binding may hold
 * more: when the last turn handed over the maximum and came after the previous tick. A turn
 * that handed over fewer emptied the binding's queue; and after one that handed over exactly the
 * maximum, either the binding woke the loop again (so another turn came before the next tick) or
 * its queue was empty. It counts only while {@link ReportTurns.watch} says a deadline is to be
 * judged: otherwise a report costs one check, and no `setImmediate` per turn (measured: half of
 * a 7% rise of the sequential awaited latency at linger.ms 0).
 */
export class ReportTurns {
  /** Reports of the turn in progress. */
  #count = 0;
  /** Whether the last turn that ended handed over the maximum. */
  #saturated = false;
  /** Turns ended so far, and at the previous tick. */
  #ended = 0;
  #endedAtTick = 0;
  /** Whether turns are counted: a deadline is to be judged at a coming tick. */
  #watching = false;

  readonly #endTurn = (): void => {
    this.#saturated = this.#count >= DELIVERY_REPORTS_PER_TURN;
    this.#count = 0;
    this.#ended++;
  };

  /** A report reached JavaScript. */
  note(): void {
    if (this.#watching && this.#count++ === 0) setImmediate(this.#endTurn);
  }

  /**
   * Called by each tick, after its poll: whether a coming tick has a deadline to judge. Counting
   * starts here, so the next {@link ReportTurns.mayHoldReports} judges the turns since this tick.
   */
  watch(needed: boolean): void {
    if (needed && !this.#watching) {
      this.#saturated = false;
      this.#endedAtTick = this.#ended;
    }
    this.#watching = needed;
  }

  /**
   * Whether reports librdkafka produced before the previous tick may still wait in the binding.
   * Call it once per tick, while watching: it compares with the previous call.
   */
  mayHoldReports(): boolean {
    const turnSinceLastTick = this.#ended !== this.#endedAtTick;
    this.#endedAtTick = this.#ended;
    // A turn still in progress (a tick run from setImmediate, before this turn's end) counts too.
    return (this.#saturated && turnSinceLastTick) || this.#count >= DELIVERY_REPORTS_PER_TURN;
  }
}
