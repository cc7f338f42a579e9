import { Fifo } from '../core/fifo';

/** The items of one ordering lane, and whether one of them is running. */
interface Lane<T> {
  readonly items: Fifo<T>;
  busy: boolean;
  /** Whether the lane's key is in the ready queue. */
  queued: boolean;
  /** Whether the lane is set aside because its head was held back (see {@link HoldBack}). */
  parked: boolean;
}

/**
 * Says which items must not run at the same time: items with the same lane run one at a time,
 * in the order they were pushed; `undefined` means "no constraint".
 */
export type LaneOf<T> = (item: T) => string | undefined;

/**
 * Says whether a lane whose oldest waiting item is `head` (with `waiting` items in all) must not
 * start now: a paused partition, or a batch still filling. Such a lane is set aside until
 * {@link OrderedScheduler.unpark} or until an item is pushed to it.
 */
export type HoldBack<T> = (head: T, waiting: number) => boolean;

/**
 * Hands out waiting items to run, at most `concurrency` at once, never two of the same lane at
 * once, each lane in push order; lanes are served roughly in the order their items arrived.
 *
 * Pure bookkeeping: it starts nothing itself. The caller pushes items, takes runnable ones with
 * {@link OrderedScheduler.next} and reports each with {@link OrderedScheduler.done}.
 */
export class OrderedScheduler<T> {
  readonly #concurrency: number;
  readonly #laneOf: LaneOf<T>;
  readonly #lanes = new Map<string, Lane<T>>();
  /** Keys of lanes that are idle and have waiting items, oldest first (may hold stale keys). */
  readonly #ready = new Fifo<string>();
  /** Running items → their lane key. */
  readonly #running = new Map<T, string>();
  #waiting = 0;
  /** Source of unique lane keys for items without a lane. */
  #unordered = 0;
  readonly #holdBack: HoldBack<T> | undefined;
  /** Keys of the lanes set aside by `holdBack`. */
  readonly #parked = new Set<string>();

  constructor(concurrency: number, laneOf: LaneOf<T>, holdBack?: HoldBack<T>) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
    }
    this.#concurrency = concurrency;
    this.#laneOf = laneOf;
    this.#holdBack = holdBack;
  }

  /** Items pushed and not yet handed out. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Items handed out and not yet done. */
  get running(): number {
    return this.#running.size;
  }

  /** Adds an item behind the others of its lane. */
  push(item: T): void {
    // A NUL never occurs in a real lane key built from a topic name, so these cannot collide.
    const key = this.#laneOf(item) ?? `\0${this.#unordered++}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { items: new Fifo<T>(), busy: false, queued: false, parked: false };
      this.#lanes.set(key, lane);
    }
    lane.items.push(item);
    this.#waiting++;
    // A parked lane is looked at again: a batch may be full now.
    this.#unparkLane(key, lane);
    this.#enqueue(key, lane);
  }

  /**
   * Takes the next item that may run now and counts it as running; undefined when `concurrency`
   * items already run or every waiting item's lane is busy.
   */
  next(): T | undefined {
    return this.nextBatch(1)?.[0];
  }

  /**
   * Like {@link OrderedScheduler.next}, but takes up to `max` waiting items of one lane, oldest
   * first; they run as one (the first one stands for them in `done`).
   */
  nextBatch(max: number): T[] | undefined {
    if (this.#running.size >= this.#concurrency) return undefined;
    for (let key = this.#ready.shift(); key !== undefined; key = this.#ready.shift()) {
      const lane = this.#lanes.get(key);
      if (lane === undefined) continue;
      lane.queued = false;
      if (lane.busy || lane.parked) continue;
      const head = lane.items.peek();
      if (head === undefined) {
        this.#lanes.delete(key);
        continue;
      }
      if (this.#holdBack !== undefined && this.#holdBack(head, lane.items.length)) {
        lane.parked = true;
        this.#parked.add(key);
        continue;
      }
      const items: T[] = [];
      while (items.length < max && lane.items.length > 0) items.push(lane.items.shift()!);
      lane.busy = true;
      this.#waiting -= items.length;
      this.#running.set(items[0]!, key);
      return items;
    }
    return undefined;
  }

  /** The oldest waiting item of every lane set aside by `holdBack`. */
  parkedHeads(): T[] {
    const heads: T[] = [];
    for (const key of this.#parked) {
      const head = this.#lanes.get(key)?.items.peek();
      if (head !== undefined) heads.push(head);
    }
    return heads;
  }

  /** Puts every lane set aside by `holdBack` back in line, to be looked at again. */
  unpark(): void {
    for (const key of [...this.#parked]) {
      const lane = this.#lanes.get(key);
      if (lane === undefined) {
        this.#parked.delete(key);
        continue;
      }
      this.#unparkLane(key, lane);
      this.#enqueue(key, lane);
    }
  }

  /** Reports a running item finished (whatever its outcome): its lane may run its next item. */
  done(item: T): void {
    const key = this.#running.get(item);
    if (key === undefined) return;
    this.#running.delete(item);
    const lane = this.#lanes.get(key);
    if (lane === undefined) return;
    lane.busy = false;
    if (lane.items.length > 0) this.#enqueue(key, lane);
    else this.#lanes.delete(key);
  }

  /**
   * Removes the waiting items `predicate` selects (running ones are not touched) and returns them
   * in push order per lane. Used to drop the messages of revoked partitions.
   */
  remove(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const [key, lane] of this.#lanes) {
      if (lane.items.length === 0) continue;
      const kept: T[] = [];
      for (const item of lane.items.drain()) {
        if (predicate(item)) removed.push(item);
        else kept.push(item);
      }
      for (const item of kept) lane.items.push(item);
      if (kept.length === 0) this.#unparkLane(key, lane);
      if (kept.length === 0 && !lane.busy) this.#lanes.delete(key);
    }
    this.#waiting -= removed.length;
    return removed;
  }

  /** Removes and returns every waiting item. */
  clear(): T[] {
    return this.remove(() => true);
  }

  #unparkLane(key: string, lane: Lane<T>): void {
    if (!lane.parked) return;
    lane.parked = false;
    this.#parked.delete(key);
  }

  #enqueue(key: string, lane: Lane<T>): void {
    if (lane.busy || lane.queued || lane.parked) return;
    lane.queued = true;
    this.#ready.push(key);
  }
}
