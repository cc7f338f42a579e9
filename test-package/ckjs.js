/*
 * (g) aio-rdkafka installed with @confluentinc/kafka-javascript (CKJS) and without node-rdkafka,
 * as README.md tells a user who chooses CKJS: `npm install aio-rdkafka
 * @confluentinc/kafka-javascript --omit=optional`. Checks that nothing of node-rdkafka is
 * installed, that the install compiles nothing (no node-gyp build of node-rdkafka or of the
 * plugin, no cmake build of koffi), and that a producer, a consumer, an admin and the embedded
 * cluster work on CKJS.
 *
 * CKJS's own install downloads its prebuilt binary from GitHub, which this network does not
 * reach. So the CKJS installed here is one built already (bench/peers/node_modules, where CI and
 * `npm run bench:peers-install` build it; or AIO_PACKAGE_TEST_CKJS), packed with its binary and
 * without its install script: what the prebuilt download leaves on disk, minus the download.
 * Without a built CKJS the app is skipped (CI sets AIO_TEST_BOTH_BINDINGS: there it fails).
 */
'use strict';
const { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { excerpt } = require('./doc-tests');
const { cleanEnv, envFor, run } = require('./env');
const { RUN_ON_EVERY_NODE, compile, wholePrograms } = require('./programs');

const ROOT = join(__dirname, '..');

/** A built CKJS's folder, or undefined. */
function builtCkjs() {
  const dir = process.env.AIO_PACKAGE_TEST_CKJS ?? join(ROOT, 'bench', 'peers', 'node_modules', '@confluentinc', 'kafka-javascript');
  return existsSync(join(dir, 'build', 'Release', 'confluent-kafka-javascript.node')) ? dir : undefined;
}

/** Packs the built CKJS in `dir` as its prebuilt install would leave it: binary and librdkafka, no install script. */
async function packBuilt(dir, work) {
  const copy = join(work, 'ckjs-prebuilt');
  // Not its sources (librdkafka's, 200 MB, and the addon's) nor objects and static archives.
  const dropped = new Set(['deps', 'src', 'binding.gyp', join('build', 'Release', 'obj.target')]);
  cpSync(dir, copy, { recursive: true, filter: (src) => !dropped.has(relative(dir, src)) && !src.endsWith('.a') });
  const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
  delete manifest.scripts;
  delete manifest.files;
  // Else npm runs `node-gyp rebuild` itself for a package with a binding.gyp and no install script.
  manifest.gypfile = false;
  writeFileSync(join(copy, 'package.json'), JSON.stringify(manifest, null, 2));
  const pack = await run('npm', ['pack', '--pack-destination', work, '--ignore-scripts'], { cwd: copy, env: cleanEnv() });
  return pack.code === 0 ? join(work, pack.stdout.trim().split('\n').pop() ?? '') : undefined;
}

/** (g) The CKJS app on `node` (the Node CKJS was built for). */
async function ckjsApp(node, work, tarball, { check, newApp, fixture, json }) {
  const where = `node ${node.major} npm + CKJS`;
  const dir = builtCkjs();
  if (dir === undefined) {
    if (process.env.AIO_TEST_BOTH_BINDINGS) check(where, '(g) a built @confluentinc/kafka-javascript in bench/peers/node_modules', false);
    else console.log(`skip ${where}: no built @confluentinc/kafka-javascript (npm run bench:peers-install builds one)`);
    return;
  }
  const ckjs = await packBuilt(dir, work);
  if (!check(where, '(g) the built CKJS packed with its binary, without its install script', ckjs !== undefined && existsSync(ckjs))) return;
  const env = envFor(node, work);
  const app = newApp(join(work, `ckjs-node${node.major}`));
  mkdirSync(app, { recursive: true });
  const install = await run('npm', ['install', tarball, ckjs, '--omit=optional', '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: app, env, timeoutMs: 10 * 60_000 });
  const log = `${install.stdout}${install.stderr}`;
  if (!check(where, 'npm install <tarball> @confluentinc/kafka-javascript --omit=optional', install.code === 0, `${Math.round(install.ms / 1000)} s${install.code === 0 ? '' : `: ${excerpt(install.stderr)}`}`)) return;
  const gyp = log.split('\n').filter((l) => /gyp (info|ERR!)|node-gyp rebuild/.test(l));
  const nodeRdkafka = existsSync(join(app, 'node_modules', 'node-rdkafka'));
  const plugin = existsSync(join(app, 'node_modules', 'aio-rdkafka', 'native', 'build', 'Release'));
  check(where, '(g) no node-rdkafka installed, no node-gyp build run (neither its nor the plugin\'s)', !nodeRdkafka && !plugin && gyp.length === 0, `node-rdkafka ${nodeRdkafka}, plugin build ${plugin}, gyp lines ${gyp.length}${gyp.length ? `: ${gyp[0]}` : ''}`);
  // koffi (the test kit's FFI) is pinned to its 2.x line, whose package carries every platform's
  // prebuilt binary: 3.x moved them to optional dependencies, which --omit=optional leaves out,
  // and then koffi compiled itself with cmake.
  const cmake = log.split('\n').filter((l) => /^>> Running build|rebuilding from source|building manually/.test(l));
  check(where, '(g) koffi used its prebuilt binary, no cmake build', cmake.length === 0, cmake.join(' / '));
  const said = log.split('\n').filter((l) => l.startsWith('aio-rdkafka: '));
  check(where, '(g) the install says in one line why no plugin was built', said.length === 1 && said[0].includes('node-rdkafka is not installed'), said.join(' / ') || excerpt(log));
  const result = await run('node', [fixture(app, 'ckjs.cjs')], { cwd: app, env, timeoutMs: 120_000 });
  const seen = json(result.stdout);
  const ok =
    seen !== undefined &&
    seen.cluster === '@confluentinc/kafka-javascript' &&
    /^2\.1[5-9]\./.test(seen.librdkafka) &&
    seen.backgroundPoll === true &&
    seen.offset === 0 &&
    seen.value === 'from an app without node-rdkafka' &&
    seen.partitions === 1 &&
    seen.nodeRdkafka === false;
  check(where, '(g) producer (background poll), consumer, admin describeTopics and the embedded cluster run on CKJS', ok, seen === undefined ? excerpt(`${result.stdout}${result.stderr}`) : JSON.stringify(seen));
  await typeCheck(where, app, env, node, check);
}

/** A config value librdkafka refuses: it must not compile (the configs are not `any`). */
const REFUSED_CONFIG = "import { AIOProducer } from 'aio-rdkafka';\nawait AIOProducer.connect({ 'bootstrap.servers': 'localhost:9092', acks: 'everyone' });\n";

/** (g) TypeScript in the CKJS app: the declarations need nothing of node-rdkafka. */
async function typeCheck(where, app, env, node, check) {
  const tools = await run('npm', ['install', '--save-dev', '--omit=optional', '--no-audit', '--no-fund', 'typescript@~5.9', `@types/node@${node.major}`], { cwd: app, env });
  if (!check(where, '(g) npm install --save-dev typescript @types/node', tools.code === 0, tools.code === 0 ? '' : excerpt(tools.stderr))) return;
  const ts = require(join(app, 'node_modules', 'typescript'));
  const programs = await wholePrograms(app, env);
  for (const config of await compile(app, join(app, 'programs'), programs, ts, env, RUN_ON_EVERY_NODE)) {
    check(where, `(g) the docs' programs type-check without node-rdkafka under ${config.id}, strict, skipLibCheck false`, config.ok, config.ok ? '' : excerpt(config.output));
  }
  const [refused] = await compile(app, join(app, 'refused'), [{ name: 'refused', code: REFUSED_CONFIG }], ts, env, ['nodenext-esm/ES2022']);
  const output = refused?.output ?? '';
  check(where, "(g) a config value librdkafka refuses does not compile (acks: 'everyone')", refused !== undefined && !refused.ok && /\brefused\.ts.*TS2322/.test(output) && !output.includes('TS2307'), excerpt(output));
}

module.exports = { ckjsApp };
