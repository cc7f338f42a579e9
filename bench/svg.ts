/*
 * Minimal SVG charts for docs/benchmarks.md: a line chart over categorical x values and a
 * horizontal bar chart. Plain strings, no dependency.
 */

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" axis maximum and tick step for values up to `max`. */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`.replace('.0k', 'k');
  return String(Math.round(v * 100) / 100);
}

export interface Series {
  name: string;
  values: number[];
}

/** Lines over categorical x values (e.g. concurrency levels), one per series, with a legend. */
export function lineChart(options: { title: string; xLabel: string; yLabel: string; x: Array<string | number>; series: Series[] }): string {
  const width = 760;
  const legendRows = options.series.length;
  const plot = { left: 70, top: 40, width: 440, height: 300 };
  const height = Math.max(plot.top + plot.height + 60, 60 + legendRows * 18);
  const max = Math.max(...options.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
  const { top, step } = niceScale(max);
  const xs = options.x.map((_, i) => plot.left + (options.x.length === 1 ? plot.width / 2 : (i / (options.x.length - 1)) * plot.width));
  const y = (v: number): number => plot.top + plot.height - (v / top) * plot.height;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    out.push(`<line x1="${plot.left}" x2="${plot.left + plot.width}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${plot.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  options.x.forEach((label, i) => {
    out.push(`<text x="${xs[i]}" y="${plot.top + plot.height + 16}" text-anchor="middle">${esc(String(label))}</text>`);
  });
  out.push(`<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height + 36}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${plot.top + plot.height / 2}" text-anchor="middle" transform="rotate(-90 16 ${plot.top + plot.height / 2})">${esc(options.yLabel)}</text>`,
  );
  out.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#888"/>`);
  options.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${xs[i]!.toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
    const ly = plot.top + 10 + k * 18;
    out.push(`<line x1="${plot.left + plot.width + 20}" x2="${plot.left + plot.width + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${plot.left + plot.width + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Horizontal bars, one per label, with the value printed at the end of each bar. */
export function barChart(options: { title: string; unit: string; bars: Array<{ label: string; value: number }> }): string {
  const labelWidth = 330;
  const barArea = 340;
  const rowHeight = 24;
  const width = labelWidth + barArea + 90;
  const height = 50 + options.bars.length * rowHeight + 30;
  const max = Math.max(...options.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const { top, step } = niceScale(max);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  const x0 = labelWidth;
  const chartBottom = 40 + options.bars.length * rowHeight;
  for (let v = 0; v <= top + step / 2; v += step) {
    const x = x0 + (v / top) * barArea;
    out.push(`<line x1="${x}" x2="${x}" y1="36" y2="${chartBottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${chartBottom + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  out.push(`<text x="${x0 + barArea / 2}" y="${chartBottom + 28}" text-anchor="middle">${esc(options.unit)}</text>`);
  options.bars.forEach((b, i) => {
    const yTop = 40 + i * rowHeight;
    const w = Number.isFinite(b.value) ? (b.value / top) * barArea : 0;
    out.push(`<text x="${x0 - 8}" y="${yTop + 15}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${x0}" y="${yTop + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${yTop + 15}">${Number.isFinite(b.value) ? fmt(b.value) : 'n/a'}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
