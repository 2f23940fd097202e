// Histogram chart over steps. Every stored histogram is re-binned onto one
// common set of equal-width bins, then drawn either as a ridge plot (one
// curve per step, shifted down by step, newest in front) or as overlaid
// curves on one count axis.
import type { Bucket, HistogramStep } from '../dashboards/series_api';
import { formatStep, formatTick, formatValue } from '../format';
import type { Figure, FigureMark, Ticks } from './chartImage';
import { CanvasChart, drawGrid, mixColor, niceTicks, prepareCanvas, readCanvasColors, rgba, stepTicks } from './dashCanvas';

export type HistogramMode = 'offset' | 'overlay';

const BINS = 48;

interface Prepared {
  lo: number;
  hi: number;
  /** Re-binned counts per step, BINS values each. */
  bins: Float64Array[];
  maxCount: number;
  steps: HistogramStep[];
  minStep: number;
  maxStep: number;
}

/** The finite range covered by the buckets' edges, or null. */
function finiteRange(steps: HistogramStep[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of steps) {
    for (const b of s.buckets) {
      if (!(b.count > 0)) continue;
      for (const e of [b.left, b.right]) {
        if (Number.isFinite(e)) {
          if (e < lo) lo = e;
          if (e > hi) hi = e;
        }
      }
    }
  }
  if (lo > hi) return null;
  if (lo === hi) {
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function rebin(buckets: Bucket[], lo: number, hi: number): Float64Array {
  const out = new Float64Array(BINS);
  const w = (hi - lo) / BINS;
  const binOf = (x: number) => Math.min(BINS - 1, Math.max(0, Math.floor((x - lo) / w)));
  for (const b of buckets) {
    if (!(b.count > 0) || Number.isNaN(b.left) || Number.isNaN(b.right)) continue;
    const l = Math.min(hi, Math.max(lo, b.left));
    const r = Math.min(hi, Math.max(lo, b.right));
    if (!(r > l)) {
      out[binOf(l)] += b.count;
      continue;
    }
    const first = binOf(l);
    const last = binOf(r - w * 1e-9);
    for (let i = first; i <= last; i++) {
      const a = Math.max(l, lo + i * w);
      const z = Math.min(r, lo + (i + 1) * w);
      if (z > a) out[i] += (b.count * (z - a)) / (r - l);
    }
  }
  return out;
}

function prepare(steps: HistogramStep[]): Prepared | null {
  const range = finiteRange(steps);
  if (!range || steps.length === 0) return null;
  const [lo, hi] = range;
  const bins = steps.map((s) => rebin(s.buckets, lo, hi));
  let maxCount = 0;
  for (const b of bins) for (const v of b) if (v > maxCount) maxCount = v;
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (const s of steps) {
    minStep = Math.min(minStep, s.step);
    maxStep = Math.max(maxStep, s.step);
  }
  return { lo, hi, bins, maxCount: maxCount || 1, steps, minStep, maxStep };
}

/** Part of the plot height a ridge may rise above its baseline in offset mode. */
const RIDGE = 0.4;

/**
 * Histograms over steps as a Figure (chartImage.ts), in the chart's modes:
 * offset puts step s's baseline at (1 - RIDGE) * (1 - t) for t its place
 * between the first and last step, the curve rising RIDGE at the highest
 * count, newest in front; overlay draws every curve on one count axis.
 */
export function histogramFigure(steps: HistogramStep[], color: string, mode: HistogramMode, name: string): Figure | null {
  const d = prepare(steps);
  if (!d) return null;
  const n = d.steps.length;
  const offset = mode === 'offset' && n > 1 && d.maxStep > d.minStep;
  const base = (i: number) => (offset ? (1 - RIDGE) * (1 - (d.steps[i].step - d.minStep) / (d.maxStep - d.minStep)) : 0);
  const height = offset ? RIDGE : d.maxCount;
  const xs = [d.lo];
  for (let b = 0; b < BINS; b++) xs.push(d.lo + ((b + 0.5) * (d.hi - d.lo)) / BINS);
  xs.push(d.hi);
  const marks: FigureMark[] = [];
  for (let i = 0; i < n; i++) {
    const age = n > 1 ? 1 - i / (n - 1) : 0;
    const y0 = base(i);
    const ys = [y0, ...Array.from(d.bins[i], (c) => y0 + (c / d.maxCount) * height), y0];
    if (offset || n === 1) {
      const floor = xs.map(() => y0);
      marks.push({ kind: 'area', xs, ys, lo: floor, color, opacity: offset ? 0.1 + 0.12 * (1 - age) : 0.15, opaque: offset });
    }
    marks.push({ kind: 'line', xs, ys, color, width: 1, opacity: 1 - 0.7 * age, series: `step ${d.steps[i].step}` });
  }
  const yTicks = (px: number): Ticks =>
    offset
      ? stepTicks(d.minStep, d.maxStep, Math.max(2, Math.floor((px * (1 - RIDGE)) / 30))).map((s) => [
          (1 - RIDGE) * (1 - (s - d.minStep) / (d.maxStep - d.minStep)),
          formatStep(s),
        ])
      : niceTicks(0, d.maxCount, Math.max(2, Math.floor(px / 40))).map((c) => [c, formatTick(c)]);
  return {
    panels: [
      {
        x: { range: [d.lo, d.hi], ticks: (px) => niceTicks(d.lo, d.hi, Math.max(2, Math.floor(px / 80))).map((v) => [v, formatTick(v)]), label: 'Value' },
        y: { range: [0, offset ? 1 : d.maxCount], ticks: yTicks, label: offset ? 'Step' : 'Count', grid: !offset },
        marks,
      },
    ],
    legend: [{ name, color }],
  };
}

interface Layout {
  left: number;
  right: number;
  top: number;
  bottom: number;
  ridge: number;
}

export class HistogramChart extends CanvasChart {
  private data: Prepared | null = null;
  private mode: HistogramMode = 'offset';
  private hover: { index: number; x: number } | null = null;
  private layout: Layout = { left: 0, right: 0, top: 0, bottom: 0, ridge: 0 };

  /** False when there is nothing finite to draw. */
  setData(steps: HistogramStep[], color: string, mode: HistogramMode): boolean {
    this.data = prepare(steps);
    this.color = color;
    this.mode = mode;
    this.hover = null;
    this.tip.hide();
    this.draw();
    return this.data !== null;
  }

  /** What is drawn, as a Figure for an image; null before any finite data. */
  figure(name: string): Figure | null {
    return this.data ? histogramFigure(this.data.steps, this.color, this.mode, name) : null;
  }

  private xPix(v: number): number {
    const d = this.data!;
    const L = this.layout;
    return L.left + ((v - d.lo) / (d.hi - d.lo)) * (this.width - L.left - L.right);
  }

  private baseline(i: number): number {
    const d = this.data!;
    const L = this.layout;
    const bottom = this.height - L.bottom;
    if (this.mode === 'overlay' || d.maxStep === d.minStep) return bottom;
    const t = (d.steps[i].step - d.minStep) / (d.maxStep - d.minStep);
    return L.top + L.ridge + t * (bottom - L.top - L.ridge);
  }

  private curveY(i: number, bin: number): number {
    const d = this.data!;
    return this.baseline(i) - (d.bins[i][bin] / d.maxCount) * this.layout.ridge;
  }

  private binX(bin: number): number {
    const d = this.data!;
    return this.xPix(d.lo + ((bin + 0.5) * (d.hi - d.lo)) / BINS);
  }

  protected draw(): void {
    const W = this.width;
    const H = this.height;
    if (W <= 0 || H <= 0) return;
    const ctx = prepareCanvas(this.canvas, W, H);
    const d = this.data;
    if (!d) return;
    const colors = readCanvasColors();
    const n = d.steps.length;
    const offset = this.mode === 'offset';
    const plotH = H - 8 - 22;
    this.layout = {
      left: offset ? 10 : 46,
      right: offset ? 52 : 12,
      top: 8,
      bottom: 22,
      ridge: offset && n > 1 && d.maxStep > d.minStep ? Math.max(24, plotH * RIDGE) : plotH,
    };
    const L = this.layout;
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;

    // Horizontal axis: values.
    const xt = niceTicks(d.lo, d.hi, Math.max(2, Math.floor((W - L.left - L.right) / 80)));
    ctx.fillStyle = colors.text;
    ctx.strokeStyle = colors.grid;
    drawGrid(ctx, 'x', xt, (v) => this.xPix(v), L.top, H - L.bottom);

    // Vertical axis: steps (offset) or counts (overlay).
    ctx.textBaseline = 'middle';
    if (offset) {
      ctx.textAlign = 'left';
      if (d.maxStep > d.minStep) {
        const yt = stepTicks(d.minStep, d.maxStep, Math.max(2, Math.floor((plotH - L.ridge) / 30)));
        for (const s of yt) {
          const y = L.top + L.ridge + ((s - d.minStep) / (d.maxStep - d.minStep)) * (H - L.bottom - L.top - L.ridge);
          ctx.fillText(formatStep(s), W - L.right + 8, y);
        }
      } else {
        ctx.fillText(formatStep(d.minStep), W - L.right + 8, H - L.bottom);
      }
    } else {
      const yt = niceTicks(0, d.maxCount, Math.max(2, Math.floor(plotH / 40)));
      drawGrid(ctx, 'y', yt, (c) => H - L.bottom - (c / d.maxCount) * L.ridge, L.left, W - L.right);
    }
    ctx.strokeStyle = colors.axis;
    ctx.beginPath();
    ctx.moveTo(L.left, H - L.bottom + 0.5);
    ctx.lineTo(W - L.right, H - L.bottom + 0.5);
    ctx.stroke();

    // Curves, oldest first so newer ones are in front.
    const hovered = this.hover?.index ?? -1;
    for (let i = 0; i < n; i++) {
      const age = n > 1 ? 1 - i / (n - 1) : 0;
      const stroke = mixColor(this.color, colors.surface, 0.7 * age);
      const base = this.baseline(i);
      ctx.beginPath();
      ctx.moveTo(this.xPix(d.lo), base);
      for (let b = 0; b < BINS; b++) ctx.lineTo(this.binX(b), this.curveY(i, b));
      ctx.lineTo(this.xPix(d.hi), base);
      if (offset) {
        ctx.closePath();
        ctx.fillStyle = colors.surface;
        ctx.fill();
        ctx.fillStyle = rgba(this.color, 0.1 + 0.12 * (1 - age));
        ctx.fill();
      } else if (n === 1) {
        ctx.fillStyle = rgba(this.color, 0.15);
        ctx.fill();
      }
      ctx.strokeStyle = stroke;
      ctx.lineWidth = i === hovered ? 2 : 1;
      ctx.stroke();
    }

    // The hovered curve on top, in full colour.
    if (hovered >= 0 && hovered < n && this.hover) {
      ctx.beginPath();
      const base = this.baseline(hovered);
      ctx.moveTo(this.xPix(d.lo), base);
      for (let b = 0; b < BINS; b++) ctx.lineTo(this.binX(b), this.curveY(hovered, b));
      ctx.lineTo(this.xPix(d.hi), base);
      ctx.strokeStyle = this.color;
      ctx.lineWidth = 2;
      ctx.stroke();
      const bin = this.binAt(this.hover.x);
      ctx.beginPath();
      ctx.arc(this.binX(bin), this.curveY(hovered, bin), 3.5, 0, Math.PI * 2);
      ctx.fillStyle = this.color;
      ctx.fill();
      ctx.strokeStyle = colors.surface;
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.fillStyle = colors.text;
      ctx.textAlign = offset ? 'left' : 'right';
      ctx.textBaseline = 'bottom';
      if (offset) ctx.fillText(formatStep(d.steps[hovered].step), W - L.right + 8, base);
    }
  }

  private binAt(x: number): number {
    const L = this.layout;
    const t = (x - L.left) / (this.width - L.left - L.right);
    return Math.min(BINS - 1, Math.max(0, Math.floor(t * BINS)));
  }

  protected onMove(e: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const L = this.layout;
    if (x < L.left || x > this.width - L.right) {
      this.onLeave();
      return;
    }
    const bin = this.binAt(x);
    let best = -1;
    let bestDist = Infinity;
    for (let i = 0; i < d.steps.length; i++) {
      const dist = this.mode === 'offset' ? Math.abs(this.baseline(i) - y) : Math.abs(this.curveY(i, bin) - y);
      // Ties go to the newer step, which is drawn in front.
      if (dist <= bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    if (best < 0) return;
    this.hover = { index: best, x };
    this.draw();
    const s = d.steps[best];
    const value = d.lo + ((x - L.left) / (this.width - L.left - L.right)) * (d.hi - d.lo);
    const bucket = s.buckets.find((b) => b.left <= value && value < b.right) ??
      s.buckets.find((b) => b.left <= value && value <= b.right);
    const rows: Array<[string, string]> = [['Value', formatValue(value)]];
    if (bucket) {
      rows.push(['Bucket', `${formatValue(bucket.left)} … ${formatValue(bucket.right)}`]);
      rows.push(['Count', formatValue(bucket.count)]);
    } else {
      rows.push(['Count', '0']);
    }
    let total = 0;
    for (const b of s.buckets) if (Number.isFinite(b.count)) total += b.count;
    rows.push(['Total', formatValue(total)]);
    this.tip.show(e.clientX, e.clientY, `Step ${formatStep(s.step)}`, rows, this.color);
  }

  protected onLeave(): void {
    this.tip.hide();
    if (this.hover) {
      this.hover = null;
      this.draw();
    }
  }
}
