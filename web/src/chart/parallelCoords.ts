// Parallel coordinates on a canvas: one vertical axis per column (hparams,
// then metrics), one polyline per row across them. Numeric axes are linear
// between the column's extremes; other columns place their distinct values
// evenly. Rows that the filters hide are drawn faintly.
import { formatTick } from '../format';
import { niceTicks, prepareCanvas, readCanvasColors } from './dashCanvas';

export type PcValue = number | string | boolean | undefined;

export interface PcAxis {
  label: string;
  numeric: boolean;
}

export interface PcRow {
  id: string;
  color: string;
  values: PcValue[];
  /** Passes the filters. */
  shown: boolean;
}

interface Scale {
  pos: (v: PcValue) => number | null; // 0 (bottom) .. 1 (top)
  ticks: Array<[number, string]>;
}

function scaleOf(axis: PcAxis, rows: PcRow[], col: number): Scale {
  const vals = rows.map((r) => r.values[col]).filter((v) => v !== undefined);
  if (axis.numeric) {
    const ns = vals.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    let lo = Math.min(...ns);
    let hi = Math.max(...ns);
    if (!ns.length) [lo, hi] = [0, 1];
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    const pos = (v: PcValue) => (typeof v === 'number' && Number.isFinite(v) ? (v - lo) / (hi - lo) : null);
    const ticks: Array<[number, string]> = [];
    if (ns.length) {
      ticks.push([0, formatTick(lo)]);
      for (const t of niceTicks(lo, hi, 4)) {
        const p = (t - lo) / (hi - lo);
        if (p > 0.08 && p < 0.92) ticks.push([p, formatTick(t)]);
      }
      ticks.push([1, formatTick(hi)]);
    }
    return { pos, ticks };
  }
  const distinct = [...new Set(vals.map(String))].sort();
  const at = new Map(distinct.map((v, i) => [v, distinct.length === 1 ? 0.5 : i / (distinct.length - 1)]));
  return {
    pos: (v) => (v === undefined ? null : (at.get(String(v)) ?? null)),
    ticks: distinct.map((v) => [at.get(v)!, v]),
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

  constructor(container: HTMLElement, private readonly onPick: (id: string) => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'pc-canvas';
    container.appendChild(this.canvas);
    this.canvas.addEventListener('click', (e) => {
      const r = this.canvas.getBoundingClientRect();
      const id = this.pick(e.clientX - r.left, e.clientY - r.top);
      if (id) this.onPick(id);
    });
    this.canvas.addEventListener('mousemove', (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.canvas.style.cursor = this.pick(e.clientX - r.left, e.clientY - r.top) ? 'pointer' : 'default';
    });
  }

  setSize(width: number, height: number): void {
    this.width = Math.max(100, Math.floor(width));
    this.height = Math.max(100, Math.floor(height));
    this.draw();
  }

  update(axes: PcAxis[], rows: PcRow[], selected: string): void {
    this.axes = axes;
    this.rows = rows;
    this.selected = selected;
    this.draw();
  }

  destroy(): void {
    this.canvas.remove();
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
    const scales = this.axes.map((a, i) => scaleOf(a, this.rows, i));

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
      const title = this.axes[i].label;
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
