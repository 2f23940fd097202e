// Draws one run's histograms over time on a canvas. "offset": one ridge per
// step, newer steps lower and in front (the classic TensorBoard picture);
// "overlay": every step on a common baseline, newer steps more opaque.
import type { HistogramStep } from '../api';
import { formatStep } from '../format';
import { drawGrid } from './dashCanvas';
import type { HistogramMode } from '../state';

export interface HistogramTheme {
  text: string;
  grid: string;
}

function niceTicks(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function drawHistograms(
  canvas: HTMLCanvasElement,
  steps: HistogramStep[],
  mode: HistogramMode,
  color: string,
  theme: HistogramTheme,
): boolean {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (w <= 0 || h <= 0) return true;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const usable = steps.filter((s) => s.bins.some((b) => Number.isFinite(b.min) && Number.isFinite(b.max)));
  if (usable.length === 0) return false;

  let xmin = Infinity;
  let xmax = -Infinity;
  let cmax = 0;
  for (const s of usable) {
    for (const b of s.bins) {
      if (Number.isFinite(b.min) && b.min < xmin) xmin = b.min;
      if (Number.isFinite(b.max) && b.max > xmax) xmax = b.max;
      if (Number.isFinite(b.count) && b.count > cmax) cmax = b.count;
    }
  }
  if (!(xmax > xmin)) {
    xmin -= 0.5;
    xmax += 0.5;
  }
  if (!(cmax > 0)) cmax = 1;

  const padL = 8;
  const padR = mode === 'offset' ? 52 : 12;
  const padT = 8;
  const padB = 22;
  const pw = w - padL - padR;
  const ph = h - padT - padB;
  const X = (v: number) => padL + ((v - xmin) / (xmax - xmin)) * pw;

  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = theme.text;
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  drawGrid(ctx, 'x', niceTicks(xmin, xmax, Math.max(2, Math.floor(pw / 80))), X, padT, padT + ph);

  const n = usable.length;
  // In offset mode each ridge may rise this much above its baseline.
  const ridge = mode === 'offset' ? Math.min(ph * 0.45, (ph / Math.max(1, n)) * 6) : ph;
  const base = (i: number) => (mode === 'offset' ? padT + ridge + ((ph - ridge) * i) / Math.max(1, n - 1) : padT + ph);

  const path = (s: HistogramStep, y0: number) => {
    ctx.beginPath();
    ctx.moveTo(X(s.bins[0].min), y0);
    for (const b of s.bins) {
      const c = Number.isFinite(b.count) ? b.count : 0;
      ctx.lineTo(X((b.min + b.max) / 2), y0 - (c / cmax) * ridge);
    }
    ctx.lineTo(X(s.bins[s.bins.length - 1].max), y0);
  };

  for (let i = 0; i < n; i++) {
    const s = usable[i];
    const y0 = base(i);
    const age = n === 1 ? 1 : i / (n - 1);
    if (mode === 'offset') {
      path(s, y0);
      ctx.globalAlpha = 1;
      ctx.fillStyle = getComputedStyle(canvas).getPropertyValue('--surface').trim() || '#fff';
      ctx.fill();
      ctx.globalAlpha = 0.15 + 0.55 * age;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.stroke();
    } else {
      path(s, y0);
      ctx.globalAlpha = 0.12 + 0.88 * Math.pow(age, 2);
      ctx.strokeStyle = color;
      ctx.lineWidth = i === n - 1 ? 1.8 : 1;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
  }

  if (mode === 'offset') {
    ctx.fillStyle = theme.text;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(ph / 18))));
    let lastY = Infinity;
    // Label the newest step, then every few older ones upwards.
    for (let i = n - 1; i >= 0; i -= every) {
      const y = base(i);
      if (lastY - y < 14 && i !== n - 1) continue;
      ctx.fillText(formatStep(usable[i].step), padL + pw + 6, y);
      lastY = y;
    }
  }
  return true;
}
