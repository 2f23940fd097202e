// A scalar chart as a picture for a paper or a slide: an SVG document of
// what the card shows (its lines, min/max envelopes, the axis ranges in
// view, ticks, a legend), at a chosen size, light or dark; and the same
// rasterised to PNG by the browser. The SVG is drawn here rather than copied
// from the card's canvas so it stays vector, sized independently of the
// screen, and themed on request. Lines are thinned to at most a few points
// per pixel column (first, lowest, highest, last), so a picture of long runs
// stays small without losing a spike.
import { formatTick, formatWallTime } from '../format';
import { linearTicks, logTicks, relativeLabels, relativeTicks, stepLabels } from './axes';
import type { ChartView } from './scalarChart';

export interface ImageOptions {
  width: number;
  height: number;
  dark: boolean;
  title: string;
}

const PALETTE = {
  light: { bg: '#ffffff', text: '#333333', grid: '#e6e6e6', axis: '#999999' },
  dark: { bg: '#1f1f1f', text: '#dddddd', grid: '#3a3a3a', axis: '#777777' },
};

/** Legend entries shown at most; the rest are counted. */
const LEGEND_MAX = 40;
const FONT = 'font-family="Roboto, Helvetica, Arial, sans-serif"';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (v: number) => (Math.round(v * 100) / 100).toString();

/** x tick positions and labels for the chart's x axis kind. */
function xTicks(view: ChartView, count: number): Array<[number, string]> {
  const [lo, hi] = view.x;
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

function yTicks(view: ChartView, count: number): Array<[number, string]> {
  const [lo, hi] = view.y;
  if (view.opts.logY) {
    const t = logTicks(lo, hi, count);
    return t.splits.map((v, i) => [v, t.labelled[i] ? formatTick(v) : '']);
  }
  return linearTicks(lo, hi, count).map((v) => [v, formatTick(v)]);
}

/**
 * Path data of ys against xs through the mapping, keeping per pixel column
 * only the first, lowest, highest and last point; gaps at non-finite values.
 */
function linePath(xs: Float64Array, ys: Float64Array, px: (x: number) => number, py: (y: number) => number): string {
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
    keep.sort((a, b) => a[0] - b[0]);
    for (const [x, y] of keep) {
      out.push(`${pen ? 'L' : 'M'}${num(x)} ${num(y)}`);
      pen = true;
    }
    pts = [];
  };
  for (let i = 0; i < xs.length; i++) {
    const x = px(xs[i]);
    const y = py(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
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

/** The chart as an SVG document. */
export function chartSvg(view: ChartView, o: ImageOptions): string {
  const pal = o.dark ? PALETTE.dark : PALETTE.light;
  const W = Math.max(200, Math.round(o.width));
  const H = Math.max(150, Math.round(o.height));
  const lines = view.lines;
  // Legend: rows of entries under the plot.
  const shown = lines.slice(0, LEGEND_MAX);
  const longest = Math.max(0, ...shown.map((l) => l.run.length));
  const entryW = Math.min(W - 40, Math.max(120, Math.min(260, 30 + 7 * longest)));
  const perRow = Math.max(1, Math.floor((W - 40) / entryW));
  const extra = lines.length - shown.length;
  const legendRows = Math.ceil((shown.length + (extra > 0 ? 1 : 0)) / perRow);
  const legendH = legendRows * 18 + 8;
  const left = 64;
  const right = 20;
  const top = 40;
  const bottom = 44 + legendH;
  const pw = Math.max(40, W - left - right);
  const ph = Math.max(40, H - top - bottom);
  const [x0, x1] = view.x;
  const [y0, y1] = view.y;
  const logY = view.opts.logY;
  const ty = (y: number) => (logY ? Math.log10(y) : y);
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const py = (y: number) => {
    if (logY && !(y > 0)) return NaN;
    return top + ph - ((ty(y) - ty(y0)) / (ty(y1) - ty(y0) || 1)) * ph;
  };

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`,
    `<rect width="${W}" height="${H}" fill="${pal.bg}"/>`,
    `<text x="${left}" y="24" fill="${pal.text}" font-size="15" font-weight="600">${esc(o.title)}</text>`,
    `<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  // Grid and tick labels.
  for (const [v, label] of yTicks(view, Math.max(2, Math.floor(ph / 40)))) {
    const y = py(v);
    if (!(y >= top - 0.5 && y <= top + ph + 0.5)) continue;
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${num(y)}" y2="${num(y)}" stroke="${pal.grid}"/>`);
    if (label) parts.push(`<text x="${left - 6}" y="${num(y + 4)}" fill="${pal.text}" text-anchor="end">${esc(label)}</text>`);
  }
  for (const [v, label] of xTicks(view, Math.max(2, Math.floor(pw / 90)))) {
    const x = px(v);
    if (!(x >= left - 0.5 && x <= left + pw + 0.5)) continue;
    parts.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${top}" y2="${top + ph}" stroke="${pal.grid}"/>`);
    parts.push(`<text x="${num(x)}" y="${top + ph + 16}" fill="${pal.text}" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="${pal.axis}"/>`);
  const xName = view.opts.xAxis === 'step' ? 'Step' : view.opts.xAxis === 'relative' ? 'Relative time' : 'Wall time';
  parts.push(`<text x="${left + pw / 2}" y="${top + ph + 34}" fill="${pal.text}" text-anchor="middle">${xName}</text>`);

  // Envelopes, faint raw lines, then the lines themselves.
  parts.push('<g clip-path="url(#plot)" fill="none" stroke-linejoin="round" stroke-linecap="round">');
  for (const l of lines) {
    if (!l.lo || !l.hi || l.lo.length !== l.x.length) continue;
    const upper = linePath(l.x, l.hi, px, py);
    const lower: string[] = [];
    for (let i = l.x.length - 1; i >= 0; i--) {
      const x = px(l.x[i]);
      const y = py(l.lo[i]);
      if (Number.isFinite(x) && Number.isFinite(y)) lower.push(`L${num(x)} ${num(y)}`);
    }
    if (upper && lower.length) parts.push(`<path d="${upper}${lower.join('')}Z" fill="${l.color}" fill-opacity="0.15" stroke="none"/>`);
  }
  const smoothing = lines.some((l) => l.smoothed !== l.raw);
  for (const l of lines) {
    const dash = l.dash ? ` stroke-dasharray="${l.dash.join(' ')}"` : '';
    if (smoothing && view.opts.showRaw) {
      parts.push(`<path d="${linePath(l.x, l.raw, px, py)}" stroke="${l.color}" stroke-opacity="0.25" stroke-width="1"${dash}/>`);
    }
    parts.push(`<path class="line" data-run="${esc(l.run)}" d="${linePath(l.x, l.smoothed, px, py)}" stroke="${l.color}" stroke-width="1.6"${dash}/>`);
  }
  parts.push('</g>');

  // Legend.
  const ly = top + ph + 48;
  shown.forEach((l, i) => {
    const x = 20 + (i % perRow) * entryW;
    const y = ly + Math.floor(i / perRow) * 18;
    const maxChars = Math.max(4, Math.floor((entryW - 30) / 7));
    const name = l.run.length > maxChars ? l.run.slice(0, maxChars - 1) + '…' : l.run;
    parts.push(
      `<g class="legend-entry"><rect x="${x}" y="${y}" width="14" height="4" rx="1" fill="${l.color}"/>` +
        `<text x="${x + 20}" y="${y + 6}" fill="${pal.text}">${esc(name)}</text></g>`,
    );
  });
  if (extra > 0) {
    const i = shown.length;
    parts.push(
      `<text x="${20 + (i % perRow) * entryW}" y="${ly + Math.floor(i / perRow) * 18 + 6}" fill="${pal.text}">and ${extra} more</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
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
