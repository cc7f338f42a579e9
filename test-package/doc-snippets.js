/*
 * The code in the docs, as the docs show it: every fenced block of a markdown file. The package
 * test takes its programs, tests and configs from here rather than from copies, so a doc change
 * is tested as it is written.
 */
'use strict';
const { readFileSync } = require('node:fs');

/**
 * @typedef {{ file: string, line: number, lang: string, code: string, heading: string }} Block
 * `line` is the first line of the code (1-based); `heading` the nearest heading above it.
 */

/**
 * The fenced blocks of `file` (```lang ... ```), in order.
 * @param {string} file
 * @returns {Block[]}
 */
function codeBlocks(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  /** @type {Block[]} */
  const blocks = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const open = /^```(\w*)\s*$/.exec(line.trim());
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && (lines[end] ?? '').trim() !== '```') end++;
    blocks.push({ file, line: i + 2, lang: open[1] ?? '', code: lines.slice(i + 1, end).join('\n'), heading });
    i = end;
  }
  return blocks;
}

/**
 * The TypeScript blocks that are code (a block that lists signatures starts with `// signature`).
 * @param {string} file
 * @returns {Block[]}
 */
function typeScriptBlocks(file) {
  return codeBlocks(file).filter((block) => block.lang === 'ts' && !block.code.trimStart().startsWith('// signature'));
}

module.exports = { codeBlocks, typeScriptBlocks };
