import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIBRDKAFKA_PROPERTIES, LIBRDKAFKA_PROPERTIES_VERSION } from '../../../src/native/librdkafka-properties';
import {
  BOTH_LEVELS,
  CONFIG_ALIASES,
  TOPIC_PROPERTIES,
  canonicalName,
  closestPropertyName,
  isLibrdkafkaProperty,
  isSensitiveProperty,
  takesCallback,
} from '../../../src/native/property-index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../../scripts/gen-librdkafka-properties.js') as {
  generate(dir: string): { text: string; configText: string; count: number; version: string };
  bundledLibrdkafka(): string | undefined;
  OUTPUT: string;
  CONFIG_OUTPUT: string;
};

const source = generator.bundledLibrdkafka();
const withSource = source !== undefined && existsSync(join(source, 'src', 'rdkafka_conf.c')) ? it : it.skip;

describe('the generated table of librdkafka properties', () => {
  withSource("is what the script generates from the installed librdkafka's rdkafka_conf.c (re-run it after an upgrade)", () => {
    const { text, version } = generator.generate(source!);
    expect(version).toBe(LIBRDKAFKA_PROPERTIES_VERSION);
    expect(readFileSync(generator.OUTPUT, 'utf8')).toBe(text);
  });

  withSource("has its TypeScript interfaces (librdkafka-config.ts) generated from the same source", () => {
    const { configText, version } = generator.generate(source!);
    expect(configText).toContain(`from librdkafka ${version}'s src/rdkafka_conf.c`);
    expect(readFileSync(generator.CONFIG_OUTPUT, 'utf8')).toBe(configText);
  });

  withSource('holds every property declared in the source, _RK_SENSITIVE ones marked', () => {
    const conf = readFileSync(join(source!, 'src', 'rdkafka_conf.c'), 'utf8');
    const table = conf.slice(conf.indexOf('rd_kafka_properties[] ='), conf.indexOf('/* End */'));
    // Every `{_RK_..., "name"` in the array, counted independently of the generator's parser.
    const declared = [...table.matchAll(/\{\s*(_RK_[A-Z_ |]+?)\s*,\s*"([^"]+)"/g)].map((m) => [m[2]!, m[1]!.includes('_RK_SENSITIVE')] as const);
    expect(LIBRDKAFKA_PROPERTIES.map((p) => [p.name, p.sensitive === true])).toEqual(declared);
  });

  it('matches the librdkafka this node-rdkafka runs on', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect((require('node-rdkafka') as { librdkafkaVersion: string }).librdkafkaVersion).toBe(LIBRDKAFKA_PROPERTIES_VERSION);
  });

  it('lists the secrets librdkafka redacts: passwords, private keys and their files, PEMs, SASL and OAuth credentials', () => {
    const sensitive = LIBRDKAFKA_PROPERTIES.filter((p) => p.sensitive && p.type !== 'internal').map((p) => p.name);
    expect(sensitive).toEqual(
      expect.arrayContaining([
        'ssl.key.location',
        'ssl.key.password',
        'ssl.key.pem',
        'ssl.ca.pem',
        'ssl.keystore.password',
        'sasl.username',
        'sasl.password',
        'sasl.oauthbearer.config',
        'sasl.oauthbearer.client.secret',
      ]),
    );
    expect(sensitive).not.toContain('ssl.ca.location');
    expect(sensitive).not.toContain('bootstrap.servers');
  });
});

describe('property-index', () => {
  it('resolves aliases, for sensitivity too', () => {
    expect(canonicalName('linger.ms')).toBe('queue.buffering.max.ms');
    expect(canonicalName('acks')).toBe('request.required.acks');
    expect(canonicalName('client.id')).toBe('client.id');
    expect(isSensitiveProperty('sasl.oauthbearer.client.credentials.client.secret')).toBe(true);
    expect(isSensitiveProperty('sasl.password')).toBe(true);
    expect(isSensitiveProperty('sasl.mechanism')).toBe(false);
    expect(isSensitiveProperty('no.such.thing')).toBe(false);
  });

  it('tells librdkafka properties from plugin properties and typos', () => {
    expect(isLibrdkafkaProperty('bootstrap.servers')).toBe(true);
    expect(isLibrdkafkaProperty('acks')).toBe(true);
    expect(isLibrdkafkaProperty('aio.poll.background')).toBe(false);
    expect(isLibrdkafkaProperty('sasl.pasword')).toBe(false);
  });

  it.each([
    ['sasl.pasword', 'sasl.password'],
    ['bootstrap.server', 'bootstrap.servers'],
    ['ssl.key.loaction', 'ssl.key.location'],
    ['socket.timeout', 'socket.timeout.ms'],
    ['enable.idempotency', 'enable.idempotence'],
    ['lingerms', 'linger.ms'],
  ])('names %s\'s closest known property: %s', (typo, known) => {
    expect(closestPropertyName(typo)).toBe(known);
  });

  it('derives the topic-level and both-level lists splitConfig uses', () => {
    for (const name of ['acks', 'request.required.acks', 'message.timeout.ms', 'partitioner', 'auto.offset.reset', 'compression.type']) {
      expect(TOPIC_PROPERTIES.has(name)).toBe(true);
    }
    expect(TOPIC_PROPERTIES.has('linger.ms')).toBe(false);
    expect([...BOTH_LEVELS].sort()).toEqual(
      ['auto.commit.interval.ms', 'compression.codec', 'compression.type', 'enable.auto.commit', 'offset.store.method', 'opaque'].sort(),
    );
    expect(CONFIG_ALIASES['bootstrap.servers']).toBe('metadata.broker.list');
  });

  it('knows which properties take callbacks', () => {
    expect(takesCallback('rebalance_cb')).toBe(true);
    expect(takesCallback('oauthbearer_token_refresh_cb')).toBe(true);
    expect(takesCallback('event_cb')).toBe(true);
    expect(takesCallback('sasl.password')).toBe(false);
  });
});
