import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { requireDist, runCommand } from '../../helpers/run-node';
import { createUserApp } from '../../helpers/user-app';

/*
 * docs/testing.md's "A jest test you can copy" and its node:test version, run as a user runs
 * them: copied into an app of their own that reaches the package by its name through
 * node_modules (the built package: its package.json `exports` decide what loads), with Jest
 * (ts-jest) and with `node --test`, each in a process of its own. They use `await using`; each
 * run must pass, and end by itself: a producer left open (Jest's context lacks Node 20's
 * Symbol.asyncDispose) once kept Jest waiting for 600 s.
 */

const ROOT = join(__dirname, '..', '..', '..');

/** The fenced blocks of `lang` in the section of docs/testing.md that starts with `heading`. */
function blocks(heading: string, lang: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'testing.md'), 'utf8');
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/testing.md has no "${heading}"`);
  const end = doc.indexOf('\n## ', start + heading.length + 2);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

describe("docs/testing.md's tests, run as a user's app runs them", () => {
  let app: string;
  let remove: () => void;
  beforeAll(() => {
    requireDist();
    // The package by its name, as installed; the tools the app would have installed beside it.
    ({ dir: app, remove } = createUserApp('aio-test-runners-', ['ts-jest', '@types']));
  });
  afterAll(() => remove());

  it('the jest test passes with the setup entry, and Jest exits by itself', async () => {
    const [config] = blocks('## A jest test you can copy', 'js');
    const [test] = blocks('## A jest test you can copy', 'ts');
    expect(config).toMatch(/aio-rdkafka\/testing\/jest-setup/);
    expect(test).toMatch(/await using/);
    writeFileSync(join(app, 'jest.config.js'), config!);
    // What the docs ask of the tsconfig on Node 20 and 22, in a strict project.
    const tsconfig = { compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: false, types: ['node', 'jest'] } };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(app, 'orders.test.ts'), test!);
    const jest = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    const result = await runCommand(process.execPath, [jest, '--rootDir', app, '--ci', '--runInBand'], { cwd: app, limitMs: 120_000 });
    expect({ exitedByItself: result.exitedByItself, code: result.code }).toEqual({ exitedByItself: true, code: 0 });
    expect(result.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(result.stderr).not.toMatch(/did not exit|open handle/i);
  }, 150_000);

  it('the node:test version passes and exits by itself', async () => {
    const [test] = blocks('### The same with `node:test`', 'ts');
    expect(test).toMatch(/await using/);
    // As the user's build compiles it on Node 20 and 22: `await using` lowered (target ES2022).
    const js = ts.transpileModule(test!, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
    writeFileSync(join(app, 'orders.node-test.js'), js);
    const result = await runCommand(process.execPath, ['--test', 'orders.node-test.js'], { cwd: app, limitMs: 60_000 });
    expect({ exitedByItself: result.exitedByItself, code: result.code }).toEqual({ exitedByItself: true, code: 0 });
    expect(result.stdout).toMatch(/# pass 1\n# fail 0/);
  }, 90_000);
});
