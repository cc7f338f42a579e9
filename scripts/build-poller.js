#!/usr/bin/env node
/*
 * Builds the librdkafka background poll plugin (native/poller.c, native/binding.gyp) at install
 * time, against node-rdkafka's own librdkafka. It is an optimisation, not a requirement: when it
 * cannot be built the install still succeeds and AIOProducer polls on its timer alone. Then this
 * script prints one line saying why, and writes it to native/build/NOT_BUILT, which the first
 * producer's connect reads to warn (npm shows no output of a dependency's script that succeeded).
 *
 * It runs as `postinstall`, not `install`: npm runs every package's `install` script (node-rdkafka's
 * `node-gyp rebuild`, which builds librdkafka) side by side and only then the `postinstall`
 * scripts, so librdkafka's header and library exist by now. pnpm and yarn run a package's scripts
 * after its dependencies'. binding.gyp sits in native/, not at the package root: with one at the
 * root and no `install` script, npm and pnpm would run `node-gyp rebuild` themselves, in the
 * install phase, and fail the whole install when it fails.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const NATIVE = join(ROOT, 'native');
const NOT_BUILT = join(NATIVE, 'build', 'NOT_BUILT');
const LOST = 'the producer polls on its timer alone (an awaited produce() waits for the next poll tick)';

/** Records why the plugin is missing, prints it as one line, and ends the install successfully. */
function notBuilt(reason, fix) {
  mkdirSync(dirname(NOT_BUILT), { recursive: true });
  writeFileSync(NOT_BUILT, `${reason}. ${fix}\n`);
  console.warn(`aio-rdkafka: the background poll plugin was not built: ${reason}; ${LOST}. ${fix}`);
  process.exit(0);
}

const REBUILD = 'Fix that, then run `npm rebuild aio-rdkafka` (pnpm: `pnpm rebuild aio-rdkafka`).';

if (process.platform !== 'linux') {
  notBuilt(`it is built on Linux only (here: ${process.platform})`, 'Nothing to do.');
}

let deps;
try {
  deps = join(dirname(require.resolve('node-rdkafka/package.json', { paths: [ROOT] })), 'build', 'deps');
} catch (err) {
  // node-rdkafka is an optional dependency: left out on purpose (`--omit=optional`) for
  // @confluentinc/kafka-javascript, whose producers poll in the background without the plugin.
  // Nothing to build, and nothing lost on that binding; a node-rdkafka installed later warns.
  mkdirSync(dirname(NOT_BUILT), { recursive: true });
  writeFileSync(NOT_BUILT, `node-rdkafka was not installed with aio-rdkafka (${err.message.split('\n')[0]}). Having installed it, run \`npm rebuild aio-rdkafka\` (pnpm: \`pnpm rebuild aio-rdkafka\`).\n`);
  console.log('aio-rdkafka: node-rdkafka is not installed, so there is no background poll plugin to build (@confluentinc/kafka-javascript needs none)');
  process.exit(0);
}
if (!existsSync(join(deps, 'include', 'librdkafka', 'rdkafka.h')) || !existsSync(join(deps, 'librdkafka.so.1'))) {
  notBuilt(
    `node-rdkafka has no librdkafka of its own in ${deps} (its install script did not run, or it links a system librdkafka)`,
    'With pnpm, allow the builds of node-rdkafka and aio-rdkafka: `pnpm approve-builds`.',
  );
}

/** node-gyp: npm's (it sets npm_config_node_gyp), else the one beside this Node's npm, else PATH's (pnpm's). */
function nodeGyp() {
  const npms = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const script = process.env.npm_config_node_gyp ?? (existsSync(npms) ? npms : undefined);
  return script === undefined ? ['node-gyp', []] : [process.execPath, [script]];
}

const [command, args] = nodeGyp();
const result = spawnSync(command, [...args, 'rebuild', `--directory=${NATIVE}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (result.error !== undefined || result.status !== 0) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const log = join(NATIVE, 'build', 'build.log');
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, output);
  // The first compiler error says most; else node-gyp's first complaint; else how it ended.
  const lines = output.split('\n');
  const line =
    lines.find((l) => /\berror:/.test(l)) ??
    lines.find((l) => l.startsWith('gyp ERR! stack Error:')) ??
    lines.find((l) => l.startsWith('gyp ERR!'));
  const why = result.error?.message ?? line?.trim() ?? `node-gyp exited with ${result.status}`;
  notBuilt(`${why} (node-gyp's output: ${log})`, REBUILD);
}
rmSync(NOT_BUILT, { force: true });
