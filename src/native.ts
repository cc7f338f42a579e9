/*
 * The small part of node-rdkafka this package calls, and nothing more: the seam where unit tests
 * put a fake. node-rdkafka is loaded lazily so that importing the types costs nothing.
 */

/** A librdkafka configuration: property names as librdkafka spells them. */
export type LibrdkafkaConfig = Record<string, string | number | boolean | Function | undefined>;

/** One header as node-rdkafka takes it: an object with a single property. */
export type NativeHeader = Record<string, Buffer | string>;

/** A delivery report as node-rdkafka emits it (`dr_cb: true`, no `dr_msg_cb`). */
export interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | null;
  opaque?: unknown;
  timestamp?: number;
  size: number;
}

/** A client event as node-rdkafka emits it for `event.log`. */
export interface NativeLogEvent {
  severity: number;
  fac: string;
  message: string;
}

/** The producer methods and events we use, with node-rdkafka's own signatures. */
export interface NativeProducer {
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null) => void): unknown;
  /** Throws a `LibrdKafkaError` (numeric `code`) when librdkafka refuses the message. */
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | string | null | undefined,
    timestamp: number | null | undefined,
    opaque: number,
    headers: NativeHeader[] | undefined,
  ): unknown;
  /** Serves librdkafka's queued callbacks (delivery reports, errors, stats, logs). */
  poll(): unknown;
  disconnect(timeoutMs: number, cb: (err?: Error | null) => void): unknown;
  on(event: 'delivery-report', listener: (err: Error | null, report: NativeDeliveryReport) => void): unknown;
  on(event: 'event.error', listener: (err: Error) => void): unknown;
  on(event: 'event.stats', listener: (stats: { message: string }) => void): unknown;
  on(event: 'event.log', listener: (log: NativeLogEvent) => void): unknown;
}

/** Builds the native producer from a full librdkafka configuration. */
export type NativeProducerFactory = (config: LibrdkafkaConfig) => NativeProducer;

interface NodeRdkafkaModule {
  Producer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => NativeProducer;
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}

let loaded: NodeRdkafkaModule | undefined;

/** node-rdkafka itself, loaded on first use. */
export function nodeRdkafka(): NodeRdkafkaModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('node-rdkafka') as NodeRdkafkaModule;
  return loaded;
}

/**
 * librdkafka's topic-level properties (CONFIGURATION.md, "Topic configuration properties").
 * node-rdkafka always installs its second constructor argument as librdkafka's
 * `default_topic_conf`, which replaces any topic-level property set in the global config: given
 * there, `acks`, `message.timeout.ms`, `partitioner` or `auto.offset.reset` would be silently
 * ignored. So they are moved to the topic config.
 */
const TOPIC_PROPERTIES: ReadonlySet<string> = new Set([
  'request.required.acks',
  'acks',
  'request.timeout.ms',
  'message.timeout.ms',
  'delivery.timeout.ms',
  'queuing.strategy',
  'produce.offset.report',
  'partitioner',
  'partitioner_cb',
  'msg_order_cmp',
  'compression.codec',
  'compression.type',
  'compression.level',
  'auto.commit.enable',
  'enable.auto.commit',
  'auto.commit.interval.ms',
  'auto.offset.reset',
  'offset.store.path',
  'offset.store.sync.interval.ms',
  'offset.store.method',
  'consume.callback.max.messages',
]);

/**
 * Properties librdkafka defines at both levels: the high-level consumer reads the global ones
 * (`enable.auto.commit`, `auto.commit.interval.ms`, `offset.store.method`), the producer the
 * topic-level compression. They go to both configs.
 */
const BOTH_LEVELS: ReadonlySet<string> = new Set([
  'enable.auto.commit',
  'auto.commit.interval.ms',
  'offset.store.method',
  'compression.codec',
  'compression.type',
]);

/** Splits one flat librdkafka configuration into node-rdkafka's two constructor arguments: `[global, topic]`. */
export function splitConfig(config: LibrdkafkaConfig): [LibrdkafkaConfig, LibrdkafkaConfig] {
  const global: LibrdkafkaConfig = {};
  const topic: LibrdkafkaConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (TOPIC_PROPERTIES.has(key)) topic[key] = value;
    if (!TOPIC_PROPERTIES.has(key) || BOTH_LEVELS.has(key)) global[key] = value;
  }
  return [global, topic];
}

/** The default factory: node-rdkafka's `Producer`, with topic-level properties where they count. */
export const createNativeProducer: NativeProducerFactory = (config) => {
  const [global, topic] = splitConfig(config);
  return new (nodeRdkafka().Producer)(global, topic);
};

/** librdkafka's error code table: name → number. */
export function librdkafkaErrorCodes(): Record<string, number> {
  return nodeRdkafka().CODES.ERRORS;
}

/** librdkafka's text for an error code (`rd_kafka_err2str`), or undefined if unavailable. */
export function librdkafkaErrorText(code: number): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = require('node-rdkafka/librdkafka') as { err2str?: (code: number) => string };
  return typeof binding.err2str === 'function' ? binding.err2str(code) : undefined;
}

/** The librdkafka version node-rdkafka was built with, e.g. `2.12.0`. */
export function librdkafkaVersion(): string {
  return nodeRdkafka().librdkafkaVersion;
}
