import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ckjsDir } from '../helpers/binding';

/*
 * The public types, checked by the compiler itself: the typed configurations
 * (__tests__/types/config.types.ts) and the tracing payloads (tracing.types.ts) each compile
 * with no error (each `@ts-expect-error` met one), and with the directives removed each marked
 * line fails with exactly the error code written on its directive.
 */

const ROOT = join(__dirname, '..', '..');
const FILE = join(__dirname, 'config.types.ts');
/** Other files checked the same way (compile, then each directive's error), with their least number of directives. */
const MORE_FILES: Array<[string, number]> = [[join(__dirname, 'tracing.types.ts'), 1]];

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules', '@types')],
  skipLibCheck: true,
  esModuleInterop: true,
};

/** Compiles `text` as the types file `FILE`; returns its diagnostics and the program. */
function compile(text: string, file = FILE, options = OPTIONS): { diagnostics: readonly ts.Diagnostic[]; program: ts.Program } {
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : read(name));
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) =>
    name === file ? ts.createSourceFile(name, text, version) : original(name, version, onError, create);
  const program = ts.createProgram([file], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
  return { diagnostics, program };
}

function describeDiagnostic(d: ts.Diagnostic): string {
  const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1;
  return `line ${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
}

/** With the directives removed, each line they marked fails with exactly the code they name. */
function expectDirectivesMet(file: string, source: string, atLeast: number, options = OPTIONS): void {
  const lines = source.split('\n');
  const expected: string[] = [];
  const stripped = lines.map((line, i) => {
    const directive = /\/\/ @ts-expect-error (TS\d+)/.exec(line);
    if (directive === null) return line;
    expected.push(`line ${i + 2}: ${directive[1]}`); // the directive covers the next line
    return '';
  });
  expect(expected.length).toBeGreaterThanOrEqual(atLeast);
  const { diagnostics } = compile(stripped.join('\n'), file, options);
  const got = diagnostics.map((d) => `line ${d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: TS${d.code}`);
  expect(got).toEqual(expected);
}

describe.each(MORE_FILES)('types of %s', (file, atLeast) => {
  const source = readFileSync(file, 'utf8');

  it('compile, every @ts-expect-error meeting an error', () => {
    expect(compile(source, file).diagnostics.map(describeDiagnostic)).toEqual([]);
  }, 60_000);

  it('refuse each marked line with the error code its directive names', () => {
    expectDirectivesMet(file, source, atLeast);
  }, 60_000);
});

describe('typed configurations', () => {
  const source = readFileSync(FILE, 'utf8');
  let compiled: ReturnType<typeof compile> | undefined;
  const compiledSource = (): ReturnType<typeof compile> => (compiled ??= compile(source));

  it('compile, every @ts-expect-error meeting an error', () => {
    const { diagnostics } = compiledSource();
    expect(diagnostics.map(describeDiagnostic)).toEqual([]);
  }, 60_000);

  it('refuse each marked line with the error code its directive names', () => {
    expectDirectivesMet(FILE, source, 12);
  }, 60_000);

  it("carry librdkafka's documentation of each property into the editor", () => {
    const { program } = compiledSource();
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(FILE)!;
    let configType: ts.Type | undefined;
    const visit = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node) && node.typeName.getText(file) === 'ProducerConfig') configType ??= checker.getTypeFromTypeNode(node);
      ts.forEachChild(node, visit);
    };
    visit(file);
    // The text as an editor shows it: the generated comment's line breaks join into spaces.
    const doc = (name: string): string =>
      ts.displayPartsToString(configType!.getProperty(name)!.getDocumentationComment(checker)).replace(/\s+/g, ' ');
    const tags = (name: string): string[] =>
      configType!.getProperty(name)!.getJsDocTags(checker).map((tag) => `@${tag.name} ${ts.displayPartsToString(tag.text)}`.trim());
    expect(doc('linger.ms')).toMatch(/^Alias for `queue.buffering.max.ms`: Delay in milliseconds/);
    expect(doc('linger.ms')).toMatch(/Range: 0 \.\. 900000\./);
    expect(tags('linger.ms')).toEqual(['@default 5']);
    expect(doc('enable.idempotence')).toMatch(/exactly once/);
    // String macros in librdkafka's description are expanded: "must be less than or equal to 5".
    expect(doc('enable.idempotence')).toMatch(/`max.in.flight.requests.per.connection=5` \(must be less than or equal to 5\)/);
    expect(tags('ssl.endpoint.identification.algorithm')).toEqual(['@default https']);
    // A property of both levels has both levels' documentation: global, then topic-level.
    expect(tags('compression.type')).toEqual(['@default none', '@default inherit']);
    expect(doc('sasl.password')).toMatch(/A secret/);
    expect(tags('produce.offset.report')).toEqual(['@default false', '@deprecated librdkafka marks it deprecated.']);
    // Bounds and defaults written with hex literals, C integer division and header constants
    // (review of 09b4f06: they read 0 .. 7, 2097151.999..., and nothing).
    expect(doc('enabled_events')).toMatch(/Range: 0 \.\. 2147483647\./);
    expect(doc('compression.level')).toMatch(/Range: -1 \.\. 12\./);
    expect(tags('compression.level')).toEqual(['@default -1']);
    expect(tags('queuing.strategy')).toContain('@default fifo');
    expect(doc('security.protocol')).toMatch(/librdkafka ignores the case of the value: upper case is typed too\./);
    expect(configType!.getProperty('dr_msg_cb')).toBeUndefined();
    expect(configType!.getProperty('error_cb')).toBeUndefined();
  }, 60_000);
});

/*
 * CKJS's own configuration types, which its users already have, taken as they are. CKJS is not in
 * the repository's node_modules: the program finds it where the suites' CKJS run does
 * (bench/peers/node_modules, NODE_PATH), through `paths`. Without it these are skipped, unless
 * AIO_TEST_BOTH_BINDINGS is set (CI): then they fail.
 */
const CKJS_DIR = ckjsDir();
const CKJS_FILE = join(__dirname, 'ckjs-config.types.ts');
const CKJS_TYPES = `
import type { ConsumerGlobalConfig, ConsumerTopicConfig, GlobalConfig, ProducerGlobalConfig, ProducerTopicConfig } from '@confluentinc/kafka-javascript';
import { AIOAdmin, AIOConsumer, AIOProducer, type AdminConfig, type ConsumerConfig, type ProducerConfig } from '../../src';

const binding = '@confluentinc/kafka-javascript';
declare const producer: ProducerGlobalConfig & ProducerTopicConfig;
declare const consumer: ConsumerGlobalConfig & ConsumerTopicConfig & { 'group.id': string };
declare const admin: GlobalConfig;

export async function ckjsConfigs(): Promise<void> {
  await AIOProducer.connect(producer, { binding });
  await AIOConsumer.connect(consumer, { topics: ['t'], binding });
  await AIOAdmin.connect(admin, { binding });
  const asProducer: ProducerConfig = producer;
  const asConsumer: ConsumerConfig = consumer;
  const asAdmin: AdminConfig = admin;

  // What CKJS's librdkafka 2.15 takes and node-rdkafka's 2.12 does not, in CKJS's type and ours.
  const newer: ConsumerGlobalConfig & ConsumerTopicConfig & { 'group.id': string } = {
    'bootstrap.servers': 'localhost:9092',
    'group.id': 'g',
    'max.poll.records': 100,
    'sasl.oauthbearer.metadata.authentication.type': 'aws_iam',
  };
  const ours: ConsumerConfig = newer;
  await AIOConsumer.connect(ours, { topics: ['t'], binding });
  // @ts-expect-error TS2322 CKJS's type is still checked against ours: a value no librdkafka takes
  const wrong: ConsumerConfig = { ...newer, 'sasl.oauthbearer.metadata.authentication.type': 'gcp' };
  return void [asProducer, asConsumer, asAdmin, wrong];
}
`;

const CKJS_NAME = CKJS_DIR !== undefined ? "CKJS's own configuration types" : "CKJS's own configuration types (@confluentinc/kafka-javascript is not installed: unchecked)";
(CKJS_DIR !== undefined || process.env.AIO_TEST_BOTH_BINDINGS ? describe : describe.skip)(CKJS_NAME, () => {
  const options = (): ts.CompilerOptions => {
    if (CKJS_DIR === undefined) throw new Error('AIO_TEST_BOTH_BINDINGS is set, but @confluentinc/kafka-javascript is not installed (bench/peers/node_modules, NODE_PATH)');
    return { ...OPTIONS, paths: { '@confluentinc/kafka-javascript': [CKJS_DIR] } };
  };

  it('are assignable to ProducerConfig, ConsumerConfig and AdminConfig, every @ts-expect-error meeting an error', () => {
    const { diagnostics } = compile(CKJS_TYPES, CKJS_FILE, options());
    expect(diagnostics.map(describeDiagnostic)).toEqual([]);
  }, 60_000);

  it('refuse each marked line with the error code its directive names', () => {
    expectDirectivesMet(CKJS_FILE, CKJS_TYPES, 1, options());
  }, 60_000);
});
