import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** node-rdkafka's librdkafka: headers and the shared library the plugin links against. */
const DEPS = join(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps');

/**
 * Compiles __tests__/fixtures/user-plugin.c (a user's librdkafka plugin with interceptors) into
 * `dir` and returns its path, for `plugin.library.paths`. Needs a C compiler (`cc`), as
 * node-rdkafka's own install does.
 */
export function buildUserPlugin(dir: string): string {
  const out = join(dir, 'user-plugin.so');
  const source = join(__dirname, '..', 'fixtures', 'user-plugin.c');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, source, `-I${join(DEPS, 'include')}`, `-L${DEPS}`, '-l:librdkafka.so.1', `-Wl,-rpath,${DEPS}`], {
      stdio: 'pipe',
    });
  } catch (err) {
    throw new Error(`cannot compile the test plugin ${source} with cc: ${(err as { stderr?: Buffer }).stderr?.toString() ?? String(err)}`);
  }
  return out;
}
