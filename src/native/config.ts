/*
 * The librdkafka configuration as the clients take it, and how it is handed to node-rdkafka.
 */
import { InvalidArgumentError } from '../core/errors';
import { describe, showValue, typeOfValue } from '../core/validation';
import type {
  LibrdkafkaConsumerGlobalConfig,
  LibrdkafkaConsumerTopicConfig,
  LibrdkafkaGlobalConfig,
  LibrdkafkaProducerGlobalConfig,
  LibrdkafkaProducerTopicConfig,
} from './librdkafka-config';
import { BOTH_LEVELS, TOPIC_PROPERTIES } from './property-index';

/**
 * A librdkafka configuration in its flat run-time form: any property name, as librdkafka spells
 * it. What the clients pass around inside; callers write a {@link ProducerConfig},
 * {@link ConsumerConfig} or {@link AdminConfig}, which list the properties.
 */
export type LibrdkafkaConfig = Record<string, string | number | boolean | Function | undefined>;

/** A value librdkafka can take for a property that no type lists: it parses strings itself. */
export type UnlistedConfigValue = string | number | boolean;

/** What both bindings read from the configuration themselves, beside librdkafka's properties. */
interface BindingProperties {
  /**
   * `false` turns off the binding's client events (errors, statistics, logs): the producer
   * refuses it, since fatal errors would go unseen.
   * @default true
   */
  event_cb?: boolean;
}

/**
 * The properties of `T`, each with its type and JSDoc, as one object type: unlike an interface,
 * it is assignable to {@link LibrdkafkaConfig} (an object type has an implicit index signature).
 */
type Flat<T> = { [K in keyof T]: T[K] };

/** The type `T` gives property `K`, never when it has none. */
type PropertyOf<T, K> = K extends keyof T ? Exclude<T[K], undefined> : never;

/**
 * A client's global properties `G` and topic-level ones `T` as one object type: a property of
 * both levels takes what either takes, as node-rdkafka's and CKJS's own global interfaces do.
 */
type Levels<G, T> = { [K in keyof (G & T)]: PropertyOf<G, K> | PropertyOf<T, K> };

/*
 * The types below are librdkafka's own (librdkafka-config.ts, generated from rdkafka_conf.c by
 * scripts/gen-librdkafka-properties.js, with its descriptions, ranges and defaults as JSDoc), so
 * the published declarations need neither binding's. They are the union of the librdkafka
 * versions the two bindings bundle (node-rdkafka's 2.12, CKJS's 2.15): what only one takes
 * compiles, and its JSDoc says which (the other refuses it when the client is created). A number may be written as a numeric
 * string (`'5'`) and a boolean as `'true'`/`'false'`: both bindings hand librdkafka every value
 * as a string. A property of both levels takes what either level takes, so that the bindings'
 * own global interfaces fit: splitConfig() hands it to both, and a value one level refuses
 * (`compression.codec: 'inherit'` globally, `offset.store.method: 'none'` at the topic level)
 * is refused when the client is created.
 */

/**
 * The configuration of {@link AIOProducer.connect}: librdkafka's global and topic-level producer
 * properties, checked and completed by the compiler: a misspelt name (`'bootstrap.server'`) or
 * a value no bundled librdkafka takes (`acks: 'everyone'`) does not compile. node-rdkafka's (and
 * CKJS's) own `ProducerGlobalConfig & ProducerTopicConfig` is accepted as it is.
 *
 * A property these types do not list (a librdkafka newer than the bindings', a plugin's, `test.mock.*`) goes
 * through {@link unlistedConfig}, spread into the object: the listed keys beside it are still
 * checked. librdkafka checks every name and value again when the client is created, and a
 * refusal is an `InvalidArgumentError` naming the property.
 *
 * `dr_cb` and `dr_msg_cb` are not listed: the producer owns delivery reports.
 *
 * @example
 * ```ts
 * const config: ProducerConfig = {
 *   'bootstrap.servers': 'localhost:9092',
 *   'linger.ms': 5,
 *   'compression.type': 'lz4',
 *   ...unlistedConfig({ 'some.new.property': 'value' }),
 * };
 * ```
 */
export type ProducerConfig = Flat<Levels<LibrdkafkaProducerGlobalConfig, LibrdkafkaProducerTopicConfig> & BindingProperties>;

/**
 * The configuration of {@link AIOConsumer.connect}: librdkafka's global and topic-level consumer
 * properties, checked like {@link ProducerConfig}; node-rdkafka's
 * `ConsumerGlobalConfig & ConsumerTopicConfig` (or its global interface alone) is accepted once
 * its type has `group.id` (which it leaves optional): `ConsumerGlobalConfig & { 'group.id':
 * string }`. `group.id` is required (the consumer consumes as a group member); `rebalance_cb` and `offset_commit_cb` are not listed: the
 * consumer owns rebalances and commits (and `consume_cb` takes no JavaScript function).
 */
export type ConsumerConfig = Flat<Levels<LibrdkafkaConsumerGlobalConfig, LibrdkafkaConsumerTopicConfig> & BindingProperties & { 'group.id': string }>;

/**
 * The configuration of {@link AIOAdmin.connect}: librdkafka's global properties, checked like
 * {@link ProducerConfig}; node-rdkafka's `GlobalConfig` is accepted as it is.
 */
export type AdminConfig = Flat<LibrdkafkaGlobalConfig & BindingProperties>;

/** A property name that one of the client configurations lists. */
type ListedName = keyof ProducerConfig | keyof ConsumerConfig | keyof AdminConfig;

/**
 * librdkafka properties that the typed configurations do not list, spread into one: the explicit
 * way past the compiler's check of property names, which stays on for the keys written beside
 * it. A name the types do list is refused here (write it directly, where its value is checked).
 * librdkafka still checks every name and value when the client is created.
 *
 * @returns a copy of `properties`, to spread into a {@link ProducerConfig}, {@link ConsumerConfig}
 *   or {@link AdminConfig}.
 * @throws {InvalidArgumentError} when `properties` is not an object of strings, numbers and
 *   booleans.
 * @example
 * ```ts
 * await using producer = await AIOProducer.connect({
 *   'bootstrap.servers': 'localhost:9092',
 *   ...unlistedConfig({ 'test.mock.num.brokers': 3 }),
 * });
 * ```
 */
export function unlistedConfig<T extends Record<string, UnlistedConfigValue>>(
  properties: T & { [K in keyof T & ListedName]: never },
): Record<string, UnlistedConfigValue> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw new InvalidArgumentError(`unlistedConfig() takes an object of librdkafka properties, got ${typeOfValue(properties)}`);
  }
  const copy: Record<string, UnlistedConfigValue> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidArgumentError(`unlisted config "${name}" must be a string, a number or a boolean, got ${typeOfValue(value)}`);
    }
    copy[name] = value;
  }
  return copy;
}

/*
 * Topic-level properties go to node-rdkafka's topic config: node-rdkafka always installs its second
 * constructor argument as librdkafka's `default_topic_conf`, which replaces any topic-level
 * property set in the global config (`acks`, `message.timeout.ms`, `partitioner` or
 * `auto.offset.reset` given there would be silently ignored). Those librdkafka defines at both
 * levels go to both (the consumer reads the global `enable.auto.commit`, the producer the
 * topic-level compression). Both lists come from librdkafka's own table (property-index.ts).
 */

/** Checks that a client's configuration is a plain object of librdkafka properties. */
export function checkConfig(config: unknown): asserts config is LibrdkafkaConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError(`config must be an object of librdkafka properties, got ${describe(config)}`);
  }
}

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
  const got = servers === undefined ? 'it is not set (undefined: an unset environment variable?)' : `got ${showValue(servers)}`;
  throw new InvalidArgumentError(`config "bootstrap.servers" must list the brokers as "host:port,host:port": ${got}`);
}

/** The broker list of a configuration (`bootstrap.servers` or its alias), '' when there is none. */
export function bootstrapOf(config: LibrdkafkaConfig): string {
  const servers = config['bootstrap.servers'] ?? config['metadata.broker.list'];
  return typeof servers === 'string' ? servers : '';
}
