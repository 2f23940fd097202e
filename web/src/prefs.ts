// Per-browser preferences, kept in localStorage: refresh interval, default
// smoothing, page size, theme, card width, tooltip order, run colours.
import { Watched, useWatched } from './watched';

export type Theme = 'system' | 'light' | 'dark';
export type TooltipSort = 'nearest' | 'ascending' | 'descending' | 'name';

/** Limits of the runs sidebar width, in pixels. */
export const SIDEBAR_MIN = 160;
export const SIDEBAR_MAX = 720;

export interface Prefs {
  /** Seconds between automatic refreshes; 0 turns them off. */
  refreshSec: number;
  defaultSmoothing: number;
  /** Cards shown per group before "Show more". */
  pageSize: number;
  theme: Theme;
  /** Minimum card width in pixels. */
  cardWidth: number;
  /** Width of the runs sidebar in pixels (drag its edge). */
  sidebarWidth: number;
  tooltipSort: TooltipSort;
  /** Colours the user picked, by run. */
  runColors: Record<string, string>;
}

export const DEFAULT_PREFS: Prefs = {
  refreshSec: 10,
  defaultSmoothing: 0.6,
  pageSize: 24,
  theme: 'system',
  cardWidth: 400,
  sidebarWidth: 260,
  tooltipSort: 'nearest',
  runColors: {},
};

const KEY = 'tboard.prefs';

function clampNum(v: unknown, lo: number, hi: number, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : dflt;
}

function load(): Prefs {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(localStorage.getItem(KEY) || '{}') ?? {};
  } catch {
    raw = {};
  }
  const d = DEFAULT_PREFS;
  const theme = raw.theme === 'light' || raw.theme === 'dark' ? raw.theme : 'system';
  const sorts: TooltipSort[] = ['nearest', 'ascending', 'descending', 'name'];
  const runColors: Record<string, string> = {};
  if (raw.runColors && typeof raw.runColors === 'object') {
    for (const [k, v] of Object.entries(raw.runColors as Record<string, unknown>)) {
      if (typeof v === 'string' && /^#[0-9a-f]{6}$/i.test(v)) runColors[k] = v;
    }
  }
  return {
    refreshSec: clampNum(raw.refreshSec, 0, 3600, d.refreshSec),
    defaultSmoothing: clampNum(raw.defaultSmoothing, 0, 0.999, d.defaultSmoothing),
    pageSize: Math.round(clampNum(raw.pageSize, 1, 500, d.pageSize)),
    theme,
    cardWidth: clampNum(raw.cardWidth, 240, 1600, d.cardWidth),
    sidebarWidth: Math.round(clampNum(raw.sidebarWidth, SIDEBAR_MIN, SIDEBAR_MAX, d.sidebarWidth)),
    tooltipSort: sorts.includes(raw.tooltipSort as TooltipSort) ? (raw.tooltipSort as TooltipSort) : d.tooltipSort,
    runColors,
  };
}

class PrefsStore extends Watched<Prefs> {
  constructor() {
    super(load());
    window.addEventListener('storage', (e) => {
      if (e.key !== KEY) return;
      this.current = load();
      this.emit();
    });
  }

  update(patch: Partial<Prefs>): void {
    this.current = { ...this.current, ...patch };
    try {
      localStorage.setItem(KEY, JSON.stringify(this.current));
    } catch {
      /* storage full or disabled: keep the in-memory value */
    }
    this.emit();
  }
}

export const prefs = new PrefsStore();

export function usePrefs(): Prefs {
  return useWatched(prefs);
}

/** Whether the page is currently drawn dark (explicit choice or system). */
export function isDark(p: Prefs = prefs.get()): boolean {
  if (p.theme === 'dark') return true;
  if (p.theme === 'light') return false;
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}
