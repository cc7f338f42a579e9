import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { DIST, requireDist } from '../helpers/run-node';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The README's examples (its Example section) are ES modules that a user copies: each block that
 * imports the package is compiled to JavaScript as a user's build would, saved as a .mjs, pointed
 * at the test broker and the built package, and run in its own node. It must exit 0 with nothing
 * on stderr. What the README's table says of `await using` is checked on this machine's Node:
 * compiled for target ES2022 it runs on every supported Node; emitted as written (target ESNext,
 * or plain JavaScript) it is a SyntaxError before Node 24; the `try`/`finally` form needs nothing.
 */

let broker: TestBroker;
beforeAll(async () => {
  requireDist();
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.stop();
});

/** The blocks of the README's "Example" section (later sections show fragments that run forever). */
function readmeExamples(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Example\n');
  const text = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes("from 'aio-rdkafka'"));
}

/** `code` compiled for `target` as an ES module, run as a .mjs against the test broker. */
function runExample(code: string, target: ts.ScriptTarget): { status: number | null; stderr: string } {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target } }).outputText;
  const script = js
    .replaceAll("'aio-rdkafka'", `'${pathToFileURL(DIST).href}'`)
    .replaceAll("'localhost:9092'", `'${broker.bootstrapServers}'`);
  const dir = mkdtempSync(join(tmpdir(), 'aio-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, ['--unhandled-rejections=strict', file], { encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('README examples', () => {
  const examples = readmeExamples();
  const disposing = examples.filter((code) => code.includes('await using'));
  const plain = examples.filter((code) => !code.includes('await using'));

  it('are there: with `await using`, and the try/finally form without it', () => {
    expect(disposing.length).toBeGreaterThanOrEqual(2);
    expect(plain.length).toBeGreaterThanOrEqual(1);
  });

  it.each(disposing.map((code, i) => [i, code] as const))('example %i with `await using` runs compiled for target ES2022', (_i, code) => {
    expect(runExample(code, ts.ScriptTarget.ES2022)).toEqual({ status: 0, stderr: '' });
  });

  (NODE_MAJOR < 24 ? it.each : it.skip.each)(disposing.map((code, i) => [i, code] as const))(
    'example %i with `await using` is a SyntaxError as written (target ESNext) before Node 24',
    (_i, code) => {
      const run = runExample(code, ts.ScriptTarget.ESNext);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/SyntaxError/);
    },
  );

  it.each(plain.map((code, i) => [i, code] as const))('example %i without `await using` runs as written (target ESNext)', (_i, code) => {
    expect(runExample(code, ts.ScriptTarget.ESNext)).toEqual({ status: 0, stderr: '' });
  });
});
