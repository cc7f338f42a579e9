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

  /** Removes and returns every entry, oldest first. */
  takeAll(): E[] {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    return entries;
  }
}
