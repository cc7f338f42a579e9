import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollerPlugin } from '../../src/native/background-poll';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { howItEnded, runConnects, type ConnectSpec } from '../helpers/config-child';
import { requireDist } from '../helpers/run-node';
import { buildUserPlugin } from '../helpers/user-plugin';

/*
 * Every way librdkafka refuses a client when it creates it (rd_kafka_new, in connect) settles
 * connect with an InvalidArgumentError naming the key, for the producer, the consumer and the
 * admin client, with no plugin, with ours (the background poll) and with a user's plugin next to
 * it. With a plugin loaded, librdkafka 2.12 crashed the process on each of these (issue #4142):
 * every case runs in its own process, so a crash fails its test and nothing else.
 */

const TLS = join(__dirname, '..', 'fixtures', 'tls');
let dir: string;
let userPlugin: string;
let broker: TestBroker;

beforeAll(async () => {
  requireDist();
  expect(pollerPlugin()).toBeDefined(); // the background poll plugin is built (node scripts/build-poller.js)
  dir = mkdtempSync(join(tmpdir(), 'aio-config-refusals-'));
  userPlugin = buildUserPlugin(dir);
  mkdirSync(join(dir, 'a-directory'));
  writeFileSync(join(dir, 'unreadable.pem'), 'x');
  chmodSync(join(dir, 'unreadable.pem'), 0o000);
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A refusal: the extra config, and the key the error must name (none: librdkafka's text names none). */
type Refusal = [string, () => Record<string, unknown>, string | undefined];

const ssl = { 'security.protocol': 'ssl' };
const withCert = { ...ssl, 'ssl.certificate.location': join(TLS, 'cert.pem') };

const REFUSALS: Refusal[] = [
  ['TLS: the CA file is missing', () => ({ ...ssl, 'ssl.ca.location': join(dir, 'missing-ca.pem') }), 'ssl.ca.location'],
  ['TLS: the key file is missing', () => ({ ...withCert, 'ssl.key.location': join(dir, 'missing.key') }), 'ssl.key.location'],
  ['TLS: the certificate file is missing', () => ({ ...ssl, 'ssl.certificate.location': join(dir, 'missing.pem') }), 'ssl.certificate.location'],
  // A directory cannot be read as a file, by root either (CI may run as root: chmod 000 is no refusal then).
  ['TLS: the key file cannot be read (a directory)', () => ({ ...withCert, 'ssl.key.location': join(dir, 'a-directory') }), 'ssl.key.location'],
  ...(process.getuid?.() === 0
    ? []
    : ([['TLS: the key file cannot be read (mode 000)', () => ({ ...withCert, 'ssl.key.location': join(dir, 'unreadable.pem') }), 'ssl.key.location']] as Refusal[])),
  ['TLS: the key does not match the certificate', () => ({ ...withCert, 'ssl.key.location': join(TLS, 'other-key.pem') }), 'ssl.key.location'],
  [
    'TLS: the key password is wrong',
    () => ({ ...withCert, 'ssl.key.location': join(TLS, 'encrypted-key.pem'), 'ssl.key.password': 'wrong-passphrase' }),
    'ssl.key.location',
  ],
  // "Private key check failed: ... no certificate assigned": librdkafka's text names no property.
  ['TLS: a key with no certificate', () => ({ ...ssl, 'ssl.key.location': join(TLS, 'key.pem') }), undefined],
  ['TLS: ssl.key.pem is not a PEM', () => ({ ...ssl, 'ssl.key.pem': 'not a pem' }), 'ssl.key.pem'],
  ['TLS: ssl.ca.pem is not a PEM', () => ({ ...ssl, 'ssl.ca.pem': 'not a pem' }), 'ssl.ca.pem'],
  ['TLS: an unknown cipher suite', () => ({ ...ssl, 'ssl.cipher.suites': 'NO-SUCH-CIPHER' }), 'ssl.cipher.suites'],
  ['TLS: an OpenSSL provider that does not exist', () => ({ ...ssl, 'ssl.providers': 'no-such-provider' }), 'ssl.providers'],
  ['SASL: GSSAPI, the default mechanism, is not built in', () => ({ 'security.protocol': 'sasl_ssl' }), 'sasl.mechanisms'],
  ['SASL: an unknown mechanism', () => ({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'NOPE' }), 'sasl.mechanism'],
  ['SASL: PLAIN without username and password', () => ({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN' }), undefined],
  [
    'OAUTHBEARER: the OIDC method, not built in',
    () => ({ 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'OAUTHBEARER', 'sasl.oauthbearer.method': 'oidc' }),
    'sasl.oauthbearer.method',
  ],
  ['an unknown assignor', () => ({ 'partition.assignment.strategy': 'no-such-assignor' }), 'partition.assignment.strategy'],
  // The built-in assignors register for protocol type "consumer" only: none is left for the default strategy.
  ['a group.protocol.type other than consumer', () => ({ 'group.protocol.type': 'other' }), undefined],
  ['a keystore without its password', () => ({ ...ssl, 'ssl.keystore.location': join(TLS, 'key.pem') }), 'ssl.keystore.location'],
  [
    'a keystore that is not PKCS#12',
    () => ({ ...ssl, 'ssl.keystore.location': join(TLS, 'key.pem'), 'ssl.keystore.password': 'x' }),
    'ssl.keystore.location',
  ],
];

/** The ways a client can carry plugins. */
type PluginMode = 'no plugin' | 'our plugin' | 'a user plugin' | 'a user plugin next to ours';

const CLIENTS: Array<[ConnectSpec['client'], PluginMode[]]> = [
  ['producer', ['no plugin', 'our plugin', 'a user plugin', 'a user plugin next to ours']],
  ['consumer', ['no plugin', 'a user plugin']],
  ['admin', ['no plugin', 'a user plugin']],
];

function spec(client: ConnectSpec['client'], mode: PluginMode, extra: Record<string, unknown>): ConnectSpec {
  const config: Record<string, unknown> = { 'bootstrap.servers': broker.bootstrapServers, ...extra };
  if (client === 'consumer') config['group.id'] = 'config-refusals';
  if (mode === 'a user plugin' || mode === 'a user plugin next to ours') config['plugin.library.paths'] = userPlugin;
  const backgroundPoll = mode === 'our plugin' || mode === 'a user plugin next to ours';
  return { client, config, backgroundPoll, connectTimeoutMs: 20_000 };
}

const MATRIX = CLIENTS.flatMap(([client, modes]) => modes.map((mode) => [client, mode] as const));

describe.each(MATRIX)('%s with %s', (client, mode) => {
  it('connects to the cluster with a configuration librdkafka takes (the plugins load and work)', async () => {
    const { outcomes, run } = await runConnects([spec(client, mode, {})]);
    expect(howItEnded(run)).toBe('exit 0');
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'resolved' })]);
  });

  it.concurrent.each(REFUSALS)('refuses: %s, with an InvalidArgumentError, and the process goes on', async (_what, extra, key) => {
    const { outcomes, run } = await runConnects([spec(client, mode, extra())]);
    expect({ ended: howItEnded(run), stderr: run.stderr }).toEqual({ ended: 'exit 0', stderr: '' });
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(outcome).toMatchObject({ outcome: 'rejected', name: 'InvalidArgumentError', code: 'ERR__INVALID_ARG', typed: true });
    expect(outcome!.message).toMatch(key === undefined ? /^librdkafka refused the configuration: / : new RegExp(`^librdkafka refused config "${key.replace(/\./g, '\\.')}"`));
  });
});

// Values librdkafka takes and then mishandles (src/native/config-hazards.ts). The config fuzz (CI)
// found the first: an admin client with `client.software.name: ".*"` died with "free(): invalid next
// size (fast)": librdkafka 2.12 and 2.15 sanitize client.software.name and .version in place, and
// the loop that skips leading non-alphanumerics runs past the end of a value without one. A
// `plugin.library.paths` of 5 MB overflows the stack it is copied onto (SIGSEGV). Without the
// checks, this child connects the first clients and then dies.
describe('values librdkafka takes but mishandles', () => {
  const SOFTWARE = ['client.software.name', 'client.software.version'].flatMap((key) =>
    ['', '.*', '-', ' ', '--..', '*'].map((value): [string, unknown] => [key, value]),
  );
  const OTHERS: Array<[string, unknown]> = [
    ['plugin.library.paths', `/nonexistent/${'x'.repeat(5 * 2 ** 20)}`],
    ['ut_handle_ProduceResponse', 'x'],
  ];

  it('are refused before librdkafka sees them, for every client, and the process goes on', async () => {
    const cases = CLIENTS.flatMap(([client]) => [...SOFTWARE, ...OTHERS].map(([key, value]) => ({ key, spec: spec(client, 'no plugin', { [key]: value }) })));
    const { outcomes, run } = await runConnects(cases.map((c) => c.spec), 120_000);
    expect({ ended: howItEnded(run), stderr: run.stderr }).toEqual({ ended: 'exit 0', stderr: '' });
    expect(outcomes).toHaveLength(cases.length);
    outcomes.forEach((outcome, i) => {
      expect(outcome).toMatchObject({ outcome: 'rejected', name: 'InvalidArgumentError', code: 'ERR__INVALID_ARG', typed: true });
      expect(outcome.message).toMatch(new RegExp(`^config "${cases[i]!.key.replace(/\./g, '\\.')}" (must hold at least one ASCII letter or digit|is \\d+ bytes long|is a librdkafka unit-test hook)`));
    });
  });

  it('client.software.* with one letter or digit among other characters are taken, and the clients connect', async () => {
    const specs = CLIENTS.map(([client]) => spec(client, 'no plugin', { 'client.software.name': '.my app!', 'client.software.version': '-1-' }));
    const { outcomes, run } = await runConnects(specs);
    expect(howItEnded(run)).toBe('exit 0');
    expect(outcomes.map((o) => o.outcome)).toEqual(['resolved', 'resolved', 'resolved']);
  });
});
