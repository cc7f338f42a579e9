/*
 * Turns a V8 CPU profile (.cpuprofile: --cpu-prof, or the inspector's Profiler) into its top
 * frames by self time, and a sampling heap profile (.heapprofile: --heap-prof, or the inspector's
 * HeapProfiler sampling) into its top allocation sites by bytes.
 *
 *   node dist-bench/bench/profile-summary.js file.cpuprofile|file.heapprofile [top=15]
 */
import { readFileSync } from 'node:fs';
import { markdownTable } from './harness';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}
export interface HeapProfile {
  head: HeapNode;
}

export interface FrameRow {
  frame: string;
  /** Share of all sampled time (idle included) spent in the frame itself. */
  selfPercent: number;
  /** Share of all sampled time with the frame anywhere on the stack. */
  totalPercent: number;
}

export interface AllocationRow {
  site: string;
  bytes: number;
  percent: number;
}

/** `name file:line`, the path cut to what follows node_modules/, dist-bench/ or the last src/. */
export function frameName(f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  if (f.url === '') return name;
  let url = f.url.replace(/^file:\/\//, '');
  const cut = Math.max(url.lastIndexOf('node_modules/'), url.lastIndexOf('dist-bench/'));
  if (cut >= 0) url = url.slice(url.indexOf('/', cut) + 1);
  else if (url.startsWith('node:')) url = url.slice(5);
  else url = url.split('/').slice(-2).join('/');
  return `${name} ${url}:${f.lineNumber + 1}`;
}

/** The frames with the most self time, with their inclusive time; both as % of all samples. */
export function topFrames(profile: CpuProfile, top = 15): { rows: FrameRow[]; totalMs: number; idlePercent: number; gcPercent: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  // timeDeltas[i] is the time before sample i: the time of sample i is the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (dt <= 0) continue;
    all += dt;
    const leaf = profile.samples[i]!;
    const leafName = frameName(byId.get(leaf)!.callFrame);
    self.set(leafName, (self.get(leafName) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const name = frameName(byId.get(id)!.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + dt);
    }
  }
  const pct = (v: number) => Math.round((v / all) * 1000) / 10;
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, v]) => ({ frame, selfPercent: pct(v), totalPercent: pct(total.get(frame) ?? v) }));
  return { rows, totalMs: Math.round(all / 1000), idlePercent: pct(self.get('(idle)') ?? 0), gcPercent: pct(self.get('(garbage collector)') ?? 0) };
}

/** The allocation sites with the most sampled bytes (what was allocated, collected or not). */
export function topAllocations(profile: HeapProfile, top = 15): { rows: AllocationRow[]; totalBytes: number } {
  const bytes = new Map<string, number>();
  let all = 0;
  const walk = (n: HeapNode): void => {
    if (n.selfSize > 0) {
      const site = frameName(n.callFrame);
      bytes.set(site, (bytes.get(site) ?? 0) + n.selfSize);
      all += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  const rows = [...bytes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([site, v]) => ({ site, bytes: v, percent: Math.round((v / all) * 1000) / 10 }));
  return { rows, totalBytes: all };
}

export function framesTable(rows: FrameRow[]): string {
  return markdownTable([['frame (self time)', 'self %', 'total %'], ...rows.map((r) => [`\`${r.frame}\``, r.selfPercent.toFixed(1), r.totalPercent.toFixed(1)])]);
}

/** Allocation sites, with bytes per message when `messages` is given. */
export function allocationsTable(rows: AllocationRow[], messages?: number): string {
  return markdownTable([
    ['allocation site', '%', ...(messages ? ['B/msg'] : [])],
    ...rows.map((r) => [`\`${r.site}\``, r.percent.toFixed(1), ...(messages ? [(r.bytes / messages).toFixed(1)] : [])]),
  ]);
}

if (require.main === module) {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: profile-summary <file.cpuprofile|file.heapprofile> [top]\n');
    process.exit(2);
  }
  const top = Number(topArg ?? 15);
  const data = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile | HeapProfile;
  if ('head' in data) {
    const t = topAllocations(data, top);
    process.stdout.write(`${t.totalBytes} bytes sampled\n\n${allocationsTable(t.rows)}\n`);
  } else {
    const t = topFrames(data, top);
    process.stdout.write(`${t.totalMs} ms sampled; idle ${t.idlePercent}%, GC ${t.gcPercent}%\n\n${framesTable(t.rows)}\n`);
  }
}
