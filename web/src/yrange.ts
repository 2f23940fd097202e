// Fixed and shared y ranges of scalar cards. A card may have bounds typed
// for it (Settings.yRanges, by tag); the cards of a linked tag group (or
// every card, Settings.yLinks) draw one y range: the union of the data
// extent each of them fits on its own (dataExtent: outliers left out when
// "Ignore outliers" is on, positive values on a log axis), padded as one
// card pads its own. Each card computes its extent once per draw (new data
// or a changed view) and reports it here; the union is kept per link and
// view, and the cards of a link are told once (in a task after the reports
// of one burst) when it changes, so nothing walks every card per frame.
// Extents of cards scrolled away stay counted while the view (the settings
// that change what a card draws) is the same.
import { useEffect, useRef } from 'preact/hooks';
import { dataExtent, type ChartLine, type ChartOptions, type ScalarChart } from './chart/scalarChart';
import { tagGroup } from './components/CardGrid';
import type { Settings } from './state';

export type Extent = readonly [number, number];

/** The link of a tag's card: '*' (every card), 'g:GROUP' (its tag group), or '' (none). */
export function yLinkOf(s: Settings, tag: string): string {
  if (s.yLinks.has('*')) return '*';
  const g = tagGroup(tag);
  return s.yLinks.has(g) ? 'g:' + g : '';
}

const viewKeys = new WeakMap<Settings, string>();

/** The settings that change what scalar cards draw, as one string (once per settings object). */
function viewKey(s: Settings): string {
  let k = viewKeys.get(s);
  if (k === undefined) {
    k = JSON.stringify([
      s.dashboard,
      s.smoothing,
      s.smoothMode,
      s.xAxis,
      s.xTag,
      s.logX,
      s.logY,
      s.ignoreOutliers,
      s.runFilter,
      s.runQuery,
      s.brushes,
      [...s.hiddenRuns],
      s.groupBy,
      s.groupAgg,
      s.groupBand,
      [...s.expandedGroups],
    ]);
    viewKeys.set(s, k);
  }
  return k;
}

interface Link {
  /** Each card's extent and the view it was drawn in. */
  cards: Map<string, { view: string; ext: Extent }>;
  /** The union for a view, until a card reports again. */
  union: { view: string; ext: Extent | null } | null;
  listeners: Set<() => void>;
  timer: number | undefined;
}

class SharedY {
  private links = new Map<string, Link>();

  private link(key: string): Link {
    let l = this.links.get(key);
    if (!l) this.links.set(key, (l = { cards: new Map(), union: null, listeners: new Set(), timer: undefined }));
    return l;
  }

  /** Card `card` of link `key` drew `ext` in `view` (null: nothing drawn). */
  report(key: string, card: string, view: string, ext: Extent | null): void {
    const l = this.link(key);
    const before = this.range(key, view);
    if (ext && ext[0] <= ext[1]) l.cards.set(card, { view, ext });
    else l.cards.delete(card);
    l.union = null;
    const after = this.range(key, view);
    if (before?.[0] === after?.[0] && before?.[1] === after?.[1]) return;
    window.clearTimeout(l.timer);
    l.timer = window.setTimeout(() => {
      l.timer = undefined;
      for (const fn of l.listeners) fn();
    }, 0);
  }

  /** The union of the extents link `key`'s cards drew in `view`, or null. */
  range(key: string, view: string): Extent | null {
    const l = this.links.get(key);
    if (!l) return null;
    if (l.union?.view === view) return l.union.ext;
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of l.cards.values()) {
      if (c.view !== view) continue;
      lo = Math.min(lo, c.ext[0]);
      hi = Math.max(hi, c.ext[1]);
    }
    const ext: Extent | null = lo <= hi ? [lo, hi] : null;
    l.union = { view, ext };
    return ext;
  }

  subscribe(key: string, fn: () => void): () => void {
    const l = this.link(key);
    l.listeners.add(fn);
    return () => l.listeners.delete(fn);
  }
}

export const sharedY = new SharedY();

/**
 * A scalar card's y axis: returns what turns the card's chart options into
 * ones with its typed bounds and, when linked, the shared extent (its own
 * extent reported first); the chart follows the shared extent as other
 * cards report theirs.
 */
export function useYAxis(tag: string, s: Settings, chart: { current: ScalarChart | null }): (lines: ChartLine[], opts: ChartOptions) => ChartOptions {
  const link = yLinkOf(s, tag);
  const view = viewKey(s);
  const current = useRef({ link, view });
  current.current = { link, view };
  useEffect(() => {
    if (!link) {
      chart.current?.setYShared(null);
      return;
    }
    return sharedY.subscribe(link, () => {
      const c = current.current;
      if (c.link === link) chart.current?.setYShared(sharedY.range(link, c.view));
    });
  }, [link]);
  const limits = s.yRanges.get(tag);
  return (lines, opts) => {
    const out: ChartOptions = { ...opts, yLimits: limits, yShared: null };
    if (link) {
      sharedY.report(link, tag, view, lines.length ? dataExtent(lines, opts) : null);
      out.yShared = sharedY.range(link, view);
    }
    return out;
  };
}
