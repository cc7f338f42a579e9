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
 * its queue was empty.
 */
export class ReportTurns {
  /** Reports of the turn in progress. */
  #count = 0;
  /** Whether the last turn that ended handed over the maximum. */
  #saturated = false;
  /** Turns ended so far, and at the previous tick. */
  #ended = 0;
  #endedAtTick = 0;

  readonly #endTurn = (): void => {
    this.#saturated = this.#count >= DELIVERY_REPORTS_PER_TURN;
    this.#count = 0;
    this.#ended++;
  };

  /** A report reached JavaScript. */
  note(): void {
    if (this.#count++ === 0) setImmediate(this.#endTurn);
  }

  /**
   * Whether reports librdkafka produced before the previous tick may still wait in the binding.
   * Call it once per tick: it compares with the previous call.
   */
  mayHoldReports(): boolean {
    const turnSinceLastTick = this.#ended !== this.#endedAtTick;
    this.#endedAtTick = this.#ended;
    // A turn still in progress (a tick run from setImmediate, before this turn's end) counts too.
    return (this.#saturated && turnSinceLastTick) || this.#count >= DELIVERY_REPORTS_PER_TURN;
  }
}
