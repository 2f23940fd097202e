// Parallel coordinates on a canvas: one vertical axis per column (hparams,
// then metrics), one polyline per row across them. Numeric axes are linear
// between the column's extremes, or logarithmic when the values are positive
// and span more than a decade (a ratio of 20); other columns place their distinct values
// evenly. Rows that the filters hide are drawn faintly. Dragging along a
// brushable numeric axis brushes a range of it (the owner filters the
// rows); a click on the axis clears its brush. On a brushable categorical
// axis a drag keeps the values it covers and a click toggles the value
// under it.
import { formatTick } from '../format';
import type { Figure, FigureMark, FigureText } from './chartImage';
import { niceTicks, prepareCanvas, readCanvasColors } from './dashCanvas';

export type PcValue = number | string | boolean | undefined;

export interface PcAxis {
  label: string;
  numeric: boolean;
  /** A range of the axis can be brushed. */
  brushable?: boolean;
}

/** A brushed value range [lo, hi] of an axis, by axis index. */
export type PcBrushes = ReadonlyMap<number, readonly [number, number]>;
/** The values kept on a categorical axis (as their labels), by axis index. */
export type PcCategories = ReadonlyMap<number, ReadonlySet<string>>;

/** Pixels from a category's tick that a click still picks it. */
const CATEGORY_PICK_PX = 10;

export interface PcRow {
  id: string;
  color: string;
  values: PcValue[];
  /** Passes the filters. */
  shown: boolean;
}

export interface Scale {
  pos: (v: PcValue) => number | null; // 0 (bottom) .. 1 (top)
  /** The value at a position (numeric scales). */
  value: (p: number) => number;
  ticks: Array<[number, string]>;
  log: boolean;
}

/** Positive values spanning this ratio (more than a decade) or more get a log axis. */
const LOG_SPAN = 20;

/** The scale of one column's values: numeric (linear or log) or by distinct value. */
export function scaleOf(numeric: boolean, values: PcValue[]): Scale {
  const vals = values.filter((v) => v !== undefined);
  if (numeric) {
    const ns = vals.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    let lo = ns.length ? ns.reduce((a, b) => Math.min(a, b)) : 0;
    let hi = ns.length ? ns.reduce((a, b) => Math.max(a, b)) : 1;
    const log = lo > 0 && hi / lo >= LOG_SPAN;
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    const f = log ? Math.log10 : (v: number) => v;
    const fl = f(lo);
    const fh = f(hi);
    const pos = (v: PcValue) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? (f(v) - fl) / (fh - fl) : null);
    const value = (p: number) => (log ? Math.pow(10, fl + p * (fh - fl)) : lo + p * (hi - lo));
    const ticks: Array<[number, string]> = [];
    if (ns.length) {
      ticks.push([0, formatTick(lo)]);
      const inner = log
        ? Array.from({ length: Math.floor(fh) - Math.ceil(fl) + 1 }, (_, k) => Math.pow(10, Math.ceil(fl) + k))
        : niceTicks(lo, hi, 4);
      for (const t of inner) {
        const p = pos(t)!;
        if (p > 0.08 && p < 0.92) ticks.push([p, formatTick(t)]);
      }
      ticks.push([1, formatTick(hi)]);
    }
    return { pos, value, ticks, log };
  }
  const distinct = [...new Set(vals.map(String))].sort();
  const at = new Map(distinct.map((v, i) => [v, distinct.length === 1 ? 0.5 : i / (distinct.length - 1)]));
  return {
    pos: (v) => (v === undefined ? null : (at.get(String(v)) ?? null)),
    value: () => NaN,
    ticks: distinct.map((v) => [at.get(v)!, v]),
    log: false,
  };
}

export class ParallelCoords {
  readonly canvas: HTMLCanvasElement;
  private axes: PcAxis[] = [];
  private rows: PcRow[] = [];
  private selected = '';
  private width = 0;
  private height = 0;
  private pad = { left: 40, right: 40, top: 34, bottom: 26 };
  /** Screen points of each drawn row, for picking. */
  private paths = new Map<string, Array<[number, number]>>();
  private brushes: PcBrushes = new Map();
  private cats: PcCategories = new Map();
  private scales: Scale[] = [];
  /** The brush being dragged: axis and the two positions (0..1). */
  private drag: { axis: number; from: number; to: number } | null = null;
  /** Told a brush's new range when a drag ends (null: cleared by a click). */
  onBrush: ((axis: number, range: [number, number] | null) => void) | null = null;
  /** Told the values a categorical axis keeps after a drag or click (null: none, cleared). */
  onCategories: ((axis: number, values: string[] | null) => void) | null = null;

  constructor(container: HTMLElement, private readonly onPick: (id: string) => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'pc-canvas';
    container.appendChild(this.canvas);
    // Reachable from the element, for tests.
    (container as HTMLElement & { tbParallel?: ParallelCoords }).tbParallel = this;
    const at = (e: MouseEvent) => {
      const r = this.canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      const [x, y] = at(e);
      const axis = this.axisAt(x);
      if (axis < 0) return;
      e.preventDefault();
      this.canvas.setPointerCapture(e.pointerId);
      const p = this.posAt(y);
      this.drag = { axis, from: p, to: p };
    });
    this.canvas.addEventListener('pointermove', (e) => {
      const [x, y] = at(e);
      if (this.drag) {
        this.drag.to = this.posAt(y);
        this.draw();
        return;
      }
      this.canvas.style.cursor = this.axisAt(x) >= 0 ? 'ns-resize' : this.pick(x, y) ? 'pointer' : 'default';
    });
    this.canvas.addEventListener('pointerup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (!d) return;
      const [, y] = at(e);
      d.to = this.posAt(y);
      const sc = this.scales[d.axis];
      const h = this.height - this.pad.top - this.pad.bottom;
      if (sc && !this.axes[d.axis].numeric) this.onCategories?.(d.axis, this.categoriesAfter(d, sc, h));
      else if (Math.abs(d.to - d.from) * h < 4 || !sc) this.onBrush?.(d.axis, null);
      else {
        // Widened by a hair, so a brush to an axis end keeps the extreme
        // value that the log scale's round trip may miss in the last digit.
        const a = sc.value(Math.min(d.from, d.to));
        const b = sc.value(Math.max(d.from, d.to));
        this.onBrush?.(d.axis, [a - Math.abs(a) * 1e-9, b + Math.abs(b) * 1e-9]);
      }
      this.draw();
    });
    this.canvas.addEventListener('click', (e) => {
      const [x, y] = at(e);
      if (this.axisAt(x) >= 0) return;
      const id = this.pick(x, y);
      if (id) this.onPick(id);
    });
  }

  /**
   * The values a categorical axis keeps after a drag (those it covers) or
   * a click (the kept ones with the nearest value toggled); null for none.
   */
  private categoriesAfter(d: { axis: number; from: number; to: number }, sc: Scale, h: number): string[] | null {
    const kept = new Set(this.cats.get(d.axis) ?? []);
    if (Math.abs(d.to - d.from) * h >= 4) {
      const [a, b] = [Math.min(d.from, d.to), Math.max(d.from, d.to)];
      const covered = sc.ticks.filter(([p]) => p >= a && p <= b).map(([, v]) => v);
      return covered.length ? covered : null;
    }
    let near: [number, string] | null = null;
    for (const t of sc.ticks) if (!near || Math.abs(t[0] - d.from) < Math.abs(near[0] - d.from)) near = t;
    if (!near || Math.abs(near[0] - d.from) * h > CATEGORY_PICK_PX) return kept.size ? [...kept] : null;
    if (kept.has(near[1])) kept.delete(near[1]);
    else kept.add(near[1]);
    return kept.size ? sc.ticks.map(([, v]) => v).filter((v) => kept.has(v)) : null;
  }

  /** Screen y of a categorical axis's value, for tests clicking one; null when absent. */
  categoryY(i: number, value: string): number | null {
    const t = this.scales[i]?.ticks.find(([, v]) => v === value);
    return t ? this.pad.top + (1 - t[0]) * (this.height - this.pad.top - this.pad.bottom) : null;
  }

  /** The brushable axis within a few pixels of x, or -1. */
  private axisAt(x: number): number {
    const n = this.axes.length;
    const w = this.width - this.pad.left - this.pad.right;
    for (let i = 0; i < n; i++) {
      const ax = this.pad.left + (n === 1 ? w / 2 : (i * w) / (n - 1));
      if (Math.abs(x - ax) <= 8 && this.axes[i].brushable) return i;
    }
    return -1;
  }

  /** The axis position (0 bottom .. 1 top) of a y in the canvas, clamped. */
  private posAt(y: number): number {
    const h = this.height - this.pad.top - this.pad.bottom;
    return Math.min(1, Math.max(0, 1 - (y - this.pad.top) / h));
  }

  /** Screen x of axis i and the y range of positions, for tests driving a brush. */
  axisGeometry(i: number): { x: number; top: number; bottom: number } {
    const n = this.axes.length;
    const w = this.width - this.pad.left - this.pad.right;
    return { x: this.pad.left + (n === 1 ? w / 2 : (i * w) / (n - 1)), top: this.pad.top, bottom: this.height - this.pad.bottom };
  }

  /** Whether axis i is drawn on a log scale. */
  isLog(i: number): boolean {
    return this.scales[i]?.log ?? false;
  }

  setSize(width: number, height: number): void {
    this.width = Math.max(100, Math.floor(width));
    this.height = Math.max(100, Math.floor(height));
    this.draw();
  }

  update(axes: PcAxis[], rows: PcRow[], selected: string, brushes: PcBrushes = new Map(), cats: PcCategories = new Map()): void {
    this.axes = axes;
    this.rows = rows;
    this.selected = selected;
    this.brushes = brushes;
    this.cats = cats;
    this.scales = axes.map((a, i) =>
      scaleOf(
        a.numeric,
        rows.map((r) => r.values[i]),
      ),
    );
    this.draw();
  }

  destroy(): void {
    this.canvas.remove();
  }

  /**
   * What is drawn, as a Figure for an image: axis i at x = i, positions
   * 0..1 up each axis, column names under the axes, each axis's tick
   * labels beside it; rows the filters hide faintly, the picked row wider.
   */
  figure(): Figure | null {
    const n = this.axes.length;
    if (n === 0) return null;
    const scales = this.scales;
    const xs = this.axes.map((_, i) => i);
    const marks: FigureMark[] = xs.map((i) => ({ kind: 'line', xs: [i, i], ys: [0, 1], color: 'currentColor', width: 1, opacity: 0.6 }));
    const ys = (r: PcRow) => r.values.map((v, i) => scales[i].pos(v) ?? NaN);
    for (const r of this.rows) if (!r.shown) marks.push({ kind: 'line', xs, ys: ys(r), color: 'currentColor', width: 1, opacity: 0.15 });
    const shown = this.rows.filter((r) => r.shown);
    for (const r of shown) {
      const picked = r.id === this.selected;
      marks.push({ kind: 'line', xs, ys: ys(r), color: r.color, width: picked ? 3.5 : 1.75, opacity: this.selected && !picked ? 0.55 : 0.9, series: r.id });
    }
    const texts: FigureText[] = [];
    scales.forEach((sc, i) => {
      for (const [p, label] of sc.ticks) texts.push({ x: i, y: p, text: label.length > 14 ? label.slice(0, 13) + '…' : label, dx: 6 });
    });
    const fit = (s: string, chars: number) => (s.length > chars ? s.slice(0, Math.max(1, chars - 1)) + '…' : s);
    return {
      panels: [
        {
          x: {
            // Half an axis spacing either side, so every column name has room.
            range: [-0.5, n - 0.5],
            ticks: (px) => this.axes.map((a, i) => [i, fit(a.label + (scales[i].log ? ' (log)' : ''), Math.floor((px / n - 10) / 7))]),
            grid: false,
          },
          y: { range: [0, 1], ticks: [], grid: false },
          marks,
          texts,
        },
      ],
      legend: shown.map((r) => ({ name: r.id, color: r.color })),
    };
  }

  private pick(x: number, y: number): string {
    let best = '';
    let bestD = 36;
    for (const row of this.rows) {
      if (!row.shown) continue;
      const pts = this.paths.get(row.id);
      if (!pts) continue;
      for (let i = 1; i < pts.length; i++) {
        const [x0, y0] = pts[i - 1];
        const [x1, y1] = pts[i];
        const dx = x1 - x0;
        const dy = y1 - y0;
        const len = dx * dx + dy * dy || 1;
        const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len));
        const d = (x0 + t * dx - x) ** 2 + (y0 + t * dy - y) ** 2;
        if (d < bestD) {
          bestD = d;
          best = row.id;
        }
      }
    }
    return best;
  }

  private draw(): void {
    if (!this.width) return;
    const ctx = prepareCanvas(this.canvas, this.width, this.height);
    const colors = readCanvasColors();
    const { left, right, top, bottom } = this.pad;
    const n = this.axes.length;
    this.paths.clear();
    if (n === 0) return;
    const w = this.width - left - right;
    const h = this.height - top - bottom;
    const xAt = (i: number) => left + (n === 1 ? w / 2 : (i * w) / (n - 1));
    const yAt = (p: number) => top + (1 - p) * h;
    const scales = this.scales;

    const line = (row: PcRow, alpha: number, width: number) => {
      const pts: Array<[number, number]> = [];
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < n; i++) {
        const p = scales[i].pos(row.values[i]);
        if (p === null) {
          pen = false;
          continue;
        }
        const x = xAt(i);
        const y = yAt(p);
        pts.push([x, y]);
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = row.color;
      ctx.lineWidth = width;
      ctx.stroke();
      ctx.globalAlpha = 1;
      this.paths.set(row.id, pts);
    };
    for (const r of this.rows) if (!r.shown) line({ ...r, color: colors.text }, 0.15, 1);
    for (const r of this.rows) if (r.shown && r.id !== this.selected) line(r, this.selected ? 0.55 : 0.9, 1.75);
    const sel = this.rows.find((r) => r.id === this.selected && r.shown);
    if (sel) line(sel, 1, 3.5);

    // Brushes: the kept range of an axis, as a band along it.
    const band = (i: number, p0: number, p1: number) => {
      ctx.fillStyle = colors.text;
      ctx.globalAlpha = 0.18;
      ctx.fillRect(xAt(i) - 7, yAt(Math.max(p0, p1)), 14, Math.abs(p1 - p0) * h);
      ctx.globalAlpha = 0.7;
      ctx.strokeStyle = colors.text;
      ctx.lineWidth = 1;
      ctx.strokeRect(xAt(i) - 7 + 0.5, yAt(Math.max(p0, p1)) + 0.5, 14, Math.abs(p1 - p0) * h);
      ctx.globalAlpha = 1;
    };
    for (const [i, [lo, hi]] of this.brushes) {
      const sc = scales[i];
      if (!sc || (this.drag && this.drag.axis === i)) continue;
      const p0 = sc.pos(lo);
      const p1 = sc.pos(hi);
      band(i, Math.max(0, p0 ?? 0), Math.min(1, p1 ?? 1));
    }
    // Kept categories: a short band centred on each (past the axis ends too).
    const half = 6 / Math.max(1, h);
    for (const [i, kept] of this.cats) {
      const sc = scales[i];
      if (!sc || (this.drag && this.drag.axis === i)) continue;
      for (const [p, v] of sc.ticks) if (kept.has(v)) band(i, p - half, p + half);
    }
    if (this.drag) band(this.drag.axis, this.drag.from, this.drag.to);

    // Axes with their ticks and titles.
    ctx.font = '11px system-ui, sans-serif';
    for (let i = 0; i < n; i++) {
      const x = xAt(i);
      ctx.strokeStyle = colors.text;
      ctx.globalAlpha = 0.6;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x + 0.5, top);
      ctx.lineTo(x + 0.5, top + h);
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.fillStyle = colors.text;
      ctx.textAlign = i === 0 ? 'left' : i === n - 1 ? 'right' : 'center';
      ctx.textBaseline = 'bottom';
      const title = this.axes[i].label + (scales[i].log ? ' (log)' : '');
      const maxW = n > 1 ? w / (n - 1) - 8 : w;
      ctx.font = '600 11px system-ui, sans-serif';
      ctx.fillText(this.fit(ctx, title, maxW), i === 0 ? x - 6 : i === n - 1 ? x + 6 : x, top - 12);
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      const ticks = scales[i].ticks;
      const every = Math.max(1, Math.ceil(ticks.length / Math.max(2, Math.floor(h / 16))));
      ticks.forEach(([p, label], k) => {
        if (k % every) return;
        const y = yAt(p);
        ctx.textAlign = 'left';
        const text = this.fit(ctx, label, 90);
        const tw = ctx.measureText(text).width;
        const tx = i === n - 1 ? x - 6 - tw : x + 6;
        ctx.fillStyle = colors.surface;
        ctx.globalAlpha = 0.85;
        ctx.fillRect(tx - 2, y - 7, tw + 4, 14);
        ctx.globalAlpha = 1;
        ctx.fillStyle = colors.text;
        ctx.fillText(text, tx, y);
        ctx.beginPath();
        ctx.moveTo(x - 3, y + 0.5);
        ctx.lineTo(x + 3, y + 0.5);
        ctx.stroke();
      });
    }
  }

  private fit(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
    if (ctx.measureText(text).width <= maxW) return text;
    let t = text;
    while (t.length > 1 && ctx.measureText(t + '…').width > maxW) t = t.slice(0, -1);
    return t + '…';
  }
}
