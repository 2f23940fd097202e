// View state, mirrored into the URL fragment so a link reproduces a view and
// it survives a reload: dashboard, filters, smoothing, axes, pinned cards.
import { Watched, useWatched } from './watched';
import { prefs } from './prefs';

/** 'tag': another scalar tag of the same run, aligned by step (Settings.xTag). */
export type XAxis = 'step' | 'relative' | 'wall' | 'tag';
export type HistogramMode = 'offset' | 'overlay';
export type HparamsView = 'table' | 'parallel' | 'scatter';
export type GroupAgg = 'mean' | 'median';
/** Debiased EMA (as upstream), or a trailing or centred moving average. */
export type SmoothMode = 'ema' | 'trailing' | 'centred';
export type GroupBand = 'std' | 'minmax' | 'ci95';

/**
 * A brush on a parallel-coordinates axis: a query column between lo and hi,
 * or (a categorical axis) one of the values `cats`, lo and hi then unused.
 */
export interface Brush {
  col: string;
  lo: number;
  hi: number;
  cats?: readonly (string | boolean)[];
}

/** A y range typed for one card: either bound may be left to the data. */
export interface YLimits {
  lo?: number;
  hi?: number;
}

export interface Settings {
  /** Selected dashboard (plugin name); '' means the first active one. */
  dashboard: string;
  smoothing: number;
  smoothMode: SmoothMode;
  xAxis: XAxis;
  logY: boolean;
  ignoreOutliers: boolean;
  histogramMode: HistogramMode;
  /** HParams dashboard: the view and the sorted column ('' = unsorted). */
  hparamsView: HparamsView;
  hparamsSort: string;
  hparamsSortDesc: boolean;
  runFilter: string;
  /**
   * How runs are grouped (and coloured) in the sidebar: '' each run alone,
   * 'dir' by their first path component, 're:PATTERN' by what a regex
   * matches (its capture groups when it has any).
   */
  runGroup: string;
  tagFilter: string;
  /** Runs the user unticked; new runs are shown by default. */
  hiddenRuns: ReadonlySet<string>;
  /** Tag groups the user collapsed. */
  collapsedGroups: ReadonlySet<string>;
  /** Pinned card ids, in pinning order. */
  pinned: readonly string[];
  /** The run query (docs/HTTP_API.md) that selects and sorts runs; '' = all. */
  runQuery: string;
  /**
   * Scalar cards draw one line per group when set: 'folder', 'hp:NAME,...'
   * or 'regex:PATTERN', as the groups route's `by`.
   */
  groupBy: string;
  groupAgg: GroupAgg;
  groupBand: GroupBand;
  /** Groups a card shows as their runs instead (by group name). */
  expandedGroups: ReadonlySet<string>;
  /** The scalar tag on the x axis when xAxis is 'tag'. */
  xTag: string;
  logX: boolean;
  /** HParams brushes; each narrows the runs as a query condition would. */
  brushes: readonly Brush[];
  /** y ranges typed for scalar cards, by tag. */
  yRanges: ReadonlyMap<string, YLimits>;
  /**
   * Cards that share one y range: the tag groups named, or every shown
   * card when it holds '*'.
   */
  yLinks: ReadonlySet<string>;
}

/** Smoothing a link without a value stands for. */
export const BASE_SMOOTHING = 0.6;

export function defaultSettings(): Settings {
  return {
    dashboard: '',
    smoothing: prefs.get().defaultSmoothing,
    smoothMode: 'ema',
    xAxis: 'step',
    logY: false,
    ignoreOutliers: true,
    histogramMode: 'offset',
    hparamsView: 'table',
    hparamsSort: '',
    hparamsSortDesc: false,
    runFilter: '',
    runGroup: '',
    tagFilter: '',
    hiddenRuns: new Set(),
    collapsedGroups: new Set(),
    pinned: [],
    runQuery: '',
    groupBy: '',
    groupAgg: 'mean',
    groupBand: 'std',
    expandedGroups: new Set(),
    xTag: '',
    logX: false,
    brushes: [],
    yRanges: new Map(),
    yLinks: new Set(),
  };
}

const X_AXES: XAxis[] = ['step', 'relative', 'wall', 'tag'];

export function parseHash(hash: string): Settings {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = defaultSettings();
  s.dashboard = p.get('dash') ?? '';
  const sm = p.get('smoothing');
  if (sm !== null && sm.trim() !== '') {
    const v = Number(sm);
    if (Number.isFinite(v)) s.smoothing = Math.min(0.999, Math.max(0, v));
  }
  const x = p.get('x') as XAxis | null;
  if (x && X_AXES.includes(x)) s.xAxis = x;
  s.logY = p.get('log') === '1';
  // On by default, as upstream; outliers=1 shows them (outliers=0 is the default spelled out).
  s.ignoreOutliers = p.get('outliers') !== '1';
  s.histogramMode = p.get('hist') === 'overlay' ? 'overlay' : 'offset';
  const hpview = p.get('hpview');
  s.hparamsView = hpview === 'parallel' || hpview === 'scatter' ? hpview : 'table';
  const sort = p.get('hpsort') ?? '';
  s.hparamsSortDesc = sort.startsWith('-');
  s.hparamsSort = s.hparamsSortDesc ? sort.slice(1) : sort;
  s.runFilter = p.get('runs') ?? '';
  s.runGroup = p.get('group') ?? '';
  s.tagFilter = p.get('tags') ?? '';
  s.hiddenRuns = new Set(p.getAll('hide'));
  s.collapsedGroups = new Set(p.getAll('collapse'));
  s.pinned = [...new Set(p.getAll('pin'))];
  const smode = p.get('smode');
  if (smode === 'trailing' || smode === 'centred') s.smoothMode = smode;
  s.runQuery = p.get('q') ?? '';
  s.groupBy = p.get('gby') ?? '';
  s.groupAgg = p.get('agg') === 'median' ? 'median' : 'mean';
  const band = p.get('band');
  s.groupBand = band === 'minmax' || band === 'ci95' ? band : 'std';
  s.expandedGroups = new Set(p.getAll('expand'));
  s.xTag = p.get('xtag') ?? '';
  if (s.xAxis === 'tag' && !s.xTag) s.xAxis = 'step';
  s.logX = p.get('logx') === '1';
  s.brushes = p.getAll('brush').flatMap((b) => {
    // col:lo:hi, the column last-split so it may hold ':'.
    const m = /^(.*):([^:]*):([^:]*)$/.exec(b);
    const lo = m ? Number(m[2]) : NaN;
    const hi = m ? Number(m[3]) : NaN;
    return m && m[1] && m[2] && m[3] && lo <= hi ? [{ col: m[1], lo, hi }] : [];
  });
  // A categorical brush: a JSON array, the column then its values.
  for (const c of p.getAll('cbrush')) {
    try {
      const a: unknown = JSON.parse(c);
      if (!Array.isArray(a) || typeof a[0] !== 'string' || !a[0] || a.length < 2) continue;
      const cats = a.slice(1).filter((v): v is string | boolean => typeof v === 'string' || typeof v === 'boolean');
      if (cats.length) s.brushes = [...s.brushes, { col: a[0], lo: NaN, hi: NaN, cats }];
    } catch {
      // not JSON: left out
    }
  }
  s.yRanges = new Map(
    p.getAll('yr').flatMap((r) => {
      // tag:lo:hi, the tag last-split so it may hold ':'; an empty bound is the data's.
      const m = /^(.*):([^:]*):([^:]*)$/.exec(r);
      if (!m || !m[1]) return [];
      const lim: YLimits = {};
      if (m[2].trim() !== '' && Number.isFinite(Number(m[2]))) lim.lo = Number(m[2]);
      if (m[3].trim() !== '' && Number.isFinite(Number(m[3]))) lim.hi = Number(m[3]);
      if (lim.lo === undefined && lim.hi === undefined) return [];
      if (lim.lo !== undefined && lim.hi !== undefined && !(lim.lo < lim.hi)) return [];
      return [[m[1], lim] as const];
    }),
  );
  s.yLinks = new Set(p.getAll('ylink'));
  return s;
}

export function formatHash(s: Settings): string {
  const p = new URLSearchParams();
  if (s.dashboard) p.set('dash', s.dashboard);
  // Written unless both the value and this browser's default are the base
  // value, so a link means the same thing in every browser.
  if (s.smoothing !== BASE_SMOOTHING || prefs.get().defaultSmoothing !== BASE_SMOOTHING)
    p.set('smoothing', String(s.smoothing));
  if (s.xAxis !== 'step') p.set('x', s.xAxis);
  if (s.logY) p.set('log', '1');
  if (!s.ignoreOutliers) p.set('outliers', '1');
  if (s.histogramMode !== 'offset') p.set('hist', s.histogramMode);
  if (s.hparamsView !== 'table') p.set('hpview', s.hparamsView);
  if (s.hparamsSort) p.set('hpsort', (s.hparamsSortDesc ? '-' : '') + s.hparamsSort);
  if (s.runFilter) p.set('runs', s.runFilter);
  if (s.runGroup) p.set('group', s.runGroup);
  if (s.tagFilter) p.set('tags', s.tagFilter);
  for (const r of s.hiddenRuns) p.append('hide', r);
  for (const g of s.collapsedGroups) p.append('collapse', g);
  for (const c of s.pinned) p.append('pin', c);
  if (s.smoothMode !== 'ema') p.set('smode', s.smoothMode);
  if (s.runQuery) p.set('q', s.runQuery);
  if (s.groupBy) p.set('gby', s.groupBy);
  if (s.groupAgg !== 'mean') p.set('agg', s.groupAgg);
  if (s.groupBand !== 'std') p.set('band', s.groupBand);
  for (const g of s.expandedGroups) p.append('expand', g);
  if (s.xAxis === 'tag') p.set('xtag', s.xTag);
  if (s.logX) p.set('logx', '1');
  for (const b of s.brushes) {
    if (b.cats) p.append('cbrush', JSON.stringify([b.col, ...b.cats]));
    else p.append('brush', `${b.col}:${b.lo}:${b.hi}`);
  }
  for (const [tag, r] of s.yRanges) p.append('yr', `${tag}:${r.lo ?? ''}:${r.hi ?? ''}`);
  for (const g of s.yLinks) p.append('ylink', g);
  const q = p.toString();
  return q ? '#' + q : '';
}

class SettingsStore extends Watched<Settings> {
  constructor() {
    super(parseHash(location.hash));
    window.addEventListener('hashchange', () => {
      if (location.hash === formatHash(this.current)) return;
      this.current = parseHash(location.hash);
      this.emit();
    });
  }

  update(patch: Partial<Settings>): void {
    this.current = { ...this.current, ...patch };
    const hash = formatHash(this.current);
    const url = location.pathname + location.search + hash;
    history.replaceState(null, '', url);
    this.emit();
  }
}

export const settings = new SettingsStore();

export function useSettings(): Settings {
  return useWatched(settings);
}

/** Compiles a user-typed filter; case-insensitive. null when invalid. */
export function compileFilter(text: string): RegExp | null {
  try {
    return new RegExp(text, 'i');
  } catch {
    return null;
  }
}

export function togglePin(id: string): void {
  const cur = settings.get().pinned;
  settings.update({ pinned: cur.includes(id) ? cur.filter((c) => c !== id) : [...cur, id] });
}
