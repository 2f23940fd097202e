// Canvas helpers for the histogram and distribution charts: sizing for the
// device pixel ratio, tick placement, theme colours and a hover tooltip.
import { formatTick } from '../format';

export interface CanvasColors {
  text: string;
  grid: string;
  surface: string;
  axis: string;
}

export function readCanvasColors(): CanvasColors {
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, dflt: string) => cs.getPropertyValue(name).trim() || dflt;
  return {
    text: v('--chart-text', '#5f6b7a'),
    grid: v('--chart-grid', '#eceef1'),
    surface: v('--surface', '#ffffff'),
    axis: v('--border', '#dde1e6'),
  };
}

/** Sizes the canvas backing store for the screen; returns a CSS-pixel context. */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  const span = max - min;
  if (span === 0) return [min];
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  const first = Math.ceil(min / step - 1e-9) * step;
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Grid lines at `ticks` with their labels, in the context's stroke and fill
 * styles. 'x': vertical lines at x = at(v) from y `from` to `to`, labels
 * centred below `to`. 'y': horizontal lines at y = at(v) from x `from` to
 * `to`, labels right-aligned left of `from`.
 */
export function drawGrid(ctx: CanvasRenderingContext2D, axis: 'x' | 'y', ticks: number[], at: (v: number) => number, from: number, to: number): void {
  const x = axis === 'x';
  ctx.textAlign = x ? 'center' : 'right';
  ctx.textBaseline = x ? 'top' : 'middle';
  for (const v of ticks) {
    const p = Math.round(at(v)) + 0.5;
    ctx.beginPath();
    if (x) {
      ctx.moveTo(p, from);
      ctx.lineTo(p, to);
    } else {
      ctx.moveTo(from, p);
      ctx.lineTo(to, p);
    }
    ctx.stroke();
    if (x) ctx.fillText(formatTick(v), p, to + 5);
    else ctx.fillText(formatTick(v), from - 6, p);
  }
}

/** Integer ticks (steps). */
export function stepTicks(min: number, max: number, count: number): number[] {
  const t = niceTicks(min, max, count).filter((v) => Number.isInteger(Math.round(v * 1e6) / 1e6));
  const out = [...new Set(t.map((v) => Math.round(v)))];
  return out.length ? out : [Math.round(min)];
}

function parseColor(c: string): [number, number, number] {
  const m = c.match(/^#([0-9a-f]{6})$/i);
  if (m) {
    const n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const r = c.match(/rgba?\(\s*(\d+)[ ,]+(\d+)[ ,]+(\d+)/i);
  if (r) return [Number(r[1]), Number(r[2]), Number(r[3])];
  const s = c.match(/^#([0-9a-f]{3})$/i);
  if (s) return [0, 1, 2].map((i) => parseInt(s[1][i] + s[1][i], 16)) as [number, number, number];
  return [128, 128, 128];
}

/** `a` blended towards `b` by t (0 = a, 1 = b). */
export function mixColor(a: string, b: string, t: number): string {
  const x = parseColor(a);
  const y = parseColor(b);
  const m = x.map((v, i) => Math.round(v + (y[i] - v) * t));
  return `rgb(${m[0]}, ${m[1]}, ${m[2]})`;
}

export function rgba(c: string, alpha: number): string {
  const [r, g, b] = parseColor(c);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A tooltip that follows the mouse, built from trusted text only. */
export class HoverTip {
  readonly el: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.el = document.createElement('div');
    this.el.className = 'tb-tooltip dash-tip';
    parent.appendChild(this.el);
  }

  show(clientX: number, clientY: number, title: string, rows: Array<[string, string]>, swatch?: string): void {
    const el = this.el;
    el.replaceChildren();
    const head = document.createElement('div');
    head.className = 'dash-tip-title';
    if (swatch) {
      const sw = document.createElement('span');
      sw.className = 'tb-swatch';
      sw.style.background = swatch;
      head.appendChild(sw);
    }
    head.appendChild(document.createTextNode(title));
    el.appendChild(head);
    const table = document.createElement('table');
    const body = document.createElement('tbody');
    for (const [k, v] of rows) {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      a.className = 'k';
      a.textContent = k;
      const b = document.createElement('td');
      b.textContent = v;
      tr.append(a, b);
      body.appendChild(tr);
    }
    table.appendChild(body);
    el.appendChild(table);
    el.style.display = 'block';
    const r = el.getBoundingClientRect();
    let x = clientX + 14;
    let y = clientY + 14;
    if (x + r.width > window.innerWidth - 4) x = clientX - r.width - 14;
    if (y + r.height > window.innerHeight - 4) y = clientY - r.height - 14;
    el.style.left = `${Math.max(4, x)}px`;
    el.style.top = `${Math.max(4, y)}px`;
  }

  hide(): void {
    this.el.style.display = 'none';
  }

  destroy(): void {
    this.el.remove();
  }
}

/**
 * A chart drawn on a canvas of its own inside `container`, with a hover
 * tip: the subclass draws, and answers the pointer's moves and leaving.
 */
export abstract class CanvasChart {
  protected canvas: HTMLCanvasElement;
  protected tip: HoverTip;
  protected color = '#1f77b4';
  protected width = 0;
  protected height = 0;
  private move = (e: MouseEvent): void => this.onMove(e);
  private leave = (): void => this.onLeave();

  constructor(container: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'dash-canvas';
    container.appendChild(this.canvas);
    this.tip = new HoverTip(container);
    this.canvas.addEventListener('mousemove', this.move);
    this.canvas.addEventListener('mouseleave', this.leave);
  }

  setSize(width: number, height: number): void {
    this.width = Math.floor(width);
    this.height = Math.floor(height);
    this.draw();
  }

  redraw(): void {
    this.draw();
  }

  destroy(): void {
    this.canvas.removeEventListener('mousemove', this.move);
    this.canvas.removeEventListener('mouseleave', this.leave);
    this.tip.destroy();
    this.canvas.remove();
  }

  protected abstract draw(): void;
  protected abstract onMove(e: MouseEvent): void;
  protected abstract onLeave(): void;
}
