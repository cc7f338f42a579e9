import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBRDKAFKA_PROPERTIES } from '../../src/native/librdkafka-properties';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { howItEnded, runConnects, type ConnectSpec } from '../helpers/config-child';
import { requireDist } from '../helpers/run-node';
import { buildUserPlugin } from '../helpers/user-plugin';

/*
 * The value of a sensitive key (librdkafka's _RK_SENSITIVE) never appears anywhere: not in the
 * error's message or cause chain, not in the logger's lines, not on stderr, not in a tracing
 * payload. For every sensitive key, misspelt (then it is an unknown key: a typo of a secret's
 * name is exactly when the value is a secret), given a value of the wrong type, and given an
 * invalid value that librdkafka uses and fails on; through the producer (with our plugin and a
 * user's, and without a logger, so that stderr gets what the logger would), the consumer and the
 * admin client, in one child process per key and kind.
 */

const TLS = join(__dirname, '..', 'fixtures', 'tls');
let broker: TestBroker;
let dir: string;
let userPlugin: string;

beforeAll(async () => {
  requireDist();
  dir = mkdtempSync(join(tmpdir(), 'aio-config-secrets-'));
  userPlugin = buildUserPlugin(dir);
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** librdkafka's sensitive properties a caller can set (and the aliases of those). */
const SENSITIVE = LIBRDKAFKA_PROPERTIES.filter((p) => p.sensitive && p.type === 'string').map((p) => p.name);
const SENSITIVE_ALIASES = LIBRDKAFKA_PROPERTIES.filter((p) => p.aliasOf !== undefined && SENSITIVE.includes(p.aliasOf)).map((p) => p.name);
const KEYS = [...SENSITIVE, ...SENSITIVE_ALIASES];

/** A misspelling: two letters swapped in the last part of the name ("sasl.pasword" style). */
function misspell(key: string): string {
  const at = key.lastIndexOf('.') + 2;
  return key.slice(0, at) + key[at + 1] + key[at] + key.slice(at + 2);
}

/** What makes librdkafka use `key` (and fail on `secret`): the settings around it. */
function invalidUse(key: string, secret: string): Record<string, unknown> {
  const ssl = { 'security.protocol': 'ssl' };
  const plainSasl = { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'u', 'sasl.password': 'p' };
  switch (key) {
    case 'ssl.key.location':
      return { ...ssl, 'ssl.certificate.location': join(TLS, 'cert.pem'), [key]: `/nonexistent/${secret}.key` };
    case 'ssl.key.password':
      return { ...ssl, 'ssl.certificate.location': join(TLS, 'cert.pem'), 'ssl.key.location': join(TLS, 'encrypted-key.pem'), [key]: secret };
    case 'ssl.key.pem':
    case 'ssl.ca.pem':
      return { ...ssl, [key]: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n` };
    case 'ssl.keystore.password':
      return { ...ssl, 'ssl.keystore.location': join(TLS, 'key.pem'), [key]: secret };
    case 'sasl.oauthbearer.config':
      return {
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanisms': 'OAUTHBEARER',
        'enable.sasl.oauthbearer.unsecure.jwt': true,
        [key]: `principal=${secret} lifeSeconds=${secret} extension_x=${secret}`,
      };
    default:
      // The SASL credentials (the mock cluster does no SASL: refused at the handshake) and the OIDC
      // secrets (not built in: refused when the configuration is built).
      return { ...plainSasl, [key]: secret };
  }
}

type Kind = 'misspelt' | 'of the wrong type' | 'invalid';

function extraConfig(kind: Kind, key: string, secret: string): Record<string, unknown> {
  if (kind === 'misspelt') return { [misspell(key)]: secret };
  if (kind === 'of the wrong type') return { [key]: { nested: secret } };
  return invalidUse(key, secret);
}

function specs(extra: Record<string, unknown>): ConnectSpec[] {
  const config = { 'bootstrap.servers': broker.bootstrapServers, ...extra };
  const connectTimeoutMs = 3000;
  return [
    { client: 'producer', backgroundPoll: true, config: { ...config, 'plugin.library.paths': userPlugin, debug: 'conf,security' }, connectTimeoutMs },
    { client: 'producer', backgroundPoll: true, config, connectTimeoutMs, logger: false },
    { client: 'consumer', config: { ...config, 'group.id': 'config-secrets' }, connectTimeoutMs },
    { client: 'admin', config, connectTimeoutMs },
  ];
}

const CASES = KEYS.flatMap((key) => (['misspelt', 'of the wrong type', 'invalid'] as Kind[]).map((kind) => [key, kind] as const));

it('covers every sensitive property librdkafka declares', () => {
  expect(SENSITIVE).toEqual(expect.arrayContaining(['ssl.key.password', 'sasl.password', 'sasl.oauthbearer.config', 'ssl.key.pem']));
  expect(KEYS.length).toBeGreaterThanOrEqual(12);
});

it.concurrent.each(CASES)('%s %s: the value appears nowhere', async (key, kind) => {
  const secret = `S3CRET${randomBytes(6).toString('hex')}`;
  const { outcomes, run } = await runConnects(specs(extraConfig(kind, key, secret)), 60_000);
  expect(howItEnded(run)).toBe('exit 0');
  expect(outcomes).toHaveLength(4);
  // Connected or not, every rejection is one of ours.
  for (const outcome of outcomes) if (outcome.outcome === 'rejected') expect(outcome).toMatchObject({ typed: true });
  if (kind !== 'invalid') {
    for (const outcome of outcomes) expect(outcome).toMatchObject({ outcome: 'rejected', name: 'InvalidArgumentError' });
    // The key is named: the misspelt one with the name it is closest to.
    const named = kind === 'misspelt' ? `"${misspell(key)}": no such property (did you mean "` : `config "${key}" must be`;
    for (const outcome of outcomes) expect(outcome.message).toContain(named);
  }
  // stdout holds each outcome's error texts, logger lines and tracing payloads; stderr the rest.
  const everything = run.stdout + run.stderr;
  expect(everything).not.toContain(secret);
  // Not even a piece of it (a quoted part of sasl.oauthbearer.config).
  expect(everything).not.toContain(secret.slice(0, 10));
});
