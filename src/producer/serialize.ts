import { InvalidArgumentError, SerializationError, type AIOKafkaError } from '../core/errors';
import { noop } from '../core/noop';
import { describe } from '../core/validation';
import type { Serializer, Wire } from '../core/serde';

type Part = 'key' | 'value';

/** A message being serialized asynchronously, or queued behind one. */
interface Queued<T> {
  readonly owner: T;
  /** Given up on ({@link Serialization.abandon}, {@link Serialization.drop}): whatever its serializers return is dropped. */
  abandoned: boolean;
  /** Lets the messages queued behind it go on without waiting for its serializers. */
  release: () => void;
}

/**
 * The producer's key and value serializers, run so that call order stays send order: a message
 * whose serializers answer synchronously goes out at once, unless an earlier message is still
 * being serialized asynchronously, in which case it goes out after that one. `T`: what the
 * caller knows a message by ({@link Serialization.abandon} hands it back).
 */
export class Serialization<K, V, T> {
  readonly #key: Serializer<K> | undefined;
  readonly #value: Serializer<V> | undefined;
  /** Settles once every message queued so far was handed on (or abandoned); never rejects. */
  #tail: Promise<void> = Promise.resolve();
  /** Messages being serialized asynchronously or queued behind one, in call order, by owner. */
  readonly #queued = new Map<T, Queued<T>>();

  constructor(key: Serializer<K> | undefined, value: Serializer<V> | undefined) {
    this.#key = checkSerializer('keySerializer', key);
    this.#value = checkSerializer('valueSerializer', value);
  }

  /** Whether there is nothing to run: keys and values go to librdkafka as they are. */
  get none(): boolean {
    return this.#key === undefined && this.#value === undefined;
  }

  /** Messages being serialized asynchronously (or queued behind one), not yet handed on. */
  get active(): number {
    return this.#queued.size;
  }

  /**
   * Gives up on every message still being serialized or queued behind one: returns their owners,
   * in call order, for the caller to settle. Their `dispatch` and `fail` are never called: what
   * their serializers return later is dropped, and a serializer that never settles holds nothing
   * (no message run after this waits behind it).
   */
  abandon(): T[] {
    const owners: T[] = [];
    for (const entry of this.#queued.values()) {
      entry.abandoned = true;
      entry.release();
      owners.push(entry.owner);
    }
    this.#queued.clear();
    this.#tail = Promise.resolve();
    return owners;
  }

  /**
   * Gives up on one message (its `signal` aborted) if it is being serialized or queued behind
   * one: its `dispatch` and `fail` are never called, it no longer counts as {@link active}, and
   * the messages behind it no longer wait for its serializers (one that never settles holds
   * nothing). Returns whether it was there.
   */
  drop(owner: T): boolean {
    const entry = this.#queued.get(owner);
    if (entry === undefined) return false;
    entry.abandoned = true;
    entry.release();
    this.#queued.delete(owner);
    return true;
  }

  /**
   * Serializes `value` and (when `hasKey`) `key` for `topic`, then calls `dispatch` with the
   * bytes: now (`inline`, and what it returns is returned) when every serializer answered
   * synchronously and nothing is queued, otherwise in call order once the serializers settled.
   * A synchronous failure is returned (nothing is called); an asynchronous one goes to `fail`.
   * `dispatch` and `fail` must not throw. `owner`: the message, as {@link abandon} returns it.
   */
  run(
    topic: string,
    value: V,
    key: K | undefined,
    hasKey: boolean,
    owner: T,
    dispatch: (value: Wire, key: Wire | undefined, inline: boolean) => AIOKafkaError | undefined,
    fail: (err: SerializationError) => void,
  ): AIOKafkaError | undefined {
    let wireValue: Wire | Promise<Wire> = null;
    let wireKey: Wire | Promise<Wire> | undefined;
    try {
      wireValue = apply(this.#value, value, topic, 'value');
      wireKey = hasKey ? apply(this.#key, key as K, topic, 'key') : undefined;
    } catch (err) {
      // The key serializer threw after the value's returned a Promise: that one is never awaited.
      if (isThenable(wireValue)) wireValue.catch(noop);
      return err as SerializationError;
    }
    if (this.#queued.size === 0 && !isThenable(wireValue) && !isThenable(wireKey)) return dispatch(wireValue, wireKey, true);
    let release!: () => void;
    const released = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
    const entry: Queued<T> = { owner, abandoned: false, release };
    this.#queued.set(owner, entry);
    const own = Promise.all([settled(wireValue, topic, 'value'), settled(wireKey, topic, 'key')]);
    // A failure is kept as the outcome; one that comes after a release is dropped, never unhandled.
    const outcome: Promise<{ wire?: [Wire, Wire | undefined]; failure?: SerializationError }> = own.then(
      (wire) => ({ wire }),
      (err: unknown) => ({ failure: err as SerializationError }),
    );
    const previous = this.#tail;
    this.#tail = (async () => {
      const result = await Promise.race([outcome, released]);
      await previous;
      if (entry.abandoned || result === undefined) return;
      const { wire, failure } = result;
      this.#queued.delete(owner);
      if (failure !== undefined) fail(failure);
      else dispatch(wire![0], wire![1], false);
    })();
    return undefined;
  }
}

function checkSerializer<T>(name: string, serializer: Serializer<T> | undefined): Serializer<T> | undefined {
  if (serializer !== undefined && typeof serializer !== 'function') {
    throw new InvalidArgumentError(`option ${name} must be a function, got ${describe(serializer)}`);
  }
  return serializer;
}

function apply<T>(serializer: Serializer<T> | undefined, input: T, topic: string, part: Part): Wire | Promise<Wire> {
  if (serializer === undefined) return input as unknown as Wire;
  try {
    return serializer(input, topic);
  } catch (err) {
    throw serializationError(err, topic, part);
  }
}

async function settled(wire: Wire | Promise<Wire> | undefined, topic: string, part: Part): Promise<Wire> {
  try {
    return (await wire) as Wire;
  } catch (err) {
    throw serializationError(err, topic, part);
  }
}

function serializationError(cause: unknown, topic: string, part: Part): SerializationError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SerializationError(`${part} serializer failed for topic "${topic}": ${reason}; message not sent`, { topic, part, cause });
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
