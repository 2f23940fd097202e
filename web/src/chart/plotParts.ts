// What the uPlot charts (scalars, custom scalars' margins, PR curves) share:
// the axes' look in the theme's colours, tick labels that pass over the
// null splits uPlot may hand over, and a tooltip beside the cursor that
// stays inside the window.
import type uPlot from 'uplot';
import type { ChartTheme } from './scalarChart';

export type TickLabels = (u: uPlot, splits: number[]) => string[];

/** Tick labels: `fmt` of each finite split, '' for the null ones (log scales). */
export function tickLabels(fmt: (v: number) => string): TickLabels {
  return (_u, splits) => splits.map((v) => (v == null || !Number.isFinite(v) ? '' : fmt(v)));
}

/** An axis in the theme's colours, its ticks labelled by `values` (uPlot's own labels without). */
export function axisStyle(theme: ChartTheme, values?: TickLabels): uPlot.Axis {
  return {
    stroke: theme.text,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    gap: 4,
    font: '11px system-ui, sans-serif',
    ...(values ? { values } : {}),
  };
}

/**
 * A uPlot chart drawn in `el` at the size it was last given, with a
 * tooltip of its own; destroy() removes both.
 */
export abstract class PlotBase {
  protected u: uPlot | null = null;
  protected width = 0;
  protected height = 0;
  protected tip: HTMLDivElement | null = null;

  constructor(protected readonly el: HTMLElement) {}

  setSize(width: number, height: number): void {
    this.width = Math.max(50, Math.floor(width));
    this.height = Math.max(50, Math.floor(height));
    this.u?.setSize({ width: this.width, height: this.height });
  }

  destroy(): void {
    this.u?.destroy();
    this.u = null;
    this.tip?.remove();
    this.tip = null;
  }
}

/** A tooltip of class `cls`, hidden, on the page's body. */
export function bodyTip(cls: string): HTMLDivElement {
  const tip = document.createElement('div');
  tip.className = cls;
  document.body.appendChild(tip);
  return tip;
}

/**
 * Shows `tip` `gap` pixels right of and below the cursor at (cx, cy) in
 * the window, on the other side of it where the tip would leave the window.
 */
export function placeTip(tip: HTMLElement, cx: number, cy: number, gap: number): void {
  tip.style.display = 'block';
  const tw = tip.offsetWidth;
  const th = tip.offsetHeight;
  let x = cx + gap;
  if (x + tw > window.innerWidth - 8) x = Math.max(8, cx - gap - tw);
  let y = cy + gap;
  if (y + th > window.innerHeight - 8) y = Math.max(8, cy - gap - th);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}
