// Margin chart: per line a value curve with a shaded band between its
// lower and upper curves, over steps.
import uPlot from 'uplot';
import { withAlpha } from '../colors';
import { escapeHtml, formatStep, formatTick, formatValue } from '../format';
import type { Points } from '../dashboards/custom_scalars_api';
import { valueTicks, type Figure, type FigureMark } from './chartImage';
import { axisStyle, bodyTip, placeTip, PlotBase, tickLabels } from './plotParts';
import type { ChartTheme } from './scalarChart';

export interface MarginLine {
  label: string;
  color: string;
  value: Points;
  lower: Points | null;
  upper: Points | null;
}

/** Values of `p` on the step grid `xs` (null where `p` has no point). */
function onGrid(xs: number[], p: Points | null): (number | null)[] {
  const out = new Array<number | null>(xs.length).fill(null);
  if (!p) return out;
  const at = new Map<number, number>();
  for (let i = 0; i < p.step.length; i++) at.set(p.step[i], p.value[i]);
  xs.forEach((x, i) => {
    const v = at.get(x);
    out[i] = v !== undefined && Number.isFinite(v) ? v : null;
  });
  return out;
}

export class MarginChart extends PlotBase {
  private lines: MarginLine[] = [];

  update(lines: MarginLine[], theme: ChartTheme): void {
    this.lines = lines;
    this.u?.destroy();
    this.u = null;
    if (lines.length === 0) return;
    const steps = new Set<number>();
    for (const l of lines) for (const p of [l.value, l.lower, l.upper]) if (p) for (const s of p.step) steps.add(s);
    const xs = [...steps].sort((a, b) => a - b);
    const data: (number | null)[][] = [xs];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    for (const l of lines) {
      const base = data.length;
      data.push(onGrid(xs, l.value), onGrid(xs, l.lower), onGrid(xs, l.upper));
      series.push(
        { label: l.label, stroke: l.color, width: 1.75, spanGaps: true, points: { show: xs.length === 1 } },
        { label: `${l.label} lower`, stroke: withAlpha(l.color, 0.35), width: 1, spanGaps: true, points: { show: false } },
        { label: `${l.label} upper`, stroke: withAlpha(l.color, 0.35), width: 1, spanGaps: true, points: { show: false } },
      );
      bands.push({ series: [base + 2, base + 1], fill: withAlpha(l.color, 0.15) });
    }
    const opts: uPlot.Options = {
      width: this.width || 400,
      height: this.height || 230,
      legend: { show: false },
      padding: [10, 18, 0, 0],
      scales: {
        x: {
          time: false,
          range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]),
        },
        y: {
          range: (_u, min, max) => {
            if (min == null || max == null || !Number.isFinite(min)) return [0, 1];
            const pad = max > min ? (max - min) * 0.05 : Math.abs(max) * 0.1 || 1;
            return [min - pad, max + pad];
          },
        },
      },
      axes: [
        { ...axisStyle(theme, tickLabels(formatStep)), size: 30 },
        { ...axisStyle(theme, tickLabels(formatTick)), size: 56 },
      ],
      series,
      bands,
      cursor: { y: false, points: { show: false }, drag: { x: true, y: false, setScale: true } },
      hooks: { setCursor: [(u) => this.showTip(u)] },
    };
    this.u = new uPlot(opts, data as uPlot.AlignedData, this.el);
    this.u.over.addEventListener('mouseleave', () => {
      if (this.tip) this.tip.style.display = 'none';
    });
  }

  /** What is drawn (the x and y ranges in view), as a Figure for an image. */
  figure(): Figure | null {
    const u = this.u;
    if (!u) return null;
    const { x, y } = u.scales;
    if (x.min == null || x.max == null || y.min == null || y.max == null) return null;
    const [x0, x1, y0, y1] = [x.min, x.max, y.min, y.max];
    const xs = u.data[0] as number[];
    const col = (k: number) => (u.data[k] as (number | null)[]).map((v) => v ?? NaN);
    const marks: FigureMark[] = [];
    this.lines.forEach((l, k) => {
      const [value, lower, upper] = [col(1 + 3 * k), col(2 + 3 * k), col(3 + 3 * k)];
      marks.push(
        { kind: 'area', xs, ys: upper, lo: lower, color: l.color, opacity: 0.15, spanGaps: true },
        { kind: 'line', xs, ys: lower, color: l.color, width: 1, opacity: 0.35, spanGaps: true },
        { kind: 'line', xs, ys: upper, color: l.color, width: 1, opacity: 0.35, spanGaps: true },
        { kind: xs.length === 1 ? 'dots' : 'line', xs, ys: value, color: l.color, width: 1.75, series: l.label, spanGaps: true },
      );
    });
    return {
      panels: [
        {
          x: {
            range: [x0, x1],
            ticks: (px) => valueTicks(x0, x1, Math.max(2, Math.floor(px / 80))).map(([v]) => [v, formatStep(v)]),
            label: 'Step',
          },
          y: { range: [y0, y1], ticks: (px) => valueTicks(y0, y1, Math.max(2, Math.floor(px / 40))) },
          marks,
        },
      ],
      legend: this.lines.map((l) => ({ name: l.label, color: l.color })),
    };
  }

  private showTip(u: uPlot): void {
    const idx = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    if (idx == null || left < 0) {
      if (this.tip) this.tip.style.display = 'none';
      return;
    }
    this.tip ??= bodyTip('tb-tooltip');
    const fmt = (v: number | null | undefined) => (v == null ? '–' : formatValue(v));
    let html = `<table><thead><tr><th></th><th>Series</th><th>Value</th><th>Lower</th><th>Upper</th><th>Step</th></tr></thead><tbody>`;
    this.lines.forEach((l, k) => {
      const b = 1 + 3 * k;
      html +=
        `<tr><td><span class="tb-swatch" style="background:${l.color}"></span></td><td class="run">${escapeHtml(l.label)}</td>` +
        `<td>${fmt(u.data[b][idx])}</td><td>${fmt(u.data[b + 1][idx])}</td><td>${fmt(u.data[b + 2][idx])}</td>` +
        `<td>${formatStep(u.data[0][idx] as number)}</td></tr>`;
    });
    html += '</tbody></table>';
    const tip = this.tip;
    tip.innerHTML = html;
    const rect = u.over.getBoundingClientRect();
    placeTip(tip, rect.left + left, rect.top + (u.cursor.top ?? 0), 16);
  }
}
