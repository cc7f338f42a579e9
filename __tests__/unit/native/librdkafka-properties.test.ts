import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { LIBRDKAFKA_PROPERTIES, LIBRDKAFKA_PROPERTIES_VERSIONS, type LibrdkafkaProperty } from '../../../src/native/librdkafka-properties';
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
  generate(dirs: string[]): { text: string; configText: string; count: number; versions: string[]; properties: LibrdkafkaProperty[] };
  bundledLibrdkafka(): string | undefined;
  ckjsLibrdkafka(): string | undefined;
  OUTPUT: string;
  CONFIG_OUTPUT: string;
};

/*
 * The committed table and types are the union of node-rdkafka's and CKJS's librdkafka
 * (scripts/librdkafka-merge.js). CKJS's sources are there only where CKJS is installed built from
 * source (bench/peers/node_modules, or NODE_PATH: CI); a quick start (`npm ci && npm test`) has
 * node-rdkafka's alone, and checks that everything in it is in the committed files.
 */
const nodeRdkafkaSource = generator.bundledLibrdkafka();
const ckjsSource = generator.ckjsLibrdkafka();
const ROOT = join(__dirname, '..', '..', '..');

const withSource = nodeRdkafkaSource !== undefined ? it : it.skip;
/** The exact comparison: skipped without CKJS's sources, unless AIO_TEST_BOTH_BINDINGS says they must be there. */
const withBothSources = nodeRdkafkaSource !== undefined && (ckjsSource !== undefined || process.env.AIO_TEST_BOTH_BINDINGS) ? it : it.skip;
const EXACT =
  ckjsSource !== undefined
    ? "is what the script generates from node-rdkafka's and CKJS's librdkafka sources, to the byte (re-run it after an upgrade)"
    : "is what the script generates from node-rdkafka's and CKJS's librdkafka sources (CKJS's sources are not installed: " +
      "what only its librdkafka declares and the JSDoc's exact text go unchecked; `npm run bench:peers-install` installs them)";

/** The differences between the committed table and what librdkafka `version`'s `own` table declares: [] when it holds all of it. */
function uncovered(own: readonly LibrdkafkaProperty[], version: string): string[] {
  const problems: string[] = [];
  for (const p of own) {
    const c = LIBRDKAFKA_PROPERTIES.find((q) => q.name === p.name && q.scope === p.scope);
    if (c === undefined) {
      problems.push(`${p.scope} ${p.name}: missing`);
      continue;
    }
    for (const field of ['type', 'aliasOf', 'clients'] as const) if (c[field] !== p[field]) problems.push(`${p.name}: ${field} ${c[field]} != ${p[field]}`);
    if (p.sensitive && !c.sensitive) problems.push(`${p.name}: not marked sensitive`);
    for (const value of p.values ?? []) if (!c.values?.includes(value)) problems.push(`${p.name}: lacks the value ${value}`);
    if (p.min !== undefined && !(c.min! <= p.min)) problems.push(`${p.name}: min ${c.min} > ${p.min}`);
    if (p.max !== undefined && !(c.max! >= p.max)) problems.push(`${p.name}: max ${c.max} < ${p.max}`);
    if (c.versions !== undefined && !c.versions.includes(version)) problems.push(`${p.name}: versions ${c.versions.join()} lack ${version}`);
  }
  return problems;
}

/**
 * The compiler's errors where a configuration interface generated from `configText` (one
 * librdkafka's) has a property the committed librdkafka-config.ts lacks, or a value it refuses.
 */
function typesNotCovered(configText: string): string[] {
  const INTERFACES = ['Global', 'ProducerGlobal', 'ConsumerGlobal', 'Topic', 'ProducerTopic', 'ConsumerTopic'].map((n) => `Librdkafka${n}Config`);
  const dir = mkdtempSync(join(tmpdir(), 'aio-librdkafka-config-'));
  try {
    writeFileSync(join(dir, 'own.ts'), configText.replace("from './config-callbacks'", `from ${JSON.stringify(join(ROOT, 'src', 'native', 'config-callbacks'))}`));
    const checks = INTERFACES.map((name) => `export const ${name}: Covers<Committed.${name}, Own.${name}> = true;`);
    writeFileSync(
      join(dir, 'check.ts'),
      [
        `import type * as Committed from ${JSON.stringify(join(ROOT, 'src', 'native', 'librdkafka-config'))};`,
        "import type * as Own from './own';",
        'type Flat<T> = { [K in keyof T]: T[K] };',
        'type Covers<C, O> = [Exclude<keyof O, keyof C>] extends [never] ? (Flat<O> extends Flat<C> ? true : { refused: O }) : { missing: Exclude<keyof O, keyof C> };',
        ...checks,
      ].join('\n'),
    );
    const program = ts.createProgram([join(dir, 'check.ts')], { strict: true, noEmit: true, lib: ['lib.es2022.d.ts'], types: [], skipLibCheck: true });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the generated table of librdkafka properties', () => {
  withBothSources(EXACT, () => {
    if (ckjsSource === undefined) {
      throw new Error("AIO_TEST_BOTH_BINDINGS is set, but CKJS's librdkafka sources are not installed (bench/peers/node_modules, NODE_PATH)");
    }
    const { text, configText, versions } = generator.generate([nodeRdkafkaSource!, ckjsSource]);
    expect(versions).toEqual(LIBRDKAFKA_PROPERTIES_VERSIONS);
    expect(versions).toHaveLength(2);
    expect(readFileSync(generator.OUTPUT, 'utf8')).toBe(text);
    expect(readFileSync(generator.CONFIG_OUTPUT, 'utf8')).toBe(configText);
  });

  withSource("holds every property, value and range of node-rdkafka's librdkafka, and lists only the versions it was generated from", () => {
    const { properties, versions } = generator.generate([nodeRdkafkaSource!]);
    expect(LIBRDKAFKA_PROPERTIES_VERSIONS).toContain(versions[0]);
    expect(uncovered(properties, versions[0]!)).toEqual([]);
    expect(uncovered([{ name: 'no.such.property', scope: 'global', type: 'string' }], versions[0]!)).toEqual(['global no.such.property: missing']);
    // Whatever the versions, a property not in all of them says which: never every one, never none.
    for (const p of LIBRDKAFKA_PROPERTIES.filter((q) => q.versions !== undefined)) {
      expect(p.versions!.length).toBeGreaterThan(0);
      expect(p.versions!.length).toBeLessThan(LIBRDKAFKA_PROPERTIES_VERSIONS.length);
      expect(LIBRDKAFKA_PROPERTIES_VERSIONS).toEqual(expect.arrayContaining([...p.versions!]));
    }
  });

  withSource("has interfaces (librdkafka-config.ts) that take every property and value node-rdkafka's librdkafka takes", () => {
    const { configText } = generator.generate([nodeRdkafkaSource!]);
    expect(typesNotCovered(configText)).toEqual([]);
    // The check can fail: the committed interfaces do not cover a librdkafka with one more property.
    const extra = configText.replace("  'check.crcs'?: LibrdkafkaBoolean;", "  'check.crcs'?: LibrdkafkaBoolean;\n  'no.such.property'?: string;");
    expect(typesNotCovered(extra).join('\n')).toMatch(/no\.such\.property/);
  }, 60_000);

  it.each(
    [["node-rdkafka's", nodeRdkafkaSource], ["CKJS's", ckjsSource]].filter((pair): pair is [string, string] => pair[1] !== undefined),
  )('holds every property declared in %s librdkafka source, _RK_SENSITIVE ones marked', (_, dir) => {
    const [version] = generator.generate([dir]).versions;
    const conf = readFileSync(join(dir, 'src', 'rdkafka_conf.c'), 'utf8');
    const table = conf.slice(conf.indexOf('rd_kafka_properties[] ='), conf.indexOf('/* End */'));
    // Every `{_RK_..., "name"` in the array, counted independently of the generator's parser.
    const declared = [...table.matchAll(/\{\s*(_RK_[A-Z_ |]+?)\s*,\s*"([^"]+)"/g)].map((m) => [m[2]!, m[1]!.includes('_RK_SENSITIVE')] as const);
    const listed = LIBRDKAFKA_PROPERTIES.filter((p) => p.versions === undefined || p.versions.includes(version!)).map((p) => [p.name, p.sensitive === true] as const);
    expect(listed).toEqual(declared);
  });

  it('matches the librdkafka this node-rdkafka runs on', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(LIBRDKAFKA_PROPERTIES_VERSIONS).toContain((require('node-rdkafka') as { librdkafkaVersion: string }).librdkafkaVersion);
  });

  it("knows what only CKJS's newer librdkafka declares, saying which versions do", () => {
    const named = (name: string): LibrdkafkaProperty | undefined => LIBRDKAFKA_PROPERTIES.find((p) => p.name === name);
    expect(named('max.poll.records')).toMatchObject({ clients: 'consumer', versions: ['2.15.1'] });
    expect(named('sasl.oauthbearer.metadata.authentication.type')?.values).toEqual(['none', 'azure_imds', 'aws_iam']);
    expect(named('fetch.min.bytes')).toMatchObject({ min: 0, max: 2147483647 });
    expect(named('fetch.min.bytes')?.versions).toBeUndefined();
    expect(isLibrdkafkaProperty('max.poll.records')).toBe(true);
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
