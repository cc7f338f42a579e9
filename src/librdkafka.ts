/*
 * What the public API says of librdkafka itself, above the native seam: the version a binding
 * runs on, and the way past the typed configurations' list of property names. index.ts takes
 * these from here, never from src/native/ (which it may read for types only).
 */
import { librdkafkaVersion as bindingLibrdkafkaVersion, type BindingOption } from './native/loader';

export { unlistedConfig } from './native/config';

/**
 * The librdkafka version a native binding runs on, e.g. `2.12.0` (node-rdkafka 3.6) or `2.15.1`
 * (@confluentinc/kafka-javascript 1.10). Loads the binding.
 *
 * @param binding which binding (as the clients' `binding` option). @default the clients' default
 *   (the `AIO_BINDING` environment variable, else node-rdkafka if it loads, else CKJS)
 * @throws {BindingUnavailableError} when the binding does not load.
 * @example
 * ```ts
 * console.log(`librdkafka ${librdkafkaVersion()}`);
 * ```
 */
export function librdkafkaVersion(binding?: BindingOption): string {
  return bindingLibrdkafkaVersion(binding);
}
