/*
 * node-rdkafka itself, loaded on first use so that importing this package's types (or its
 * testing entry) costs nothing. Every other file reaches node-rdkafka through src/native/.
 */
import type { LibrdkafkaConfig } from './config';

/** The parts of node-rdkafka's module object this package uses. */
export interface NodeRdkafkaModule {
  Producer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => unknown;
  KafkaConsumer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => unknown;
  AdminClient: { create(config: LibrdkafkaConfig): unknown };
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}

let loaded: NodeRdkafkaModule | undefined;
/** node-rdkafka's native binding, for librdkafka's error texts. */
let binding: { err2str?: (code: number) => string } | undefined;

/** node-rdkafka, loaded on first use. */
export function nodeRdkafka(): NodeRdkafkaModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('node-rdkafka') as NodeRdkafkaModule;
  return loaded;
}

/** librdkafka's error code table: name → number. */
export function librdkafkaErrorCodes(): Record<string, number> {
  return nodeRdkafka().CODES.ERRORS;
}

/** librdkafka's text for an error code (`rd_kafka_err2str`), or undefined if unavailable. */
export function librdkafkaErrorText(code: number): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  binding ??= require('node-rdkafka/librdkafka') as { err2str?: (code: number) => string };
  return typeof binding.err2str === 'function' ? binding.err2str(code) : undefined;
}

/** The librdkafka version node-rdkafka was built with, e.g. `2.12.0`. */
export function librdkafkaVersion(): string {
  return nodeRdkafka().librdkafkaVersion;
}
