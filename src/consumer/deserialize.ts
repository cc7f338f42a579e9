import { InvalidArgumentError, SerializationError } from '../core/errors';
import type { Deserializer, DeserializerOptions } from '../core/serde';
import { describe } from '../core/validation';
import type { ConsumerMessage } from './consumer-message';

/**
 * Turns a message as received (key and value bytes) into the one handlers see. Rejects with a
 * {@link SerializationError} naming the part that failed; never changes `raw`.
 */
export type MessageDecoder = (raw: ConsumerMessage) => Promise<ConsumerMessage<unknown, unknown>>;

/** Checks the deserializer options; returns the decoder, or undefined when there is nothing to decode. */
export function decoderOf(options: DeserializerOptions<unknown, unknown>): MessageDecoder | undefined {
  const { keyDeserializer, valueDeserializer } = options;
  for (const [name, fn] of [
    ['keyDeserializer', keyDeserializer],
    ['valueDeserializer', valueDeserializer],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new InvalidArgumentError(`option ${name} must be a function (data: Buffer | null, topic) => T, got ${describe(fn)}`);
    }
  }
  if (keyDeserializer === undefined && valueDeserializer === undefined) return undefined;
  return async (raw) => {
    const key = keyDeserializer === undefined ? raw.key : await decode(keyDeserializer, raw, 'key');
    const value = valueDeserializer === undefined ? raw.value : await decode(valueDeserializer, raw, 'value');
    return { ...raw, key, value };
  };
}

async function decode(deserializer: Deserializer<unknown>, raw: ConsumerMessage, part: 'key' | 'value'): Promise<unknown> {
  try {
    return await deserializer(raw[part], raw.topic);
  } catch (cause) {
    throw new SerializationError(
      `${part}Deserializer failed on topic "${raw.topic}" partition ${raw.partition} offset ${raw.offset}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { topic: raw.topic, part, cause },
    );
  }
}
