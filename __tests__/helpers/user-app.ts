import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * A user's app in a temporary directory that reaches this package by its name through
 * node_modules, as installed (its package.json `exports`, `types` and `typesVersions` decide what
 * loads: the built dist/), with `tools` from this repo's node_modules beside it (`ts-jest`,
 * `@types`). `remove()` deletes it.
 */
export function createUserApp(prefix: string, tools: readonly string[] = []): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'aio-rdkafka'), 'dir');
  for (const tool of tools) symlinkSync(join(ROOT, 'node_modules', tool), join(dir, 'node_modules', tool), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
