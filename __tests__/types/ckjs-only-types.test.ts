import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { requireDist } from '../helpers/run-node';

/*
 * A TypeScript app on @confluentinc/kafka-javascript alone: installed with `--omit=optional`, as
 * README.md says, so node-rdkafka is not there. The published declarations must not need it:
 * with `skipLibCheck: false` an import of node-rdkafka is TS2307, and with `skipLibCheck: true`
 * it silently makes every configuration `any`, so a misspelt name or a wrong value would compile.
 * The package is copied (not linked: a link would reach this repo's node_modules, node-rdkafka
 * included) into an app that has nothing else but Node's types.
 */

const ROOT = join(__dirname, '..', '..');

const VALID = `
import { AIOAdmin, AIOConsumer, AIOProducer, unlistedConfig, type ProducerConfig } from 'aio-rdkafka';
const binding = '@confluentinc/kafka-javascript';
export async function main(): Promise<void> {
  const config: ProducerConfig = { 'bootstrap.servers': 'localhost:9092', acks: 'all', 'linger.ms': '5', 'compression.type': 'lz4' };
  const producer = await AIOProducer.connect({ ...config, ...unlistedConfig({ 'some.new.property': 1 }) }, { binding });
  await producer.close();
  const consumer = await AIOConsumer.connect({ 'bootstrap.servers': 'localhost:9092', 'group.id': 'g', 'auto.offset.reset': 'earliest' }, { topics: ['t'], binding });
  await consumer.close();
  const admin = await AIOAdmin.connect({ 'bootstrap.servers': 'localhost:9092', 'security.protocol': 'plaintext' }, { binding });
  await admin.close();
}
`;

/** Each line is refused with the error code that follows it (`// TSnnnn`). */
const REFUSED = `
import { AIOAdmin, AIOConsumer, AIOProducer } from 'aio-rdkafka';
export async function main(): Promise<void> {
  await AIOProducer.connect({ 'bootstrap.servers': 'localhost:9092', acks: 'everyone' }); // TS2322
  await AIOProducer.connect({ 'bootstrap.server': 'localhost:9092' }); // TS2353
  await AIOProducer.connect({ 'bootstrap.servers': 'localhost:9092', 'linger.ms': 'soon' }); // TS2322
  await AIOConsumer.connect({ 'bootstrap.servers': 'localhost:9092' }, { topics: ['t'] }); // TS2345
  await AIOConsumer.connect({ 'bootstrap.servers': 'localhost:9092', 'group.id': 'g', 'auto.offset.reset': 'oldest' }, { topics: ['t'] }); // TS2322
  await AIOAdmin.connect({ 'bootstrap.servers': 'localhost:9092', 'security.protocol': 'tls' }); // TS2322
}
`;

describe('the published declarations in an app without node-rdkafka', () => {
  let app: string;
  beforeAll(() => {
    requireDist();
    app = mkdtempSync(join(tmpdir(), 'aio-ckjs-only-types-'));
    const installed = join(app, 'node_modules', 'aio-rdkafka');
    cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true, filter: (path) => !path.endsWith('.map') });
    cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
    for (const types of ['@types/node', 'undici-types']) {
      cpSync(join(ROOT, 'node_modules', types), join(app, 'node_modules', types), { recursive: true });
    }
    writeFileSync(join(app, 'valid.ts'), VALID);
    writeFileSync(join(app, 'refused.ts'), REFUSED);
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  /** Every diagnostic of compiling `file` in the app, as `file:line: TSnnnn message`. */
  function check(file: string, skipLibCheck: boolean): string[] {
    const program = ts.createProgram([join(app, file)], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [join(app, 'node_modules', '@types')],
      skipLibCheck,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(app, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
      return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  }

  it('type-check with skipLibCheck false: no declaration imports a package the app lacks', () => {
    expect(check('valid.ts', false)).toEqual([]);
  }, 120_000);

  it('keep the configurations typed with skipLibCheck true: wrong names and values are errors, not `any`', () => {
    const expected = REFUSED.split('\n').flatMap((line, i) => {
      const code = / \/\/ (TS\d+)$/.exec(line)?.[1];
      return code === undefined ? [] : [`/refused.ts:${i + 1}: ${code}`];
    });
    expect(expected).toHaveLength(6);
    expect(check('refused.ts', true).map((d) => d.replace(/(TS\d+) .*$/, '$1'))).toEqual(expected);
  }, 120_000);
});
