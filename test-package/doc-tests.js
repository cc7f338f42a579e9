/*
 * (d) The Jest test and the node:test test of docs/testing.md, written into an app exactly as the
 * installed package's doc shows them (with the Jest configuration and tsconfig it shows, when it
 * shows one), run as a user runs them: they must pass and the runner must exit by itself (no
 * --forceExit, no --test-force-exit). Both must use `await using`, the way the docs teach to
 * close a client.
 */
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { codeBlocks } = require('./doc-snippets');
const { run } = require('./env');

/** How long a runner may take before it counts as hanging (a test that never exits). */
const RUNNER_TIMEOUT_MS = 120_000;

/** The blocks of docs/testing.md this check uses; missing ones are undefined. */
function testingDoc(packageDir) {
  const blocks = codeBlocks(join(packageDir, 'docs', 'testing.md'));
  const ts = blocks.filter((block) => block.lang === 'ts');
  const isTest = (block) => /\b(it|test)\(/.test(block.code);
  return {
    nodeTest: ts.find((block) => isTest(block) && /from 'node:test'/.test(block.code)),
    jest: ts.find((block) => isTest(block) && !/from 'node:test'/.test(block.code)),
    jestConfig: blocks.find((block) => ['js', 'cjs', 'json'].includes(block.lang) && /ts-jest/.test(block.code)),
    tsconfig: blocks.find((block) => block.lang === 'json' && /"compilerOptions"/.test(block.code)),
  };
}

/** A tsconfig for the tests when the doc shows none: what `tsc --init` users have, strict. */
function defaultTsconfig(module) {
  return { compilerOptions: { target: 'ES2022', module, strict: true, skipLibCheck: false, types: ['node', 'jest'] } };
}

function where(block) {
  return `docs/testing.md:${block.line}`;
}

/** Resolves `{ name, ok, detail }` for the Jest test. */
async function runJestTest(app, packageDir, env) {
  const doc = testingDoc(packageDir);
  const name = 'Jest test of docs/testing.md (ts-jest, `await using`)';
  if (doc.jest === undefined) return { name, ok: false, detail: 'docs/testing.md shows no Jest test' };
  if (!doc.jest.code.includes('await using')) return { name, ok: false, detail: `the Jest test at ${where(doc.jest)} does not use \`await using\`` };
  const dir = join(app, 'jest-test');
  mkdirSync(join(dir, '__tests__'), { recursive: true });
  writeFileSync(join(dir, '__tests__', 'orders.test.ts'), doc.jest.code);
  writeFileSync(join(dir, 'tsconfig.json'), doc.tsconfig?.code ?? JSON.stringify(defaultTsconfig('commonjs'), null, 2));
  const config = doc.jestConfig;
  if (config === undefined) writeFileSync(join(dir, 'jest.config.js'), "module.exports = { preset: 'ts-jest', testEnvironment: 'node' };\n");
  else if (config.lang === 'json') writeFileSync(join(dir, 'package.json'), config.code.includes('"jest"') ? config.code : JSON.stringify({ jest: JSON.parse(config.code) }));
  else writeFileSync(join(dir, 'jest.config.js'), config.code);
  const jest = await run('node', [join(app, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'], { cwd: dir, env, timeoutMs: RUNNER_TIMEOUT_MS });
  const output = `${jest.stdout}${jest.stderr}`;
  if (jest.timedOut) return { name, ok: false, detail: `Jest had not exited after ${RUNNER_TIMEOUT_MS / 1000} s: ${excerpt(output)}` };
  const ok = jest.code === 0 && /Tests:\s+\d+ passed/.test(output) && !/did not exit/.test(output);
  return { name, ok, detail: ok ? `passed, exited in ${(jest.ms / 1000).toFixed(1)} s` : excerpt(output) };
}

/** Resolves `{ name, ok, detail }` for the node:test test (compiled by tsc, as an ES module). */
async function runNodeTest(app, packageDir, env) {
  const doc = testingDoc(packageDir);
  const name = 'node:test test of docs/testing.md (`await using`)';
  if (doc.nodeTest === undefined) return { name, ok: false, detail: 'docs/testing.md shows no node:test test' };
  if (!doc.nodeTest.code.includes('await using')) return { name, ok: false, detail: `the node:test test at ${where(doc.nodeTest)} does not use \`await using\`` };
  const dir = join(app, 'node-test');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const tsconfig = defaultTsconfig('nodenext');
  tsconfig.compilerOptions.types = ['node'];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, rootDir: 'src', outDir: 'out' } }, null, 2));
  writeFileSync(join(dir, 'src', 'orders.test.ts'), doc.nodeTest.code);
  const tsc = await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: dir, env, timeoutMs: 120_000 });
  if (tsc.code !== 0) return { name, ok: false, detail: `does not compile: ${excerpt(`${tsc.stdout}${tsc.stderr}`)}` };
  const test = await run('node', ['--test', join('out', 'orders.test.js')], { cwd: dir, env, timeoutMs: RUNNER_TIMEOUT_MS });
  const output = `${test.stdout}${test.stderr}`;
  if (test.timedOut) return { name, ok: false, detail: `node --test had not exited after ${RUNNER_TIMEOUT_MS / 1000} s: ${excerpt(output)}` };
  // TAP (Node 20, 22) or the spec reporter (Node 24 and later) when stdout is not a terminal.
  const ok = test.code === 0 && /^(# |ℹ )fail 0$/m.test(output) && !/^(# |ℹ )pass 0$/m.test(output);
  return { name, ok, detail: ok ? `passed, exited in ${(test.ms / 1000).toFixed(1)} s` : excerpt(output) };
}

function excerpt(text) {
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '');
  const telling = lines.filter((line) => /error|Error|✕|●|fail|not ok|did not exit/.test(line)).slice(0, 6);
  return (telling.length > 0 ? telling : lines.slice(-6)).map((line) => line.trim()).join(' | ');
}

module.exports = { runJestTest, runNodeTest, excerpt };
