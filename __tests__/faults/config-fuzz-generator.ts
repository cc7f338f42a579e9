import { LIBRDKAFKA_PROPERTIES, type LibrdkafkaProperty } from '../../src/native/librdkafka-properties';
import type { ConnectSpec } from '../helpers/config-child';
import { prng } from '../helpers/prng';

/** Files the values may name: missing, a directory, and real ones of the wrong kind. */
export interface FuzzFiles {
  missing: string;
  directory: string;
  text: string;
  cert: string;
  key: string;
  userPlugin: string;
}

/** One fuzzed connect, with the secret tokens its output must not contain. */
export interface FuzzCase {
  spec: ConnectSpec;
  /** Tokens put into the values of sensitive and unknown keys. */
  secrets: string[];
}

/**
 * Properties not fuzzed: `debug` floods the logger (it is tried with one value below), the test
 * harness's own `bootstrap.servers`, and properties librdkafka keeps for its unit tests.
 */
const SKIPPED = new Set(['debug', 'bootstrap.servers', 'metadata.broker.list', 'ut_handle_ProduceResponse', 'builtin.features']);
const FUZZED: readonly LibrdkafkaProperty[] = LIBRDKAFKA_PROPERTIES.filter((p) => !SKIPPED.has(p.name) && p.type !== 'internal');
const BY_NAME = new Map(LIBRDKAFKA_PROPERTIES.map((p) => [p.name, p]));

const SECURITY: readonly LibrdkafkaProperty[] = FUZZED.filter((p) => /^(ssl|sasl)[._]/.test(p.name));

/** Whether librdkafka's table marks `property` (or what it is an alias of) sensitive: the test's own oracle. */
function sensitive(property: LibrdkafkaProperty): boolean {
  return property.sensitive === true || (property.aliasOf !== undefined && BY_NAME.get(property.aliasOf)?.sensitive === true);
}

/** Wrong and edge values of any type (the first is a marker the child turns into a function, etc.). */
const ANY_VALUES: unknown[] = [
  '',
  ' ',
  '\t\n',
  'x'.repeat(100_000),
  '∞ ünïcödé ☃',
  '%s%s%n',
  '${PATH}',
  '-1',
  '0',
  'true',
  'null',
  '1e309',
  '0x7fffffff',
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  true,
  false,
  null,
  { nested: 1 },
  [1, 2],
  { $fn: 1 },
  { $symbol: 'sym' },
  { $bigint: '123456789012345678901234567890' },
];

export class ConfigFuzzer {
  readonly #next: () => number;
  readonly #files: FuzzFiles;
  readonly #bootstrap: string;
  #serial = 0;

  constructor(seed: number, files: FuzzFiles, bootstrap: string) {
    this.#next = prng(seed);
    this.#files = files;
    this.#bootstrap = bootstrap;
  }

  #int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)]!;
  }

  #secret(): string {
    return `S3CRET${(this.#serial++).toString(36)}x${this.#int(0xffffff).toString(36)}`;
  }

  /** A value for `property`: mostly of its own type (valid, edge or invalid), sometimes anything. */
  #value(property: LibrdkafkaProperty, secret: string | undefined): unknown {
    // Each mock broker is a thread and a listening socket: thousands take minutes to create (the
    // caller's choice, not a hang), and starve every other process of the machine meanwhile.
    if (property.name === 'test.mock.num.brokers') return this.#pick([-1, 0, 1, 3, 10001, '3x', '']);
    const target = property.aliasOf !== undefined ? (BY_NAME.get(property.aliasOf) ?? property) : property;
    if (secret !== undefined && this.#next() < 0.7) {
      return this.#pick([secret, `/nonexistent/${secret}.pem`, `${secret} ${secret}=x`, `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----`]);
    }
    if (this.#next() < 0.65) return this.#valid(target);
    if (this.#next() < 0.3) return this.#pick(ANY_VALUES);
    const f = this.#files;
    switch (target.type) {
      case 'integer':
      case 'float': {
        const min = target.min ?? 0;
        const max = target.max ?? 2 ** 31 - 1;
        return this.#pick([min, max, min - 1, max + 1, Math.floor(min + this.#next() * (max - min)), String(max), `${min}abc`, 0.5, -0, 1e100]);
      }
      case 'boolean':
        return this.#pick([true, false, 'true', 'false', 'TRUE', '1', '0', 'yes', 'maybe', '']);
      case 'enum':
      case 'flags': {
        const values = target.values ?? [];
        const one = values.length > 0 ? this.#pick(values) : 'x';
        return this.#pick([one, one.toUpperCase(), `${one},${values[0] ?? 'x'}`, 'nonsense', `${one},nonsense`, '']);
      }
      case 'pointer':
        return this.#pick([true, false, 'a string', { $fn: 1 }]);
      default:
        return this.#pick([
          'value',
          this.#secret(),
          f.missing,
          f.directory,
          f.text,
          f.cert,
          f.key,
          `${f.cert},${f.missing}`,
          'a,b;c',
          'PLAINTEXT://host:9092',
          '.*',
          '[',
        ]);
    }
  }

  /** A value librdkafka's parser takes for `property` (it may still fail when librdkafka uses it). */
  #valid(property: LibrdkafkaProperty): unknown {
    switch (property.type) {
      case 'integer':
      case 'float': {
        const min = Math.max(property.min ?? 0, 0);
        const max = Math.min(property.max ?? 100_000, 100_000);
        return Math.floor(min + this.#next() * (max - min));
      }
      case 'boolean':
        return this.#next() < 0.5;
      case 'enum':
      case 'flags':
        return property.values !== undefined && property.values.length > 0 ? this.#pick(property.values) : 'x';
      case 'pointer':
        return this.#next() < 0.5;
      default:
        return this.#pick(['value', this.#files.cert, this.#files.key, this.#files.directory, 'client-1']);
    }
  }

  /** The next random configuration: 1 to 4 fuzzed properties, now and then a misspelt one or a plugin. */
  next(): FuzzCase {
    const secrets: string[] = [];
    const config: Record<string, unknown> = { 'bootstrap.servers': this.#bootstrap };
    const count = 1 + this.#int(4);
    const properties: LibrdkafkaProperty[] = Array.from({ length: count }, () => this.#pick(FUZZED));
    if (this.#next() < 0.35) {
      // Security settings: what librdkafka checks when it creates the client (the TLS context,
      // the SASL provider), the moment a plugin made crash-prone.
      config['security.protocol'] = this.#pick(['ssl', 'sasl_plaintext', 'sasl_ssl']);
      properties.push(...Array.from({ length: 1 + this.#int(2) }, () => this.#pick(SECURITY)));
    }
    for (const property of properties) {
      if (this.#next() < 0.1) {
        // An unknown key: a misspelt property name, its value to be kept secret.
        const name = property.name;
        const at = this.#int(name.length - 1);
        const secret = this.#secret();
        secrets.push(secret);
        config[name.slice(0, at) + name.slice(at + 1)] = secret;
        continue;
      }
      const secret = sensitive(property) ? this.#secret() : undefined;
      const value = this.#value(property, secret);
      if (secret !== undefined && JSON.stringify(value)?.includes(secret)) secrets.push(secret);
      config[property.name] = value;
    }
    if (this.#next() < 0.02) config.debug = 'conf,security';
    const roll = this.#next();
    if (roll < 0.15) config['plugin.library.paths'] = this.#files.userPlugin;
    else if (roll < 0.18) config['plugin.library.paths'] = this.#pick([this.#files.missing, this.#files.text, '']);
    const kind = this.#next();
    const client: ConnectSpec['client'] = kind < 0.5 ? 'producer' : kind < 0.8 ? 'consumer' : 'admin';
    if (client === 'consumer' && this.#next() < 0.95) config['group.id'] = 'config-fuzz';
    return {
      spec: { client, config, backgroundPoll: client === 'producer' && this.#next() < 0.7, connectTimeoutMs: 1000 },
      secrets,
    };
  }
}
