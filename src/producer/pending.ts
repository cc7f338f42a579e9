/** Slots of a fresh registry (a power of two); it grows by doubling and shrinks back once empty. */
const INITIAL_CAPACITY = 1024;

/**
 * The deliveries handed to librdkafka and not yet settled, by the numeric id that travels with
 * each message as its opaque. An entry is taken out before it is settled, so a late or repeated
 * report finds nothing, and `takeAll()` lets close() reject whatever is left.
 *
 * Ids are handed out in increasing order and most reports come back in roughly that order, so
 * the entries live in a ring of slots indexed by id: adding and taking cost an array store, with
 * no hashing and no allocation per entry (a Map costs both). The ring spans the ids from the
 * oldest pending one to the newest; when one entry stays pending while many newer ones come and
 * go (a partition whose broker is down), the ring would grow with the span rather than with the
 * number pending, so entries much older than the rest move to a Map on the side instead.
 */
export class PendingRegistry<E> {
  #slots: Array<E | undefined> = new Array<E | undefined>(INITIAL_CAPACITY);
  #mask = INITIAL_CAPACITY - 1;
  /** Every id below this one has been taken, or moved to #stragglers. */
  #base = 1;
  #nextId = 1;
  /** Entries in the ring. */
  #inRing = 0;
  /** Entries older than #base still pending, in id order (moved out in increasing id order). */
  #stragglers: Map<number, E> | undefined;

  /** How many deliveries are pending. */
  get size(): number {
    return this.#inRing + (this.#stragglers?.size ?? 0);
  }

  /** Registers `entry` and returns its id (ids only grow). */
  add(entry: E): number {
    const id = this.#nextId;
    if (id - this.#base > this.#mask) this.#makeRoom();
    this.#slots[id & this.#mask] = entry;
    this.#nextId = id + 1;
    this.#inRing++;
    return id;
  }

  /** Removes and returns the entry for `id`; undefined if it was already taken or never existed. */
  take(id: number): E | undefined {
    if (id >= this.#base && id < this.#nextId) {
      const entry = this.#takeSlot(id);
      if (entry !== undefined && id === this.#base) this.#advance();
      return entry;
    }
    const stragglers = this.#stragglers;
    if (stragglers === undefined) return undefined;
    const entry = stragglers.get(id);
    if (entry !== undefined) stragglers.delete(id);
    return entry;
  }

  /** @internal The ring's size in slots (tests check that it follows what is pending). */
  get slotCount(): number {
    return this.#mask + 1;
  }

  /** The id the next `add()` will return: every id below it has been handed out. */
  get nextId(): number {
    return this.#nextId;
  }

  /** Whether an entry with an id below `limit` is pending. */
  hasBelow(limit: number): boolean {
    // The side Map iterates in id order and holds only ids older than the ring's; the ring's
    // oldest pending id is #base (#advance keeps it on an occupied slot while the ring has any).
    if (this.#stragglers !== undefined) for (const id of this.#stragglers.keys()) return id < limit;
    return this.#inRing > 0 && this.#base < limit;
  }

  /** Removes and returns the entries whose id is below `limit`, oldest first, with their ids. */
  takeBelow(limit: number): Array<[number, E]> {
    const taken: Array<[number, E]> = [];
    if (this.#stragglers !== undefined) {
      // A Map iterates in insertion order, which is id order here.
      for (const [id, entry] of this.#stragglers) {
        if (id >= limit) break;
        this.#stragglers.delete(id);
        taken.push([id, entry]);
      }
    }
    const end = Math.min(limit, this.#nextId);
    for (let id = this.#base; id < end; id++) {
      const entry = this.#takeSlot(id);
      if (entry !== undefined) taken.push([id, entry]);
    }
    if (end > this.#base) {
      this.#base = end;
      this.#advance();
    }
    return taken;
  }

  /** Removes and returns every entry, oldest first. */
  takeAll(): E[] {
    return this.takeBelow(this.#nextId).map(([, entry]) => entry);
  }

  /** Empties the slot of `id`, which must lie in the ring's span, and returns what it held. */
  #takeSlot(id: number): E | undefined {
    const slot = id & this.#mask;
    const entry = this.#slots[slot];
    if (entry === undefined) return undefined;
    this.#slots[slot] = undefined;
    this.#inRing--;
    return entry;
  }

  /** Moves #base past the ids already taken; an empty ring that grew goes back to its first size. */
  #advance(): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let base = this.#base;
    const next = this.#nextId;
    while (base < next && slots[base & mask] === undefined) base++;
    this.#base = base;
    if (base === next && mask >= INITIAL_CAPACITY) {
      this.#slots = new Array<E | undefined>(INITIAL_CAPACITY);
      this.#mask = INITIAL_CAPACITY - 1;
    }
  }

  /**
   * The ring is full: the span from #base to the next id fills every slot. When at least a
   * quarter of the slots hold entries the ring doubles; otherwise the oldest entries move to the
   * side Map until the ring is half empty, so its size follows what is pending, not the span.
   */
  #makeRoom(): void {
    const capacity = this.#mask + 1;
    if (this.#inRing * 4 >= capacity) {
      const slots = new Array<E | undefined>(capacity * 2);
      const mask = capacity * 2 - 1;
      for (let id = this.#base; id < this.#nextId; id++) slots[id & mask] = this.#slots[id & this.#mask];
      this.#slots = slots;
      this.#mask = mask;
      return;
    }
    const keepFrom = this.#nextId - (capacity >> 1);
    this.#stragglers ??= new Map();
    for (let id = this.#base; id < keepFrom; id++) {
      const entry = this.#takeSlot(id);
      if (entry !== undefined) this.#stragglers.set(id, entry);
    }
    this.#base = keepFrom;
    this.#advance();
  }
}
