// A line chart of one scalar tag across runs, drawn with uPlot in its
// faceted mode (each series carries its own x values, so runs logged at
// different steps or times need no common x grid). Hover shows a tooltip
// with the nearest point of every run; drag zooms x; double-click resets.
import uPlot from 'uplot';
import { withAlpha } from '../colors';
import { formatDuration, formatStep, formatTick, formatValue, formatWallTime } from '../format';
import { logRange, logTicks, relativeLabels, relativeTicks, stepLabels, stepSpace, type Ticks } from './axes';
import type { XAxis, YLimits } from '../state';
import type { TooltipSort } from '../prefs';

export interface ChartLine {
  run: string;
  color: string;
  /** x values in the chart's unit (step, hours since start, or seconds). */
  x: Float64Array;
  raw: Float64Array;
  smoothed: Float64Array;
  step: Float64Array;
  wallTime: Float64Array;
  /** wall time of the run's first point, for the relative column. */
  start: number;
  /** Dash pattern (canvas setLineDash), to tell apart lines of one colour. */
  dash?: number[];
  /**
   * Downsampled runs: per point (bucket), the lowest and highest raw value
   * and the x where the bucket starts; drawn as a shaded envelope.
   */
  lo?: Float64Array;
  hi?: Float64Array;
  x0?: Float64Array;
  /** A group's line: its runs, and per point how many of them count. */
  members?: string[];
  n?: Float64Array;
}

export interface ChartTheme {
  text: string;
  grid: string;
}

export interface ChartOptions {
  xAxis: XAxis;
  logY: boolean;
  /** Log x axis; points at x <= 0 are left out. */
  logX?: boolean;
  /** Draw the faint unsmoothed line behind the smoothed one. */
  showRaw: boolean;
  /** Fit y to the bulk of the data, leaving extreme values off the chart. */
  ignoreOutliers: boolean;
  tooltipSort: TooltipSort;
  theme: ChartTheme;
  /** Bounds typed for this chart; each one set replaces the fitted one. */
  yLimits?: YLimits;
  /**
   * The data extent shared by linked charts (the union of each one's
   * `dataExtent`): fitted and padded in place of this chart's own.
   */
  yShared?: readonly [number, number] | null;
}

export interface ChartView {
  lines: ChartLine[];
  opts: ChartOptions;
  x: [number, number];
  y: [number, number];
}

const MAX_TOOLTIP_ROWS = 12;

/**
 * From this many lines on, a chart draws its lines itself, one canvas path
 * per colour, instead of as uPlot series: uPlot's cost per series (its
 * setup, paths and cursor bookkeeping) makes thousands of lines block the
 * page for seconds. Bulk lines are one device pixel wide, which canvases
 * draw as hairlines without turning each stroke into a filled outline
 * (1.5 px lines took about eight times as long at 10,000 runs), and only
 * the hovered run shows its min/max envelope. The drawn lines are kept in
 * an offscreen canvas, so hovering (which dims them) and the tooltip redraw
 * by copying it. uPlot keeps the axes, the cursor and zooming, over one
 * invisible series spanning the data; ticking a run then only redraws.
 */
const BULK_MIN = 200;

/** Alpha of the lines dimmed while another is hovered. */
const DIM_ALPHA = 0.15;

function yColumn(values: Float64Array, logY: boolean): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) && (!logY || v > 0) ? v : null;
  }
  return out;
}

function countFinite(values: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length && n < 2; i++) if (Number.isFinite(values[i])) n++;
  return n;
}

/** Index of the element of the sorted-ish array `xs` closest to `x`. */
function nearestIndex(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/**
 * The data of the one series uPlot holds for bulk lines: two points at the
 * lowest and highest x of all lines (x > 0 on a log x axis), so that the x
 * scale spans them. The y scale ranges itself over the lines (yRange).
 */
function bulkFrame(lines: ChartLine[], logX: boolean): [Float64Array, number[]] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.x.length; i++) {
      const x = l.x[i];
      if (!Number.isFinite(x) || (logX && x <= 0)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (lo > hi) return [new Float64Array(0), []];
  return [Float64Array.of(lo, hi), [0, 0]];
}

/**
 * The y extent of `lines` with x in [x0, x1]: the lowest and highest value
 * drawn (smoothed, raw when shown, downsampling envelopes), or with
 * ignoreOutliers the 5th to 95th percentile widened by a tenth of it
 * (kept inside the extremes); positive values only on a log axis. lo > hi
 * when nothing is drawn.
 */
export function dataExtent(lines: readonly ChartLine[], opts: ChartOptions, x0 = -Infinity, x1 = Infinity): [number, number] {
  const log = opts.logY;
  let lo = Infinity;
  let hi = -Infinity;
  const trim = opts.ignoreOutliers;
  const kept: number[] = [];
  const scan = (xs: Float64Array, ys: Float64Array) => {
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (!Number.isFinite(y) || (log && y <= 0) || xs[i] < x0 || xs[i] > x1) continue;
      if (trim) kept.push(y);
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  };
  for (const l of lines) {
    scan(l.x, l.smoothed);
    if (opts.showRaw) scan(l.x, l.raw);
    if (l.lo && l.hi) {
      scan(l.x, l.lo);
      scan(l.x, l.hi);
    }
  }
  if (trim && kept.length >= 20) {
    // The 5th to 95th percentile, widened a little.
    const sorted = Float64Array.from(kept).sort();
    const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(f * (sorted.length - 1))))];
    const a = q(0.05);
    const b = q(0.95);
    const extra = log ? 0 : (b - a) * 0.1;
    lo = Math.max(lo, a - extra);
    hi = Math.min(hi, b + extra);
  }
  return [lo, hi];
}

/** The y range drawn for a data extent: padded (or to decades on a log axis), then the typed bounds. */
function fitY(lo: number, hi: number, log: boolean, limits: YLimits | undefined): [number, number] {
  let r: [number, number];
  if (log) r = logRange(lo, hi);
  else if (lo > hi) r = [0, 1];
  else {
    const span = hi - lo;
    const pad = span > 0 ? span * 0.05 : Math.abs(hi) * 0.1 || 1;
    r = [lo - pad, hi + pad];
  }
  const a = limits?.lo;
  const b = limits?.hi;
  const ok = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && (!log || v > 0);
  if (ok(a) && ok(b) && a < b) return [a, b];
  // One bound typed: the other is fitted, and moved off it if they cross.
  if (ok(a)) r = [a, r[1] > a ? r[1] : log ? a * 10 : a + Math.max(1, Math.abs(a))];
  if (ok(b)) r = [r[0] < b ? r[0] : log ? b / 10 : b - Math.max(1, Math.abs(b)), b];
  return r;
}

/** uPlot may hand null splits (e.g. on log scales) to tick formatters. */
function ticks(fmt: (v: number) => string): (u: uPlot, splits: number[]) => string[] {
  return (_u, splits) => splits.map((v) => (v == null || !Number.isFinite(v) ? '' : fmt(v)));
}

/** Pixels a y label needs, for how many labels fit the axis. */
const Y_LABEL_SPACE = 24;
/** Pixels an x label of relative time needs. */
const X_LABEL_SPACE = 64;

function xAxisOptions(kind: XAxis): Partial<uPlot.Axis> {
  if (kind === 'step')
    return {
      values: (_u: uPlot, splits: number[]) => stepLabels(splits),
      space: (u: uPlot, _i: number, min: number, max: number, dim: number) => stepSpace(min, max, dim || u.bbox.width),
    };
  if (kind === 'relative')
    return {
      values: (_u: uPlot, splits: number[]) => relativeLabels(splits),
      // Our own ticks: uPlot only steps by decimal increments.
      splits: (u: uPlot, _i: number, min: number, max: number) =>
        relativeTicks(min, max, Math.max(2, Math.floor(u.bbox.width / devicePixelRatio / X_LABEL_SPACE))),
    };
  return {}; // wall time: uPlot's own date ticks
}

/** The canvas context, saved and clipped to the plot area. */
function clipToPlot(u: uPlot): CanvasRenderingContext2D {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  return ctx;
}

export class ScalarChart {
  private u: uPlot | null = null;
  private signature = '';
  private lines: ChartLine[] = [];
  private opts: ChartOptions | null = null;
  private zoomed = false;
  private tooltip: HTMLDivElement | null = null;
  private dots: HTMLDivElement[] = [];
  private width = 0;
  private height = 0;
  private hover: string | null = null;
  /** Lines drawn by drawBulk rather than as uPlot series. */
  private bulk = false;
  /** drawBulk's last drawing, for the lines and scales it was drawn for. */
  private bulkCache: { key: string; lines: ChartLine[]; canvas: HTMLCanvasElement } | null = null;
  /** yRange's last answer, for the lines and x range it was found for. */
  private yCache: { key: string; lines: ChartLine[]; range: [number, number] } | null = null;
  /** Told the x range after every change of it; `zoomed` once the user zoomed. */
  onXRange: ((min: number, max: number, zoomed: boolean) => void) | null = null;
  /** Told the x under the pointer while it moves over the plot (null when it leaves). */
  onHoverX: ((x: number | null) => void) | null = null;
  /** Told the x of a click on the plot (a click, not a drag). */
  onClickX: ((x: number) => void) | null = null;

  constructor(private readonly el: HTMLElement) {
    // Reachable from the element, for measuring tools and tests.
    (el as HTMLElement & { tbChart?: ScalarChart }).tbChart = this;
  }

  /** Zooms the x axis to [min, max] (as a drag would). */
  setXRange(min: number, max: number): void {
    if (!this.u) return;
    this.zoomed = true;
    this.u.setScale('x', { min, max });
  }

  /** The current x range, or null before the first draw. */
  xRange(): [number, number] | null {
    const sx = this.u?.scales.x;
    return sx && sx.min != null && sx.max != null ? [sx.min, sx.max] : null;
  }

  /** The y axis as drawn: range, tick positions and labels ('' = unlabelled). */
  yAxis(): { min: number; max: number; splits: number[]; labels: string[] } | null {
    const u = this.u as (uPlot & { axes: Array<{ _splits?: number[]; _values?: string[] }> }) | null;
    const sy = u?.scales.y;
    if (!u || !sy || sy.min == null || sy.max == null) return null;
    const ax = u.axes[1];
    return { min: sy.min, max: sy.max, splits: [...(ax._splits ?? [])], labels: [...(ax._values ?? [])] };
  }

  /** Whether the x axis is logarithmic. */
  xLog(): boolean {
    return this.u?.scales.x.distr === 3;
  }

  /** The x axis's tick labels as drawn. */
  xLabels(): string[] {
    const u = this.u as (uPlot & { axes: Array<{ _values?: string[] }> }) | null;
    return [...(u?.axes[0]._values ?? [])];
  }

  /** The run drawn on top while the others are dimmed, if any. */
  get highlighted(): string | null {
    return this.hover;
  }

  /** Alpha of each drawn series (raw ones first), for tests. */
  seriesAlpha(): number[] {
    if (this.bulk) return this.lines.map((l) => (this.hover === null || l.run === this.hover ? 1 : DIM_ALPHA));
    return this.u ? this.u.series.slice(1).map((s) => s.alpha ?? 1) : [];
  }

  /** Whether the lines are drawn in one pass per colour (many lines). */
  get bulkDrawn(): boolean {
    return this.bulk;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** What is drawn: the lines, the options and the axis ranges in view. */
  view(): ChartView | null {
    const u = this.u;
    if (!u || !this.opts) return null;
    const { x, y } = u.scales;
    if (x.min == null || x.max == null || y.min == null || y.max == null) return null;
    return { lines: this.lines, opts: this.opts, x: [x.min, x.max], y: [y.min, y.max] };
  }

  /** The lines as last drawn. */
  get drawnLines(): readonly ChartLine[] {
    return this.lines;
  }

  setSize(width: number, height: number): void {
    this.width = Math.max(50, Math.floor(width));
    this.height = Math.max(50, Math.floor(height));
    this.u?.setSize({ width: this.width, height: this.height });
  }

  /** Draws `lines`; keeps the user's zoom when only the data changed. */
  update(lines: ChartLine[], opts: ChartOptions): void {
    const bulk = lines.length >= BULK_MIN;
    const signature = [
      bulk,
      opts.xAxis,
      opts.logY,
      opts.logX,
      opts.showRaw,
      opts.ignoreOutliers,
      opts.theme.text,
      opts.theme.grid,
      // Bulk lines are read at each draw: uPlot's series do not depend on them.
      ...(bulk ? [] : lines.map((l) => `${l.run}\u0000${l.color}\u0000${l.dash ?? ''}`)),
    ].join('\u0001');
    const prevX = this.opts?.xAxis;
    this.lines = lines;
    this.opts = opts;
    this.bulk = bulk;
    if (lines.length === 0) {
      // uPlot's faceted mode needs at least one series; show an empty card.
      this.hideTooltip();
      this.u?.destroy();
      this.u = null;
      this.dots = [];
      this.signature = '';
      return;
    }
    const data = this.buildData(lines, opts);
    if (this.u && signature === this.signature) {
      const sx = this.u.scales.x;
      if (this.zoomed && sx.min != null && sx.max != null) {
        // Keep the zoomed x range; setScale redraws and re-ranges y.
        const range = { min: sx.min, max: sx.max };
        this.u.setData(data, false);
        this.u.setScale('x', range);
      } else {
        this.u.setData(data, true);
      }
      return;
    }
    let keepRange: { min: number; max: number } | null = null;
    if (this.u && this.zoomed && prevX === opts.xAxis) {
      const sx = this.u.scales.x;
      if (sx.min != null && sx.max != null) keepRange = { min: sx.min, max: sx.max };
    }
    if (!keepRange) this.zoomed = false;
    this.u?.destroy();
    this.dots = [];
    this.hover = null;
    this.signature = signature;
    this.u = new uPlot(this.buildOptions(lines, opts), data, this.el);
    if (keepRange) this.u.setScale('x', keepRange);
    this.u.over.addEventListener('dblclick', () => {
      this.zoomed = false;
      if (this.u) this.u.setData(this.u.data, true);
    });
    this.u.over.addEventListener('mouseleave', () => {
      this.hideTooltip();
      this.highlight(null);
      this.onHoverX?.(null);
    });
    let down: [number, number] | null = null;
    this.u.over.addEventListener('mousedown', (e) => (down = [e.clientX, e.clientY]));
    this.u.over.addEventListener('click', (e) => {
      const u = this.u;
      if (!u || !down || Math.abs(e.clientX - down[0]) > 3 || Math.abs(e.clientY - down[1]) > 3) return;
      this.onClickX?.(u.posToVal(e.clientX - u.over.getBoundingClientRect().left, 'x'));
    });
  }

  destroy(): void {
    this.u?.destroy();
    this.u = null;
    this.tooltip?.remove();
    this.tooltip = null;
  }

  private buildData(lines: ChartLine[], opts: ChartOptions): uPlot.AlignedData {
    if (this.bulk) return [null, bulkFrame(lines, opts.logX ?? false)] as unknown as uPlot.AlignedData;
    const data: unknown[] = [null];
    const column = (l: ChartLine, ys: Float64Array) => {
      const y = yColumn(ys, opts.logY);
      if (!opts.logX) return [l.x, y];
      // A log x axis has no place for x <= 0 (step 0): leave those points out.
      const keep: number[] = [];
      for (let i = 0; i < l.x.length; i++) if (l.x[i] > 0) keep.push(i);
      return [Float64Array.from(keep, (i) => l.x[i]), keep.map((i) => y[i])];
    };
    if (opts.showRaw) for (const l of lines) data.push(column(l, l.raw));
    for (const l of lines) data.push(column(l, l.smoothed));
    return data as unknown as uPlot.AlignedData;
  }

  private buildOptions(lines: ChartLine[], opts: ChartOptions): uPlot.Options {
    const facets: uPlot.Series.Facet[] = [
      { scale: 'x', auto: true },
      { scale: 'y', auto: true },
    ];
    const linear = uPlot.paths.linear!();
    const series: uPlot.Series[] = [{}];
    if (this.bulk) {
      // One series that only spans the data, for the x scale; drawBulk draws the lines.
      series.push({ label: '', facets, paths: () => null, points: { show: false } });
    } else if (opts.showRaw) {
      for (const l of lines) {
        series.push({
          label: l.run,
          stroke: withAlpha(l.color, 0.25),
          width: 1,
          facets,
          paths: linear,
          spanGaps: true,
          points: { show: false },
        });
      }
    }
    for (const l of this.bulk ? [] : lines) {
      series.push({
        label: l.run,
        stroke: l.color,
        width: 1.5,
        ...(l.dash ? { dash: l.dash } : {}),
        facets,
        paths: linear,
        spanGaps: true,
        points: { show: false },
      });
    }
    const axis = (values?: (u: uPlot, splits: number[]) => string[]): uPlot.Axis => ({
      stroke: opts.theme.text,
      grid: { stroke: opts.theme.grid, width: 1 },
      ticks: { stroke: opts.theme.grid, width: 1, size: 4 },
      gap: 4,
      font: '11px system-ui, sans-serif',
      ...(values ? { values } : {}),
    });
    return {
      mode: 2,
      width: this.width || 400,
      height: this.height || 200,
      legend: { show: false },
      padding: [10, 18, 0, 0],
      scales: {
        x: {
          time: opts.xAxis === 'wall',
          auto: true,
          ...(opts.logX ? { distr: 3, log: 10 } : {}),
          // Widen a single x value (one point per run) into a visible range.
          range: (_u: uPlot, min: number | null, max: number | null): [number, number] => {
            if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return opts.logX ? [1, 10] : [0, 1];
            if (opts.logX) return min > 0 ? logRange(min, max) : [1, 10];
            if (min !== max) return [min, max];
            const pad = opts.xAxis === 'wall' ? 60 : opts.xAxis === 'relative' ? 0.01 : 1;
            return [min - pad, max + pad];
          },
        },
        y: opts.logY
          ? { distr: 3, log: 10, auto: true, range: (u: uPlot) => this.yRange(u, true) }
          : { auto: true, range: (u: uPlot) => this.yRange(u, false) },
      },
      axes: [
        opts.logX ? { ...axis(), ...this.logAxis('x'), size: 30 } : { ...axis(), ...xAxisOptions(opts.xAxis), size: opts.xAxis === 'wall' ? 44 : 30 },
        opts.logY
          ? { ...axis(), ...this.logAxis('y'), size: 56 }
          : { ...axis(ticks(formatTick)), size: 56 },
      ],
      series,
      cursor: {
        x: true,
        y: false,
        points: { show: false },
        drag: { x: true, y: false, setScale: true },
        dataIdx: () => null as unknown as number,
        bind: { dblclick: () => null },
      },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 2) this.zoomed = true;
          },
        ],
        setCursor: [(u) => this.showTooltip(u)],
        setScale: [
          (u, key) => {
            const sx = u.scales.x;
            if (key === 'x' && sx.min != null && sx.max != null) this.onXRange?.(sx.min, sx.max, this.zoomed);
          },
        ],
        draw: [
          (u) => {
            this.drawEnvelopes(u);
            this.drawBulk(u);
            this.drawLonePoints(u);
            this.drawHighlight(u);
          },
        ],
      },
    } as uPlot.Options;
  }

  /**
   * Ticks and labels of a log axis: our own, since uPlot's log splits
   * assume a range starting on a power of ten.
   */
  private logAxis(dim: 'x' | 'y'): Partial<uPlot.Axis> {
    let last: Ticks | null = null;
    return {
      splits: (u: uPlot, _i: number, min: number, max: number) => {
        const room =
          dim === 'x'
            ? (u.bbox.width / devicePixelRatio || this.width - 60) / X_LABEL_SPACE
            : (u.bbox.height / devicePixelRatio || this.height - 40) / Y_LABEL_SPACE;
        last = logTicks(min, max, room);
        return last.splits;
      },
      values: (_u: uPlot, splits: number[]) => splits.map((v, i) => (last && last.splits[i] === v && last.labelled[i] ? formatTick(v) : '')),
      filter: (_u: uPlot, splits: number[]) => splits,
    };
  }

  /**
   * Dims every run but `run` (null: none dimmed). The hovered line is drawn
   * again on top, so it stays readable among many.
   */
  private highlight(run: string | null): void {
    if (run === this.hover || !this.u) return;
    this.hover = run;
    this.el.dataset.highlight = run ?? '';
    if (!this.bulk) for (const s of this.u.series.slice(1)) s.alpha = run === null || s.label === run ? 1 : DIM_ALPHA;
    this.u.redraw(false, false);
  }

  private drawHighlight(u: uPlot): void {
    const line = this.hover === null ? null : this.lines.find((l) => l.run === this.hover);
    if (!line) return;
    const log = this.opts?.logY ?? false;
    const ctx = clipToPlot(u);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < line.smoothed.length; i++) {
      const y = line.smoothed[i];
      if (!Number.isFinite(y) || (log && y <= 0)) continue;
      const px = u.valToPos(line.x[i], 'x', true);
      const py = u.valToPos(y, 'y', true);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.lineWidth = 2.5 * devicePixelRatio;
    ctx.strokeStyle = line.color;
    ctx.stroke();
    ctx.restore();
  }

  /**
   * Value to canvas pixel maps. Linear axes map by hand: these run for
   * every point of every run.
   */
  private mapper(u: uPlot): { posX: (v: number) => number; posY: (v: number) => number } {
    const log = this.opts?.logY ?? false;
    const sx = u.scales.x;
    const sy = u.scales.y;
    const { left, top, width, height } = u.bbox;
    const linear = !log && !this.opts?.logX && this.opts?.xAxis !== 'wall' && sx.min != null && sx.max != null && sy.min != null && sy.max != null;
    const kx = linear ? width / (sx.max! - sx.min!) : 0;
    const ky = linear ? height / (sy.max! - sy.min!) : 0;
    return {
      posX: linear ? (v: number) => left + (v - sx.min!) * kx : (v: number) => u.valToPos(v, 'x', true),
      posY: linear ? (v: number) => top + height - (v - sy.min!) * ky : (v: number) => u.valToPos(v, 'y', true),
    };
  }

  /** Shades the min/max envelope of downsampled runs (in bulk, the hovered run's). */
  private drawEnvelopes(u: uPlot): void {
    const log = this.opts?.logY ?? false;
    const ctx = clipToPlot(u);
    const clampY = (v: number) => (log && v <= 0 ? NaN : v);
    const { posX, posY } = this.mapper(u);
    for (const l of this.lines) {
      if (!l.lo || !l.hi || (this.bulk && l.run !== this.hover)) continue;
      const x0 = l.x0 ?? l.x;
      const dim = this.hover !== null && l.run !== this.hover;
      ctx.beginPath();
      let n = 0;
      for (let i = 0; i < l.hi.length; i++) {
        const y = clampY(l.hi[i]);
        if (!Number.isFinite(y)) continue;
        const py = posY(y);
        ctx.lineTo(posX(x0[i]), py);
        ctx.lineTo(posX(l.x[i]), py);
        n++;
      }
      for (let i = l.lo.length - 1; i >= 0; i--) {
        const y = clampY(l.lo[i]);
        if (!Number.isFinite(y)) continue;
        const py = posY(y);
        ctx.lineTo(posX(l.x[i]), py);
        ctx.lineTo(posX(x0[i]), py);
      }
      if (n === 0) continue;
      ctx.closePath();
      ctx.fillStyle = withAlpha(l.color, dim ? 0.04 : 0.18);
      ctx.fill();
    }
    ctx.restore();
  }

  /** Many lines: each colour's lines as one path (see BULK_MIN). */
  private drawBulk(u: uPlot): void {
    if (!this.bulk || !this.opts) return;
    const { x, y } = u.scales;
    const { left, top, width, height } = u.bbox;
    const key = [x.min, x.max, y.min, y.max, left, top, width, height, u.ctx.canvas.width, u.ctx.canvas.height, this.opts.showRaw].join();
    let cache = this.bulkCache;
    const fresh = cache && cache.key === key && cache.lines === this.lines;
    if (!fresh && this.hover === null) {
      // Nothing dimmed: the lines go straight onto the chart. The copy that
      // hovering dims is made when first needed, so a chart that nobody
      // hovers (the first one drawn, among others) makes no second canvas.
      u.ctx.save();
      this.paintBulk(u, u.ctx);
      u.ctx.restore();
      return;
    }
    if (!cache || !fresh) {
      const canvas = cache?.canvas ?? document.createElement('canvas');
      canvas.width = u.ctx.canvas.width;
      canvas.height = u.ctx.canvas.height;
      this.paintBulk(u, canvas.getContext('2d')!);
      this.bulkCache = cache = { key, lines: this.lines, canvas };
    }
    const ctx = u.ctx;
    ctx.save();
    ctx.globalAlpha = this.hover === null ? 1 : DIM_ALPHA;
    ctx.drawImage(cache.canvas, 0, 0);
    ctx.restore();
  }

  /** Draws every line onto `ctx` (a canvas the size of the chart's). */
  private paintBulk(u: uPlot, ctx: CanvasRenderingContext2D): void {
    const logY = this.opts!.logY;
    const logX = this.opts!.logX ?? false;
    const { posX, posY } = this.mapper(u);
    const { left, top, width, height } = u.bbox;
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    const groups = new Map<string, ChartLine[]>();
    for (const l of this.lines) {
      const key = l.color + '\u0000' + (l.dash ?? '');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(l);
    }
    const pass = (values: (l: ChartLine) => Float64Array, color: (l: ChartLine) => string) => {
      ctx.lineWidth = 1;
      for (const group of groups.values()) {
        ctx.beginPath();
        for (const l of group) {
          const ys = values(l);
          let pen = false;
          for (let i = 0; i < ys.length; i++) {
            const y = ys[i];
            // Gaps are spanned, as uPlot's series do (spanGaps).
            if (!Number.isFinite(y) || (logY && y <= 0) || (logX && l.x[i] <= 0)) continue;
            const px = posX(l.x[i]);
            const py = posY(y);
            if (pen) ctx.lineTo(px, py);
            else ctx.moveTo(px, py);
            pen = true;
          }
        }
        ctx.setLineDash(group[0].dash ?? []);
        ctx.strokeStyle = color(group[0]);
        ctx.stroke();
      }
    };
    if (this.opts!.showRaw) pass((l) => l.raw, (l) => withAlpha(l.color, 0.25));
    pass((l) => l.smoothed, (l) => l.color);
  }

  /** A run with a single finite point draws no line; mark it with a dot. */
  private drawLonePoints(u: uPlot): void {
    const log = this.opts?.logY ?? false;
    const ctx = clipToPlot(u);
    const r = 3.5 * devicePixelRatio;
    for (const l of this.lines) {
      if (countFinite(l.smoothed) !== 1) continue;
      for (let i = 0; i < l.smoothed.length; i++) {
        const y = l.smoothed[i];
        if (!Number.isFinite(y) || (log && y <= 0)) continue;
        const px = u.valToPos(l.x[i], 'x', true);
        const py = u.valToPos(y, 'y', true);
        ctx.beginPath();
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fillStyle = l.color;
        ctx.fill();
      }
    }
    ctx.restore();
  }

  /**
   * y limits fitting the drawn values inside the current x range, or the
   * extent shared with linked charts; typed bounds replace fitted ones.
   */
  private yRange(u: uPlot, log: boolean): [number, number] {
    const opts = this.opts;
    if (!opts) return [0, 1];
    const sx = u.scales.x;
    const x0 = sx.min ?? -Infinity;
    const x1 = sx.max ?? Infinity;
    let ext = opts.yShared;
    if (!ext) {
      // uPlot asks again on every redraw that re-ranges; with thousands of
      // lines the scan costs more than the drawing.
      const key = [x0, x1, log, opts.ignoreOutliers, opts.showRaw].join();
      if (!this.yCache || this.yCache.lines !== this.lines || this.yCache.key !== key)
        this.yCache = { key, lines: this.lines, range: dataExtent(this.lines, opts, x0, x1) };
      ext = this.yCache.range;
    }
    return fitY(ext[0], ext[1], log, opts.yLimits);
  }

  /** Takes a new shared extent (null: none) and fits y to it again. */
  setYShared(ext: readonly [number, number] | null): void {
    const opts = this.opts;
    const have = opts?.yShared ?? null;
    if (!opts || (have === ext) || (have && ext && have[0] === ext[0] && have[1] === ext[1])) return;
    this.opts = { ...opts, yShared: ext };
    this.refitY();
  }

  /** Fits y again with the current data and x range. */
  private refitY(): void {
    const u = this.u;
    const sx = u?.scales.x;
    if (!u || !sx || sx.min == null || sx.max == null) return;
    // setScale on x re-ranges y (an auto scale) and redraws.
    u.setScale('x', { min: sx.min, max: sx.max });
  }

  private hideTooltip(): void {
    if (this.tooltip) this.tooltip.style.display = 'none';
    for (const d of this.dots) d.style.display = 'none';
  }

  private showTooltip(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    const top = u.cursor.top ?? -1;
    const opts = this.opts;
    if (left < 0 || top < 0 || !opts || this.lines.length === 0) {
      this.hideTooltip();
      return;
    }
    const xVal = u.posToVal(left, 'x');
    this.onHoverX?.(xVal);
    type Hit = { line: ChartLine; i: number; px: number; py: number; dist: number };
    const hits: Hit[] = [];
    for (const line of this.lines) {
      if (line.x.length === 0) continue;
      const i = nearestIndex(line.x, xVal);
      const y = line.smoothed[i];
      const px = u.valToPos(line.x[i], 'x');
      let py = Number.isFinite(y) && (!opts.logY || y > 0) ? u.valToPos(y, 'y') : NaN;
      if (!Number.isFinite(py)) py = NaN;
      if (px < -20 || px > u.over.clientWidth + 20) continue;
      hits.push({ line, i, px, py, dist: Number.isNaN(py) ? Infinity : Math.abs(py - top) });
    }
    if (hits.length === 0) {
      this.hideTooltip();
      this.highlight(null);
      return;
    }
    // The line under the pointer (within a few pixels) is highlighted.
    let near: Hit | null = null;
    for (const h of hits) if (h.dist <= 12 && (!near || h.dist < near.dist)) near = h;
    this.highlight(near ? near.line.run : null);
    const val = (h: Hit) => {
      const v = h.line.smoothed[h.i];
      return Number.isNaN(v) ? -Infinity : v;
    };
    switch (opts.tooltipSort) {
      case 'ascending':
        hits.sort((a, b) => val(a) - val(b));
        break;
      case 'descending':
        hits.sort((a, b) => val(b) - val(a));
        break;
      case 'name':
        hits.sort((a, b) => (a.line.run < b.line.run ? -1 : a.line.run > b.line.run ? 1 : 0));
        break;
      default:
        hits.sort((a, b) => a.dist - b.dist);
    }
    const shown = hits.slice(0, MAX_TOOLTIP_ROWS);

    // Markers on the hovered points.
    while (this.dots.length < shown.length) {
      const d = document.createElement('div');
      d.className = 'tb-dot';
      u.over.appendChild(d);
      this.dots.push(d);
    }
    this.dots.forEach((d, k) => {
      const h = shown[k];
      if (!h || Number.isNaN(h.py)) {
        d.style.display = 'none';
        return;
      }
      d.style.display = 'block';
      d.style.transform = `translate(${h.px}px, ${h.py}px)`;
      d.style.background = h.line.color;
    });

    if (!this.tooltip) {
      this.tooltip = document.createElement('div');
      this.tooltip.className = 'tb-tooltip';
      document.body.appendChild(this.tooltip);
    }
    const tip = this.tooltip;
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    let html =
      '<table><thead><tr><th></th><th>Run</th><th>Smoothed</th><th>Value</th><th>Step</th><th>Relative</th><th>Time</th></tr></thead><tbody>';
    for (const h of shown) {
      const l = h.line;
      html +=
        `<tr><td><span class="tb-swatch" style="background:${l.color}"></span></td>` +
        `<td class="run">${esc(l.run)}${l.members ? ` <span class="members">(${l.members.length} runs: ${esc(l.members.slice(0, 4).join(', '))}${l.members.length > 4 ? ', …' : ''})</span>` : ''}</td>` +
        `<td>${formatValue(l.smoothed[h.i])}</td>` +
        `<td>${formatValue(l.raw[h.i])}</td>` +
        `<td>${formatStep(l.step[h.i])}</td>` +
        `<td>${formatDuration((l.wallTime[h.i] - l.start) / 3600)}</td>` +
        `<td>${formatWallTime(l.wallTime[h.i])}</td></tr>`;
    }
    html += '</tbody></table>';
    if (hits.length > shown.length) html += `<div class="more">+${hits.length - shown.length} more runs</div>`;
    tip.innerHTML = html;
    tip.style.display = 'block';

    const rect = u.over.getBoundingClientRect();
    const cx = rect.left + left;
    const cy = rect.top + top;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let x = cx + 16;
    if (x + tw > window.innerWidth - 8) x = Math.max(8, cx - 16 - tw);
    let y = cy + 16;
    if (y + th > window.innerHeight - 8) y = Math.max(8, cy - 16 - th);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }
}
