/*
 * ESLint (`npm run lint`, run by .ci/run): the mistakes a Promise library is most exposed to, read
 * with the types. Not a style guide: tsc (strict, noUnusedLocals, noUnusedParameters) and the
 * reviewers cover the rest. Each rule says why it is here; a rule left out says why below.
 *
 * Type information comes from one program, tsconfig.eslint.json (tsconfig.json's options and
 * paths over every linted folder). Not `projectService`: it would read examples/ through
 * examples/tsconfig.json, whose 'aio-rdkafka' is the built dist/, so lint would need a build and
 * build three programs instead of one.
 *
 * Left out, on purpose:
 * - no-unnecessary-condition: 114 findings (38 in src/), nearly all of them the validation of
 *   input a JavaScript caller can pass whatever the types say (`options === null`, an optional
 *   chain on a required option, `typeof x !== 'object'`). The rule would have that validation
 *   removed.
 * - no-unused-vars: tsc's noUnusedLocals/noUnusedParameters already fail the build; what the rule
 *   adds is imports used only by JSDoc `{@link}`s and the type parameters an interface must repeat
 *   to merge with its class, both on purpose.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const CODE = ['**/*.ts', '**/*.js', '**/*.cjs', '**/*.mjs'];
const FOLDERS = ['src', '__tests__', 'bench', 'examples', 'test-package', 'scripts'];

export default defineConfig(
  {
    ignores: ['dist/', 'dist-bench/', 'dist-examples/', 'build/', 'coverage/', 'node_modules/', 'bench/results/'],
  },
  {
    linterOptions: {
      // A disable comment that silences nothing misleads the next reader: it fails the run.
      reportUnusedDisableDirectives: 'error',
    },
  },
  {
    // Everything we write and run: the library, its tests, benchmarks, examples, the package test
    // and the build scripts. A promise dropped in a test is an assertion nobody waits for, or an
    // unhandled rejection that fails some later test; in a script it is a step that never ran.
    files: FOLDERS.flatMap((folder) => CODE.map((pattern) => `${folder}/${pattern}`)),
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: './tsconfig.eslint.json',
        // Not import.meta.dirname: that needs Node 20.11, ESLint 9 runs on 20.9.
        tsconfigRootDir: dirname(fileURLToPath(import.meta.url)),
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A promise nobody awaits, returns or catches: its rejection is unhandled (a crash under
      // Node's default) and whatever follows does not wait for it. Where nothing can be lost,
      // say so with `void` and a comment.
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a plain value is expected: an async listener given to an EventEmitter or
      // a callback API (its rejection goes nowhere), a promise as a condition (always truthy).
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` on what is not a promise: a missing call, or a result already there. Either is a
      // misunderstanding of the code awaited.
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch/finally: the catch never sees the rejection and the
      // finally runs before the promise settles. (And no `return await` elsewhere, as the code
      // is written.)
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union with no `default` must name every member: a new error code, state
      // or message type then fails here, not at run time. A `default` counts as handling the rest.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: FOLDERS.map((folder) => `${folder}/**/*.ts`),
    rules: {
      // In TypeScript `require()` returns `any`, and a promise that comes out of `any` is
      // invisible to the rules above. The few requires (lazy optional peers, the native binding)
      // are cast to a type at once and marked where they are. (JavaScript files are CommonJS:
      // there TypeScript reads `require` as an import, with its types.)
      '@typescript-eslint/no-require-imports': 'error',
    },
  },
  {
    // The library itself.
    files: CODE.map((pattern) => `src/${pattern}`),
    rules: {
      // An `async` function with nothing to await: a promise and a tick for nothing on paths
      // that run per message, or an `await` that went missing. (Tests and examples are left out:
      // there an async function without `await` stands for the user's async handler or
      // serializer, the path under test.)
      '@typescript-eslint/require-await': 'error',
      // What the library rejects and throws is an Error (errors are typed classes with codes):
      // never a string or a plain object. A caught `unknown` passed on as it is stays allowed.
      // (Not in tests and benchmarks: they wrap node-rdkafka callbacks, whose LibrdKafkaError is
      // an Error at run time but not in its typings, and throw non-Errors on purpose.)
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/only-throw-error': 'error',
    },
  },
);
