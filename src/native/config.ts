/*
 * The librdkafka configuration as the clients take it, and how it is handed to node-rdkafka.
 */

import { InvalidArgumentError } from '../core/errors';

/** A librdkafka configuration: property names as librdkafka spells them. */
export type LibrdkafkaConfig = Record<string, string | number | boolean | Function | undefined>;

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

/**
 * Refuses, before any connection attempt, a configuration that names no broker: without one
 * librdkafka would wait out the whole connect timeout and then say nothing of the cause.
 * `metadata.broker.list` (librdkafka's alias) and `test.mock.num.brokers` count as well.
 */
export function checkBootstrap(config: LibrdkafkaConfig): void {
  if (config['test.mock.num.brokers'] !== undefined || bootstrapOf(config).trim() !== '') return;
  const servers = config['bootstrap.servers'] ?? config['metadata.broker.list'];
  const got = servers === undefined ? 'it is not set (undefined: an unset environment variable?)' : `got ${JSON.stringify(servers)}`;
  throw new InvalidArgumentError(`config "bootstrap.servers" must list the brokers as "host:port,host:port": ${got}`);
}

/** The broker list of a configuration (`bootstrap.servers` or its alias), '' when there is none. */
export function bootstrapOf(config: LibrdkafkaConfig): string {
  const servers = config['bootstrap.servers'] ?? config['metadata.broker.list'];
  return typeof servers === 'string' ? servers : '';
}
