/*
 * Serializers and deserializers: the one definition of their shape, and the built-in ones.
 * The producer turns keys and values into bytes with a Serializer; the consumer turns bytes back
 * with a Deserializer. Either may be synchronous or return a Promise.
 */

/** What librdkafka can carry as a key or a value. */
export type Wire = Buffer | string | null;

/** Turns a key or value of type `T` into bytes for `topic`. May return a Promise. */
export type Serializer<T> = (value: T, topic: string) => Wire | Promise<Wire>;

/**
 * Turns the bytes of a consumed key or value back into `T`. `data` is null for a null key or a
 * tombstone value. May return a Promise.
 */
export type Deserializer<T> = (data: Buffer | null, topic: string) => T | Promise<T>;

/** Key and value serializers of a producer. */
export interface SerializerOptions<K, V> {
  /** Serializer of keys. @default keys are passed as they are (Buffer, string or null) */
  keySerializer?: Serializer<K>;
  /** Serializer of values. @default values are passed as they are (Buffer, string or null) */
  valueSerializer?: Serializer<V>;
}

/** Key and value deserializers of a consumer. */
export interface DeserializerOptions<K, V> {
  /** Deserializer of keys. @default keys stay Buffers */
  keyDeserializer?: Deserializer<K>;
  /** Deserializer of values. @default values stay Buffers */
  valueDeserializer?: Deserializer<V>;
}

/**
 * The built-in serializers. `json` keeps `null` as null (a tombstone), `string` sends a string
 * as UTF-8.
 *
 * @example
 * ```ts
 * const producer = await AIOProducer.connect<string, { id: number }>(config, {
 *   keySerializer: serializers.string,
 *   valueSerializer: serializers.json,
 * });
 * await producer.produce('items', { id: 1 }, { key: 'item-1' });
 * ```
 */
export const serializers = {
  /** `JSON.stringify`, with `null` kept as a null value (a tombstone). */
  json: ((value: unknown) => (value === null ? null : JSON.stringify(value))) as Serializer<unknown>,
  /** A string as UTF-8; `null` stays null. */
  string: ((value: string | null) => value) as Serializer<string | null>,
} as const;

/** The built-in deserializers: the inverses of {@link serializers}. */
export const deserializers = {
  /** `JSON.parse` of the UTF-8 bytes; a null stays null. */
  json: ((data: Buffer | null) => (data === null ? null : JSON.parse(data.toString('utf8')))) as Deserializer<unknown>,
  /** The bytes as a UTF-8 string; a null stays null. */
  string: ((data: Buffer | null) => (data === null ? null : data.toString('utf8'))) as Deserializer<string | null>,
} as const;
