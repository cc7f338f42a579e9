#!/usr/bin/env node
/*
 * The package as users install it: `npm pack`, then fresh apps outside the repository that install
 * the tarball with npm (and with pnpm), on each supported Node major, and check what a user relies
 * on: (a) the background poll plugin built and used, (b) ESM and CommonJS imports, (c) the docs'
 * programs under users' tsconfigs, (d) the Jest and node:test tests of docs/testing.md, (e) a
 * failed connect lets the process exit, (f) the packed contents, (g) an install with
 * @confluentinc/kafka-javascript instead of node-rdkafka compiles nothing (ckjs.js). Each check
 * says what it checks.
 *
 *   node test-package/run.js                      # every Node major (npm run test:package)
 *   AIO_PACKAGE_TEST_NODES=20,24 node test-package/run.js
 *   AIO_PACKAGE_TEST_TARBALL=/path/x.tgz ...      # test that tarball instead of packing this tree
 *   AIO_PACKAGE_TEST_KEEP=1 ...                   # keep the apps (their folder is printed)
 *
 * Prints one line per check, one result line per Node, the time taken, and `N passed, N failed`.
 */
'use strict';
const { spawn } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { cpus, loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { linkProblems, sourceMapProblems, docImportsFile } = require('./contents');
const { runJestTest, runNodeTest, excerpt } = require('./doc-tests');
const { cleanEnv, envFor, hasCcache, nodeOf, pnpmOf, run } = require('./env');
const { CONFIGS, RUN_ON_EVERY_NODE, compile, runPrograms, wholePrograms } = require('./programs');
const { ckjsApp } = require('./ckjs');

const ROOT = join(__dirname, '..');
const FIXTURES = join(__dirname, 'fixtures');
const MAJORS = (process.env.AIO_PACKAGE_TEST_NODES ?? '20,22,24,26').split(',').map(Number);
/** The Node that type-checks the whole tsconfig matrix and checks the package's contents. */
const MATRIX_NODE = MAJORS.includes(20) ? 20 : MAJORS[0];
/** The Node the pnpm app runs on (one: each Node's first pnpm install builds librdkafka again). */
const PNPM_NODE = MAJORS.includes(24) ? 24 : MAJORS[MAJORS.length - 1];
const PNPM_MAJOR = 10;
/** The app's development tools, as a user adds them (TypeScript 5: ts-jest needs < 7). */
const DEV_TOOLS = (major) => ['typescript@~5.9', `@types/node@${major}`, 'jest@30', 'ts-jest@29', '@types/jest@30'];
/** How much later than its connect's rejection a failed client's process may exit (today: 30 s). */
const EXIT_BOUND_MS = 5000;

/** @type {Array<{ where: string, name: string, ok: boolean, detail: string }>} */
const results = [];
function check(where, name, ok, detail = '') {
  results.push({ where, name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${where}: ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

function json(text) {
  const line = text.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  try {
    return line === undefined ? undefined : JSON.parse(line);
  } catch {
    return undefined;
  }
}

function newApp(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2));
  return dir;
}

/**
 * A fixture's copy inside the app: run from the repository, `require('aio-rdkafka')` would find
 * the repository itself (a package may require itself by name), not the installed copy.
 */
function fixture(app, name) {
  const path = join(app, 'fixtures', name);
  mkdirSync(join(app, 'fixtures'), { recursive: true });
  copyFileSync(join(FIXTURES, name), path);
  return path;
}

/** (a) The plugin is built and used; `warned`: the count of missing-plugin warnings expected. */
async function checkPlugin(where, app, env, expect = { built: true }) {
  const result = await run('node', [fixture(app, 'plugin.cjs')], { cwd: app, env, timeoutMs: 60_000 });
  const seen = json(result.stdout);
  if (seen === undefined) return check(where, '(a) a producer connects', false, excerpt(`${result.stdout}${result.stderr}`));
  if (expect.built) {
    return check(where, '(a) plugin built by the install; connected producers report backgroundPoll === true', seen.plugin && seen.backgroundPoll.every(Boolean) && seen.warnings.length === 0, JSON.stringify(seen));
  }
  const ok = !seen.plugin && seen.backgroundPoll.every((b) => !b) && seen.warnings.length === 1 && seen.warnings[0].includes(expect.reason);
  return check(where, '(a) without the plugin, the first of two connects warns once, with the reason from the install', ok, JSON.stringify(seen));
}

/** (b) ESM and CommonJS see the same, non-empty, exports of both entries. */
async function checkImports(where, app, env) {
  const cjs = json((await run('node', [fixture(app, 'exports.cjs')], { cwd: app, env })).stdout);
  const esm = await run('node', [fixture(app, 'exports.mjs')], { cwd: app, env });
  const fromEsm = json(esm.stdout);
  const same = cjs !== undefined && fromEsm !== undefined && JSON.stringify(cjs) === JSON.stringify(fromEsm);
  const detail = same ? `${cjs.root.length} + ${cjs.testing.length} names` : `require: ${JSON.stringify(cjs)}; import: ${JSON.stringify(fromEsm) ?? excerpt(esm.stderr)}`;
  return check(where, '(b) import and require of aio-rdkafka and aio-rdkafka/testing give the same names', same && cjs.root.length > 10 && cjs.testing.includes('startMockCluster'), detail);
}

/** (e) A failed connect: the process exits soon after the rejection, and writes no stderr. */
async function checkFailedConnects(where, app, env) {
  // Copied once, before any runs: a copy overwrites the file a running node may be reading.
  fixture(app, 'connect-fail.cjs');
  const exitTime = fixture(app, 'exit-time.cjs');
  await Promise.all(
    ['producer', 'consumer', 'admin'].map(async (kind) => {
      const result = await run('node', [exitTime, kind], { cwd: app, env, timeoutMs: 60_000 });
      const seen = json(result.stdout);
      const exitMs = seen?.rejectedAt === undefined ? undefined : seen.exitedAt - seen.rejectedAt;
      const ok = exitMs !== undefined && exitMs < EXIT_BOUND_MS && !result.timedOut && seen.stderr === '';
      const detail =
        seen?.rejectedAt === undefined
          ? `no rejection${result.timedOut ? ' within 60 s' : ''}: ${result.stdout.trim()} (timing process: exit ${result.code}, signal ${result.signal}` +
            `${result.error ? `, ${result.error.message}` : ''}${result.stderr ? `; stderr: ${excerpt(result.stderr)}` : ''})`
          : `rejected after ${seen.afterMs} ms with ${seen.code}; exited ${exitMs} ms later${seen.stderr ? `; stderr: ${excerpt(seen.stderr)}` : ''}`;
      check(where, `(e) ${kind} that could not connect: exits within ${EXIT_BOUND_MS / 1000} s of the rejection, nothing on stderr`, ok, detail);
    }),
  );
}

/** Starts an embedded cluster from the app's installed package; resolves its address and stop(). */
function startCluster(app, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [fixture(app, 'cluster.cjs')], { cwd: app, env, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ bootstrap: out.trim(), stop: () => new Promise((done) => (child.on('close', done), child.stdin.end())) });
    });
    child.on('close', (code) => reject(new Error(`the cluster exited with ${code}`)));
  });
}

/** (c) The docs' whole programs: type-checked under `configs`, run under RUN_ON_EVERY_NODE. */
async function checkPrograms(where, app, env, node, awaitUsing) {
  const ts = require(join(app, 'node_modules', 'typescript'));
  const programs = await wholePrograms(app, env);
  check(where, '(c) whole programs found in README.md and docs/', programs.length >= 3, programs.map((p) => p.source).join(', '));
  const dir = join(app, 'programs');
  const matrix = node.major === MATRIX_NODE;
  const compiled = await compile(app, dir, programs, ts, env, matrix ? CONFIGS.map((c) => c.id) : RUN_ON_EVERY_NODE);
  for (const config of compiled) {
    if (matrix || !config.ok) check(where, `(c) the docs' programs type-check under ${config.id}, strict, skipLibCheck false`, config.ok, config.ok ? '' : excerpt(config.output));
  }
  const cluster = await startCluster(app, env);
  try {
    for (const id of RUN_ON_EVERY_NODE) {
      if (!compiled.find((c) => c.id === id)?.ok) continue;
      const all = await runPrograms(dir, id, programs, cluster.bootstrap, env);
      if (id === RUN_ON_EVERY_NODE[0]) {
        for (const r of all.filter((x) => x.unsupported)) check(where, `(c) ${r.source} compiles; it runs against a real cluster only (the embedded one lacks ${r.unsupported})`, true);
      }
      const ran = all.filter((r) => !r.unsupported);
      if (id.endsWith('ESNext')) {
        // `await using` as emitted needs a Node that has the syntax: a measurement, not a check.
        const failed = ran.filter((r) => !r.ok);
        const syntax = failed.filter((r) => /SyntaxError/.test(r.output));
        awaitUsing.push(`Node ${node.major}: ${syntax.length === 0 ? 'runs' : `SyntaxError in ${syntax.length} of ${ran.length} programs`}`);
        for (const r of failed.filter((f) => !syntax.includes(f))) check(where, `(c) ${r.source} runs (${id})`, false, r.detail);
        continue;
      }
      for (const r of ran) check(where, `(c) ${r.source} runs (${id})`, r.ok, r.detail);
    }
  } finally {
    await cluster.stop();
  }
}

/** (f) The packed contents, read from the installed copy. */
async function checkContents(where, app, env) {
  const packageDir = join(app, 'node_modules', 'aio-rdkafka');
  const maps = sourceMapProblems(packageDir);
  check(where, '(f) no source map without its source', maps.length === 0, maps.slice(0, 5).join('; '));
  const links = linkProblems(packageDir);
  check(where, '(f) every link of a shipped doc resolves inside the package or is a public URL', links.length === 0, links.join('; '));
  const dir = join(app, 'doc-imports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'imports.ts'), docImportsFile(packageDir));
  const tsconfig = { compilerOptions: { module: 'nodenext', target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] }, include: ['imports.ts'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: dir, env });
  check(where, "(f) every name the docs' code imports from the package is exported", tsc.code === 0, tsc.code === 0 ? '' : excerpt(tsc.stdout));
}

/**
 * (a), the other way: when the plugin cannot be built (here: no working C compiler), the install
 * says why in one line and the first connect warns. Rebuilds with npm's --foreground-scripts, the
 * one way npm shows a dependency's script output; then builds it again.
 */
async function checkBuildFailure(where, app, env) {
  const broken = await run('npm', ['rebuild', 'aio-rdkafka', '--foreground-scripts'], { cwd: app, env: { ...env, CC: 'false' } });
  const lines = `${broken.stdout}${broken.stderr}`.split('\n').filter((l) => l.startsWith('aio-rdkafka: '));
  check(where, '(a) a failed plugin build: the install still succeeds and prints one line saying why and what is lost', broken.code === 0 && lines.length === 1 && /not built: .*polls on its timer/.test(lines[0] ?? ''), lines.join(' / ') || excerpt(broken.stdout + broken.stderr));
  await checkPlugin(where, app, env, { built: false, reason: 'node-gyp' });
  const fixed = await run('npm', ['rebuild', 'aio-rdkafka'], { cwd: app, env });
  check(where, '(a) `npm rebuild aio-rdkafka` builds it again', fixed.code === 0 && existsSync(join(app, 'node_modules', 'aio-rdkafka', 'native', 'build', 'Release', 'aio_rdkafka_poller.node')));
}

/** `npm install <tarball>` in a fresh app on `node`: resolves the app, or undefined if it failed. */
async function npmInstall(node, work, tarball, installs) {
  const where = `node ${node.major} npm`;
  const app = newApp(join(work, `npm-node${node.major}`));
  const install = await run('npm', ['install', tarball], { cwd: app, env: envFor(node, work), timeoutMs: 20 * 60_000 });
  installs.push({ node, ms: install.ms });
  const ok = check(where, `npm install <tarball> (node ${node.version})`, install.code === 0, `${Math.round(install.ms / 1000)} s${install.code === 0 ? '' : `: ${excerpt(install.stderr)}`}`);
  return ok ? app : undefined;
}

/** Every check on one Node's npm app. */
async function npmChecks(node, work, app, awaitUsing) {
  const where = `node ${node.major} npm`;
  const env = envFor(node, work);
  await checkPlugin(where, app, env);
  await checkImports(where, app, env);
  await checkFailedConnects(where, app, env);
  const tools = await run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', ...DEV_TOOLS(node.major)], { cwd: app, env });
  if (!check(where, 'npm install --save-dev typescript jest ts-jest @types/*', tools.code === 0, tools.code === 0 ? '' : excerpt(tools.stderr))) return;
  await checkPrograms(where, app, env, node, awaitUsing);
  const packageDir = join(app, 'node_modules', 'aio-rdkafka');
  for (const result of await Promise.all([runJestTest(app, packageDir, env), runNodeTest(app, packageDir, env)])) {
    check(where, `(d) ${result.name}: passes and exits by itself`, result.ok, result.detail);
  }
  if (node.major === MATRIX_NODE) {
    await checkContents(where, app, env);
    await checkBuildFailure(where, app, env);
  }
}

/**
 * pnpm: a plain `pnpm add` runs no dependency's build script (pnpm 10 asks for approval first), so
 * nothing native is built and the install says so; after `pnpm approve-builds` (here with --all,
 * as answering its prompt does) the plugin is built and used.
 */
async function pnpmApp(node, work, tarball, pnpm) {
  const where = `node ${node.major} pnpm ${PNPM_MAJOR}`;
  const env = envFor(node, work);
  const app = newApp(join(work, `pnpm-node${node.major}`));
  const add = await run(pnpm, ['add', tarball], { cwd: app, env, timeoutMs: 20 * 60_000 });
  const ignored = /Ignored build scripts:.*node-rdkafka/s.test(add.stdout.replace(/[│\s]+/g, ' '));
  check(where, 'pnpm add <tarball>: builds nothing and names node-rdkafka and aio-rdkafka as ignored builds', add.code === 0 && ignored && /aio-rdkafka@/.test(add.stdout), `${Math.round(add.ms / 1000)} s`);
  const approve = await run(pnpm, ['approve-builds', '--all'], { cwd: app, env, timeoutMs: 20 * 60_000 });
  if (!check(where, 'pnpm approve-builds --all: builds node-rdkafka, then the plugin', approve.code === 0, `${Math.round(approve.ms / 1000)} s${approve.code === 0 ? '' : `: ${excerpt(approve.stdout + approve.stderr)}`}`)) return;
  await checkPlugin(where, app, env);
  await checkImports(where, app, env);
}

async function main() {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'aio-package-test-'));
  console.log(`package test: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ccache ${hasCcache() ? 'on' : 'off'}, apps in ${work}`);
  let tarball = process.env.AIO_PACKAGE_TEST_TARBALL;
  if (tarball === undefined) {
    const pack = await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, env: cleanEnv() });
    tarball = join(work, pack.stdout.trim().split('\n').pop() ?? '');
    if (!check('package', 'npm pack', pack.code === 0 && existsSync(tarball), pack.code === 0 ? '' : excerpt(pack.stderr))) return finish(started, work, []);
  }
  const nodes = await Promise.all(MAJORS.map(nodeOf));
  const pnpm = await pnpmOf(PNPM_MAJOR);
  const awaitUsing = [];
  const installs = [];
  // The installs, which compile, one at a time; each Node's checks as soon as its install is done,
  // while the next install compiles.
  let installing = Promise.resolve();
  const checks = [];
  for (const node of nodes) {
    const app = installing.then(() => npmInstall(node, work, tarball, installs));
    installing = app
      .then(() => (node.major === PNPM_NODE ? pnpmApp(node, work, tarball, pnpm) : undefined))
      // (g) on the repository's Node: the built CKJS it packs was compiled for that Node.
      .then(() => (node.version === process.versions.node ? ckjsApp(node, work, tarball, { check, newApp, fixture, json }) : undefined));
    checks.push(app.then((dir) => dir && npmChecks(node, work, dir, awaitUsing)));
  }
  await Promise.all([installing, ...checks]);
  console.log(`\n\`await using\` as TypeScript emits it for target ESNext: ${awaitUsing.join('; ')}`);
  return finish(started, work, installs);
}

function finish(started, work, installs) {
  console.log('');
  for (const { node, ms } of installs.sort((a, b) => a.node.major - b.node.major)) {
    const mine = results.filter((r) => r.where.startsWith(`node ${node.major} `));
    const failed = mine.filter((r) => !r.ok);
    console.log(
      `node ${node.version}: ${failed.length === 0 ? 'PASS' : 'FAIL'} ${mine.length - failed.length}/${mine.length} checks` +
        ` (npm install ${Math.round(ms / 1000)} s${node.major === PNPM_NODE ? `; pnpm ${PNPM_MAJOR} too` : ''})${failed.length ? `; failed: ${failed.map((f) => f.name.split(': ')[0]).join('; ')}` : ''}`,
    );
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`package test took ${Math.round((Date.now() - started) / 1000)} s`);
  if (process.env.AIO_PACKAGE_TEST_KEEP) console.log(`apps kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
