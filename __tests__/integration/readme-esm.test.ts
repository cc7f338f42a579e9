import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { DIST, requireDist } from '../helpers/run-node';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/*
 * The README's examples (its Example section) are ES modules that a user copies: each block that imports the package is
 * compiled to JavaScript as a user's build would, saved as a .mjs, pointed at the test broker and
 * the built package, and run in its own node. It must exit 0 with nothing on stderr.
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

describe('README examples', () => {
  const examples = readmeExamples();

  it('are there', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((code, i) => [i, code] as const))('example %i runs as an ES module', (_i, code) => {
    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const script = js
      .replaceAll("'aio-rdkafka'", `'${pathToFileURL(DIST).href}'`)
      .replaceAll("'localhost:9092'", `'${broker.bootstrapServers}'`);
    const dir = mkdtempSync(join(tmpdir(), 'aio-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, script);
      const run = spawnSync(process.execPath, ['--unhandled-rejections=strict', file], { encoding: 'utf8', timeout: 60_000 });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
