// A chart as a picture for a paper or a slide: an SVG document of what a
// card shows, at a chosen size, light or dark; and the same rasterised to
// PNG by the browser. Every chart describes itself as a Figure (one or more
// panels with their axes, ticks, lines, bands and dots in data coordinates,
// and a legend); `figureSvg` alone turns a Figure into SVG, so every card's
// image has the same layout, title, legend and theme. The SVG is drawn here
// rather than copied from the card's canvas so it stays vector, sized
// independently of the screen, and themed on request. Lines are thinned to
// at most a few points per pixel column (first, lowest, highest, last), so
// a picture of long runs stays small without losing a spike.
import { escapeHtml, formatTick, formatWallTime } from '../format';
import { linearTicks, logTicks, relativeLabels, relativeTicks, stepLabels } from './axes';
import type { ChartView } from './scalarChart';

export interface ImageOptions {
  width: number;
  height: number;
  dark: boolean;
  title: string;
}

/** One axis of a panel: its range in view, ticks (position, label) and name. */
export type Ticks = Array<[number, string]>;

export interface FigureAxis {
  range: [number, number];
  /** Fixed ticks, or ticks for an axis this many pixels long. */
  ticks: Ticks | ((pixels: number) => Ticks);
  label?: string;
  log?: boolean;
  /** Grid lines at the ticks (default true). */
  grid?: boolean;
}

/**
 * Something drawn in a panel, in data coordinates: a line through (xs, ys)
 * with gaps at non-finite values (unless spanGaps); an area between ys (upper edge) and lo
 * (lower edge); or a dot per point. `color` may be 'currentColor', the
 * theme's text colour. An opaque area first covers what is behind it with
 * the background (ridge plots). A named line is a series of the chart.
 */
export interface FigureMark {
  kind: 'line' | 'area' | 'dots';
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  lo?: ArrayLike<number>;
  color: string;
  width?: number;
  opacity?: number;
  dash?: number[];
  opaque?: boolean;
  series?: string;
  /** Join the line across non-finite values instead of breaking it. */
  spanGaps?: boolean;
}

/** A label at a data position, shifted by dx/dy pixels. */
export interface FigureText {
  x: number;
  y: number;
  text: string;
  anchor?: 'start' | 'middle' | 'end';
  dx?: number;
  dy?: number;
}

export interface FigurePanel {
  x: FigureAxis;
  y: FigureAxis;
  marks: FigureMark[];
  texts?: FigureText[];
}

export interface Figure {
  panels: FigurePanel[];
  /** Panels per row (default 1). */
  columns?: number;
  legend: Array<{ name: string; color: string }>;
}

const PALETTE = {
  light: { bg: '#ffffff', text: '#333333', grid: '#e6e6e6', axis: '#999999' },
  dark: { bg: '#1f1f1f', text: '#dddddd', grid: '#3a3a3a', axis: '#777777' },
};

/** Legend entries shown at most; the rest are counted. */
const LEGEND_MAX = 40;
const FONT = 'font-family="Roboto, Helvetica, Arial, sans-serif"';

const num = (v: number) => (Math.round(v * 100) / 100).toString();

/** x tick positions and labels for the scalar chart's x axis kind. */
function xTicks(view: ChartView, count: number): Ticks {
  const [lo, hi] = view.x;
  if (view.opts.logX) return valueTicks(lo, hi, count, true);
  if (view.opts.xAxis === 'relative') {
    const t = relativeTicks(lo, hi, count);
    const labels = relativeLabels(t);
    return t.map((v, i) => [v, labels[i]]);
  }
  const t = linearTicks(lo, hi, count);
  if (view.opts.xAxis === 'wall') return t.map((v) => [v, formatWallTime(v).slice(5, 16)]);
  const labels = stepLabels(t);
  return t.map((v, i) => [v, labels[i]]);
}

/** Ticks of a linear or log value axis over [lo, hi]. */
export function valueTicks(lo: number, hi: number, count: number, log = false): Ticks {
  if (log) {
    const t = logTicks(lo, hi, count);
    return t.splits.map((v, i) => [v, t.labelled[i] ? formatTick(v) : '']);
  }
  return linearTicks(lo, hi, count).map((v) => [v, formatTick(v)]);
}

/** A scalar chart (ScalarChart.view()) as a Figure: envelopes, faint raw lines, the lines. */
export function scalarFigure(view: ChartView): Figure {
  const marks: FigureMark[] = [];
  for (const l of view.lines) {
    if (l.lo && l.hi && l.lo.length === l.x.length) marks.push({ kind: 'area', xs: l.x, ys: l.hi, lo: l.lo, color: l.color, opacity: 0.15 });
  }
  const smoothing = view.lines.some((l) => l.smoothed !== l.raw);
  for (const l of view.lines) {
    if (smoothing && view.opts.showRaw) marks.push({ kind: 'line', xs: l.x, ys: l.raw, color: l.color, width: 1, opacity: 0.25, dash: l.dash });
    marks.push({ kind: 'line', xs: l.x, ys: l.smoothed, color: l.color, width: 1.6, dash: l.dash, series: l.run });
  }
  const xName = view.opts.xAxis === 'step' ? 'Step' : view.opts.xAxis === 'relative' ? 'Relative time' : 'Wall time';
  const [y0, y1] = view.y;
  return {
    panels: [
      {
        x: { range: view.x, ticks: (px) => xTicks(view, Math.max(2, Math.floor(px / 90))), label: xName, log: view.opts.logX },
        y: { range: view.y, ticks: (px) => valueTicks(y0, y1, Math.max(2, Math.floor(px / 40)), view.opts.logY), log: view.opts.logY },
        marks,
      },
    ],
    legend: view.lines.map((l) => ({ name: l.run, color: l.color })),
  };
}

/**
 * Path data of ys against xs through the mapping, keeping per pixel column
 * only the first, lowest, highest and last point; gaps at non-finite values
 * unless `span`.
 */
function linePath(xs: ArrayLike<number>, ys: ArrayLike<number>, px: (x: number) => number, py: (y: number) => number, span = false): string {
  const out: string[] = [];
  let pen = false;
  let col = NaN;
  let pts: Array<[number, number]> = [];
  const flush = () => {
    if (pts.length === 0) return;
    let lo = pts[0];
    let hi = pts[0];
    for (const p of pts) {
      if (p[1] > lo[1]) lo = p; // screen y grows downwards
      if (p[1] < hi[1]) hi = p;
    }
    const keep = [pts[0], lo, hi, pts[pts.length - 1]].filter((p, i, a) => a.indexOf(p) === i);
    // Within the column, in the order the points came.
    keep.sort((a, b) => pts.indexOf(a) - pts.indexOf(b));
    for (const [x, y] of keep) {
      out.push(`${pen ? 'L' : 'M'}${num(x)} ${num(y)}`);
      pen = true;
    }
    pts = [];
  };
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = px(xs[i]);
    const y = py(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (span) continue;
      flush();
      pen = false;
      continue;
    }
    const c = Math.floor(x);
    if (c !== col) flush();
    col = c;
    pts.push([x, y]);
  }
  flush();
  return out.join('');
}

/** The legend's rows under the plots: entry width, entries per row, height. */
function legendLayout(fig: Figure, W: number) {
  const shown = fig.legend.slice(0, LEGEND_MAX);
  const extra = fig.legend.length - shown.length;
  const longest = Math.max(0, ...shown.map((l) => l.name.length));
  const entryW = Math.min(W - 40, Math.max(120, Math.min(260, 30 + 7 * longest)));
  const perRow = Math.max(1, Math.floor((W - 40) / entryW));
  const rows = Math.ceil((shown.length + (extra > 0 ? 1 : 0)) / perRow);
  return { shown, extra, entryW, perRow, height: shown.length ? rows * 18 + 8 : 0 };
}

/** The figure as an SVG document. */
export function figureSvg(fig: Figure, o: ImageOptions): string {
  const pal = o.dark ? PALETTE.dark : PALETTE.light;
  const W = Math.max(200, Math.round(o.width));
  const H = Math.max(150, Math.round(o.height));
  const legend = legendLayout(fig, W);
  const cols = Math.max(1, Math.min(fig.columns ?? 1, fig.panels.length));
  const rows = Math.max(1, Math.ceil(fig.panels.length / cols));
  const top = 36;
  const cellW = (W - 8) / cols;
  const cellH = Math.max(60, (H - top - legend.height - 4) / rows);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12" color="${pal.text}">`,
    `<rect width="${W}" height="${H}" fill="${pal.bg}"/>`,
    `<text class="title" x="20" y="24" fill="${pal.text}" font-size="15" font-weight="600">${escapeHtml(o.title)}</text>`,
  );
  fig.panels.forEach((panel, k) => {
    const cx = 4 + (k % cols) * cellW;
    const cy = top + Math.floor(k / cols) * cellH;
    const left = cx + (panel.y.label ? 78 : 60);
    const right = cx + cellW - 16;
    const ptop = cy + 6;
    const pbottom = cy + cellH - (panel.x.label ? 40 : 24);
    parts.push(panelSvg(panel, k, left, ptop, Math.max(20, right - left), Math.max(20, pbottom - ptop), pal));
  });

  const ly = H - legend.height + 8;
  legend.shown.forEach((l, i) => {
    const x = 20 + (i % legend.perRow) * legend.entryW;
    const y = ly + Math.floor(i / legend.perRow) * 18;
    const maxChars = Math.max(4, Math.floor((legend.entryW - 30) / 7));
    const name = l.name.length > maxChars ? l.name.slice(0, maxChars - 1) + '…' : l.name;
    parts.push(
      `<g class="legend-entry"><rect x="${x}" y="${y}" width="14" height="4" rx="1" fill="${l.color}"/>` +
        `<text x="${x + 20}" y="${y + 6}" fill="${pal.text}">${escapeHtml(name)}</text></g>`,
    );
  });
  if (legend.extra > 0) {
    const i = legend.shown.length;
    const x = 20 + (i % legend.perRow) * legend.entryW;
    parts.push(`<text x="${x}" y="${ly + Math.floor(i / legend.perRow) * 18 + 6}" fill="${pal.text}">and ${legend.extra} more</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** One panel: grid, tick labels, frame, axis names, then its marks clipped to the plot. */
function panelSvg(p: FigurePanel, k: number, left: number, top: number, pw: number, ph: number, pal: (typeof PALETTE)['light']): string {
  const tf = (log: boolean | undefined) => (v: number) => (log ? (v > 0 ? Math.log10(v) : NaN) : v);
  const fx = tf(p.x.log);
  const fy = tf(p.y.log);
  const [x0, x1] = p.x.range.map(fx);
  const [y0, y1] = p.y.range.map(fy);
  const px = (x: number) => left + ((fx(x) - x0) / (x1 - x0 || 1)) * pw;
  const py = (y: number) => top + ph - ((fy(y) - y0) / (y1 - y0 || 1)) * ph;
  const ticks = (a: FigureAxis, pixels: number) => (typeof a.ticks === 'function' ? a.ticks(pixels) : a.ticks);
  const out: string[] = [`<g class="panel">`];
  // Tick labels that would touch the one before are left out (grid lines stay).
  let lastY = Infinity;
  for (const [v, label] of ticks(p.y, ph)) {
    const y = py(v);
    if (!(y >= top - 0.5 && y <= top + ph + 0.5)) continue;
    if (p.y.grid !== false) out.push(`<line x1="${num(left)}" x2="${num(left + pw)}" y1="${num(y)}" y2="${num(y)}" stroke="${pal.grid}"/>`);
    if (!label || Math.abs(lastY - y) < 13) continue;
    out.push(`<text class="tick" x="${num(left - 6)}" y="${num(y + 4)}" fill="${pal.text}" text-anchor="end">${escapeHtml(label)}</text>`);
    lastY = y;
  }
  let lastX = -Infinity;
  for (const [v, label] of ticks(p.x, pw)) {
    const x = px(v);
    if (!(x >= left - 0.5 && x <= left + pw + 0.5)) continue;
    if (p.x.grid !== false) out.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${num(top)}" y2="${num(top + ph)}" stroke="${pal.grid}"/>`);
    const half = label.length * 3.4;
    if (!label || x - half < lastX + 6) continue;
    out.push(`<text class="tick" x="${num(x)}" y="${num(top + ph + 16)}" fill="${pal.text}" text-anchor="middle">${escapeHtml(label)}</text>`);
    lastX = x + half;
  }
  out.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(pw)}" height="${num(ph)}" fill="none" stroke="${pal.axis}"/>`);
  if (p.x.label) {
    const name = p.x.label + (p.x.log ? ' (log)' : '');
    out.push(`<text class="axis-label" x="${num(left + pw / 2)}" y="${num(top + ph + 34)}" fill="${pal.text}" text-anchor="middle">${escapeHtml(name)}</text>`);
  }
  if (p.y.label) {
    const name = p.y.label + (p.y.log ? ' (log)' : '');
    const x = num(left - 62);
    const y = num(top + ph / 2);
    out.push(`<text class="axis-label" x="${x}" y="${y}" transform="rotate(-90 ${x} ${y})" fill="${pal.text}" text-anchor="middle">${escapeHtml(name)}</text>`);
  }
  out.push(`<defs><clipPath id="plot${k}"><rect x="${num(left - 4)}" y="${num(top - 4)}" width="${num(pw + 8)}" height="${num(ph + 8)}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#plot${k})" fill="none" stroke-linejoin="round" stroke-linecap="round">`);
  for (const m of p.marks) out.push(markSvg(m, px, py, pal.bg));
  for (const t of p.texts ?? []) {
    const x = px(t.x) + (t.dx ?? 0);
    const y = py(t.y) + (t.dy ?? 0);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push(`<text class="note" x="${num(x)}" y="${num(y + 4)}" fill="${pal.text}" stroke="none" text-anchor="${t.anchor ?? 'start'}">${escapeHtml(t.text)}</text>`);
  }
  out.push('</g></g>');
  return out.join('\n');
}

function markSvg(m: FigureMark, px: (x: number) => number, py: (y: number) => number, bg: string): string {
  const opacity = m.opacity ?? 1;
  if (m.kind === 'dots') {
    const dots: string[] = [];
    const n = Math.min(m.xs.length, m.ys.length);
    for (let i = 0; i < n; i++) {
      const x = px(m.xs[i]);
      const y = py(m.ys[i]);
      if (Number.isFinite(x) && Number.isFinite(y)) dots.push(`<circle cx="${num(x)}" cy="${num(y)}" r="3.5"/>`);
    }
    return `<g class="dots" fill="${m.color}" fill-opacity="${opacity}" stroke="none">${dots.join('')}</g>`;
  }
  if (m.kind === 'area') {
    if (!m.lo) return '';
    const upper = linePath(m.xs, m.ys, px, py, m.spanGaps);
    const lower: string[] = [];
    for (let i = Math.min(m.xs.length, m.lo.length) - 1; i >= 0; i--) {
      const x = px(m.xs[i]);
      const y = py(m.lo[i]);
      if (Number.isFinite(x) && Number.isFinite(y)) lower.push(`L${num(x)} ${num(y)}`);
    }
    if (!upper || !lower.length) return '';
    const d = `${upper}${lower.join('')}Z`;
    const under = m.opaque ? `<path d="${d}" fill="${bg}" stroke="none"/>` : '';
    return `${under}<path class="area" d="${d}" fill="${m.color}" fill-opacity="${opacity}" stroke="none"/>`;
  }
  const d = linePath(m.xs, m.ys, px, py, m.spanGaps);
  if (!d) return '';
  const dash = m.dash && m.dash.length ? ` stroke-dasharray="${m.dash.join(' ')}"` : '';
  const alpha = opacity < 1 ? ` stroke-opacity="${opacity}"` : '';
  const named = m.series !== undefined ? ` class="line" data-series="${escapeHtml(m.series)}"` : '';
  return `<path${named} d="${d}" stroke="${m.color}" stroke-width="${m.width ?? 1.6}"${alpha}${dash}/>`;
}

/** The SVG rasterised at its own size by the browser, as a PNG. */
export async function chartPng(svg: string, width: number, height: number): Promise<Blob> {
  const img = new Image();
  img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width);
  canvas.height = Math.round(height);
  canvas.getContext('2d')!.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'),
  );
}
