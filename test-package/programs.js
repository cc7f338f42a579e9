/*
 * (c) The README's and the docs' whole programs, compiled from the installed package under the
 * tsconfigs users have, and run.
 *
 * A whole program is a TypeScript block of a shipped doc that imports the package, declares every
 * name it uses, is not a test file, and closes what it connects (`await using`, `close()`,
 * `stop()`): it starts and it ends. Other blocks are fragments of a longer program (one uses the
 * reader's own `producer` or `payload`, one connects to show a call and leaves the closing to the
 * rest of the app): __tests__/docs/snippets.test.ts type-checks those in the repository. The
 * blocks are read from the installed package's own README.md and docs/, so what is tested is what
 * ships. A program that uses what the embedded cluster does not implement (CreateTopics,
 * DeleteTopics, CreatePartitions: docs/testing.md) is compiled but only runs against a real
 * cluster.
 *
 * The matrix: strict, skipLibCheck false, each module setting (commonjs without esModuleInterop,
 * node16 and nodenext as ES modules and as CommonJS, bundler), each target (ES2022, ESNext). A
 * CommonJS file cannot await at its top level, so there the program's statements go into an async
 * main(), as a CommonJS user writes them; the imports stay as they are. To run, the address
 * 'localhost:9092' in the emitted JavaScript becomes the embedded cluster's.
 */
'use strict';
const { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { typeScriptBlocks } = require('./doc-snippets');
const { run } = require('./env');

const TARGETS = ['ES2022', 'ESNext'];
/** Module settings: `type` is the package.json type of the folder the program sits in. */
const MODULES = [
  { name: 'commonjs', type: 'commonjs', options: { module: 'commonjs' } },
  { name: 'node16-esm', type: 'module', options: { module: 'node16' } },
  { name: 'node16-cjs', type: 'commonjs', options: { module: 'node16' } },
  { name: 'nodenext-esm', type: 'module', options: { module: 'nodenext' } },
  { name: 'nodenext-cjs', type: 'commonjs', options: { module: 'nodenext' } },
  { name: 'bundler', type: 'module', options: { module: 'esnext', moduleResolution: 'bundler' } },
];
/** Every combination, named `<module>/<target>`. */
const CONFIGS = MODULES.flatMap((m) => TARGETS.map((target) => ({ ...m, target, id: `${m.name}/${target}` })));
/** What runs on every Node: each module kind with `await using` lowered, and one as emitted. */
const RUN_ON_EVERY_NODE = ['nodenext-esm/ES2022', 'commonjs/ES2022', 'nodenext-esm/ESNext'];

/** TypeScript's "cannot find name" family: the block uses a name the reader brings. */
const FREE_NAME_CODES = new Set([2304, 2552, 2580, 2582, 2591, 2593]);

/**
 * The whole programs among the installed package's docs: `{ name, code, source }`. The candidates
 * are type-checked together by the app's tsc, in a child process (a type-check in this process
 * would hold up the timers and exits it measures for the other Nodes' apps meanwhile); a
 * candidate with a "cannot find name" error is a fragment.
 * @param {string} app the app folder (with typescript and @types/node installed)
 */
async function wholePrograms(app, env) {
  const packageDir = join(app, 'node_modules', 'aio-rdkafka');
  const docs = ['README.md', ...readdirSync(join(packageDir, 'docs')).map((file) => join('docs', file))];
  const candidates = docs
    .flatMap((doc) => typeScriptBlocks(join(packageDir, doc)).map((block) => ({ ...block, doc })))
    .filter((block) => /from '(aio-rdkafka|aio-rdkafka\/testing)'/.test(block.code) && !/^declare /m.test(block.code))
    .filter((block) => !/^\s*(it|test|describe)\(/m.test(block.code))
    .filter((block) => !/\b(connect|startMockCluster)\(/.test(block.code) || /await using|\.(close|stop)\(/.test(block.code))
    .map((block) => ({ name: `${basename(block.doc, '.md')}-${block.line}`, code: block.code, source: `${block.doc}:${block.line}` }));
  const probe = join(app, 'programs', 'probe');
  rmSync(probe, { recursive: true, force: true });
  mkdirSync(probe, { recursive: true });
  for (const c of candidates) writeFileSync(join(probe, `${c.name}.ts`), `${c.code}\nexport {};\n`);
  const compilerOptions = { module: 'esnext', moduleResolution: 'bundler', target: 'ES2022', strict: true, noEmit: true, types: ['node'] };
  writeFileSync(join(probe, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
  const tsc = await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', probe, '--pretty', 'false'], { cwd: probe, env, timeoutMs: 180_000 });
  const fragments = new Set(
    [...`${tsc.stdout}`.matchAll(/^([^\s(]+)\.ts\(\d+,\d+\): error TS(\d+)/gm)].filter((m) => FREE_NAME_CODES.has(Number(m[2]))).map((m) => basename(m[1] ?? '')),
  );
  return candidates.filter((c) => !fragments.has(c.name));
}

/** `code` for a CommonJS file: the imports, then everything else inside an async main(). */
function asCommonJs(code, ts) {
  const source = ts.createSourceFile('program.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = [];
  const body = [];
  for (const statement of source.statements) {
    (ts.isImportDeclaration(statement) ? imports : body).push(statement.getFullText(source));
  }
  return `${imports.join('')}\n\nasync function main(): Promise<void> {${body.join('')}\n}\n\nmain().catch((err: unknown) => {\n  console.error(err);\n  process.exitCode = 1;\n});\n`;
}

/**
 * Writes every program under every configuration into `dir/<module>/<target>/` and type-checks
 * (and emits) the configurations `ids`. Resolves `{ id, ok, output }` per configuration.
 */
async function compile(app, dir, programs, ts, env, ids = CONFIGS.map((c) => c.id)) {
  const results = [];
  await Promise.all(
    CONFIGS.filter((config) => ids.includes(config.id)).map(async (config) => {
      const folder = join(dir, config.id);
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(join(folder, 'src'), { recursive: true });
      writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: config.type, private: true }, null, 2));
      const compilerOptions = { ...config.options, target: config.target, strict: true, skipLibCheck: false, types: ['node'], rootDir: 'src', outDir: 'out' };
      writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
      for (const program of programs) {
        const code = config.type === 'commonjs' ? asCommonJs(program.code, ts) : `${program.code}\nexport {};\n`;
        writeFileSync(join(folder, 'src', `${program.name}.ts`), code);
      }
      const tsc = await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', folder], { cwd: app, env, timeoutMs: 180_000 });
      results.push({ id: config.id, ok: tsc.code === 0, output: `${tsc.stdout}${tsc.stderr}`.trim() });
    }),
  );
  return results.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Runs each program emitted under configuration `id` with `node` against `bootstrap`: resolves
 * `{ name, source, ok, detail }` per program.
 */
async function runPrograms(dir, id, programs, bootstrap, env) {
  const out = join(dir, id, 'out');
  // One at a time: several programs at once beside a compiling install starved the embedded
  // clusters' outage recipe (docs/testing.md) into a timeout on Node 22, twice; alone it never did.
  return pool(
    1,
    programs.map((program) => async () => {
      const file = join(out, `${program.name}.js`);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/(['"])localhost:9092\1/g, JSON.stringify(bootstrap)));
      const result = await run('node', [file], { cwd: join(dir, id), env, timeoutMs: 60_000 });
      const output = `${result.stdout}${result.stderr}`;
      const ok = result.code === 0 && !result.timedOut;
      const unsupported = !ok && /api: '(CreateTopics|DeleteTopics|CreatePartitions)'/.exec(output)?.[1];
      const tail = (text) => text.trim().split('\n').slice(-4).join(' | ') || '(none)';
      const detail = result.timedOut ? `did not end within 60 s; stdout: ${tail(result.stdout)}; stderr: ${tail(result.stderr)}` : ok ? `${result.ms} ms` : telling(output);
      return { name: program.name, source: program.source, ok, detail, output, unsupported };
    }),
  );
}

/** Runs the `tasks` at most `limit` at a time; resolves their results in order. */
async function pool(limit, tasks) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** The error line of a failed program's output (a thrown error's first line), else its last lines. */
function telling(text) {
  const lines = text.trim().split('\n');
  const error = lines.findIndex((line) => /^\w*Error\b|^\s*(\w+Error|Error):/.test(line));
  return (error >= 0 ? lines.slice(error, error + 2) : lines.slice(-3)).map((line) => line.trim()).join(' | ');
}

module.exports = { CONFIGS, RUN_ON_EVERY_NODE, wholePrograms, compile, runPrograms };
