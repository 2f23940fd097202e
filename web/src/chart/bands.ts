// Distribution chart: the nine percentile curves of a histogram series over
// steps, drawn as nested shaded bands around the median.
import type { DistributionStep } from '../dashboards/series_api';
import { formatStep, formatTick, formatValue } from '../format';
import type { Figure, FigureMark } from './chartImage';
import { CanvasChart, drawGrid, niceTicks, prepareCanvas, readCanvasColors, rgba, stepTicks } from './dashCanvas';

/** Band pairs from the outside in: (min, max), (7%, 93%), (16%, 84%), (31%, 69%). */
const BANDS: Array<[number, number]> = [
  [0, 8],
  [1, 7],
  [2, 6],
  [3, 5],
];
const MEDIAN = 4;

function percentileName(bp: number): string {
  if (bp <= 0) return 'min';
  if (bp >= 10000) return 'max';
  return `${Number((bp / 100).toFixed(1))}%`;
}

export class DistributionChart extends CanvasChart {
  private steps: DistributionStep[] = [];
  private hover = -1;
  private finite = false;
  private x0 = 0;
  private x1 = 1;
  private y0 = 0;
  private y1 = 1;
  private pad = { left: 48, right: 12, top: 10, bottom: 22 };

  /** False when there is no finite value to draw. */
  setData(steps: DistributionStep[], color: string): boolean {
    this.steps = steps.filter((s) => s.values.length === 9 && Number.isFinite(s.step));
    this.color = color;
    this.hover = -1;
    this.tip.hide();
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.steps) {
      for (const v of s.values) {
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    const ok = lo <= hi;
    this.finite = ok;
    if (!ok) {
      lo = 0;
      hi = 1;
    } else if (lo === hi) {
      const p = lo === 0 ? 0.5 : Math.abs(lo) * 0.1;
      lo -= p;
      hi += p;
    } else {
      const p = (hi - lo) * 0.04;
      lo -= p;
      hi += p;
    }
    this.y0 = lo;
    this.y1 = hi;
    const first = this.steps.length ? this.steps[0].step : 0;
    const last = this.steps.length ? this.steps[this.steps.length - 1].step : 0;
    this.x0 = Math.min(first, last);
    this.x1 = Math.max(first, last);
    if (this.x0 === this.x1) {
      this.x0 -= 1;
      this.x1 += 1;
    }
    this.draw();
    return ok;
  }

  /** What is drawn, as a Figure for an image: the bands, then the median. */
  figure(name: string): Figure | null {
    if (!this.steps.length || !this.finite) return null;
    const single = this.steps.length === 1;
    const marks: FigureMark[] = [];
    const curve = (s: number, e: number, k: number) => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let i = s; i <= e; i++) {
        const at = single ? [this.x0 + 0.5, this.x1 - 0.5] : [this.steps[i].step];
        for (const x of at) {
          xs.push(x);
          ys.push(this.steps[i].values[k]);
        }
      }
      return { xs, ys };
    };
    for (const [a, b] of BANDS) {
      for (const [s, e] of this.segments(a, b)) {
        const upper = curve(s, e, b);
        marks.push({ kind: 'area', xs: upper.xs, ys: upper.ys, lo: curve(s, e, a).ys, color: this.color, opacity: 0.16 });
      }
    }
    for (const [s, e] of this.segments(MEDIAN, MEDIAN)) {
      const m = curve(s, e, MEDIAN);
      marks.push({ kind: s === e && !single ? 'dots' : 'line', xs: m.xs, ys: m.ys, color: this.color, series: 'median' });
    }
    const x: [number, number] = [this.x0, this.x1];
    return {
      panels: [
        {
          x: {
            range: x,
            ticks: (px) => (single ? [this.steps[0].step] : stepTicks(this.x0, this.x1, Math.max(2, Math.floor(px / 70)))).map((v) => [v, formatStep(v)]),
            label: 'Step',
          },
          y: { range: [this.y0, this.y1], ticks: (px) => niceTicks(this.y0, this.y1, Math.max(2, Math.floor(px / 40))).map((v) => [v, formatTick(v)]) },
          marks,
        },
      ],
      legend: [{ name, color: this.color }],
    };
  }

  private px(step: number): number {
    const P = this.pad;
    return P.left + ((step - this.x0) / (this.x1 - this.x0)) * (this.width - P.left - P.right);
  }

  private py(v: number): number {
    const P = this.pad;
    const c = Math.min(this.y1, Math.max(this.y0, v));
    return this.height - P.bottom - ((c - this.y0) / (this.y1 - this.y0)) * (this.height - P.top - P.bottom);
  }

  /** Index ranges of consecutive steps whose values at a and b are finite. */
  private segments(a: number, b: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let start = -1;
    const n = this.steps.length;
    for (let i = 0; i <= n; i++) {
      const ok = i < n && Number.isFinite(this.steps[i].values[a]) && Number.isFinite(this.steps[i].values[b]);
      if (ok && start < 0) start = i;
      if (!ok && start >= 0) {
        out.push([start, i - 1]);
        start = -1;
      }
    }
    return out;
  }

  protected draw(): void {
    const W = this.width;
    const H = this.height;
    if (W <= 0 || H <= 0) return;
    const ctx = prepareCanvas(this.canvas, W, H);
    if (!this.steps.length || !this.finite) return;
    const colors = readCanvasColors();
    const yTicks = niceTicks(this.y0, this.y1, Math.max(2, Math.floor((H - 32) / 40)));
    ctx.font = '11px system-ui, sans-serif';
    const labelW = Math.max(...yTicks.map((v) => ctx.measureText(formatTick(v)).width), 10);
    this.pad.left = Math.ceil(labelW) + 12;
    const P = this.pad;

    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.text;
    drawGrid(ctx, 'y', yTicks, (v) => this.py(v), P.left, W - P.right);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xTicks =
      this.steps.length === 1
        ? [this.steps[0].step]
        : stepTicks(this.x0, this.x1, Math.max(2, Math.floor((W - P.left - P.right) / 70)));
    for (const s of xTicks) {
      if (s < this.x0 || s > this.x1) continue;
      ctx.fillText(formatStep(s), this.px(s), H - P.bottom + 5);
    }
    ctx.strokeStyle = colors.axis;
    ctx.beginPath();
    ctx.moveTo(P.left, H - P.bottom + 0.5);
    ctx.lineTo(W - P.right, H - P.bottom + 0.5);
    ctx.stroke();

    const single = this.steps.length === 1;
    const xs = (i: number): number[] => (single ? [this.px(this.x0 + 0.5), this.px(this.x1 - 0.5)] : [this.px(this.steps[i].step)]);

    ctx.save();
    ctx.beginPath();
    ctx.rect(P.left, P.top, W - P.left - P.right, H - P.top - P.bottom);
    ctx.clip();
    for (const [a, b] of BANDS) {
      ctx.fillStyle = rgba(this.color, 0.16);
      for (const [s, e] of this.segments(a, b)) {
        ctx.beginPath();
        for (let i = s; i <= e; i++) for (const x of xs(i)) ctx.lineTo(x, this.py(this.steps[i].values[b]));
        for (let i = e; i >= s; i--) for (const x of xs(i).reverse()) ctx.lineTo(x, this.py(this.steps[i].values[a]));
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    for (const [s, e] of this.segments(MEDIAN, MEDIAN)) {
      ctx.beginPath();
      for (let i = s; i <= e; i++) for (const x of xs(i)) ctx.lineTo(x, this.py(this.steps[i].values[MEDIAN]));
      if (s === e && !single) {
        ctx.arc(this.px(this.steps[s].step), this.py(this.steps[s].values[MEDIAN]), 1.5, 0, Math.PI * 2);
      }
      ctx.stroke();
    }
    ctx.restore();

    if (this.hover >= 0 && this.hover < this.steps.length) {
      const s = this.steps[this.hover];
      const x = Math.round(single ? (this.px(this.x0) + this.px(this.x1)) / 2 : this.px(s.step)) + 0.5;
      ctx.strokeStyle = colors.text;
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, P.top);
      ctx.lineTo(x, H - P.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      for (let k = 0; k < 9; k++) {
        const v = s.values[k];
        if (!Number.isFinite(v)) continue;
        ctx.beginPath();
        ctx.arc(x, this.py(v), k === MEDIAN ? 3.5 : 2.5, 0, Math.PI * 2);
        ctx.fillStyle = this.color;
        ctx.fill();
        ctx.strokeStyle = colors.surface;
        ctx.stroke();
      }
    }
  }

  protected onMove(e: MouseEvent): void {
    if (!this.steps.length || !this.finite) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const P = this.pad;
    if (x < P.left - 4 || x > this.width - P.right + 4) {
      this.onLeave();
      return;
    }
    let best = 0;
    let bestDist = Infinity;
    for (let i = 0; i < this.steps.length; i++) {
      const d = Math.abs(this.px(this.steps[i].step) - x);
      if (d < bestDist) {
        bestDist = d;
        best = i;
      }
    }
    this.hover = best;
    this.draw();
    const s = this.steps[best];
    const rows: Array<[string, string]> = [];
    for (let k = 8; k >= 0; k--) rows.push([percentileName(s.bps[k]), formatValue(s.values[k])]);
    this.tip.show(e.clientX, e.clientY, `Step ${s.step}`, rows, this.color);
  }

  protected onLeave(): void {
    this.tip.hide();
    if (this.hover >= 0) {
      this.hover = -1;
      this.draw();
    }
  }
}
