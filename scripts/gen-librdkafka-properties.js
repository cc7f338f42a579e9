#!/usr/bin/env node
/*
 * Generates src/native/librdkafka-properties.ts, the table of librdkafka's configuration
 * properties, and src/native/librdkafka-config.ts, their TypeScript interfaces with librdkafka's
 * descriptions (scripts/librdkafka-config-types.js), from librdkafka's own source: the
 * `rd_kafka_properties[]` array of src/rdkafka_conf.c, which is where librdkafka itself decides what a name means, which scope it
 * has, and which values are secrets (`_RK_SENSITIVE`: librdkafka redacts them in its own dumps).
 *
 * The two bindings bundle different librdkafkas (node-rdkafka 3.6: 2.12; CKJS 1.10: 2.15), and the
 * outputs are the union of both (scripts/librdkafka-merge.js): every property either declares,
 * every value, the widest range, with what only one of them takes said in the JSDoc.
 *
 *   node scripts/gen-librdkafka-properties.js          # node-rdkafka's and CKJS's bundled librdkafka
 *   node scripts/gen-librdkafka-properties.js dir...   # these librdkafka source folders
 *
 * Without arguments it needs both sources: CKJS's are in its package when it is installed built
 * from source (`npm run bench:peers-install` puts it in bench/peers/node_modules; NODE_PATH is
 * searched too), and a table written from node-rdkafka's alone would drop CKJS's properties.
 * It writes both modules and prints how many properties it found. A unit test
 * (__tests__/unit/native/librdkafka-properties.test.ts) regenerates both texts from the installed
 * sources and compares: a librdkafka upgrade that changes the table fails it until this is re-run.
 *
 * The source is parsed as it is compiled on Linux with plugins (the build node-rdkafka makes):
 * the few `#if` blocks inside the array are resolved that way, and anything else fails loudly.
 */
'use strict';
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { delimiter, dirname, join } = require('node:path');
const { renderConfigTypes, wrap } = require('./librdkafka-config-types');
const { label, list, mergeSources } = require('./librdkafka-merge');

/** The preprocessor symbols defined in the Linux build (everything else: undefined). */
const DEFINED = new Set(['WITH_PLUGINS', '__linux__', 'SO_KEEPALIVE', 'TCP_NODELAY']);

const TYPES = {
  _RK_C_STR: 'string',
  _RK_C_INT: 'integer',
  _RK_C_DBL: 'float',
  _RK_C_S2I: 'enum',
  _RK_C_S2F: 'flags',
  _RK_C_BOOL: 'boolean',
  _RK_C_PTR: 'pointer',
  _RK_C_PATLIST: 'pattern-list',
  _RK_C_KSTR: 'kafka-string',
  _RK_C_ALIAS: 'alias',
  _RK_C_INTERNAL: 'internal',
  _RK_C_INVALID: 'invalid',
};

/** Constants the numeric bounds are written with. */
const CONSTANTS = { INT_MAX: 2147483647, INT32_MAX: 2147483647, INT16_MAX: 32767, RD_KAFKA_OFFSET_END: -1 };

/** Resolves the `#if`/`#ifdef`/`#else`/`#endif` lines of `text` for the Linux build. */
function preprocess(text) {
  const out = [];
  const stack = [];
  const active = () => stack.every((frame) => frame.taking);
  for (const line of text.split('\n')) {
    const directive = /^\s*#\s*(\w+)\s*(.*?)\s*$/.exec(line);
    if (directive === null) {
      if (active()) out.push(line);
      continue;
    }
    const [, word, rest] = directive;
    if (word === 'if' || word === 'ifdef' || word === 'ifndef') {
      stack.push({ taking: condition(word, rest) });
    } else if (word === 'else') {
      stack[stack.length - 1].taking = !stack[stack.length - 1].taking;
    } else if (word === 'endif') {
      stack.pop();
    } else {
      throw new Error(`unexpected preprocessor line inside the property table: ${line}`);
    }
  }
  return out.join('\n');
}

function condition(word, rest) {
  if (word === 'ifdef') return DEFINED.has(rest);
  if (word === 'ifndef') return !DEFINED.has(rest);
  const m = /^(!?)\s*(?:defined\s*\(\s*(\w+)\s*\)|(\w+))$/.exec(rest);
  if (m === null) throw new Error(`cannot evaluate "#if ${rest}"`);
  const value = DEFINED.has(m[2] ?? m[3]);
  return m[1] === '!' ? !value : value;
}

/** Splits `text` at top-level commas, skipping strings, chars, comments and nested brackets. */
function splitTopLevel(text) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipQuoted(text, i);
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
    } else if (c === '{' || c === '(') {
      depth++;
    } else if (c === '}' || c === ')') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => stripComments(part).trim()).filter((part) => part !== '');
}

function skipQuoted(text, i) {
  const quote = text[i];
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  throw new Error('unterminated literal');
}

/** `text` without its C comments (a `//` inside a string literal, as in a URL, stays). */
function stripComments(text) {
  return text.replace(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (match, literal) => literal ?? '');
}

/** The entries (the text inside each top-level `{...}`) of the array that starts at `from`. */
function arrayEntries(text, from) {
  const open = text.indexOf('{', from);
  const entries = [];
  let depth = 0;
  let start = -1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") i = skipQuoted(text, i);
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) + 1;
    else if (c === '{') {
      if (depth++ === 0) start = i + 1;
    } else if (c === '}') {
      if (depth === 0) return entries;
      if (--depth === 0) entries.push(text.slice(start, i));
    }
  }
  throw new Error('unterminated property array');
}

/** The value of a C string literal (adjacent literals joined), or undefined for anything else. */
function cString(token) {
  const pieces = [...token.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
  return pieces.length === 0 ? undefined : pieces.join('');
}

/** A numeric bound (`1000`, `INT_MAX`, `900.0 * 1000.0`, `0x7fffffff`), or undefined. */
function cNumberOf(token, constants) {
  const expression = token.replace(/\b[A-Z_][A-Z0-9_]*\b/g, (name) => (name in constants ? String(constants[name]) : 'NaN'));
  if (!/^[\d\s.+\-*/()xa-fA-FN]*$/.test(expression)) return undefined;
  // Only digits, operators and hex literals remain: safe to evaluate. Suffixes go (`1.0f`,
  // `100UL`; a hex literal's digits are kept whole: `0x7fffffff`); without a floating literal the
  // arithmetic is C's integer arithmetic (`INT_MAX / 1024` truncates), done in BigInt.
  const literals = /\b(0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)[fFlLuU]*\b/g;
  const floating = /\d\.|\d[eE]/.test(expression) || expression.includes('NaN');
  const code = expression.replace(literals, (_, literal) => (floating ? literal : `${literal}n`));
  const value = Number(Function(`"use strict"; return (${code});`)());
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The text of a description: C string literals joined, with the string macros between them
 * (`"...=" RD_KAFKA_IDEMP_MAX_INFLIGHT_STR "..."`) replaced by their values from `macros`.
 */
function cText(token, macros) {
  const pieces = [...token.matchAll(/"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)/g)].map((m) => {
    if (m[2] === undefined) return m[1].replace(/\\(.)/g, '$1');
    if (!(m[2] in macros)) throw new Error(`unknown string macro ${m[2]} in a description`);
    return macros[m[2]];
  });
  return pieces.length === 0 ? undefined : pieces.join('');
}

/**
 * The numbers librdkafka's headers name (`#define NAME 5`, and enumerators given a value:
 * `RD_KAFKA_COMPLEVEL_MAX = 12,`), with {@link CONSTANTS}: what a property's bounds and default
 * may be written with.
 */
function numericConstants(headers) {
  const named = [...headers.matchAll(/^\s*(?:#define\s+)?(RD_KAFKA_\w+)\s*(?:=\s*)?(-?\d+)\s*,?\s*(?:\/[*/].*)?$/gm)];
  return { ...Object.fromEntries(named.map((m) => [m[1], Number(m[2])])), ...CONSTANTS };
}

/** The string macros (`#define NAME "text"`) of librdkafka's headers' text. */
function stringMacros(headers) {
  return Object.fromEntries([...headers.matchAll(/^#define\s+(\w+)\s+"((?:[^"\\]|\\.)*)"/gm)].map((m) => [m[1], m[2]]));
}

/**
 * One property from the text of its initializer (`macros`: the string macros its description may
 * use; `constants`: the numbers its bounds and default may be written with).
 */
function parseEntry(entry, { macros, constants }) {
  const fields = splitTopLevel(entry);
  if (fields.length === 0 || fields[0] === '0') return undefined;
  const scope = fields[0].split('|').map((flag) => flag.trim());
  const name = cString(fields[1]);
  const type = TYPES[fields[2]];
  if (name === undefined || type === undefined) throw new Error(`cannot read property entry: ${entry.slice(0, 120)}`);
  const designated = {};
  const positional = [];
  for (const field of fields.slice(3)) {
    const m = /^\.(\w+)\s*=\s*([\s\S]*)$/.exec(field);
    if (m !== null) designated[m[1]] = m[2];
    else if (!/^_UNSUPPORTED_\w+$/.test(field)) positional.push(field);
  }
  // Positional order after the type: offset, desc, vmin, vmax, vdef, sdef.
  const property = {
    name,
    scope: scope.includes('_RK_TOPIC') ? 'topic' : 'global',
    type,
  };
  if (type === 'alias') property.aliasOf = cString(designated.sdef ?? positional[4] ?? '');
  if (scope.includes('_RK_SENSITIVE')) property.sensitive = true;
  const producer = scope.includes('_RK_PRODUCER');
  const consumer = scope.includes('_RK_CONSUMER') || scope.includes('_RK_CGRP');
  if (producer !== consumer) property.clients = producer ? 'producer' : 'consumer';
  if (scope.includes('_RK_DEPRECATED')) property.deprecated = true;
  if (type === 'integer') {
    const min = cNumberOf(designated.vmin ?? positional[2] ?? '', constants);
    const max = cNumberOf(designated.vmax ?? positional[3] ?? '', constants);
    if (min !== undefined) property.min = min;
    if (max !== undefined) property.max = max;
  } else if (type === 'float') {
    const min = cNumberOf(designated.dmin ?? '', constants);
    const max = cNumberOf(designated.dmax ?? '', constants);
    if (min !== undefined) property.min = min;
    if (max !== undefined) property.max = max;
  }
  const named = namedValues(designated.s2i);
  if ((type === 'enum' || type === 'flags' || type === 'string' || type === 'kafka-string') && designated.s2i !== undefined) {
    property.values = named.map(([, value]) => value);
  }
  // Not part of the table (render() leaves it out): what librdkafka-config.ts is written from.
  property.doc = {
    description: cText(designated.desc ?? positional[1] ?? '', macros),
    defaultValue: defaultOf(type, designated, positional, named, constants),
    hidden: scope.includes('_RK_HIDDEN') || undefined,
    names: type === 'integer' && named.length > 0 ? named.map(([, value]) => value) : undefined,
  };
  return property;
}

/** The `{value, "name"}` pairs of an `.s2i` initializer, as `[value token, name]`. */
function namedValues(s2i) {
  if (s2i === undefined) return [];
  return splitTopLevel(s2i.trim().replace(/^\{|\}$/g, ''))
    .map((pair) => splitTopLevel(pair.replace(/^\{|\}$/g, '')))
    .map(([value, name]) => [value, cString(name ?? '')])
    .filter(([, name]) => name !== undefined);
}

/**
 * A property's default as librdkafka's CONFIGURATION.md shows it (`rd_kafka_conf_properties_show`):
 * the string, the number, true/false, the enumeration's name, the flags' names; undefined when
 * it is written with a constant this script cannot read.
 */
function defaultOf(type, designated, positional, named, constants) {
  const number = (token) => cNumberOf(token, constants);
  if (type === 'string' || type === 'kafka-string' || type === 'pattern-list') return cString(designated.sdef ?? positional[5] ?? '');
  if (type === 'float') return number(designated.ddef ?? '0');
  const token = designated.vdef ?? positional[4] ?? '0';
  if (type === 'integer') return number(token);
  if (type === 'boolean') return number(token) === undefined ? undefined : number(token) !== 0;
  if (type === 'enum') return named.find(([value]) => value === token || (number(value) !== undefined && number(value) === number(token)))?.[1];
  if (type === 'flags') {
    const bits = number(token);
    if (bits === undefined || named.some(([value]) => number(value) === undefined)) return undefined;
    return named.filter(([value]) => (number(value) & bits) !== 0).map(([, name]) => name).join(', ');
  }
  return undefined;
}

/** librdkafka's version from rdkafka.h's RD_KAFKA_VERSION (0xMMmmrrxx). */
function versionOf(header) {
  const m = /#define\s+RD_KAFKA_VERSION\s+0x([0-9a-fA-F]{8})/.exec(header);
  if (m === null) throw new Error('RD_KAFKA_VERSION not found in rdkafka.h');
  const n = parseInt(m[1], 16);
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}`;
}

/** The properties of rdkafka_conf.c's `rd_kafka_properties[]`, in librdkafka's order. */
function parseProperties(confSource, context) {
  const at = confSource.indexOf('rd_kafka_properties[] =');
  const end = confSource.indexOf('/* End */', at);
  if (at < 0 || end < 0) throw new Error('rd_kafka_properties[] not found');
  return arrayEntries(preprocess(confSource.slice(at, confSource.indexOf('};', end) + 2)), 0)
    .map((entry) => parseEntry(entry, context))
    .filter((property) => property !== undefined);
}

function literal(value) {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);
}

/** The TypeScript module's text for the merged `properties` of `sources` (oldest first). */
function render(properties, sources) {
  const lines = properties.map(
    (p) => `  { ${Object.entries(p).filter(([k]) => k !== 'doc').map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} },`,
  );
  return `/*
 * GENERATED by scripts/gen-librdkafka-properties.js from rd_kafka_properties[] in the
${wrap(`src/rdkafka_conf.c of ${list(sources.map(label))}: do not edit; re-run the script after a librdkafka upgrade (a unit test compares this file with the installed sources).`, 96).map((line) => ` * ${line}`).join('\n')}
 */

/** How librdkafka parses a property's value (rdkafka_conf.c's \`_RK_C_*\` types). */
export type LibrdkafkaPropertyType =
  | 'string'
  | 'integer'
  | 'float'
  | 'enum'
  | 'flags'
  | 'boolean'
  | 'pointer'
  | 'pattern-list'
  | 'kafka-string'
  | 'alias'
  | 'internal'
  | 'invalid';

/**
 * One of librdkafka's configuration properties, as its source declares it: the union of the
 * declarations of the librdkafka versions the bindings bundle (LIBRDKAFKA_PROPERTIES_VERSIONS).
 */
export interface LibrdkafkaProperty {
  readonly name: string;
  /** Global (client) or topic-level. A name may exist at both levels: then it has two entries. */
  readonly scope: 'global' | 'topic';
  readonly type: LibrdkafkaPropertyType;
  /** For an alias: the property it stands for. */
  readonly aliasOf?: string;
  /** A secret (\`_RK_SENSITIVE\`): passwords, private keys and their paths, PEMs. */
  readonly sensitive?: true;
  /** Only read by this kind of client (absent: both). */
  readonly clients?: 'producer' | 'consumer';
  readonly deprecated?: true;
  /** Bounds of a numeric property (the widest any of the versions takes). */
  readonly min?: number;
  readonly max?: number;
  /** The values an enumeration or flag list takes (in any of the versions). */
  readonly values?: readonly string[];
  /** The librdkafka versions that declare it, when not all of them do (the others refuse it). */
  readonly versions?: readonly string[];
}

/**
${wrap(`The librdkafka versions this table was generated from, oldest first: ${list(sources.map(label))}.`, 96).map((line) => ` * ${line}`).join('\n')}
 */
export const LIBRDKAFKA_PROPERTIES_VERSIONS: readonly string[] = ${literal(sources.map((s) => s.version))};

/** Every property these librdkafka versions declare, in the newest one's source order. */
export const LIBRDKAFKA_PROPERTIES: readonly LibrdkafkaProperty[] = [
${lines.join('\n')}
];
`;
}

/**
 * The binding a librdkafka source folder belongs to (`node-rdkafka 3.6`, `CKJS 1.10`), from the
 * package.json of the package holding it in deps/librdkafka; undefined for any other folder.
 */
function bindingOf(librdkafkaDir) {
  const manifest = join(librdkafkaDir, '..', '..', 'package.json');
  if (!existsSync(manifest)) return undefined;
  const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
  const minor = /^v?(\d+\.\d+)/.exec(version ?? '')?.[1];
  const short = { 'node-rdkafka': 'node-rdkafka', '@confluentinc/kafka-javascript': 'CKJS' }[name];
  return short === undefined || minor === undefined ? undefined : `${short} ${minor}`;
}

/** One librdkafka source folder's version, binding and properties (each with its `doc`). */
function readSource(librdkafkaDir) {
  const confSource = readFileSync(join(librdkafkaDir, 'src', 'rdkafka_conf.c'), 'utf8');
  const version = versionOf(readFileSync(join(librdkafkaDir, 'src', 'rdkafka.h'), 'utf8'));
  const headers = readdirSync(join(librdkafkaDir, 'src'))
    .filter((name) => name.endsWith('.h'))
    .map((name) => readFileSync(join(librdkafkaDir, 'src', name), 'utf8'));
  const context = { macros: stringMacros(headers.join('\n')), constants: numericConstants(headers.join('\n')) };
  return { version, binding: bindingOf(librdkafkaDir), properties: parseProperties(confSource, context) };
}

/**
 * Both modules' texts from librdkafka source trees (each the folder holding src/): the union of
 * their properties, and the versions it came from (oldest first).
 */
function generate(librdkafkaDirs) {
  const { sources, properties } = mergeSources(librdkafkaDirs.map(readSource));
  return {
    text: render(properties, sources),
    configText: renderConfigTypes(properties, sources),
    count: properties.length,
    versions: sources.map((s) => s.version),
    properties,
  };
}

/** `<package>/deps/librdkafka` when its rdkafka_conf.c is there, else undefined. */
function librdkafkaIn(manifest) {
  const dir = join(dirname(manifest), 'deps', 'librdkafka');
  return existsSync(join(dir, 'src', 'rdkafka_conf.c')) ? dir : undefined;
}

/** node-rdkafka's bundled librdkafka source, or undefined when it is not installed with it. */
function bundledLibrdkafka() {
  try {
    return librdkafkaIn(require.resolve('node-rdkafka/package.json'));
  } catch {
    return undefined;
  }
}

/**
 * CKJS's bundled librdkafka source, or undefined: CKJS installed from source, never in the root's
 * node_modules but in bench/peers/node_modules (`npm run bench:peers-install`, CI) or a folder
 * of NODE_PATH (as the suites' CKJS run finds it).
 */
function ckjsLibrdkafka() {
  const root = join(__dirname, '..');
  const paths = [root, join(root, 'bench', 'peers'), ...(process.env.NODE_PATH ?? '').split(delimiter).filter(Boolean)];
  try {
    return librdkafkaIn(require.resolve('@confluentinc/kafka-javascript/package.json', { paths }));
  } catch {
    return undefined;
  }
}

const OUTPUT = join(__dirname, '..', 'src', 'native', 'librdkafka-properties.ts');
const CONFIG_OUTPUT = join(__dirname, '..', 'src', 'native', 'librdkafka-config.ts');

module.exports = { generate, bundledLibrdkafka, ckjsLibrdkafka, OUTPUT, CONFIG_OUTPUT };

if (require.main === module) {
  let dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    const [nodeRdkafka, ckjs] = [bundledLibrdkafka(), ckjsLibrdkafka()];
    if (nodeRdkafka === undefined) throw new Error("node-rdkafka's librdkafka sources are not installed: pass the librdkafka source folders");
    if (ckjs === undefined) {
      throw new Error(
        "CKJS's librdkafka sources are not installed (run `npm run bench:peers-install`, or put its node_modules in NODE_PATH): " +
          'a table of node-rdkafka\'s alone would drop its properties; pass the folders to generate from others',
      );
    }
    dirs = [nodeRdkafka, ckjs];
  }
  const { count, text, configText, versions } = generate(dirs);
  writeFileSync(OUTPUT, text);
  writeFileSync(CONFIG_OUTPUT, configText);
  console.log(`${OUTPUT}: ${count} properties of librdkafka ${versions.join(' and ')}; their types: ${CONFIG_OUTPUT}`);
}
