/*
 * What librdkafka's own property table (librdkafka-properties.ts, generated from its source) says
 * about a configuration key: whether librdkafka knows it, at which level, whether its value is a
 * secret, which name it is an alias of, and which known name a misspelt one is closest to. Every
 * rule about property names reads it from here.
 */
import { LIBRDKAFKA_PROPERTIES, type LibrdkafkaProperty } from './librdkafka-properties';

/** The properties of each name (a name defined at both levels has two). */
const BY_NAME: ReadonlyMap<string, readonly LibrdkafkaProperty[]> = (() => {
  const map = new Map<string, LibrdkafkaProperty[]>();
  for (const property of LIBRDKAFKA_PROPERTIES) {
    const list = map.get(property.name);
    if (list === undefined) map.set(property.name, [property]);
    else list.push(property);
  }
  return map;
})();

/** librdkafka's definitions of `name` (empty when librdkafka has no such property). */
export function propertiesNamed(name: string): readonly LibrdkafkaProperty[] {
  return BY_NAME.get(name) ?? [];
}

/** Whether librdkafka itself knows property `name` (a plugin's own property is not). */
export function isLibrdkafkaProperty(name: string): boolean {
  return BY_NAME.has(name);
}

/** The property an alias stands for, or `name` itself. */
export function canonicalName(name: string): string {
  return propertiesNamed(name).find((p) => p.aliasOf !== undefined)?.aliasOf ?? name;
}

/**
 * The key `config` sets `property` under: that name, else another name of the same property (an
 * alias, or the name an alias stands for). Undefined when `config` sets it under none.
 */
export function keyFor(config: Readonly<Record<string, unknown>>, property: string): string | undefined {
  if (config[property] !== undefined) return property;
  const canonical = canonicalName(property);
  return Object.keys(config).find((key) => config[key] !== undefined && canonicalName(key) === canonical);
}

/**
 * Whether librdkafka marks the value of `name` (or of the property it is an alias of) a secret:
 * passwords, private keys and their locations, PEMs, SASL and OAuth credentials.
 */
export function isSensitiveProperty(name: string): boolean {
  return propertiesNamed(canonicalName(name)).some((p) => p.sensitive === true);
}

/**
 * librdkafka's aliases: the name a caller may write → the name librdkafka uses in its messages
 * (`linger.ms` → `queue.buffering.max.ms`).
 */
export const CONFIG_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  LIBRDKAFKA_PROPERTIES.filter((p) => p.aliasOf !== undefined).map((p) => [p.name, p.aliasOf!]),
);

/** librdkafka's topic-level properties (and their aliases). */
export const TOPIC_PROPERTIES: ReadonlySet<string> = new Set(LIBRDKAFKA_PROPERTIES.filter((p) => p.scope === 'topic').map((p) => p.name));

/**
 * Properties librdkafka defines at both levels: the high-level consumer reads the global ones
 * (`enable.auto.commit`, `auto.commit.interval.ms`, `offset.store.method`), the producer the
 * topic-level compression.
 */
export const BOTH_LEVELS: ReadonlySet<string> = new Set(
  [...TOPIC_PROPERTIES].filter((name) => propertiesNamed(name).some((p) => p.scope === 'global')),
);

/** Properties that take a callback (a function): librdkafka's `*_cb` pointers and node-rdkafka's `event_cb`. */
export function takesCallback(name: string): boolean {
  return name === 'event_cb' || propertiesNamed(name).some((p) => p.type === 'pointer');
}

/** The known property name closest to `name` (fewest edits), for "did you mean" in an error. */
export function closestPropertyName(name: string): string {
  let best = '';
  let bestDistance = Infinity;
  for (const known of BY_NAME.keys()) {
    const distance = editDistance(name, known, bestDistance);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Levenshtein distance with adjacent transpositions (one edit each), giving up (returning
 * `limit`) once every way is at least `limit` edits.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
