/*
 * The union of several librdkafka versions' property tables, for scripts/gen-librdkafka-properties.js:
 * the two bindings bundle different librdkafkas (node-rdkafka 3.6: 2.12; CKJS 1.10: 2.15), and one
 * set of types serves both. A property any version declares is listed; an enumeration takes every
 * version's values; a range is the widest; what not every version has is written down (the
 * versions in the table, a sentence in the JSDoc), since the older librdkafka refuses it when the
 * client is created.
 */
'use strict';

/** `'2.12.0'` → [2, 12, 0], for sorting versions. */
function versionKey(version) {
  return version.split('.').map(Number);
}

function compareVersions(a, b) {
  const [x, y] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** How a source is named in the JSDoc: `librdkafka 2.15.1 (CKJS 1.10)`. */
function label(source) {
  return source.binding === undefined ? `librdkafka ${source.version}` : `librdkafka ${source.version} (${source.binding})`;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items) {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The sentence for something (`what`) only `has` of `sources` take: the others refuse it. */
function onlyIn(what, has, sources) {
  const missing = sources.filter((s) => !has.includes(s));
  const refuse = missing.length > 1 ? 'refuse' : 'refuses';
  return `${what} only in ${list(has.map(label))}: ${list(missing.map(label))} ${refuse} it when the client is created.`;
}

const keyOf = (p) => `${p.scope}:${p.name}`;

/**
 * The keys of every source in one order: the newest source's order, with each key only older
 * sources have placed after the key it follows there.
 */
function mergedOrder(sources) {
  const order = [];
  for (const source of [...sources].reverse()) {
    let at = 0;
    for (const p of source.properties) {
      const found = order.indexOf(keyOf(p));
      if (found >= 0) at = found + 1;
      else order.splice(at++, 0, keyOf(p));
    }
  }
  return order;
}

/** What must be the same in every version that declares a property (else a person decides). */
const FIXED = ['type', 'aliasOf', 'clients'];

/** One property from its declarations in `has` (oldest first), `sources` being all of them. */
function mergeProperty(key, has, sources) {
  const all = has.map((s) => s.byKey.get(key));
  const newest = all[all.length - 1];
  for (const field of FIXED) {
    if (all.some((p) => p[field] !== newest[field])) {
      throw new Error(`${key}: its ${field} differs between ${list(has.map(label))}; decide how to type it`);
    }
  }
  const property = { name: newest.name, scope: newest.scope, type: newest.type };
  if (newest.aliasOf !== undefined) property.aliasOf = newest.aliasOf;
  if (all.some((p) => p.sensitive)) property.sensitive = true;
  if (newest.clients !== undefined) property.clients = newest.clients;
  if (all.some((p) => p.deprecated)) property.deprecated = true;
  if (all.every((p) => p.min !== undefined)) property.min = Math.min(...all.map((p) => p.min));
  if (all.every((p) => p.max !== undefined)) property.max = Math.max(...all.map((p) => p.max));
  const values = union(all.map((p) => p.values));
  if (values !== undefined) property.values = values;
  if (has.length < sources.length) property.versions = has.map((s) => s.version);

  const notes = [];
  if (has.length < sources.length) notes.push(onlyIn('Declared', has, sources));
  for (const value of values ?? []) {
    const having = has.filter((s) => s.byKey.get(key).values.includes(value));
    if (having.length < sources.length) notes.push(onlyIn(`\`${value}\` is`, having, sources));
  }
  const names = union(all.map((p) => p.doc.names));
  for (const name of names ?? []) {
    const having = has.filter((s) => (s.byKey.get(key).doc.names ?? []).includes(name));
    if (having.length < sources.length) notes.push(onlyIn(`\`${name}\` is`, having, sources));
  }
  const ranges = grouped(has, (s) => {
    const p = s.byKey.get(key);
    return p.min === undefined || p.max === undefined ? undefined : `${p.min} .. ${p.max}`;
  });
  const defaults = grouped(has, (s) => s.byKey.get(key).doc.defaultValue);
  if (defaults.length > 1) {
    notes.push(`The default: ${defaults.map(([value, by]) => `${value === undefined || value === '' ? 'none' : value} in ${list(by.map(label))}`).join('; ')}.`);
  }
  property.doc = {
    ...newest.doc,
    names,
    // One range for all, or each version's (librdkafka refuses a value outside its own).
    ranges: ranges.length > 1 ? ranges.map(([range, by]) => `${range} in ${list(by.map(label))}`) : undefined,
    notes: notes.length > 0 ? notes : undefined,
  };
  return property;
}

/** The values of several lists, each once, in the order they first appear (undefined when none is a list). */
function union(lists) {
  if (lists.every((values) => values === undefined)) return undefined;
  return [...new Set(lists.flatMap((values) => values ?? []))];
}

/** `sources` grouped by `of(source)`: `[value, sources]` pairs, newest value first. */
function grouped(sources, of) {
  const groups = new Map();
  for (const source of [...sources].reverse()) {
    const value = of(source);
    groups.set(value, [...(groups.get(value) ?? []), source]);
  }
  return [...groups].map(([value, by]) => [value, by.reverse()]);
}

/**
 * The union of the property tables of `sources` (each `{ version, binding, properties }`, as
 * gen-librdkafka-properties.js reads them): the sources sorted oldest first, and the merged
 * properties, each with `versions` when not every source declares it.
 */
function mergeSources(sources) {
  const sorted = [...sources]
    .sort((a, b) => compareVersions(a.version, b.version))
    .map((s) => ({ ...s, byKey: new Map(s.properties.map((p) => [keyOf(p), p])) }));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].version === sorted[i - 1].version) throw new Error(`librdkafka ${sorted[i].version} given twice`);
  }
  const properties = mergedOrder(sorted).map((key) => mergeProperty(key, sorted.filter((s) => s.byKey.has(key)), sorted));
  return { sources: sorted.map(({ byKey, ...s }) => s), properties };
}

module.exports = { mergeSources, label, list };
