// Building blocks shared by the histograms, distributions, images, audio and
// text dashboards: tag listings, lazy loading, grouping, step sliders.
import { Fragment, type ComponentChildren, type RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fetchTagListing, type TagInfo } from './series_api';
import type { DashboardProps } from './registry';
import { CardTitle } from '../components/CardHead';
import { GroupHead } from '../components/CardGrid';
import { TagFilter } from '../components/TagFilter';
import { EmptyState } from '../components/EmptyState';
import './dashboards.css';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/**
 * A list `load` fetches, again when `generation` or `key` changes (the
 * request before is aborted). After a failure the list is the one before
 * (empty if none) and `error` says why; null until the first answer.
 */
export function useListing<T>(load: (signal: AbortSignal) => Promise<T[]>, generation: number, key = ''): { items: T[] | null; error: string } {
  const [state, setState] = useState<{ items: T[] | null; error: string }>({ items: null, error: '' });
  useEffect(() => {
    const ctl = new AbortController();
    load(ctl.signal).then(
      (items) => setState({ items, error: '' }),
      (err) => {
        if (!isAbort(err)) setState((s) => ({ items: s.items ?? [], error: errorText(err) }));
      },
    );
    return () => ctl.abort();
  }, [key, generation]);
  return state;
}

/** A plugin's (run, tag) listing, refetched when `generation` changes. */
export function useTagListing(plugin: string, generation: number): { items: TagInfo[] | null; error: string } {
  return useListing((signal) => fetchTagListing(plugin, signal), generation, plugin);
}

/** Whether the element is on screen or near it. Stays true once seen. */
export function useSeen(ref: RefObject<Element | null>): boolean {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const obs = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setSeen(true);
          obs.disconnect();
        }
      },
      { rootMargin: '200px 0px' },
    );
    obs.observe(el);
    return () => obs.disconnect();
  }, [ref.current, seen]);
  return seen;
}

interface CacheEntry {
  generation: number;
  data: unknown;
}

// Loaded series, so that switching tabs does not refetch unchanged data.
const seriesCache = new Map<string, CacheEntry>();
const CACHE_LIMIT = 500;

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * Data of one card: loaded once `enabled` (the card is on screen), and again
 * whenever `generation` moves past the loaded one. The previous data stays
 * on screen while a reload is under way.
 */
export function useSeries<T>(
  key: string,
  generation: number,
  enabled: boolean,
  load: (signal: AbortSignal) => Promise<T>,
): { data: T | null; status: LoadStatus; error: string } {
  const cached = seriesCache.get(key);
  const [state, setState] = useState<{ key: string; data: T | null; status: LoadStatus; error: string }>(() => ({
    key,
    data: (cached?.data as T) ?? null,
    status: cached ? 'ready' : 'idle',
    error: '',
  }));
  const current = state.key === key ? state : { key, data: (cached?.data as T) ?? null, status: (cached ? 'ready' : 'idle') as LoadStatus, error: '' };

  useEffect(() => {
    if (!enabled) return;
    const c = seriesCache.get(key);
    if (c && c.generation >= generation) {
      setState({ key, data: c.data as T, status: 'ready', error: '' });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ key, data: s.key === key ? s.data : ((c?.data as T) ?? null), status: 'loading', error: '' }));
    load(ctl.signal).then(
      (data) => {
        if (seriesCache.size >= CACHE_LIMIT) seriesCache.delete(seriesCache.keys().next().value as string);
        seriesCache.set(key, { generation, data });
        setState({ key, data, status: 'ready', error: '' });
      },
      (err) => {
        if (isAbort(err)) return;
        setState((s) => ({ key, data: s.key === key ? s.data : null, status: 'error', error: errorText(err) }));
      },
    );
    return () => ctl.abort();
  }, [key, generation, enabled]);

  return { data: current.data, status: current.status, error: current.error };
}

/** Bumps whenever the colour theme may have changed (system or data-theme). */
export function useThemeVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const bump = () => setV((x) => x + 1);
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    mq.addEventListener('change', bump);
    const mo = new MutationObserver(bump);
    const opts = { attributes: true, attributeFilter: ['data-theme', 'class', 'style'] };
    mo.observe(document.documentElement, opts);
    mo.observe(document.body, opts);
    return () => {
      mq.removeEventListener('change', bump);
      mo.disconnect();
    };
  }, []);
  return v;
}

/** The group of a tag: the part before its first '/'. */
export function tagPrefix(tag: string): string {
  const i = tag.indexOf('/');
  return i < 0 ? tag : tag.slice(0, i);
}

function compile(text: string): RegExp | null {
  try {
    return new RegExp(text, 'i');
  } catch {
    return null;
  }
}

// Each dashboard's tag filter survives switching tabs.
const filters = new Map<string, string>();

interface LayoutProps {
  plugin: string;
  /** What the dashboard shows, for empty states ("histogram data"). */
  noun: string;
  items: TagInfo[] | null;
  error: string;
  runs: string[];
  selectedRuns: string[];
  /** Extra controls, placed right of the tag filter. */
  controls?: ComponentChildren;
  renderCard: (item: TagInfo) => ComponentChildren;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Tag filter, groups by tag prefix and one card per selected run and tag. */
export function DashboardLayout({ plugin, noun, items, error, runs, selectedRuns, controls, renderCard }: LayoutProps) {
  const [filter, setFilterState] = useState(filters.get(plugin) ?? '');
  const groupsOpen = useCollapsed();
  const setFilter = (v: string) => {
    filters.set(plugin, v);
    setFilterState(v);
  };
  const re = compile(filter);

  const order = useMemo(() => new Map(runs.map((r, i) => [r, i])), [runs]);
  const selected = useMemo(() => new Set(selectedRuns), [selectedRuns]);
  const allTags = useMemo(() => new Set((items ?? []).map((i) => i.tag)), [items]);

  const shown = useMemo(() => {
    const rank = (r: string) => order.get(r) ?? Number.MAX_SAFE_INTEGER;
    return (items ?? [])
      .filter((i) => selected.has(i.run) && (!re || re.test(i.tag)))
      .sort((a, b) => cmp(a.tag, b.tag) || rank(a.run) - rank(b.run) || cmp(a.run, b.run));
  }, [items, selected, order, filter]);

  const groups = useMemo(() => {
    const m = new Map<string, TagInfo[]>();
    for (const i of shown) {
      const g = tagPrefix(i.tag);
      let list = m.get(g);
      if (!list) m.set(g, (list = []));
      list.push(i);
    }
    return [...m];
  }, [shown]);

  let body: ComponentChildren;
  if (items === null) {
    body = <div class="empty-state">Loading…</div>;
  } else if (items.length === 0) {
    body = (
      <EmptyState title={`No ${noun}`}>{error ? 'Could not load the tag list.' : `No run in this log directory has written ${noun} yet.`}</EmptyState>
    );
  } else if (shown.length === 0) {
    body = <div class="empty-state">{re ? 'No selected run has a tag matching the filter.' : 'No run is selected.'}</div>;
  } else {
    body = groups.map(([name, list]) => (
      <CardGroup key={name} name={name} count={list.length} open={groupsOpen} cardsClass={`cards dash-cards dash-cards-${plugin}`}>
        {() =>
          list.map((i) => (
            <Fragment key={`${i.run}\u0000${i.tag}`}>{renderCard(i)}</Fragment>
          ))
        }
      </CardGroup>
    ));
  }

  const tagCount = new Set(shown.map((i) => i.tag)).size;
  return (
    <div class="main dash" data-dashboard={plugin}>
      <div class="controls">
        <TagFilter
          value={filter}
          valid={!!re}
          onInput={setFilter}
          shown={tagCount}
          total={allTags.size}
          testid="dash-tag-filter"
        />
        {error && items !== null && items.length > 0 && (
          <span class="dash-error" title={error}>
            Update failed
          </span>
        )}
        <div class="spacer" />
        {controls}
      </div>
      <div class="groups">{body}</div>
    </div>
  );
}

/** Which groups of a dashboard are collapsed, and the toggle of one. */
export interface Collapsed {
  has: (name: string) => boolean;
  toggle: (name: string) => void;
}

export function useCollapsed(): Collapsed {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  return {
    has: (name) => collapsed.has(name),
    toggle: (name) => {
      const c = new Set(collapsed);
      if (c.has(name)) c.delete(name);
      else c.add(name);
      setCollapsed(c);
    },
  };
}

interface CardGroupProps {
  name: string;
  count: number;
  open: Collapsed;
  cardsClass: string;
  /** The cards, made only while the group is open. */
  children: () => ComponentChildren;
}

/** A group of cards under a head that collapses it: its name and card count. */
export function CardGroup({ name, count, open, cardsClass, children }: CardGroupProps) {
  const isCollapsed = open.has(name);
  return (
    <section class="group" data-group={name}>
      <GroupHead name={name} count={count} collapsed={isCollapsed} onToggle={() => open.toggle(name)} />
      {!isCollapsed && <div class={cardsClass}>{children()}</div>}
    </section>
  );
}

interface TagDashboardProps extends Omit<DashboardProps, 'runColor'> {
  plugin: string;
  noun: string;
  controls?: ComponentChildren;
  renderCard: (item: TagInfo) => ComponentChildren;
}

/** DashboardLayout over the plugin's own tag listing. */
export function TagDashboard({ generation, ...layout }: TagDashboardProps) {
  const { items, error } = useTagListing(layout.plugin, generation);
  return <DashboardLayout {...layout} items={items} error={error} />;
}

/** What Card needs of a card's series: its run/tag, colour, load state and root. */
export interface CardFrame {
  item: TagInfo;
  color: string;
  status: LoadStatus;
  error: string;
  rootRef: RefObject<HTMLDivElement | null>;
}

/** A card's series, loaded once the card's root (`frame.rootRef`) is on screen. */
export function useCardSeries<T>(
  item: TagInfo,
  color: string,
  key: string,
  generation: number,
  load: (signal: AbortSignal) => Promise<T>,
): { data: T | null; frame: CardFrame } {
  const rootRef = useRef<HTMLDivElement>(null);
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(key, generation, seen, load);
  return { data, frame: { item, color, status, error, rootRef } };
}

interface CardProps extends CardFrame {
  /** Right side of the header (e.g. a step label). */
  aside?: ComponentChildren;
  /** Buttons at the header's right end (e.g. the image menu). */
  tools?: ComponentChildren;
  class?: string;
  children: ComponentChildren;
  attrs?: Record<string, string | undefined>;
}

/** The frame of a run/tag card: title, run, description tooltip. */
export function Card({ item, color, status, error, rootRef, aside, tools, children, attrs, class: cls }: CardProps) {
  return (
    <div
      class={'card dash-card' + (cls ? ' ' + cls : '')}
      ref={rootRef}
      data-card-run={item.run}
      data-card-tag={item.tag}
      data-state={status}
      {...attrs}
    >
      <div class="card-head dash-card-head">
        <CardTitle title={item.tag} description={item.description} />
        {aside && <span class="dash-aside">{aside}</span>}
        {tools}
      </div>
      <div class="dash-card-run" title={item.run}>
        <span class="tb-swatch" style={{ background: color }} />
        <span class="dash-run-name">{item.run}</span>
      </div>
      {children}
      {status === 'error' && (
        <div class="dash-msg error" title={error}>
          Failed to load
        </div>
      )}
    </div>
  );
}

interface SliderProps {
  count: number;
  index: number;
  onChange: (i: number) => void;
  step?: number;
  wallTime?: number;
  label?: string;
  testid?: string;
}

function formatTime(sec: number): string {
  if (!Number.isFinite(sec)) return '';
  const d = new Date(sec * 1000);
  return d.toLocaleString();
}

/** A step picker over the loaded entries, with the step number and time. */
export function StepSlider({ count, index, onChange, step, wallTime, label = 'Step', testid = 'step-slider' }: SliderProps) {
  return (
    <div class="dash-slider">
      <span class="dash-slider-label" title={wallTime !== undefined ? formatTime(wallTime) : ''}>
        {label} <b data-testid="step-value">{step !== undefined && Number.isFinite(step) ? step : '–'}</b>
      </span>
      {count > 1 && (
        <input
          type="range"
          min={0}
          max={count - 1}
          step={1}
          value={index}
          data-testid={testid}
          aria-label={label}
          onInput={(e) => onChange(Number((e.target as HTMLInputElement).value))}
        />
      )}
    </div>
  );
}

/**
 * The index of the shown entry: follows the newest entry until the user
 * picks another, and is clamped to the current number of entries.
 */
export function useStepIndex(count: number): [number, (i: number) => void] {
  const [picked, setPicked] = useState<number | null>(null);
  const last = Math.max(0, count - 1);
  const index = picked === null ? last : Math.min(picked, last);
  const set = (i: number) => setPicked(i >= last ? null : i);
  return [index, set];
}

/** The entries of a step-by-step card and the one its step slider shows. */
export interface StepEntries<T> {
  data: T[] | null;
  frame: CardFrame;
  /** Card attributes: the number of loaded entries. */
  attrs: Record<string, string | undefined>;
  index: number;
  setIndex: (i: number) => void;
  entry: T | null;
}

/** useCardSeries of a list of steps, with useStepIndex's pick among them. */
export function useStepEntries<T>(
  item: TagInfo,
  color: string,
  key: string,
  generation: number,
  load: (signal: AbortSignal) => Promise<T[]>,
): StepEntries<T> {
  const { data, frame } = useCardSeries(item, color, key, generation, load);
  const [index, setIndex] = useStepIndex(data?.length ?? 0);
  const entry = data && data.length ? data[Math.min(index, data.length - 1)] : null;
  return { data, frame, attrs: { 'data-entries': data ? String(data.length) : undefined }, index, setIndex, entry };
}

/** The step slider of a card's entries. */
export function EntrySlider<T extends { step: number; wallTime: number }>({ steps }: { steps: StepEntries<T> }) {
  const { data, index, setIndex, entry } = steps;
  return <StepSlider count={data?.length ?? 0} index={index} onChange={setIndex} step={entry?.step} wallTime={entry?.wallTime} />;
}

/** Entries of a tag that writes `item.samples` samples per step, one sample at a time. */
export function useSampledEntries<T>(
  item: TagInfo,
  color: string,
  plugin: string,
  generation: number,
  load: (run: string, tag: string, sample: number, signal: AbortSignal) => Promise<T[]>,
): StepEntries<T> & { samples: number; sample: number; setSample: (s: number) => void } {
  const [picked, setSample] = useState(0);
  const samples = Math.max(1, item.samples);
  const sample = Math.min(picked, samples - 1);
  const steps = useStepEntries(item, color, `${plugin}\u0000${item.run}\u0000${item.tag}\u0000${sample}`, generation, (signal) =>
    load(item.run, item.tag, sample, signal),
  );
  return { ...steps, samples, sample, setSample };
}

/** The step slider, and the sample slider when there is more than one sample. */
export function SampledSliders<T extends { step: number; wallTime: number }>({
  steps,
}: {
  steps: ReturnType<typeof useSampledEntries<T>>;
}) {
  const { samples, sample, setSample } = steps;
  return (
    <div class="dash-sliders">
      <EntrySlider steps={steps} />
      {samples > 1 && (
        <StepSlider
          count={samples}
          index={sample}
          onChange={setSample}
          step={sample}
          label={`Sample (of ${samples})`}
          testid="sample-slider"
        />
      )}
    </div>
  );
}

/** Loading, or `none` once loaded, while there is no entry to show. */
export function EntryMessage({ steps, none, inline }: { steps: StepEntries<unknown>; none: string; inline?: boolean }) {
  if (steps.entry) return null;
  const cls = 'dash-msg' + (inline ? ' inline' : '');
  if (steps.frame.status === 'loading') return <div class={cls}>Loading…</div>;
  if (steps.frame.status === 'ready') return <div class={cls}>{none}</div>;
  return null;
}

export { errorText, isAbort };
