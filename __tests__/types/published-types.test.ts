import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { DIST, requireDist } from '../helpers/run-node';
import { createUserApp } from '../helpers/user-app';

/*
 * The declarations the package publishes (dist/**\/*.d.ts), type-checked as a user's strict
 * project reads them: `skipLibCheck: false` (every .d.ts is checked, ours included), and
 * CommonJS without `esModuleInterop`, where a default import of a CommonJS package (p-defer's,
 * once) fails with TS1259. The package is reached by its name through node_modules, as
 * installed: its package.json `types`, `typesVersions` and `exports` decide what is read.
 */

const ROOT = join(__dirname, '..', '..');

/** Every .d.ts under `dir`. */
function declarations(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const USER_CODE = `
import { AIOProducer, AIOConsumer, isAIOKafkaError, type CommitTrace } from 'aio-rdkafka';
import { startMockCluster } from 'aio-rdkafka/testing';
import type {} from 'aio-rdkafka/testing/jest-setup';

export async function main(): Promise<void> {
  const cluster = await startMockCluster({ brokers: 1 });
  const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers });
  await producer.produce('items', 'hello');
  await producer.close();
  const consumer = await AIOConsumer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'group.id': 'g' }, { topics: ['items'] });
  await consumer.close();
  await cluster.stop();
}
export const code = (trace: CommitTrace): string | undefined => (isAIOKafkaError(trace.error) ? trace.error.code : undefined);
`;

const SETTINGS: Array<[string, ts.CompilerOptions]> = [
  ['module commonjs, moduleResolution node10, no esModuleInterop', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
  ['module nodenext', { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }],
];

describe('the published declarations', () => {
  let app: string;
  let remove: () => void;
  beforeAll(() => {
    requireDist();
    ({ dir: app, remove } = createUserApp('aio-types-'));
    writeFileSync(join(app, 'main.ts'), USER_CODE);
  });
  afterAll(() => remove());

  it.each(SETTINGS)('type-check, every one of them, with %s and skipLibCheck false', (_what, settings) => {
    const files = declarations(join(DIST, '..'));
    expect(files.length).toBeGreaterThan(20);
    const program = ts.createProgram([join(app, 'main.ts'), ...files], {
      ...settings,
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      skipLibCheck: false,
      esModuleInterop: false,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(ROOT, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
      return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(problems).toEqual([]);
  }, 120_000);
});
