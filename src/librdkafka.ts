/*
 * What the public API says of librdkafka itself, above the native seam: the version the binding
 * was built with, and the way past the typed configurations' list of property names. index.ts
 * takes these from here, never from src/native/ (which it may read for types only).
 */
import { librdkafkaVersion as bindingLibrdkafkaVersion } from './native/loader';

export { unlistedConfig } from './native/config';

/**
 * The librdkafka version the native binding was built with, e.g. `2.12.0`.
 *
 * @example
 * ```ts
 * console.log(`librdkafka ${librdkafkaVersion()}`);
 * ```
 */
export function librdkafkaVersion(): string {
  return bindingLibrdkafkaVersion();
}
