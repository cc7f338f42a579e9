/**
 * The deliveries handed to librdkafka and not yet settled, by the numeric id that travels with
 * each message as its opaque. An entry is taken out before it is settled, so a late or repeated
 * report finds nothing, and `takeAll()` lets close() reject whatever is left.
 */
export class PendingRegistry<E> {
  readonly #entries = new Map<number, E>();
  #nextId = 1;

  /** How many deliveries are pending. */
  get size(): number {
    return this.#entries.size;
  }

  /** Registers `entry` and returns its id (ids only grow). */
  add(entry: E): number {
    const id = this.#nextId++;
    this.#entries.set(id, entry);
    return id;
  }

  /** Removes and returns the entry for `id`; undefined if it was already taken or never existed. */
  take(id: number): E | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#entries.delete(id);
    return entry;
  }

  /** The id the next `add()` will return: every id below it has been handed out. */
  get nextId(): number {
    return this.#nextId;
  }

  /** Whether an entry with an id below `limit` is pending. */
  hasBelow(limit: number): boolean {
    // A Map iterates in insertion order, which is id order here: the first entry is the oldest.
    for (const id of this.#entries.keys()) return id < limit;
    return false;
  }

  /** Removes and returns the entries whose id is below `limit`, oldest first, with their ids. */
  takeBelow(limit: number): Array<[number, E]> {
    const taken: Array<[number, E]> = [];
    // A Map iterates in insertion order, which is id order here.
    for (const [id, entry] of this.#entries) {
      if (id >= limit) break;
      this.#entries.delete(id);
      taken.push([id, entry]);
    }
    return taken;
  }

  /** Removes and returns every entry, oldest first. */
  takeAll(): E[] {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    return entries;
  }
}
