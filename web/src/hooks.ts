// Small shared hooks: lazy visibility and the chart colour theme.
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ChartTheme } from './chart/scalarChart';
import { isDark, prefs, type Prefs } from './prefs';

/** Puts the chosen theme on <html>, where the stylesheet picks it up. */
export function applyTheme(p: Prefs = prefs.get()): void {
  const root = document.documentElement;
  root.dataset.theme = isDark(p) ? 'dark' : 'light';
  root.style.colorScheme = isDark(p) ? 'dark' : 'light';
}

type VisibilityCallback = (visible: boolean) => void;

// One IntersectionObserver for every lazily rendered element on the page.
const callbacks = new WeakMap<Element, VisibilityCallback>();
let observer: IntersectionObserver | null = null;

function sharedObserver(): IntersectionObserver {
  if (!observer) {
    observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) callbacks.get(e.target)?.(e.isIntersecting);
      },
      { rootMargin: '300px 0px' },
    );
  }
  return observer;
}

const toMeasure = new Set<Element>();

function measureSoon(el: Element): void {
  if (toMeasure.size === 0) {
    queueMicrotask(() => {
      const els = [...toMeasure];
      toMeasure.clear();
      const rects = els.map((e) => e.getBoundingClientRect());
      els.forEach((e, i) => {
        const r = rects[i];
        if (r.bottom > -300 && r.top < window.innerHeight + 300 && r.width > 0) callbacks.get(e)?.(true);
      });
    });
  }
  toMeasure.add(el);
}

/** Whether the element is on screen (or close to it). */
export function useInView(ref: RefObject<Element | null>): boolean {
  const [visible, setVisible] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    callbacks.set(el, setVisible);
    // Decide soon for what is already on screen, measuring every new
    // element in one layout; the observer follows up.
    measureSoon(el);
    const obs = sharedObserver();
    obs.observe(el);
    return () => {
      obs.unobserve(el);
      callbacks.delete(el);
    };
  }, [ref.current]);
  return visible;
}

function readTheme(): ChartTheme {
  const cs = getComputedStyle(document.documentElement);
  return {
    text: cs.getPropertyValue('--chart-text').trim() || '#555',
    grid: cs.getPropertyValue('--chart-grid').trim() || '#e5e5e5',
  };
}

/** Chart colours from the CSS variables; follows the system light/dark mode. */
export function useChartTheme(): ChartTheme {
  const [theme, setTheme] = useState(readTheme);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => {
      applyTheme();
      setTheme((prev) => {
        const next = readTheme();
        return prev.text === next.text && prev.grid === next.grid ? prev : next;
      });
    };
    mq.addEventListener('change', onChange);
    const unsubscribe = prefs.subscribe(onChange);
    return () => {
      mq.removeEventListener('change', onChange);
      unsubscribe();
    };
  }, []);
  return theme;
}

// Chart redraws, one per task: after a change that touches many cards
// (a run ticked, the smoothing moved), input is handled between two cards
// instead of after all of them.
const drawQueue = new Map<object, () => void>();
let drawPending = false;
const drawChannel = new MessageChannel();
drawChannel.port1.onmessage = () => {
  const first = drawQueue.entries().next();
  try {
    if (!first.done) {
      const [key, fn] = first.value;
      drawQueue.delete(key);
      fn();
    }
  } finally {
    if (drawQueue.size) drawChannel.port2.postMessage(0);
    else drawPending = false;
  }
};

/** Runs `fn` in a task of its own; a later call for the same key replaces it. */
export function scheduleDraw(key: object, fn: () => void): void {
  drawQueue.delete(key);
  drawQueue.set(key, fn);
  if (drawPending) return;
  drawPending = true;
  drawChannel.port2.postMessage(0);
}

export function cancelDraw(key: object): void {
  drawQueue.delete(key);
}

/** `value`, once it has stayed the same for `ms` (a first value at once). */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (Object.is(value, settled)) return;
    const t = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(t);
  }, [value]);
  return settled;
}

/**
 * Keeps the chart in `chartRef` sized to the element in `ref`, and destroys
 * it when the component goes.
 */
export function useChartFit(
  ref: RefObject<HTMLElement | null>,
  chartRef: RefObject<{ setSize(w: number, h: number): void; destroy(): void } | null>,
): void {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      chartRef.current?.setSize(r.width, r.height);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chartRef.current?.destroy();
      (chartRef as { current: unknown }).current = null;
    };
  }, []);
}
