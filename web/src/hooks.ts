// Small shared hooks: lazy visibility, the chart colour theme, popups that close from outside.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
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

// One IntersectionObserver per margin for every lazily rendered element on
// the page.
const callbacks = new WeakMap<Element, VisibilityCallback>();
const margins = new WeakMap<Element, number>();
const heights = new WeakMap<Element, number>();
const observers = new Map<number, IntersectionObserver>();

function sharedObserver(margin: number): IntersectionObserver {
  let obs = observers.get(margin);
  if (!obs) {
    obs = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (e.boundingClientRect.height > 0) heights.set(e.target, e.boundingClientRect.height);
          callbacks.get(e.target)?.(e.isIntersecting);
        }
      },
      // The cards scroll inside the page, not the page itself: the margin
      // applies to scrolling ancestors too (scrollMargin), where supported.
      { rootMargin: `${margin}px 0px`, scrollMargin: `${margin}px 0px` } as IntersectionObserverInit,
    );
    observers.set(margin, obs);
  }
  return obs;
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
        const m = margins.get(e) ?? 0;
        if (r.bottom > -m && r.top < window.innerHeight + m && r.width > 0) callbacks.get(e)?.(true);
      });
    });
  }
  toMeasure.add(el);
}

/** Whether the element is on screen or within `margin` pixels of it. */
export function useInView(ref: RefObject<Element | null>, margin = 300): boolean {
  const [visible, setVisible] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    callbacks.set(el, setVisible);
    margins.set(el, margin);
    // Decide soon for what is already on screen, measuring every new
    // element in one layout; the observer follows up.
    measureSoon(el);
    const obs = sharedObserver(margin);
    obs.observe(el);
    return () => {
      obs.unobserve(el);
      callbacks.delete(el);
    };
  }, [ref.current, margin]);
  return visible;
}

/** The height an observed element had when last seen by its observer (0 if never). */
export function lastHeight(el: Element | null): number {
  return (el && heights.get(el)) || 0;
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
 * A ref for a popup that closes on a click outside it or on Escape while
 * `open`.
 */
export function useOutsideClose(open: boolean, close: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return ref;
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
