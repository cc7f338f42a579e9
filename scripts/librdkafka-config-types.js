/*
 * The second output of scripts/gen-librdkafka-properties.js: src/native/librdkafka-config.ts,
 * librdkafka's configuration as TypeScript interfaces (global and topic-level, common, producer
 * and consumer), with each property's description, range and default from rdkafka_conf.c as
 * JSDoc. The public ProducerConfig, ConsumerConfig and AdminConfig (src/native/config.ts) are
 * built on them, so the published declarations need no binding's types. They are the union of the
 * librdkafka versions the bindings bundle (scripts/librdkafka-merge.js): what only some take says
 * so in its JSDoc.
 *
 * Left out: `_RK_HIDDEN` properties (librdkafka keeps them out of its documentation: test mocks,
 * what a binding sets itself; a user reaches them through unlistedConfig()), internal and invalid
 * ones (librdkafka refuses to set them), and pointers other than those src/native/config-callbacks.ts
 * types (the rest take C pointers only).
 */
'use strict';
const { label, list } = require('./librdkafka-merge');

/** How a value of each kind of property is written (librdkafka parses every value from a string). */
const VALUE_TYPES = {
  string: 'string',
  'kafka-string': 'string',
  'pattern-list': 'string',
  // A comma-separated list of the flags, in any order: the values are listed in the JSDoc.
  flags: 'string',
  integer: 'LibrdkafkaNumber',
  float: 'LibrdkafkaNumber',
  boolean: 'LibrdkafkaBoolean',
};

/** The six interfaces: name, scope, the client that reads the properties (undefined: both), the interface extended. */
const INTERFACES = [
  ['LibrdkafkaGlobalConfig', 'global', undefined, undefined, 'Global (client) properties every client reads.'],
  ['LibrdkafkaProducerGlobalConfig', 'global', 'producer', 'LibrdkafkaGlobalConfig', 'Global properties, a producer\'s.'],
  ['LibrdkafkaConsumerGlobalConfig', 'global', 'consumer', 'LibrdkafkaGlobalConfig', 'Global properties, a consumer\'s.'],
  ['LibrdkafkaTopicConfig', 'topic', undefined, undefined, 'Topic-level properties every client reads.'],
  ['LibrdkafkaProducerTopicConfig', 'topic', 'producer', 'LibrdkafkaTopicConfig', 'Topic-level properties, a producer\'s.'],
  ['LibrdkafkaConsumerTopicConfig', 'topic', 'consumer', 'LibrdkafkaTopicConfig', 'Topic-level properties, a consumer\'s.'],
];

function quote(value) {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The TypeScript type of property `p` (an alias resolved to its target). */
function valueType(p) {
  // librdkafka matches an enumeration's value ignoring case (rd_kafka_conf_s2i_find): lower case
  // as its table writes it, and upper case as Kafka's own documentation does (`SASL_SSL`).
  if (p.type === 'enum') return [...new Set(p.values.flatMap((v) => [v, v.toUpperCase()]))].map(quote).join(' | ');
  const base = VALUE_TYPES[p.type];
  if (base === undefined) throw new Error(`no value type for ${p.name} (${p.type})`);
  // An integer with named values (`acks: 'all'`): librdkafka takes the names too.
  return p.type === 'integer' && p.doc.names !== undefined ? [base, ...p.doc.names.map(quote)].join(' | ') : base;
}

/** The JSDoc lines of property `p` (`target`: what it stands for, when `p` is an alias). */
function docLines(p, target) {
  const text = [];
  const description = target.doc.description ?? '';
  text.push(p === target ? description : `Alias for \`${target.name}\`: ${description}`);
  const facts = [];
  if (target.type === 'flags') facts.push(`A comma-separated list of: ${target.values.join(', ')}.`);
  if (target.doc.ranges !== undefined) {
    facts.push(`Range: ${target.doc.ranges.join('; ')}: each refuses a value outside its own when the client is created.`);
  } else if (target.min !== undefined && target.max !== undefined) facts.push(`Range: ${target.min} .. ${target.max}.`);
  if (target.doc.names !== undefined) facts.push(`Also takes: ${target.doc.names.join(', ')}.`);
  if (target.type === 'enum') facts.push('librdkafka ignores the case of the value: upper case is typed too.');
  // What not every librdkafka version takes: the alias's own absence first, then its target's.
  for (const note of [...(p === target ? [] : (p.doc.notes ?? [])), ...(target.doc.notes ?? [])]) facts.push(note);
  if (target.sensitive === true) facts.push('A secret: librdkafka redacts it in its own dumps, and so do the errors of this package.');
  const lines = [...wrap(text.join(' ').trim(), 92)];
  if (facts.length > 0) lines.push('', ...wrap(facts.join(' '), 92));
  if (target.doc.defaultValue !== undefined && target.doc.defaultValue !== '') {
    lines.push('', ...wrap(`@default ${target.doc.defaultValue}`, 92));
  }
  if (p.deprecated === true) lines.push('', '@deprecated librdkafka marks it deprecated.');
  return lines.map((line) => line.replace(/\*\//g, '*\\/'));
}

/** `text` in lines of at most `width` characters (a longer word stays whole). */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Whether `p` belongs in the interfaces at all. */
function typed(p) {
  return p.doc.hidden !== true && p.type !== 'internal' && p.type !== 'invalid';
}

/** The TypeScript module's text: the interfaces of the merged `properties` (with their `doc`) of `sources`. */
function renderConfigTypes(properties, sources) {
  const versions = list(sources.map(label));
  const target = (p) => {
    if (p.type !== 'alias') return p;
    const found = properties.find((q) => q.name === p.aliasOf && q.scope === p.scope);
    if (found === undefined) throw new Error(`alias ${p.name}: no ${p.scope} property ${p.aliasOf}`);
    return found;
  };
  const blocks = INTERFACES.map(([name, scope, clients, base, summary]) => {
    const members = properties.filter((p) => p.scope === scope && p.clients === clients && typed(p) && typed(target(p)));
    const callbacks = members.filter((p) => target(p).type === 'pointer').map((p) => quote(p.name));
    const named = callbacks.length > 2 ? `\n  | ${callbacks.join('\n  | ')}\n` : callbacks.join(' | ');
    const heritage = [base, callbacks.length > 0 ? `CallbacksNamed<${named}>` : undefined].filter((h) => h !== undefined);
    const body = members
      .filter((p) => target(p).type !== 'pointer')
      .map((p) => {
        const doc = docLines(p, target(p)).map((line) => (line === '' ? '   *' : `   * ${line}`));
        return `  /**\n${doc.join('\n')}\n   */\n  ${quote(p.name)}?: ${valueType(target(p))};`;
      });
    return `/** ${versions}: ${summary} */
export interface ${name}${heritage.length > 0 ? ` extends ${heritage.join(', ')}` : ''} {${body.length > 0 ? `\n${body.join('\n\n')}\n` : ''}}`;
  });
  return `/*
 * GENERATED by scripts/gen-librdkafka-properties.js from rd_kafka_properties[] in the
${wrap(`src/rdkafka_conf.c of ${versions} (descriptions, ranges and defaults): do not edit; re-run the script after a librdkafka upgrade (a unit test compares this file with the installed sources).`, 96).map((line) => ` * ${line}`).join('\n')}
 *
 * The union of those versions: a property, a value or a range that not every one of them takes
 * says which do in its JSDoc; the others refuse it when the client is created. A description is
 * the newest version's.
 *
 * Hidden, internal and invalid properties are left out; of the pointers, those a JavaScript
 * binding takes a function for, typed in config-callbacks.ts.
 */
import type { LibrdkafkaCallbacks } from './config-callbacks';

/** A number, or a numeric string (\`'5'\`): librdkafka parses every value from a string. */
export type LibrdkafkaNumber = number | \`\${number}\`;

/** A boolean, or \`'true'\`/\`'false'\` as a configuration read from the environment has it. */
export type LibrdkafkaBoolean = boolean | 'true' | 'false';

/** The callback properties of \`Names\` a JavaScript binding takes a function for. */
type CallbacksNamed<Names extends string> = Partial<Pick<LibrdkafkaCallbacks, Extract<keyof LibrdkafkaCallbacks, Names>>>;

${blocks.join('\n\n')}
`;
}

module.exports = { renderConfigTypes, wrap };
