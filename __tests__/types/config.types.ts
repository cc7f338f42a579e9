/*
 * Compiled, never run, by __tests__/types/config-types.test.ts (and by `tsc -p tsconfig.json`):
 * what the typed configurations accept and refuse. Every `@ts-expect-error` must meet an error,
 * and the test checks that it is the one named on its line.
 */
import type { ConsumerGlobalConfig, ConsumerTopicConfig, GlobalConfig, ProducerGlobalConfig, ProducerTopicConfig } from 'node-rdkafka';
import { AIOAdmin, AIOConsumer, AIOProducer, unlistedConfig, type AdminConfig, type ConsumerConfig, type ProducerConfig } from '../../src';

declare const brokers: string;
declare const fromEnvironment: Record<string, string>;

export async function producerConfigs(): Promise<void> {
  // A literal with librdkafka's names and values, some written as librdkafka parses strings.
  await AIOProducer.connect({ 'bootstrap.servers': brokers, acks: 'all', 'linger.ms': 5, 'compression.type': 'lz4' });
  await AIOProducer.connect({ 'bootstrap.servers': brokers, acks: -1, 'linger.ms': '5', 'enable.idempotence': 'true' });

  // @ts-expect-error TS2353 a misspelt property name
  await AIOProducer.connect({ 'bootstrap.server': brokers });
  // @ts-expect-error TS2322 a value librdkafka refuses
  await AIOProducer.connect({ 'bootstrap.servers': brokers, acks: 'everyone' });
  // @ts-expect-error TS2322 not a number
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'linger.ms': 'soon' });
  // @ts-expect-error TS2322 not one of librdkafka's codecs
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'compression.type': 'brotli' });
  // @ts-expect-error TS2353 a consumer property, not a producer one
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g' });
  // @ts-expect-error TS2353 owned by the producer: delivery reports settle the promises
  await AIOProducer.connect({ 'bootstrap.servers': brokers, dr_msg_cb: true });

  // acks as librdkafka takes it: -1 to 1000 or 'all', as a number or a string.
  await AIOProducer.connect({ 'bootstrap.servers': brokers, acks: 0, 'request.required.acks': '-1' });
  await AIOProducer.connect({ 'bootstrap.servers': brokers, acks: '1', 'enable.idempotence': false });
  // @ts-expect-error TS2322 not a boolean
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'enable.idempotence': 'yes' });
  // A property of both levels takes what either takes ('inherit' is the topic level's; librdkafka
  // refuses it globally when the client is created), so that the bindings' own types fit.
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'compression.codec': 'inherit' });
  // Enumerations in upper case too: librdkafka ignores the case of their values.
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'security.protocol': 'SASL_SSL', 'compression.type': 'LZ4' });
  // @ts-expect-error TS2820 mixed case is not typed (librdkafka would take it): did you mean 'SASL_SSL'?
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'security.protocol': 'Sasl_Ssl' });
  // @ts-expect-error TS2353 a callback librdkafka takes only from C (no binding takes a function for it)
  await AIOProducer.connect({ 'bootstrap.servers': brokers, error_cb: () => {} });
  // @ts-expect-error TS2353 a hidden property (librdkafka's test mocks): through unlistedConfig()
  await AIOProducer.connect({ 'bootstrap.servers': brokers, 'test.mock.num.brokers': 3 });
  // The one callback a binding takes beside those the clients own (CKJS's OAUTHBEARER refresh).
  await AIOProducer.connect({
    'bootstrap.servers': brokers,
    'security.protocol': 'sasl_ssl',
    'sasl.mechanisms': 'OAUTHBEARER',
    oauthbearer_token_refresh_cb: async (config: string) => ({ tokenValue: config, lifetime: Date.now() + 60_000 }),
  });
  // @ts-expect-error TS2322 a callback, not a string
  await AIOProducer.connect({ 'bootstrap.servers': brokers, oauthbearer_token_refresh_cb: 'refresh' });

  // node-rdkafka's own typed interfaces.
  const native: ProducerGlobalConfig & ProducerTopicConfig = { 'bootstrap.servers': brokers, acks: 1, 'enable.idempotence': false };
  await AIOProducer.connect(native);

  // The escape hatch: unlisted names, spread; the keys beside it are still checked.
  await AIOProducer.connect({ 'bootstrap.servers': brokers, ...unlistedConfig({ 'test.mock.num.brokers': 3 }) });
  // @ts-expect-error TS2353 still checked beside the escape hatch
  await AIOProducer.connect({ 'bootstrap.server': brokers, ...unlistedConfig({ 'test.mock.num.brokers': 3 }) });
  // @ts-expect-error TS2322 a listed name is written directly, where its value is checked
  unlistedConfig({ acks: 'everyone' });

  // A configuration built at run time (from the environment, a file) is taken as it is:
  // librdkafka checks its names and values when the client is created.
  await AIOProducer.connect(fromEnvironment);

  const annotated: ProducerConfig = { 'bootstrap.servers': brokers, 'message.timeout.ms': 10_000 };
  await AIOProducer.connect(annotated);
}

export async function consumerConfigs(): Promise<void> {
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', 'auto.offset.reset': 'earliest' }, { topics: ['t'] });
  // @ts-expect-error TS2322 not one of librdkafka's reset policies
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', 'auto.offset.reset': 'oldest' }, { topics: ['t'] });
  // @ts-expect-error TS2353 a misspelt property name
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.idd': 'g' }, { topics: ['t'] });
  // @ts-expect-error TS2353 a producer property, not a consumer one
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', 'linger.ms': 5 }, { topics: ['t'] });
  // @ts-expect-error TS2353 owned by the consumer: it handles rebalances itself
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', rebalance_cb: true }, { topics: ['t'] });
  // @ts-expect-error TS2353 no binding takes a function for it
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', consume_cb: () => {} }, { topics: ['t'] });

  // group.id is required: the consumer consumes as a group member.
  // @ts-expect-error TS2345 no group.id
  await AIOConsumer.connect({ 'bootstrap.servers': brokers }, { topics: ['t'] });
  // @ts-expect-error TS2322 not a string
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 7 }, { topics: ['t'] });

  // node-rdkafka's own typed interfaces, once their type says group.id is there (they leave it optional).
  const native: ConsumerGlobalConfig & ConsumerTopicConfig & { 'group.id': string } = { 'bootstrap.servers': brokers, 'group.id': 'g' };
  await AIOConsumer.connect(native, { topics: ['t'] });
  // node-rdkafka's global interface alone, as this type's JSDoc has always shown it.
  const globalOnly: ConsumerGlobalConfig & { 'group.id': string } = { 'bootstrap.servers': brokers, 'group.id': 'g' };
  await AIOConsumer.connect(globalOnly, { topics: ['t'] });
  const optionalGroup: ConsumerGlobalConfig = { 'bootstrap.servers': brokers, 'group.id': 'g' };
  // @ts-expect-error TS2345 node-rdkafka's interface alone may lack group.id
  await AIOConsumer.connect(optionalGroup, { topics: ['t'] });

  // The escape hatch and a configuration built at run time, with the group written beside them.
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', ...unlistedConfig({ 'test.mock.num.brokers': 3 }) }, { topics: ['t'] });
  await AIOConsumer.connect({ ...fromEnvironment, 'group.id': 'g' }, { topics: ['t'] });
  // @ts-expect-error TS2345 a run-time configuration may lack group.id
  await AIOConsumer.connect(fromEnvironment, { topics: ['t'] });

  // What only CKJS's newer librdkafka (2.15) takes: the types are the union of both bindings'
  // librdkafka (node-rdkafka's 2.12 refuses these when the client is created).
  await AIOConsumer.connect(
    {
      'bootstrap.servers': brokers,
      'group.id': 'g',
      'max.poll.records': 100,
      'fetch.min.bytes': 0,
      'sasl.oauthbearer.metadata.authentication.type': 'aws_iam',
      'sasl.oauthbearer.sub.claim.name': 'sub',
    },
    { topics: ['t'], binding: '@confluentinc/kafka-javascript' },
  );
  // @ts-expect-error TS2322 no librdkafka version takes it
  await AIOConsumer.connect({ 'bootstrap.servers': brokers, 'group.id': 'g', 'sasl.oauthbearer.metadata.authentication.type': 'gcp' }, { topics: ['t'] });
  // @ts-expect-error TS2322 a listed name now, written directly
  unlistedConfig({ 'max.poll.records': 100 });

  const annotated: ConsumerConfig = { 'bootstrap.servers': brokers, 'group.id': 'g', 'isolation.level': 'read_committed' };
  await AIOConsumer.connect(annotated, { topics: ['t'] });
}

export async function adminConfigs(): Promise<void> {
  await AIOAdmin.connect({ 'bootstrap.servers': brokers, 'security.protocol': 'plaintext' });
  // @ts-expect-error TS2322 not one of librdkafka's protocols
  await AIOAdmin.connect({ 'bootstrap.servers': brokers, 'security.protocol': 'tls' });
  // @ts-expect-error TS2353 a producer property: the admin client takes global properties only
  await AIOAdmin.connect({ 'bootstrap.servers': brokers, acks: 'all' });

  const native: GlobalConfig = { 'bootstrap.servers': brokers };
  await AIOAdmin.connect(native);
  const annotated: AdminConfig = { 'bootstrap.servers': brokers };
  await AIOAdmin.connect(annotated);
}
