// A scatter-plot matrix on canvases: one small chart per (hparam, metric)
// pair, hparams across, metrics down, one point per row (session group) in
// its run's colour. Axes scale as in parallel coordinates (scaleOf): linear,
// log for positive values spanning decades, evenly placed categories.
// Rows the filters hide are left out. Clicking a point picks its row.
import type { Figure, FigurePanel } from './chartImage';
import { prepareCanvas, readCanvasColors } from './dashCanvas';
import { scaleOf, type PcRow } from './parallelCoords';

export interface SmAxis {
  label: string;
  numeric: boolean;
  /** Index of the column in the rows' values. */
  col: number;
}

const CELL_W = 210;
const CELL_H = 170;
const PAD = { left: 46, right: 10, top: 10, bottom: 34 };
const R = 3.5;

export class ScatterMatrix {
  private readonly grid: HTMLDivElement;
  private points: Array<{ canvas: HTMLCanvasElement; x: number; y: number; id: string }> = [];
  private drawn: { xs: SmAxis[]; ys: SmAxis[]; rows: PcRow[] } | null = null;

  constructor(container: HTMLElement, private readonly onPick: (id: string) => void) {
    this.grid = document.createElement('div');
    this.grid.className = 'sm-grid';
    container.appendChild(this.grid);
    this.grid.addEventListener('click', (e) => {
      const canvas = e.target as HTMLCanvasElement;
      if (canvas.tagName !== 'CANVAS') return;
      const r = canvas.getBoundingClientRect();
      const x = e.clientX - r.left;
      const y = e.clientY - r.top;
      let best = '';
      let bestD = 64;
      for (const p of this.points) {
        if (p.canvas !== canvas) continue;
        const d = (p.x - x) ** 2 + (p.y - y) ** 2;
        if (d < bestD) [best, bestD] = [p.id, d];
      }
      if (best) this.onPick(best);
    });
  }

  update(xs: SmAxis[], ys: SmAxis[], rows: PcRow[]): void {
    this.drawn = { xs, ys, rows };
    const colors = readCanvasColors();
    const shown = rows.filter((r) => r.shown);
    const scale = (a: SmAxis) =>
      scaleOf(
        a.numeric,
        rows.map((r) => r.values[a.col]),
      );
    const xScales = xs.map(scale);
    const yScales = ys.map(scale);
    this.grid.replaceChildren();
    this.grid.style.gridTemplateColumns = `repeat(${Math.max(1, xs.length)}, ${CELL_W}px)`;
    this.points = [];
    const w = CELL_W - PAD.left - PAD.right;
    const h = CELL_H - PAD.top - PAD.bottom;
    ys.forEach((ya, j) => {
      xs.forEach((xa, i) => {
        const canvas = document.createElement('canvas');
        canvas.className = 'sm-cell';
        canvas.dataset.x = xa.label;
        canvas.dataset.y = ya.label;
        this.grid.appendChild(canvas);
        const ctx = prepareCanvas(canvas, CELL_W, CELL_H);
        const sx = xScales[i];
        const sy = yScales[j];
        ctx.strokeStyle = colors.axis;
        ctx.lineWidth = 1;
        ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, w, h);
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillStyle = colors.text;
        ctx.textBaseline = 'top';
        ctx.textAlign = 'center';
        // Labels that would overlap the one before are left out.
        let lastX = -Infinity;
        for (const [p, label] of sx.ticks) {
          const x = PAD.left + p * w;
          const half = ctx.measureText(label).width / 2;
          if (x - half < lastX + 4) continue;
          ctx.fillText(label, x, PAD.top + h + 3, 60);
          lastX = x + half;
        }
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.fillText(xa.label + (sx.log ? ' (log)' : ''), PAD.left + w / 2, CELL_H - 14, w);
        ctx.font = '10px system-ui, sans-serif';
        ctx.textAlign = 'right';
        ctx.textBaseline = 'middle';
        let lastY = Infinity;
        for (const [p, label] of sy.ticks) {
          const y = PAD.top + (1 - p) * h;
          if (y > lastY - 11) continue;
          ctx.fillText(label, PAD.left - 3, y, PAD.left - 4);
          lastY = y;
        }
        if (i === 0) {
          ctx.save();
          ctx.translate(10, PAD.top + h / 2);
          ctx.rotate(-Math.PI / 2);
          ctx.textAlign = 'center';
          ctx.font = '600 11px system-ui, sans-serif';
          ctx.fillText(ya.label, 0, 0, h);
          ctx.restore();
        }
        let n = 0;
        for (const r of shown) {
          const px = sx.pos(r.values[xa.col]);
          const py = sy.pos(r.values[ya.col]);
          if (px === null || py === null) continue;
          const x = PAD.left + px * w;
          const y = PAD.top + (1 - py) * h;
          ctx.beginPath();
          ctx.arc(x, y, R, 0, 2 * Math.PI);
          ctx.fillStyle = r.color;
          ctx.globalAlpha = 0.85;
          ctx.fill();
          ctx.globalAlpha = 1;
          this.points.push({ canvas, x, y, id: r.id });
          n++;
        }
        canvas.dataset.points = String(n);
      });
    });
  }

  destroy(): void {
    this.grid.remove();
  }

  /** What is drawn, as a Figure for an image: a panel per cell, hparams across, metrics down. */
  figure(): Figure | null {
    const d = this.drawn;
    if (!d || d.xs.length === 0 || d.ys.length === 0) return null;
    const shown = d.rows.filter((r) => r.shown);
    const colors = [...new Set(shown.map((r) => r.color))];
    const panels: FigurePanel[] = [];
    for (const ya of d.ys) {
      const sy = scaleOf(ya.numeric, d.rows.map((r) => r.values[ya.col]));
      for (const xa of d.xs) {
        const sx = scaleOf(xa.numeric, d.rows.map((r) => r.values[xa.col]));
        const pos = (r: PcRow) => [sx.pos(r.values[xa.col]) ?? NaN, sy.pos(r.values[ya.col]) ?? NaN];
        panels.push({
          x: { range: [-0.05, 1.05], ticks: sx.ticks, label: xa.label + (sx.log ? ' (log)' : '') },
          y: { range: [-0.05, 1.05], ticks: sy.ticks, label: ya.label + (sy.log ? ' (log)' : '') },
          marks: colors.map((color) => {
            const pts = shown.filter((r) => r.color === color).map(pos);
            return { kind: 'dots', xs: pts.map((p) => p[0]), ys: pts.map((p) => p[1]), color, opacity: 0.85 };
          }),
        });
      }
    }
    return { panels, columns: d.xs.length, legend: shown.map((r) => ({ name: r.id, color: r.color })) };
  }
}
