import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/*
 * A doc table of MockClusterOptions or MockCluster lists every option or member the type has: a
 * partial copy of the table in another doc goes stale as the kit grows (api.md's had 2 of the
 * options and 5 of the members). A table is taken to be about a type when at least two of the
 * names in backticks in its first column, and at least half of them, are the type's members.
 */

const ROOT = join(__dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((file) => join('docs', file))];

/** The member names of interface `name` in src/testing/mock-cluster.ts. */
function membersOf(name: string): string[] {
  const file = join(ROOT, 'src', 'testing', 'mock-cluster.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (found === undefined) throw new Error(`no interface ${name}`);
  return found.members.flatMap((m) => (m.name !== undefined && ts.isIdentifier(m.name) ? [m.name.text] : []));
}

/** Each markdown table of `file`, as the identifiers in backticks of its rows' first cells. */
function tables(file: string): Array<{ line: number; names: Set<string> }> {
  const found: Array<{ line: number; names: Set<string> }> = [];
  let current: { line: number; names: Set<string> } | undefined;
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.startsWith('|')) {
        current = undefined;
        return;
      }
      if (current === undefined) found.push((current = { line: i + 1, names: new Set() }));
      const first = line.split('|')[1] ?? '';
      for (const match of first.matchAll(/`([A-Za-z]\w*)/g)) current.names.add(match[1]!);
      for (const match of first.matchAll(/`[^`]*`\s*\/\s*`([A-Za-z]\w*)/g)) current.names.add(match[1]!);
    });
  return found;
}

describe.each(['MockClusterOptions', 'MockCluster'])('the docs’ tables of %s', (type) => {
  it('list every member the type has', () => {
    const members = membersOf(type);
    const incomplete: string[] = [];
    let complete = 0;
    for (const file of DOCS) {
      for (const table of tables(file)) {
        const named = members.filter((m) => table.names.has(m)).length;
        if (named < 2 || named * 2 < table.names.size) continue;
        const missing = members.filter((m) => !table.names.has(m));
        if (missing.length > 0) incomplete.push(`${file}:${table.line} lacks ${missing.join(', ')}`);
        else complete++;
      }
    }
    expect(incomplete).toEqual([]);
    expect(complete).toBeGreaterThan(0);
  });
});
