// Precision-recall chart: precision (y) against recall (x), one line per run
// at the step chosen for it. Hover shows the nearest threshold of the
// nearest line with its counts.
import uPlot from 'uplot';
import type { PrEntry } from '../dashboards/pr_curves_api';
import { escapeHtml, formatStep, formatTick, formatValue } from '../format';
import { valueTicks, type Figure } from './chartImage';
import { axisStyle, bodyTip, placeTip, PlotBase, tickLabels } from './plotParts';
import type { ChartTheme } from './scalarChart';

export interface PrLine {
  run: string;
  color: string;
  entry: PrEntry;
}

export class PrChart extends PlotBase {
  private lines: PrLine[] = [];
  private signature = '';
  private dot: HTMLDivElement | null = null;

  /** Number of lines with at least one point. */
  update(lines: PrLine[], theme: ChartTheme): number {
    this.lines = lines.filter((l) => l.entry.recall.length > 0);
    const signature = [theme.text, theme.grid, ...this.lines.map((l) => `${l.run}\u0000${l.color}`)].join('\u0001');
    if (this.lines.length === 0) {
      this.hideTip();
      this.u?.destroy();
      this.u = null;
      this.signature = '';
      return 0;
    }
    const data = [null, ...this.lines.map((l) => [l.entry.recall, l.entry.precision])] as unknown as uPlot.AlignedData;
    if (this.u && signature === this.signature) {
      this.u.setData(data, true);
      return this.lines.length;
    }
    this.u?.destroy();
    this.dot = null;
    this.signature = signature;
    this.u = new uPlot(this.options(theme), data, this.el);
    this.u.over.addEventListener('mouseleave', () => this.hideTip());
    return this.lines.length;
  }

  /** What is drawn, as a Figure for an image. */
  figure(): Figure | null {
    if (!this.u) return null;
    return {
      panels: [
        {
          x: { range: [0, 1], ticks: (px) => valueTicks(0, 1, Math.max(2, Math.floor(px / 80))), label: 'Recall' },
          y: { range: [0, 1.02], ticks: (px) => valueTicks(0, 1.02, Math.max(2, Math.floor(px / 40))), label: 'Precision' },
          marks: this.lines.map((l) => ({ kind: 'line', xs: l.entry.recall, ys: l.entry.precision, color: l.color, width: 1.75, series: l.run, spanGaps: true })),
        },
      ],
      legend: this.lines.map((l) => ({ name: l.run, color: l.color })),
    };
  }

  private options(theme: ChartTheme): uPlot.Options {
    const facets: uPlot.Series.Facet[] = [
      { scale: 'x', auto: true },
      { scale: 'y', auto: true },
    ];
    const linear = uPlot.paths.linear!();
    const axis = (label: string): uPlot.Axis => ({
      ...axisStyle(theme, tickLabels(formatTick)),
      labelFont: '11px system-ui, sans-serif',
      label,
      labelSize: 16,
    });
    return {
      mode: 2,
      width: this.width || 400,
      height: this.height || 240,
      legend: { show: false },
      padding: [10, 14, 0, 0],
      scales: {
        x: { time: false, auto: false, range: () => [0, 1] },
        y: { auto: false, range: () => [0, 1.02] },
      },
      axes: [
        { ...axis('Recall'), size: 30 },
        { ...axis('Precision'), size: 44 },
      ],
      series: [
        {},
        ...this.lines.map((l) => ({
          label: l.run,
          stroke: l.color,
          width: 1.75,
          facets,
          paths: linear,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      cursor: {
        x: false,
        y: false,
        points: { show: false },
        drag: { x: false, y: false, setScale: false },
        dataIdx: () => null as unknown as number,
      },
      hooks: { setCursor: [(u) => this.showTip(u)] },
    } as uPlot.Options;
  }

  private hideTip(): void {
    if (this.tip) this.tip.style.display = 'none';
    if (this.dot) this.dot.style.display = 'none';
  }

  private showTip(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    const top = u.cursor.top ?? -1;
    if (left < 0 || top < 0) {
      this.hideTip();
      return;
    }
    let best: { line: PrLine; i: number; px: number; py: number; d: number } | null = null;
    for (const line of this.lines) {
      const e = line.entry;
      for (let i = 0; i < e.recall.length; i++) {
        if (!Number.isFinite(e.recall[i]) || !Number.isFinite(e.precision[i])) continue;
        const px = u.valToPos(e.recall[i], 'x');
        const py = u.valToPos(e.precision[i], 'y');
        const d = (px - left) ** 2 + (py - top) ** 2;
        if (!best || d < best.d) best = { line, i, px, py, d };
      }
    }
    if (!best || best.d > 60 * 60) {
      this.hideTip();
      return;
    }
    if (!this.dot) {
      this.dot = document.createElement('div');
      this.dot.className = 'tb-dot';
      u.over.appendChild(this.dot);
    }
    this.dot.style.display = 'block';
    this.dot.style.transform = `translate(${best.px}px, ${best.py}px)`;
    this.dot.style.background = best.line.color;
    this.tip ??= bodyTip('tb-tooltip pr-tip');
    const e = best.line.entry;
    const i = best.i;
    const row = (k: string, v: string) => `<tr><td class="k">${k}</td><td>${v}</td></tr>`;
    this.tip.innerHTML =
      `<div class="pr-tip-title"><span class="tb-swatch" style="background:${best.line.color}"></span>${escapeHtml(best.line.run)}` +
      `<span class="pr-tip-step">step ${formatStep(e.step)}</span></div><table>` +
      row('Threshold', formatValue(e.thresholds[i])) +
      row('Precision', formatValue(e.precision[i])) +
      row('Recall', formatValue(e.recall[i])) +
      row('TP', String(e.tp[i] ?? '')) +
      row('FP', String(e.fp[i] ?? '')) +
      row('TN', String(e.tn[i] ?? '')) +
      row('FN', String(e.fn[i] ?? '')) +
      '</table>';
    const rect = u.over.getBoundingClientRect();
    placeTip(this.tip, rect.left + best.px, rect.top + best.py, 14);
  }
}
