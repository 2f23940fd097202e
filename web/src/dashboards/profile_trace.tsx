// The Profile dashboard's Trace view: the trace drawn on one canvas, one
// lane per process/thread and per GPU stream, events as boxes nested by
// depth. Only what is visible is drawn: per row a binary search finds the
// first visible event, events narrower than a pixel are merged into one
// box and the run of them inside that pixel is skipped by another binary
// search, so a frame costs about (rows x pixels) however many events the
// trace holds. Wheel or pinch zooms at the pointer, drag pans, W/S zoom and
// A/D pan while held (as chrome://tracing does). Search highlights the
// events whose name matches, with next/previous; a click shows an event's
// details and the flow arrows from its CPU launch to its GPU kernel
// (Escape deselects); a click on a step of the ruler zooms to that step.
// Instants are drawn as markers, async spans as boxes in their process's
// async lane, counters as area tracks; a click on a counter shows its
// values at that time. The trace is read in a Web Worker (trace_jobs.ts)
// and drawn as it arrives.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl } from '../api';
import { SearchInput } from '../components/SearchInput';
import { Select } from './profile';
import { readTraceFile, type TraceSource } from './trace_jobs';
import { INSTANT, firstEndingAfter, type Lane, type TraceModel } from './trace_model';
import './profile_trace.css';

const GUTTER = 180; // lane labels, CSS px
const AXIS = 18;
const STEPS = 16;
const ROW = 16;
const LANE_GAP = 6;
const MAX_HEIGHT = 640;
const MAX_LINKS = 500;
const COUNTER_ROWS = 2; // a counter track's height, in rows

// mid-light colours so black names stay readable on them
const PALETTE = [
  '#8ab4f8', '#81c995', '#fdd663', '#f6aea9', '#c58af9', '#78d9ec', '#fcad70', '#a8dab5',
  '#d7aefb', '#aecbfa', '#e6c9a8', '#b5c7d6', '#f8bbd0', '#c5e1a5', '#ffe082', '#b39ddb',
];
const MERGED = '#9aa0a6';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A time in microseconds; `unit` "ns" (the trace's displayTimeUnit)
 * shows times under a millisecond in nanoseconds. */
export function formatTime(us: number, unit = ''): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${+(us / 1e6).toFixed(3)} s`;
  if (a >= 1e3) return `${+(us / 1e3).toFixed(3)} ms`;
  if (unit === 'ns') return `${+(us * 1e3).toFixed(1)} ns`;
  return `${+us.toFixed(3)} us`;
}

export interface Selection {
  id: number; // -1: a counter's sample
  kind: string;
  name: string;
  cat: string;
  lane: string;
  start: number;
  dur: number;
  args: Record<string, unknown> | undefined;
  links: number;
}

const KINDS = ['complete', 'instant', 'async span'];

/** Rows a lane takes on the canvas. */
function laneRows(l: Lane): number {
  return l.counter ? COUNTER_ROWS : Math.max(1, l.rows.length);
}

/** Index of the last sample at or before t (-1: none). */
function sampleAt(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

interface Stats {
  draws: number[]; // milliseconds per drawn frame, the last 2000
}

/** The canvas and its interaction; preact renders only around it. */
class Timeline {
  t0 = 0;
  t1 = 1;
  private scrollY = 0;
  private width = 0;
  private height = 0;
  private top: number;
  private laneTop: Float64Array;
  private contentHeight: number;
  private colour: Uint8Array;
  private match: Uint8Array | null = null;
  private selected = -1;
  private selectedCounter: { lane: number; t: number } | null = null;
  private links: Array<[number, number]> = [];
  private byCorr: Map<number, number[]> | null = null;
  private frame = 0;
  private held = new Set<string>();
  private lastTick = 0;
  private pointerX = -1;
  private drag: { x: number; y: number; moved: boolean; t0: number; scroll: number } | null = null;
  private charWidth = 6.5;
  private theme = { bg: '#fff', text: '#1f2328', muted: '#5f6b7a', grid: '#eceef1', accent: '#e8710a', surface: '#f0f2f5' };
  readonly stats: Stats = { draws: [] };
  private cleanup: Array<() => void> = [];

  private moved = false; // the view was zoomed or panned
  private m!: TraceModel;

  constructor(
    private canvas: HTMLCanvasElement,
    private scroller: HTMLDivElement,
    private spacer: HTMLDivElement,
    m: TraceModel,
    private onSelect: (s: Selection | null) => void,
  ) {
    this.top = AXIS;
    this.laneTop = new Float64Array(1);
    this.contentHeight = 0;
    this.colour = new Uint8Array(0);
    (canvas as unknown as { traceStats: Stats }).traceStats = this.stats;
    this.setModel(m);
    this.listen();
  }

  /** Shows a model, a later one of the same trace as it loads: the view
   * stays where it was moved to, else shows the whole trace. */
  setModel(m: TraceModel) {
    this.m = m;
    this.byCorr = null;
    this.top = AXIS + (m.steps.length ? STEPS : 0);
    this.laneTop = new Float64Array(m.lanes.length + 1);
    for (let l = 0; l < m.lanes.length; l++) this.laneTop[l + 1] = this.laneTop[l] + laneRows(m.lanes[l]) * ROW + LANE_GAP;
    this.contentHeight = this.laneTop[m.lanes.length];
    this.colour = new Uint8Array(m.names.length);
    m.names.forEach((n, i) => (this.colour[i] = hash(n) % PALETTE.length));
    if (!this.moved) {
      this.t0 = 0;
      this.t1 = Math.max(m.duration, 1);
    }
    if (this.selected >= m.count) this.selected = -1;
    this.canvas.dataset.lanes = String(m.lanes.length);
    this.canvas.dataset.laneLabels = m.lanes.map((l) => l.label).join('\n');
    this.canvas.dataset.events = String(m.count);
    this.canvas.dataset.counters = String(m.lanes.filter((l) => l.counter).length);
    this.canvas.dataset.steps = String(m.steps.length);
    this.resize();
  }

  private on<K extends keyof HTMLElementEventMap>(
    el: HTMLElement,
    type: K,
    fn: (e: HTMLElementEventMap[K]) => void,
    opts?: AddEventListenerOptions,
  ) {
    el.addEventListener(type, fn as EventListener, opts);
    this.cleanup.push(() => el.removeEventListener(type, fn as EventListener, opts));
  }

  private listen() {
    const c = this.canvas;
    this.on(c, 'wheel', (e) => this.wheel(e), { passive: false });
    this.on(c, 'mousedown', (e) => {
      c.focus();
      this.drag = { x: e.clientX, y: e.clientY, moved: false, t0: this.t0, scroll: this.scroller.scrollTop };
      e.preventDefault();
    });
    const move = (e: MouseEvent) => {
      const r = c.getBoundingClientRect();
      this.pointerX = e.clientX - r.left;
      const d = this.drag;
      if (!d) return;
      const dx = e.clientX - d.x;
      const dy = e.clientY - d.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
      if (!d.moved) return;
      const span = this.t1 - this.t0;
      this.moved = true;
      this.t0 = d.t0 - (dx * span) / this.plotWidth();
      this.t1 = this.t0 + span;
      this.scroller.scrollTop = d.scroll - dy;
      this.request();
    };
    const up = (e: MouseEvent) => {
      const d = this.drag;
      this.drag = null;
      if (d && !d.moved) {
        const r = c.getBoundingClientRect();
        this.click(e.clientX - r.left, e.clientY - r.top);
      }
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    this.cleanup.push(() => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    });
    this.on(c, 'mouseleave', () => (this.pointerX = -1));
    this.on(c, 'keydown', (e) => {
      if (e.key === 'Escape') return this.select(-1);
      const k = e.key.toLowerCase();
      if (!'wasd'.includes(k) || k.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      if (!this.held.size) this.lastTick = 0;
      this.held.add(k);
      this.request();
    });
    this.on(c, 'keyup', (e) => this.held.delete(e.key.toLowerCase()));
    this.on(c, 'blur', () => this.held.clear());
    this.on(this.scroller, 'scroll', () => this.request());
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(this.scroller.parentElement ?? this.scroller);
    const onResize = () => this.resize();
    window.addEventListener('resize', onResize);
    this.cleanup.push(() => {
      ro.disconnect();
      window.removeEventListener('resize', onResize);
    });
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    for (const f of this.cleanup) f();
  }

  private plotWidth() {
    return Math.max(1, this.width - GUTTER);
  }

  private resize() {
    const css = getComputedStyle(this.scroller);
    const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    this.theme = {
      bg: v('--surface', '#fff'),
      text: v('--text', '#1f2328'),
      muted: v('--muted', '#5f6b7a'),
      grid: v('--chart-grid', '#eceef1'),
      accent: v('--accent', '#e8710a'),
      surface: v('--surface-2', '#f0f2f5'),
    };
    // never wider than the window: the dashboard can be widened by its tables
    this.scroller.style.maxWidth = '';
    const room = document.documentElement.clientWidth - this.scroller.getBoundingClientRect().left - 16;
    this.width = Math.max(GUTTER + 100, Math.min(this.scroller.clientWidth, room));
    this.scroller.style.maxWidth = `${this.width + 2}px`;
    this.height = Math.min(MAX_HEIGHT, this.top + this.contentHeight);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.scroller.style.height = `${this.height}px`;
    this.spacer.style.height = `${Math.max(0, this.top + this.contentHeight - this.height)}px`;
    this.request();
  }

  request() {
    if (!this.frame) this.frame = requestAnimationFrame((now) => this.tick(now));
  }

  /** One frame: keys held move the view, then draw. */
  private tick(now: number) {
    this.frame = 0;
    if (this.held.size) {
      const dt = this.lastTick ? Math.min(0.05, (now - this.lastTick) / 1000) : 1 / 60;
      this.lastTick = now;
      const x = this.pointerX > GUTTER ? this.pointerX : GUTTER + this.plotWidth() / 2;
      if (this.held.has('w')) this.zoomAt(Math.exp(-2.5 * dt), x);
      if (this.held.has('s')) this.zoomAt(Math.exp(2.5 * dt), x);
      const span = this.t1 - this.t0;
      if (this.held.has('a')) this.panBy(-span * dt);
      if (this.held.has('d')) this.panBy(span * dt);
      this.request();
    }
    this.draw();
  }

  private wheel(e: WheelEvent) {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
    const r = this.canvas.getBoundingClientRect();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const px = (e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX) * unit;
      this.panBy((px * (this.t1 - this.t0)) / this.plotWidth());
    } else {
      this.zoomAt(Math.exp(e.deltaY * unit * 0.002), e.clientX - r.left);
    }
    this.request();
  }

  zoomAt(factor: number, x: number) {
    this.moved = true;
    const span = this.t1 - this.t0;
    const at = this.t0 + ((Math.max(GUTTER, x) - GUTTER) / this.plotWidth()) * span;
    const next = Math.min(Math.max(span * factor, 0.01), Math.max(this.m.duration, 1) * 1.5);
    this.t0 = at - ((at - this.t0) * next) / span;
    this.t1 = this.t0 + next;
  }

  panBy(us: number) {
    this.moved = true;
    this.t0 += us;
    this.t1 += us;
  }

  /** Shows [a, b] (microseconds), redrawn on the next frame. */
  show(a: number, b: number) {
    this.moved = true;
    this.t0 = a;
    this.t1 = Math.max(b, a + 0.01);
    this.request();
  }

  setSearch(match: Uint8Array | null) {
    this.match = match;
    this.request();
  }

  private rowY(id: number) {
    return this.top + this.laneTop[this.m.lane[id]] + this.m.depth[id] * ROW - this.scroller.scrollTop;
  }

  /** Selects an event (or none), computes its flow arrows, reports it. */
  select(id: number, reveal = false) {
    const m = this.m;
    this.selected = id;
    this.selectedCounter = null;
    this.links = id >= 0 ? this.linksOf(id) : [];
    this.canvas.dataset.selected = id >= 0 ? m.names[m.name[id]] : '';
    if (id >= 0 && reveal) {
      const span = this.t1 - this.t0;
      const dur = m.end[id] - m.start[id];
      const visible = m.start[id] >= this.t0 && m.end[id] <= this.t1;
      const tiny = (dur / span) * this.plotWidth() < 3;
      const next = !visible || tiny ? Math.max(dur * 4, 10) : span;
      const mid = (m.start[id] + m.end[id]) / 2;
      this.show(mid - next / 2, mid + next / 2);
      const y = this.laneTop[m.lane[id]] + m.depth[id] * ROW;
      const view = this.height - this.top;
      if (y < this.scroller.scrollTop || y + ROW > this.scroller.scrollTop + view)
        this.scroller.scrollTop = Math.max(0, y - view / 2);
    }
    this.onSelect(
      id < 0
        ? null
        : {
            id,
            kind: KINDS[m.kind[id]] ?? 'complete',
            name: m.names[m.name[id]],
            cat: m.names[m.cat[id]],
            lane: m.lanes[m.lane[id]].label,
            start: m.start[id],
            dur: m.end[id] - m.start[id],
            args: m.args?.[id],
            links: this.links.length,
          },
    );
    this.request();
  }

  /** CPU launch -> GPU kernel pairs of the event, by args.correlation; for
   * an event without one (an operator), those of the events inside it. */
  private linksOf(id: number): Array<[number, number]> {
    const m = this.m;
    if (!this.byCorr) {
      this.byCorr = new Map();
      for (let i = 0; i < m.count; i++) {
        const c = m.corr[i];
        if (!c) continue;
        const list = this.byCorr.get(c);
        if (list) list.push(i);
        else this.byCorr.set(c, [i]);
      }
    }
    const sources: number[] = [];
    if (m.corr[id]) sources.push(id);
    else {
      const rows = m.lanes[m.lane[id]].rows;
      for (let d = m.depth[id] + 1; d < rows.length && sources.length < MAX_LINKS; d++) {
        const row = rows[d];
        for (let k = firstEndingAfter(m, row, m.start[id]); k < row.length; k++) {
          const e = row[k];
          if (m.start[e] > m.end[id] || sources.length >= MAX_LINKS) break;
          if (m.corr[e]) sources.push(e);
        }
      }
    }
    const out: Array<[number, number]> = [];
    const seen = new Set<number>();
    for (const s of sources) {
      if (seen.has(m.corr[s])) continue;
      seen.add(m.corr[s]);
      const group = this.byCorr.get(m.corr[s]) ?? [];
      const ordered = [...group].sort((a, b) => m.start[a] - m.start[b]);
      for (let k = 1; k < ordered.length && out.length < MAX_LINKS; k++) out.push([ordered[0], ordered[k]]);
    }
    return out;
  }

  private click(x: number, y: number) {
    const m = this.m;
    if (y < this.top) {
      // a step of the ruler: zoom to it
      if (y >= AXIS && x >= GUTTER) {
        const t = this.t0 + ((x - GUTTER) / this.plotWidth()) * (this.t1 - this.t0);
        const s = m.steps.find((st) => st.start <= t && t <= st.end);
        if (s) this.show(s.start, s.end);
      }
      return;
    }
    if (x < GUTTER) return;
    const cy = y - this.top + this.scroller.scrollTop;
    let l = 0;
    while (l < m.lanes.length && this.laneTop[l + 1] <= cy) l++;
    if (l >= m.lanes.length) return this.select(-1);
    const scale = this.plotWidth() / (this.t1 - this.t0);
    const t = this.t0 + (x - GUTTER) / scale;
    if (m.lanes[l].counter) return this.selectCounter(l, t);
    const d = Math.floor((cy - this.laneTop[l]) / ROW);
    const row = m.lanes[l].rows[d];
    if (!row) return this.select(-1);
    const tol = (row.length && m.kind[row[0]] === INSTANT ? 5 : 2) / scale;
    let k = firstEndingAfter(m, row, t - tol);
    if (k + 1 < row.length && m.start[row[k]] > t && m.start[row[k + 1]] <= t) k++;
    if (k < row.length && m.start[row[k]] <= t + tol) this.select(row[k]);
    else this.select(-1);
  }

  /** Selects the samples of counter lane l at time t. */
  private selectCounter(l: number, t: number) {
    const lane = this.m.lanes[l];
    const c = lane.counter;
    if (!c) return;
    const values: Record<string, unknown> = {};
    let at = -Infinity;
    for (const s of c.series) {
      const k = sampleAt(s.ts, t);
      if (k < 0) continue;
      values[s.name] = s.v[k];
      at = Math.max(at, s.ts[k]);
    }
    this.selected = -1;
    this.links = [];
    if (!Number.isFinite(at)) {
      this.selectedCounter = null;
      this.onSelect(null);
      return this.request();
    }
    this.selectedCounter = { lane: l, t: at };
    this.canvas.dataset.selected = lane.label;
    this.onSelect({ id: -1, kind: 'counter', name: lane.label, cat: '', lane: lane.label, start: at, dur: 0, args: values, links: 0 });
    this.request();
  }

  private draw() {
    const began = performance.now();
    const m = this.m;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const W = this.width;
    const H = this.height;
    const th = this.theme;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = th.bg;
    ctx.fillRect(0, 0, W, H);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.charWidth = ctx.measureText('abcdefghijklmnopqrstuvwxyz_:0123456789').width / 38;
    const t0 = this.t0;
    const t1 = this.t1;
    const plotW = this.plotWidth();
    const scale = plotW / (t1 - t0);
    const scroll = this.scroller.scrollTop;

    delete this.canvas.dataset.counterBox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, this.top, plotW, H - this.top);
    ctx.clip();
    for (let l = 0; l < m.lanes.length; l++) {
      const y0 = this.top + this.laneTop[l] - scroll;
      if (y0 > H) break;
      if (y0 + this.laneTop[l + 1] - this.laneTop[l] < this.top) continue;
      if (l % 2) {
        ctx.fillStyle = th.surface;
        ctx.fillRect(GUTTER, y0, plotW, this.laneTop[l + 1] - this.laneTop[l] - LANE_GAP);
      }
      if (m.lanes[l].counter) {
        this.drawCounter(ctx, l, y0, scale);
        continue;
      }
      const rows = m.lanes[l].rows;
      for (let d = 0; d < rows.length; d++) {
        const y = y0 + d * ROW;
        if (y + ROW < this.top) continue;
        if (y > H) break;
        this.drawRow(ctx, rows[d], y, scale);
      }
    }
    this.drawSelection(ctx, scale);
    ctx.restore();

    // lane labels
    ctx.fillStyle = th.bg;
    ctx.fillRect(0, this.top, GUTTER, H - this.top);
    ctx.fillStyle = th.text;
    for (let l = 0; l < m.lanes.length; l++) {
      const y0 = this.top + this.laneTop[l] - scroll;
      if (y0 > H) break;
      if (y0 + ROW < this.top) continue;
      ctx.fillText(this.fit(m.lanes[l].label, GUTTER - 8), 4, y0 + ROW / 2);
      ctx.fillStyle = th.grid;
      ctx.fillRect(0, y0 - LANE_GAP / 2, W, 1);
      ctx.fillStyle = th.text;
    }
    this.drawRulers(ctx, scale);
    this.canvas.dataset.range = `${t0} ${t1}`;
    this.canvas.dataset.state = 'drawn';
    const took = performance.now() - began;
    this.stats.draws.push(took);
    if (this.stats.draws.length > 2000) this.stats.draws.splice(0, 1000);
  }

  /** A counter lane: each series as a step area, one point per pixel (the
   * largest value met in it), from a binary search to the first visible
   * sample, so a frame costs pixels, not samples. */
  private drawCounter(ctx: CanvasRenderingContext2D, l: number, y0: number, scale: number) {
    const c = this.m.lanes[l].counter;
    if (!c) return;
    const h = COUNTER_ROWS * ROW - 2;
    const base = y0 + h + 1;
    const span = c.max - c.min || 1;
    const y = (v: number) => base - ((v - c.min) / span) * h;
    const right = this.width;
    c.series.forEach((s, i) => {
      const n = s.ts.length;
      if (!n) return;
      ctx.beginPath();
      ctx.moveTo(GUTTER - 1, base);
      let k = Math.max(0, sampleAt(s.ts, this.t0));
      let px = -Infinity;
      let peak = -Infinity;
      let lastY = base;
      const flush = () => {
        if (px === -Infinity) return;
        const yy = y(peak);
        ctx.lineTo(px, lastY);
        ctx.lineTo(px, yy);
        lastY = yy;
      };
      for (; k < n; k++) {
        const x = Math.max(GUTTER - 1, Math.floor(GUTTER + (s.ts[k] - this.t0) * scale));
        if (x > right) break;
        if (x !== px) {
          flush();
          px = x;
          peak = s.v[k];
        } else if (s.v[k] > peak) peak = s.v[k];
      }
      flush();
      ctx.lineTo(k < n ? right + 1 : Math.min(right + 1, GUTTER + (s.ts[n - 1] - this.t0) * scale), lastY);
      ctx.lineTo(k < n ? right + 1 : Math.min(right + 1, GUTTER + (s.ts[n - 1] - this.t0) * scale), base);
      ctx.closePath();
      ctx.globalAlpha = 0.55;
      ctx.fillStyle = PALETTE[(hash(s.name) + i) % PALETTE.length];
      ctx.fill();
      ctx.globalAlpha = 1;
    });
    const lab = `${c.max.toLocaleString()}`;
    ctx.fillStyle = this.theme.muted;
    ctx.fillText(this.fit(lab, 80), GUTTER + 3, y0 + ROW / 2);
    if (!this.canvas.dataset.counterBox && y0 >= this.top)
      this.canvas.dataset.counterBox = [GUTTER, y0, this.plotWidth(), h].map((v) => v.toFixed(1)).join(' ');
  }

  private fit(s: string, px: number): string {
    const max = Math.floor(px / this.charWidth);
    if (max < 2) return '';
    return s.length <= max ? s : s.slice(0, max - 1) + '…';
  }

  private drawRow(ctx: CanvasRenderingContext2D, row: Uint32Array, y: number, scale: number) {
    const m = this.m;
    const t0 = this.t0;
    const t1 = this.t1;
    const W = this.width;
    const match = this.match;
    const h = ROW - 2;
    let mx0 = -1;
    let mx1 = -1;
    let mHit = false;
    const flush = () => {
      if (mx0 < 0) return;
      ctx.fillStyle = match && !mHit ? this.theme.grid : mHit ? this.theme.accent : MERGED;
      ctx.fillRect(mx0, y + 1, Math.max(1, mx1 - mx0), h);
      mx0 = -1;
      mHit = false;
    };
    let k = firstEndingAfter(m, row, t0);
    const n = row.length;
    if (n && m.kind[row[0]] === INSTANT) return this.drawInstants(ctx, row, y, scale, k);
    while (k < n) {
      const id = row[k];
      const s = m.start[id];
      if (s > t1) break;
      const x0 = GUTTER + (s - t0) * scale;
      const x1 = GUTTER + (m.end[id] - t0) * scale;
      const hit = match !== null && match[m.name[id]] === 1;
      if (x1 - x0 < 1) {
        if (mx0 >= 0 && x0 <= mx1 + 0.5) mx1 = Math.max(mx1, x1);
        else {
          flush();
          mx0 = x0;
          mx1 = x1;
        }
        mHit ||= hit;
        if (match) {
          k++; // every event is looked at, so that a match is never merged away unseen
          continue;
        }
        // skip the events that end inside this pixel: all merged into it
        const edge = Math.floor(x1 - GUTTER) + 1;
        const j = firstEndingAfter(m, row, t0 + edge / scale, k + 1);
        if (j > k + 1) mx1 = Math.max(mx1, GUTTER + edge);
        k = j;
        continue;
      }
      flush();
      const a = Math.max(x0, GUTTER - 1);
      const b = Math.min(x1, W + 1);
      ctx.fillStyle = match && !hit ? this.theme.grid : PALETTE[this.colour[m.name[id]]];
      ctx.fillRect(a, y + 1, b - a, h);
      if (hit) {
        ctx.strokeStyle = this.theme.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(a + 1, y + 2, b - a - 2, h - 2);
      }
      if (b - a > 20) {
        const label = this.fit(m.names[m.name[id]], b - a - 6);
        if (label) {
          ctx.fillStyle = match && !hit ? this.theme.muted : '#111';
          ctx.fillText(label, a + 3, y + ROW / 2);
        }
      }
      k++;
    }
    flush();
  }

  /** A row of instants: a marker per event, one per pixel at most (the
   * rest of a pixel's instants are skipped by binary search). */
  private drawInstants(ctx: CanvasRenderingContext2D, row: Uint32Array, y: number, scale: number, k: number) {
    const m = this.m;
    const match = this.match;
    const n = row.length;
    while (k < n) {
      const id = row[k];
      if (m.start[id] > this.t1 + 5 / scale) break;
      const x = GUTTER + (m.start[id] - this.t0) * scale;
      const hit = match !== null && match[m.name[id]] === 1;
      ctx.fillStyle = match && !hit ? this.theme.grid : hit ? this.theme.accent : PALETTE[this.colour[m.name[id]]];
      ctx.beginPath();
      ctx.moveTo(x - 5, y + 2);
      ctx.lineTo(x + 5, y + 2);
      ctx.lineTo(x, y + ROW - 2);
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = this.theme.text;
      ctx.lineWidth = 1;
      ctx.stroke();
      k = match ? k + 1 : firstEndingAfter(m, row, m.start[id] + 1 / scale, k + 1);
    }
  }

  private drawSelection(ctx: CanvasRenderingContext2D, scale: number) {
    const m = this.m;
    const id = this.selected;
    const sc = this.selectedCounter;
    if (sc) {
      const x = GUTTER + (sc.t - this.t0) * scale;
      const y0 = this.top + this.laneTop[sc.lane] - this.scroller.scrollTop;
      ctx.fillStyle = this.theme.accent;
      ctx.fillRect(x - 1, y0, 2, COUNTER_ROWS * ROW);
    }
    if (id < 0) {
      delete this.canvas.dataset.selectedBox;
      return;
    }
    const x = (t: number) => GUTTER + (t - this.t0) * scale;
    ctx.strokeStyle = this.theme.accent;
    ctx.fillStyle = this.theme.accent;
    ctx.lineWidth = 1.5;
    for (const [a, b] of this.links) {
      const xa = x(m.start[a]);
      const ya = this.rowY(a) + ROW / 2;
      const xb = x(m.start[b]);
      const yb = this.rowY(b) + ROW / 2;
      ctx.beginPath();
      ctx.moveTo(xa, ya);
      ctx.lineTo(xb, yb);
      ctx.stroke();
      const ang = Math.atan2(yb - ya, xb - xa);
      ctx.beginPath();
      ctx.moveTo(xb, yb);
      ctx.lineTo(xb - 8 * Math.cos(ang - 0.4), yb - 8 * Math.sin(ang - 0.4));
      ctx.lineTo(xb - 8 * Math.cos(ang + 0.4), yb - 8 * Math.sin(ang + 0.4));
      ctx.closePath();
      ctx.fill();
    }
    ctx.strokeStyle = this.theme.text;
    ctx.lineWidth = 2;
    const a = x(m.start[id]);
    const w = Math.max(2, x(m.end[id]) - a);
    ctx.strokeRect(a - 1, this.rowY(id), w + 2, ROW);
    this.canvas.dataset.selectedBox = [a, this.rowY(id), w, ROW].map((v) => v.toFixed(1)).join(' ');
  }

  private drawRulers(ctx: CanvasRenderingContext2D, scale: number) {
    const th = this.theme;
    const W = this.width;
    ctx.fillStyle = th.bg;
    ctx.fillRect(0, 0, W, this.top);
    const span = this.t1 - this.t0;
    const raw = (span * 110) / this.plotWidth();
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * pow).find((s) => s >= raw) ?? 10 * pow;
    ctx.fillStyle = th.muted;
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = GUTTER + (t - this.t0) * scale;
      ctx.fillRect(x, AXIS - 5, 1, 5);
      ctx.fillText(formatTime(t, this.m.timeUnit), x + 3, AXIS / 2);
    }
    ctx.fillRect(GUTTER, AXIS - 1, W - GUTTER, 1);
    const steps = this.m.steps;
    if (steps.length) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER, AXIS, W - GUTTER, STEPS);
      ctx.clip();
      steps.forEach((s, i) => {
        if (s.end < this.t0 || s.start > this.t1) return;
        const a = GUTTER + (s.start - this.t0) * scale;
        const b = GUTTER + (s.end - this.t0) * scale;
        ctx.fillStyle = i % 2 ? '#c9d7ea' : '#e3ebf5';
        ctx.fillRect(a, AXIS + 1, Math.max(1, b - a), STEPS - 2);
        const label = this.fit(s.label, b - a - 6);
        if (label) {
          ctx.fillStyle = '#111';
          ctx.fillText(label, Math.max(a, GUTTER) + 3, AXIS + STEPS / 2);
        }
      });
      ctx.restore();
      ctx.fillStyle = th.text;
      ctx.fillText('Steps', 4, AXIS + STEPS / 2);
    }
  }
}

/** The matching name indices of a search, or null for none. */
function searchNames(m: TraceModel, needle: string): Uint8Array | null {
  const q = needle.trim().toLowerCase();
  if (!q) return null;
  const out = new Uint8Array(m.names.length);
  m.names.forEach((n, i) => (out[i] = n.toLowerCase().includes(q) ? 1 : 0));
  return out;
}

/** Where an event's args come from: the model, or the worker that read it. */
type ArgsOf = (id: number) => Promise<Record<string, unknown> | undefined>;

function Details({ sel, unit, argsOf }: { sel: Selection; unit: string; argsOf?: ArgsOf }) {
  const [loaded, setLoaded] = useState<{ id: number; args: Record<string, unknown> | undefined } | null>(null);
  useEffect(() => {
    setLoaded(null);
    if (sel.id < 0 || sel.args || !argsOf) return;
    let live = true;
    void argsOf(sel.id).then((args) => live && setLoaded({ id: sel.id, args }));
    return () => {
      live = false;
    };
  }, [sel, argsOf]);
  const a = sel.args ?? (loaded?.id === sel.id ? loaded.args : undefined);
  const args = a && Object.keys(a).length ? JSON.stringify(a, null, 1) : '';
  return (
    <div class="trace-details" data-testid="profile-trace-details">
      <b data-testid="profile-trace-name">{sel.name}</b>
      <dl>
        <dt>Kind</dt>
        <dd data-testid="profile-trace-kind">{sel.kind}</dd>
        <dt>Category</dt>
        <dd>{sel.cat || '—'}</dd>
        <dt>Lane</dt>
        <dd>{sel.lane}</dd>
        <dt>{sel.kind === 'counter' ? 'Sample at' : 'Start'}</dt>
        <dd>{formatTime(sel.start, unit)} from the trace's start</dd>
        {sel.kind !== 'counter' && sel.kind !== 'instant' && (
          <>
            <dt>Duration</dt>
            <dd data-testid="profile-trace-duration">{formatTime(sel.dur, unit)}</dd>
          </>
        )}
        {sel.links > 0 && (
          <>
            <dt>Flows</dt>
            <dd data-testid="profile-trace-flows">{sel.links} launch → kernel arrows</dd>
          </>
        )}
      </dl>
      {args && <pre data-testid="profile-trace-args">{args}</pre>}
    </div>
  );
}

function TimelineView({ model, argsOf, loading }: { model: TraceModel; argsOf?: ArgsOf; loading?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const spacer = useRef<HTMLDivElement>(null);
  const view = useRef<Timeline | null>(null);
  const [sel, setSel] = useState<Selection | null>(null);
  const [needle, setNeedle] = useState('');
  const [found, setFound] = useState<{ ids: Uint32Array; at: number } | null>(null);

  useEffect(() => {
    if (!canvas.current || !scroller.current || !spacer.current) return;
    const t = new Timeline(canvas.current, scroller.current, spacer.current, model, setSel);
    view.current = t;
    return () => {
      t.destroy();
      view.current = null;
    };
    // one Timeline per mounted view; later models of the trace go to setModel
  }, []);
  useEffect(() => {
    view.current?.setModel(model);
    setFound(null);
  }, [model]);
  useEffect(() => {
    if (canvas.current) canvas.current.dataset.complete = loading ? '0' : '1';
  }, [loading]);

  const search = (q: string) => {
    const match = searchNames(model, q);
    view.current?.setSearch(match);
    if (!match) return setFound(null);
    const ids: number[] = [];
    for (let i = 0; i < model.count; i++) if (match[model.name[i]]) ids.push(i);
    ids.sort((a, b) => model.start[a] - model.start[b] || a - b);
    setFound({ ids: Uint32Array.from(ids), at: -1 });
    if (ids.length) go(Uint32Array.from(ids), 0);
  };
  const go = (ids: Uint32Array, at: number) => {
    const k = ((at % ids.length) + ids.length) % ids.length;
    setFound({ ids, at: k });
    view.current?.select(ids[k], true);
  };

  return (
    <div class="trace-view">
      <div class="profile-controls">
        <SearchInput
          testid="profile-trace-search"
          placeholder="Search events by name (Enter)"
          value={needle}
          onInput={setNeedle}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            if (found && needle.trim() && found.ids.length && e.shiftKey) go(found.ids, found.at - 1);
            else search(needle);
          }}
        />
        <button type="button" data-testid="profile-trace-prev" disabled={!found?.ids.length} onClick={() => found && go(found.ids, found.at - 1)}>
          ◀
        </button>
        <button type="button" data-testid="profile-trace-next" disabled={!found?.ids.length} onClick={() => found && go(found.ids, found.at + 1)}>
          ▶
        </button>
        <span class="dash-msg inline" data-testid="profile-trace-found">
          {found ? (found.ids.length ? `${found.at + 1} of ${found.ids.length}` : 'no event matches') : ''}
        </span>
        <button type="button" data-testid="profile-trace-reset" onClick={() => view.current?.show(0, Math.max(model.duration, 1))}>
          Whole trace
        </button>
        <span class="dash-msg inline" data-testid="profile-trace-summary">
          {loading ? `${loading} · ` : ''}
          {model.count.toLocaleString()} events in {model.lanes.length} lanes · wheel or W/S: zoom · drag or A/D: pan ·
          click: details
        </span>
      </div>
      <div class="trace-scroller" ref={scroller}>
        <canvas class="trace-canvas" ref={canvas} tabIndex={0} data-testid="profile-trace-canvas" />
        <div ref={spacer} />
      </div>
      {sel && <Details sel={sel} unit={model.timeUnit} argsOf={argsOf} />}
    </div>
  );
}

/** The Trace view: loaded on demand (a trace can be hundreds of MB), and
 * once: a trace file does not change, so reloads do not fetch it again.
 * A Web Worker reads it; what has arrived is drawn while the rest loads. */
export function TraceView({ path }: { path: string }) {
  const [open, setOpen] = useState(false);
  const [state, setState] = useState<{ model: TraceModel | null; error: string; bytes: number; final: boolean }>({
    model: null,
    error: '',
    bytes: 0,
    final: false,
  });
  const reader = useRef<TraceSource | null>(null);
  useEffect(() => {
    setState({ model: null, error: '', bytes: 0, final: false });
    if (!open) return;
    const r = readTraceFile(apiUrl(path), {
      progress: (bytes) => setState((s) => ({ ...s, bytes })),
      model: (model, final) => setState((s) => ({ ...s, model, final })),
      error: (error) => setState((s) => ({ ...s, model: null, error })),
    });
    reader.current = r;
    return () => {
      r.stop();
      reader.current = null;
    };
  }, [path, open]);
  const argsOf = (id: number) => reader.current?.args(id) ?? Promise.resolve(undefined);
  const m = state.model;
  const mb = state.bytes ? `${(state.bytes / 1e6).toFixed(0)} MB` : '';

  return (
    <section class="profile-section" data-testid="profile-trace-view">
      <h3>Trace</h3>
      {!open && (
        <button type="button" data-testid="profile-trace-open" onClick={() => setOpen(true)}>
          Show the timeline
        </button>
      )}
      {open && state.error && <div class="dash-msg error">{state.error}</div>}
      {open && !state.error && !m && <div class="dash-msg inline">Reading the trace… {mb}</div>}
      {m && state.final && m.count === 0 && !m.lanes.length && (
        <div class="dash-msg inline">The trace has no events to draw.</div>
      )}
      {m && (m.count > 0 || m.lanes.length > 0) && (
        <TimelineView model={m} argsOf={argsOf} loading={state.final ? '' : `Reading the trace… ${mb}`} />
      )}
    </section>
  );
}

interface TraceFile {
  worker: string;
  span: string;
  file: string;
  format: 'kineto' | 'legacy' | 'chrome' | null;
  error: string | null;
}

/** The run's trace files from tboard's own `timelines` route. */
function useTimelines(base: string, run: string, generation: number) {
  const [files, setFiles] = useState<{ run: string; list: TraceFile[] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setFiles(null);
    setError('');
    const ctl = new AbortController();
    fetch(apiUrl(`${base}timelines?${new URLSearchParams({ run })}`), { cache: 'no-store', signal: ctl.signal })
      .then(async (r) => {
        if (!r.ok) throw new Error(`timelines: HTTP ${r.status} ${(await r.text()).slice(0, 200)}`);
        setFiles({ run, list: (await r.json()) as TraceFile[] });
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => ctl.abort();
  }, [base, run, generation]);
  return { files: files && files.run === run ? files.list : null, error };
}

function BadFiles({ list }: { list: TraceFile[] }) {
  return (
    <>
      {list
        .filter((f) => !f.format)
        .map((f) => (
          <div class="dash-msg inline" key={f.file} data-testid="profile-trace-bad">
            {f.file}: {f.error ?? 'not a trace'}
          </div>
        ))}
    </>
  );
}

/** The trace files of a run that could not be read, each with why: the
 * run's other files still show. */
export function RunBadTraces({ base, run, generation }: { base: string; run: string; generation: number }) {
  const { files } = useTimelines(base, run, generation);
  return files ? <BadFiles list={files} /> : null;
}

/** The Trace view of a run without the reference's views (legacy traces,
 * a bare event array): its trace files from tboard's own `timelines`
 * route, a choice among those that parsed, and what the others' error is. */
export function RunTimelines({ base, run, generation }: { base: string; run: string; generation: number }) {
  const { files, error } = useTimelines(base, run, generation);
  const [pick, setPick] = useState('');
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!files) return null;
  const good = files.filter((f) => f.format);
  const chosen = good.find((f) => f.file === pick) ?? good[0];
  return (
    <div data-testid="profile-run-timelines">
      <BadFiles list={files} />
      {good.length > 1 && (
        <Select
          label="Trace"
          testid="profile-trace-file"
          options={good.map((f) => [f.file, `${f.worker} · span ${f.span}`] as const)}
          value={chosen.file}
          onChange={setPick}
        />
      )}
      {chosen && (
        <TraceView
          key={chosen.file}
          path={`${base}timeline?${new URLSearchParams({ run, worker: chosen.worker, span: chosen.span })}`}
        />
      )}
    </div>
  );
}
