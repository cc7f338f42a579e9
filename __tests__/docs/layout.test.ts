import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/*
 * The source layout docs/architecture.md describes: no file in src/ past 450 lines (a longer one
 * has a seam to cut at), and every file of src/ named on that page, so that the page follows the
 * code when a file is added, split or renamed.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const MAX_LINES = 450;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

const sources = files(SRC);
const architecture = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

it('finds the sources', () => {
  expect(sources.length).toBeGreaterThan(50);
});

it.each(sources.map((path) => [relative(ROOT, path), path]))('%s is at most 450 lines', (_name, path) => {
  const lines = readFileSync(path, 'utf8').split('\n').length - 1;
  expect(lines).toBeLessThanOrEqual(MAX_LINES);
});

/** Each line of the page with the heading it is under: a table row names a file by its base name. */
const lines: Array<{ line: string; heading: string }> = [];
let heading = '';
for (const line of architecture.split('\n')) {
  if (line.startsWith('#')) heading = line;
  lines.push({ line, heading });
}

it('docs/architecture.md names every file of src/', () => {
  const missing = sources
    .map((path) => relative(SRC, path))
    .filter((name) => {
      const slash = name.lastIndexOf('/');
      const folder = slash < 0 ? '' : `${name.slice(0, slash)}/`;
      const base = name.slice(slash + 1);
      // By its path, or by its name (`pipeline.ts`) on a line or under a heading that names its folder.
      const named = lines.some(
        ({ line, heading }) =>
          line.includes(`src/${name}`) || (line.includes(`\`${base}\``) && (line.includes(folder) || heading.includes(folder))),
      );
      return !named;
    });
  expect(missing).toEqual([]);
});
