// Small SVG charts for docs/performance.md: a line chart (also used for CDFs) and a horizontal bar
// chart. Plain SVG 1.1 with inline styles, no scripts and no fonts beyond the generic families, so
// GitHub and any browser render them the same; every number drawn comes from the caller's data.

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Draw the points as a step function (for CDFs). */
  step?: boolean;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic x axis (values <= 0 are drawn at the left edge). */
  xLog?: boolean;
  yMin?: number;
  yMax?: number;
  xMin?: number;
  xMax?: number;
  /** A horizontal reference line, e.g. a target. */
  yRule?: { value: number; label: string };
  /** A vertical reference line. */
  xRule?: { value: number; label: string };
}

export interface Bar {
  label: string;
  value: number;
  /** Shown after the bar instead of the value. */
  text?: string;
  /** Index into the palette (bars of one kind share a colour). */
  colour?: number;
}

export interface BarChart {
  title: string;
  unit: string;
  bars: Bar[];
  /** A vertical reference line, e.g. a target. */
  rule?: { value: number; label: string };
  /** Logarithmic value axis (for figures that span orders of magnitude). */
  log?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 720;
const FONT = 'font-family="sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A readable number for an axis tick or a label. */
export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
  return String(+v.toPrecision(3));
}

/** About `n` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi * 1.0001; e++) if (10 ** e >= lo * 0.9999) out.push(10 ** e);
  return out;
}

export function lineChart(c: LineChart): string {
  const H = 420, left = 70, right = 240, top = 40, bottom = 55;
  const pw = W - left - right, ph = H - top - bottom;
  const all = c.series.flatMap((s) => s.points);
  const xsPos = all.map((p) => p[0]).filter((x) => !c.xLog || x > 0);
  let xMin = c.xMin ?? Math.min(...xsPos), xMax = c.xMax ?? Math.max(...xsPos);
  let yMin = c.yMin ?? Math.min(0, ...all.map((p) => p[1])), yMax = c.yMax ?? Math.max(...all.map((p) => p[1]));
  if (!(xMax > xMin)) xMax = xMin + 1;
  if (!(yMax > yMin)) yMax = yMin + 1;
  if (c.xLog) { xMin = Math.max(xMin, 1e-9); }
  const X = (x: number) => {
    if (c.xLog) return left + (x <= 0 ? 0 : ((Math.log10(Math.max(x, xMin)) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw);
    return left + ((x - xMin) / (xMax - xMin)) * pw;
  };
  const Y = (y: number) => top + ph - ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  for (const t of c.xLog ? logTicks(xMin, xMax) : ticks(xMin, xMax, 6)) {
    parts.push(`<line x1="${X(t)}" y1="${top}" x2="${X(t)}" y2="${top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${X(t)}" y="${top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(yMin, yMax, 5)) {
    parts.push(`<line x1="${left}" y1="${Y(t)}" x2="${left + pw}" y2="${Y(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  if (c.yRule) {
    const y = Y(c.yRule.value);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#555" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${left + 4}" y="${y - 4}" fill="#555">${esc(c.yRule.label)}</text>`);
  }
  if (c.xRule) {
    const x = X(c.xRule.value);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#555" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${x + 4}" y="${top + 14}" fill="#555">${esc(c.xRule.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    let d = '';
    pts.forEach((p, k) => {
      if (k === 0) d += `M${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`;
      else if (s.step) d += `H${X(p[0]).toFixed(1)}V${Y(p[1]).toFixed(1)}`;
      else d += `L${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`;
    });
    // Earlier series are drawn wider, so a line that lies on top of another leaves it visible.
    const width = Math.max(2, 7 - 1.25 * i).toFixed(2);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="${width}" stroke-opacity="0.85"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (!s.step) for (const p of pts) parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = top + 10 + i * 20;
    parts.push(`<line x1="${left + pw + 12}" y1="${ly}" x2="${left + pw + 34}" y2="${ly}" stroke="${colour}" stroke-width="${width}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${left + pw + 40}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function barChart(c: BarChart): string {
  const rowH = 26, left = 260, right = 150, top = 40, bottom = 30;
  const H = top + bottom + rowH * c.bars.length;
  const pw = W - left - right;
  const values = c.bars.map((b) => b.value).concat(c.rule ? [c.rule.value] : []);
  const max = Math.max(...values, 1e-9);
  const min = c.log ? Math.min(...values.filter((v) => v > 0)) / 2 : 0;
  const X = (v: number) => {
    if (c.log) return left + (v <= min ? 0 : ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * pw);
    return left + (v / max) * pw;
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  c.bars.forEach((b, i) => {
    const y = top + i * rowH;
    const colour = PALETTE[(b.colour ?? 0) % PALETTE.length]!;
    const w = Math.max(1, X(b.value) - left);
    parts.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${colour}"/>`);
    parts.push(`<text x="${left + w + 6}" y="${y + 17}">${esc(b.text ?? `${fmt(b.value)} ${c.unit}`)}</text>`);
  });
  if (c.rule) {
    const x = X(c.rule.value);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${H - bottom + 4}" stroke="#333" stroke-dasharray="3 3"/>`);
    parts.push(`<text x="${x}" y="${H - 8}" text-anchor="middle" fill="#333">${esc(c.rule.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Empirical CDF points of `samples` (fraction of samples <= x), for a step series. */
export function cdfPoints(samples: number[]): Array<[number, number]> {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  s.forEach((x, i) => {
    if (i + 1 < s.length && s[i + 1] === x) return;
    out.push([x, (i + 1) / s.length]);
  });
  if (out.length > 0) out.unshift([out[0]![0], 0]);
  return out;
}
