/*
 * The import layers docs/architecture.md draws ("Layers"), checked on every CI run
 * (`npm run check:deps`). Bottom to top: core/ → native/ → the clients (producer/, consumer/,
 * admin/) and testing/ → the public entries (index.ts, librdkafka.ts, testing/index.ts, bin/).
 * A rule here and a sentence there say the same thing: change both or neither.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No file reaches itself through its imports (type-only imports included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      comment: 'core/ is what every client shares; it imports only core/ (and plain npm packages, never the binding).',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'native-stands-on-core',
      severity: 'error',
      comment: 'native/ (the seam over the binding) imports core/ and native/ only.',
      from: { path: '^src/native/' },
      to: { path: '^src/', pathNot: '^src/(core|native)/' },
    },
    {
      name: 'only-native-loads-the-binding',
      severity: 'error',
      comment: 'The bindings (node-rdkafka, @confluentinc/kafka-javascript), their types included, are imported under src/native/ only: one seam holds every difference between them.',
      from: { path: '^src/', pathNot: '^src/native/' },
      to: { path: '^node_modules/(node-rdkafka|@confluentinc/kafka-javascript)/' },
    },
    {
      name: 'clients-stand-apart',
      severity: 'error',
      comment: 'A client folder imports its own folder, core/ and native/: never another client.',
      from: { path: '^src/(producer|consumer|admin)/' },
      to: { path: '^src/', pathNot: '^src/($1|core|native)/' },
    },
    {
      name: 'testing-stands-on-core',
      severity: 'error',
      comment: 'testing/ (the embedded cluster) imports testing/ and core/ only.',
      from: { path: '^src/testing/' },
      to: { path: '^src/', pathNot: '^src/(testing|core)/' },
    },
    {
      name: 'bin-runs-testing',
      severity: 'error',
      comment: 'bin/ (aio-rdkafka-mock) imports the testing entry only.',
      from: { path: '^src/bin/' },
      to: { path: '^src/', pathNot: '^src/testing/' },
    },
    {
      name: 'index-takes-no-runtime-from-native',
      severity: 'error',
      comment: 'index.ts re-exports facades, core/ and types; from native/ only types (src/librdkafka.ts is the facade for the rest).',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/native/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-the-entries',
      severity: 'error',
      comment: 'index.ts and librdkafka.ts are the public entries: nothing in src/ imports them but index.ts.',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/(index|librdkafka)\\.ts$' },
    },
    {
      name: 'facades-are-imported-by-the-entry',
      severity: 'error',
      comment: 'A facade (aio-*.ts) is imported by index.ts only (for types, by its own folder too).',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/[^/]+/aio-[^/]+\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src/|node_modules/node-rdkafka/)',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
