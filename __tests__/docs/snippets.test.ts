import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

/*
 * Every ```ts block in the README and docs/ is type-checked against the package's source, so a
 * renamed option or a changed signature breaks the build instead of the reader. A block may
 * declare the free names it uses (`declare const payload: Buffer;`); a block that is a signature
 * listing rather than code starts with `// signature` and is skipped.
 */

const ROOT = join(__dirname, '..', '..');
const FILES = ['README.md', 'docs/api.md', 'docs/delivery-semantics.md', 'docs/consumer.md', 'docs/reliability.md', 'docs/testing.md', 'docs/observability.md'];

/** Names the docs use without defining them: the reader's own application. */
const AMBIENT = `
declare const brokers: string;
declare const payload: Buffer;
declare const metrics: { increment(name: string, tags?: Record<string, unknown>): void };
declare function index(value: Buffer | null): Promise<void>;
declare function scheduleRetry(): void;
declare function handle(value: unknown): Promise<void>;
declare function processMessage(message: unknown): Promise<void>;
declare function bill(message: unknown): Promise<void>;
declare function save(message: unknown): Promise<void>;
declare let shuttingDown: boolean;
/* Docs that show one call on an existing client use these. */
declare const producer: import('aio-rdkafka').AIOProducer;
declare const consumer: import('aio-rdkafka').AIOConsumer;
`;

function snippets(): Array<{ file: string; line: number; code: string }> {
  const found: Array<{ file: string; line: number; code: string }> = [];
  for (const file of FILES) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```ts') continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end]!.trim() !== '```') end++;
      const code = lines.slice(start, end).join('\n');
      if (!code.trimStart().startsWith('// signature')) found.push({ file, line: start + 1, code });
      i = end;
    }
  }
  return found;
}

describe('code in the README and docs', () => {
  it('type-checks against the package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aio-snippets-'));
    try {
      const blocks = snippets();
      expect(blocks.length).toBeGreaterThan(5);
      const names = blocks.map((block, n) => {
        const name = join(dir, `snippet-${n}.ts`);
        // Each block is a module of its own (top-level await allowed).
        writeFileSync(name, `${block.code}\nexport {};\n`);
        return name;
      });
      const ambient = join(dir, 'ambient.d.ts');
      writeFileSync(ambient, AMBIENT);
      const program = ts.createProgram([...names, ambient], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ES2022,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        baseUrl: ROOT,
        paths: {
          'aio-rdkafka': ['src/index.ts'],
          'aio-rdkafka/testing': ['src/testing/index.ts'],
          // docs/observability.md shows the optional OpenTelemetry peer dependency in use.
          '@opentelemetry/api': ['node_modules/@opentelemetry/api'],
        },
        skipLibCheck: true,
        esModuleInterop: true,
        allowJs: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file && names.includes(d.file.fileName))
        .map((d) => {
          const n = names.indexOf(d.file!.fileName);
          const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
          return `${blocks[n]!.file}:${blocks[n]!.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
