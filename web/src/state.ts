// UI settings, mirrored into the URL fragment so a view can be bookmarked
// and survives a page reload. A tiny observable store plus a preact hook.
import { useEffect, useState } from 'preact/hooks';

export type XAxis = 'step' | 'relative' | 'wall';

export interface Settings {
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
  runFilter: string;
  tagFilter: string;
  /** Runs the user unticked; new runs are shown by default. */
  hiddenRuns: ReadonlySet<string>;
  /** Tag groups the user collapsed. */
  collapsedGroups: ReadonlySet<string>;
}

export const DEFAULT_SETTINGS: Settings = {
  smoothing: 0.6,
  xAxis: 'step',
  logY: false,
  runFilter: '',
  tagFilter: '',
  hiddenRuns: new Set(),
  collapsedGroups: new Set(),
};

const X_AXES: XAxis[] = ['step', 'relative', 'wall'];

export function parseHash(hash: string): Settings {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s: Settings = { ...DEFAULT_SETTINGS };
  const sm = p.get('smoothing');
  if (sm !== null && sm.trim() !== '') {
    const v = Number(sm);
    if (Number.isFinite(v)) s.smoothing = Math.min(0.999, Math.max(0, v));
  }
  const x = p.get('x') as XAxis | null;
  if (x && X_AXES.includes(x)) s.xAxis = x;
  s.logY = p.get('log') === '1';
  s.runFilter = p.get('runs') ?? '';
  s.tagFilter = p.get('tags') ?? '';
  s.hiddenRuns = new Set(p.getAll('hide'));
  s.collapsedGroups = new Set(p.getAll('collapse'));
  return s;
}

export function formatHash(s: Settings): string {
  const p = new URLSearchParams();
  if (s.smoothing !== DEFAULT_SETTINGS.smoothing) p.set('smoothing', String(s.smoothing));
  if (s.xAxis !== DEFAULT_SETTINGS.xAxis) p.set('x', s.xAxis);
  if (s.logY) p.set('log', '1');
  if (s.runFilter) p.set('runs', s.runFilter);
  if (s.tagFilter) p.set('tags', s.tagFilter);
  for (const r of s.hiddenRuns) p.append('hide', r);
  for (const g of s.collapsedGroups) p.append('collapse', g);
  const q = p.toString();
  return q ? '#' + q : '';
}

type Listener = (s: Settings) => void;

class SettingsStore {
  private current: Settings;
  private listeners = new Set<Listener>();

  constructor() {
    this.current = parseHash(location.hash);
    window.addEventListener('hashchange', () => {
      if (location.hash === formatHash(this.current)) return;
      this.current = parseHash(location.hash);
      this.emit();
    });
  }

  get(): Settings {
    return this.current;
  }

  update(patch: Partial<Settings>): void {
    this.current = { ...this.current, ...patch };
    const hash = formatHash(this.current);
    const url = location.pathname + location.search + hash;
    history.replaceState(null, '', url);
    this.emit();
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn(this.current);
  }
}

export const settings = new SettingsStore();

export function useSettings(): Settings {
  const [s, set] = useState(settings.get());
  useEffect(() => settings.subscribe(set), []);
  return s;
}

/** Compiles a user-typed filter; case-insensitive. null when invalid. */
export function compileFilter(text: string): RegExp | null {
  try {
    return new RegExp(text, 'i');
  } catch {
    return null;
  }
}
