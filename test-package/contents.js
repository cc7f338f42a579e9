/*
 * (f) What the package ships, read from an installed copy: no source map without its source,
 * every link of a shipped doc resolves inside the package (file, and heading for an anchor) or is
 * a public URL, and every name the docs' code imports from the package is exported by it.
 */
'use strict';
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');
const { codeBlocks } = require('./doc-snippets');

/** Every file under `dir`, as paths relative to it (the native build's output left out). */
function filesOf(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || relative(base, path) === join('native', 'build')) return [];
    return statSync(path).isDirectory() ? filesOf(path, base) : [relative(base, path)];
  });
}

/** Problems with source maps: a map whose source is not shipped, a reference to a missing map. */
function sourceMapProblems(packageDir) {
  const problems = [];
  for (const file of filesOf(packageDir)) {
    const path = join(packageDir, file);
    if (file.endsWith('.map')) {
      const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(path, 'utf8'));
      for (const source of sources) {
        if (!existsSync(resolve(dirname(path), sourceRoot, source))) problems.push(`${file}: its source ${source} is not shipped`);
      }
    } else if (/\.(c|m)?js$/.test(file)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path, 'utf8'))?.[1];
      if (url !== undefined && !url.startsWith('data:') && !existsSync(resolve(dirname(path), url))) problems.push(`${file}: its map ${url} is not shipped`);
    }
  }
  return problems;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings (repeated headings get -1, -2, ...). */
function anchorsOf(path) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim().startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (heading === null) continue;
    const base = slug((heading[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The link targets of a markdown file, outside code: `{ line, target }`. */
function linksOf(path) {
  const links = [];
  let fenced = false;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim().startsWith('```')) fenced = !fenced;
      if (fenced) return;
      const text = line.replace(/`[^`]*`/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]*)(?:\s+"[^"]*")?\)/g)) links.push({ line: i + 1, target: match[1] ?? '' });
      const reference = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(text);
      if (reference !== null) links.push({ line: i + 1, target: reference[1] ?? '' });
    });
  return links;
}

/** The shipped markdown files. */
function docsOf(packageDir) {
  return filesOf(packageDir).filter((file) => file.endsWith('.md'));
}

/** Problems with the shipped docs' links. */
function linkProblems(packageDir) {
  const problems = [];
  for (const doc of docsOf(packageDir)) {
    const path = join(packageDir, doc);
    for (const { line, target } of linksOf(path)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const where = `${doc}:${line}: ${target || '(empty)'}`;
      if (target === '') {
        problems.push(`${where} is an empty link`);
        continue;
      }
      const [file = '', anchor] = target.split('#');
      const linked = file === '' ? path : resolve(dirname(path), decodeURIComponent(file));
      if (relative(packageDir, linked).startsWith('..')) problems.push(`${where} points outside the package`);
      else if (!existsSync(linked)) problems.push(`${where} is not shipped`);
      else if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(linked).has(anchor)) problems.push(`${where}: no such heading`);
    }
  }
  return problems;
}

/**
 * The imports of the package in the shipped docs' code, as one TypeScript file that imports each
 * name the way the docs do: it compiles only if each is exported.
 */
function docImportsFile(packageDir) {
  const imports = new Map();
  for (const doc of docsOf(packageDir)) {
    for (const block of codeBlocks(join(packageDir, doc)).filter((b) => b.lang === 'ts')) {
      for (const match of block.code.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(aio-rdkafka(?:\/testing)?)'/g)) {
        const entry = match[3] ?? '';
        const names = imports.get(entry) ?? new Set();
        for (const raw of (match[2] ?? '').split(',')) {
          const name = raw.trim().replace(/\s+as\s+\w+$/, '');
          if (name !== '') names.add(match[1] !== undefined && !name.startsWith('type ') ? `type ${name}` : name);
        }
        imports.set(entry, names);
      }
    }
  }
  let n = 0;
  return [...imports]
    .map(([entry, names]) => {
      const specifiers = [...names].map((name) => `${name} as _${n++}`);
      return `import { ${specifiers.join(', ')} } from '${entry}';\n`;
    })
    .join('');
}

module.exports = { sourceMapProblems, linkProblems, docImportsFile, filesOf };
