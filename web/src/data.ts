// Server data shared by the whole page: plugin listing, environment, run
// list, periodic refresh, and a cache of per-tag scalar series.
import { useEffect, useState } from 'preact/hooks';
import {
  Environment,
  PluginsListing,
  RunScalars,
  ScalarFetchResult,
  ScalarQuery,
  TagScalars,
  apiUrl,
  fetchEnvironment,
  fetchGeneration,
  fetchPluginsListing,
  fetchRuns,
  fetchTagScalars,
} from './api';
import { RunColors } from './colors';
import { prefs } from './prefs';
import { isSnapshot } from './snapshot';

export interface DataState {
  runs: string[];
  env: Environment | null;
  plugins: PluginsListing | null;
  /** Bumped whenever dashboards should fetch their data again. */
  generation: number;
  loading: boolean;
  error: string | null;
  lastUpdated: number | null;
}

interface PushMessage {
  generation?: unknown;
  runs?: unknown;
  new_runs?: unknown;
  removed_runs?: unknown;
}

function parseEvent(ev: Event): PushMessage {
  try {
    const v = JSON.parse(String((ev as MessageEvent).data));
    return v && typeof v === 'object' ? (v as PushMessage) : {};
  } catch {
    return {};
  }
}

class DataStore {
  readonly colors = new RunColors();
  private state: DataState = {
    runs: [],
    env: null,
    plugins: null,
    generation: 1,
    loading: true,
    error: null,
    lastUpdated: null,
  };
  private listeners = new Set<(s: DataState) => void>();
  private inFlight: Promise<void> | null = null;
  private timer: number | undefined;
  private liveTimer: number | undefined;
  private source: EventSource | null = null;
  private reconnecting = false;
  /** Changes were announced while reloads were off. */
  private missed = false;
  private soon: number | undefined;
  private serverGeneration = -1;
  private interval = -1;
  /** While true (the active tab asked for it), automatic refresh pauses. */
  paused = false;

  get(): DataState {
    return this.state;
  }

  subscribe(fn: (s: DataState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<DataState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn(this.state);
  }

  start(): () => void {
    void this.refresh();
    this.schedule();
    this.listen();
    // Without the push channel, ask the server once a second whether it
    // stored anything new (a few bytes); only an answer that moved reloads.
    this.liveTimer = window.setInterval(() => {
      if (!this.source) this.poll();
    }, 1000);
    return prefs.subscribe(() => this.schedule());
  }

  /**
   * Subscribes to the server's push channel. Each `changed` event names
   * the runs and tags that moved: cards of those tags fetch the new points,
   * nothing else is asked for. The listing reloads only when a run or tag
   * appears that the page does not know yet. Servers without the channel
   * answer 404 and the page stays on generation polling.
   */
  private listen(): void {
    if (typeof EventSource === 'undefined' || isSnapshot) return;
    const es = new EventSource(apiUrl('data/tboard/events'));
    let hello = false;
    es.addEventListener('hello', (ev) => {
      hello = true;
      this.source = es;
      pushing = true;
      const g = parseEvent(ev).generation;
      if (typeof g === 'number') this.serverGeneration = g;
    });
    es.addEventListener('changed', (ev) => {
      const msg = parseEvent(ev);
      // Ignored while reloads are off; the next reload catches up.
      if (this.paused || this.interval <= 0) {
        this.missed = true;
        return;
      }
      if (typeof msg.generation === 'number') this.serverGeneration = msg.generation;
      const runs = (msg.runs ?? {}) as Record<string, unknown>;
      let unknown = (Array.isArray(msg.new_runs) && msg.new_runs.length > 0) ||
        (Array.isArray(msg.removed_runs) && msg.removed_runs.length > 0);
      for (const [run, tags] of Object.entries(runs)) {
        if (!Array.isArray(tags)) continue;
        for (const tag of tags) if (typeof tag === 'string' && !seriesMoved(run, tag)) unknown = true;
      }
      flushMoved();
      if (unknown) this.refreshSoon();
    });
    es.onerror = () => {
      // Before the greeting: no channel here, poll instead. After it the
      // browser reconnects by itself; reload once it is back.
      if (!hello) {
        es.close();
        return;
      }
      if (es.readyState === EventSource.CLOSED) {
        this.source = null;
        pushing = false;
      }
      else this.reconnecting = true;
    };
    es.addEventListener('open', () => {
      if (this.reconnecting) {
        // Events may have been missed: every loaded run may have moved.
        this.reconnecting = false;
        void this.reload();
      }
    });
  }

  /** A reload at most once a second, however often something appears. */
  private refreshSoon(): void {
    if (this.soon !== undefined) return;
    this.soon = window.setTimeout(() => {
      this.soon = undefined;
      void this.refresh();
    }, 1000);
  }

  /** Reloads when the server's generation moved since the page last saw it. */
  private poll(): void {
    if (document.visibilityState === 'hidden' || this.paused || this.interval <= 0) return;
    fetchGeneration().then(
      (g) => {
        if (g < 0 || g === this.serverGeneration) return;
        const first = this.serverGeneration < 0;
        this.serverGeneration = g;
        if (!first) void this.refresh();
      },
      () => undefined,
    );
  }

  /**
   * (Re)arms the periodic check after the refresh interval changed (0 turns
   * automatic reloads off). With the push channel the check is a safety
   * net: it finds the generation the events already brought, and stops.
   */
  private schedule(): void {
    const sec = prefs.get().refreshSec;
    if (sec === this.interval) return;
    this.interval = sec;
    window.clearInterval(this.timer);
    this.timer = undefined;
    if (sec > 0) this.timer = window.setInterval(() => this.poll(), sec * 1000);
  }

  /** A reload the user asked for: every loaded series is checked too. */
  reload(): Promise<void> {
    this.missed = true;
    return this.refresh();
  }

  /** Reloads the listing and runs, and tells every dashboard to refetch. */
  refresh(): Promise<void> {
    if (this.missed) {
      this.missed = false;
      for (const st of liveStores) st.staleAll();
    }
    if (this.inFlight) return this.inFlight;
    this.set({ loading: true });
    this.inFlight = this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<void> {
    try {
      const asked = fetchRuns();
      // The first time, the runs are shown as soon as they come, so the
      // cards ask for their series without waiting for the other answers.
      if (this.state.lastUpdated === null) {
        asked.then(
          (runs) => {
            if (this.state.lastUpdated !== null) return;
            this.colors.assign(runs);
            this.set({ runs });
          },
          () => undefined,
        );
      }
      const [runs, plugins, env] = await Promise.all([asked, fetchPluginsListing(), fetchEnvironment()]);
      this.colors.assign(runs);
      const patch: Partial<DataState> = {
        loading: false,
        error: null,
        lastUpdated: Date.now(),
        // Dashboards fetch on mount; only later refreshes ask them again.
        generation: this.state.lastUpdated === null ? this.state.generation : this.state.generation + 1,
      };
      // Keep the old objects when nothing changed, to spare re-renders.
      if (JSON.stringify(runs) !== JSON.stringify(this.state.runs)) patch.runs = runs;
      if (JSON.stringify(plugins) !== JSON.stringify(this.state.plugins)) patch.plugins = plugins;
      if (JSON.stringify(env) !== JSON.stringify(this.state.env)) patch.env = env;
      this.set(patch);
    } catch (e) {
      this.set({ loading: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
}

export const data = new DataStore();

export function useData(): DataState {
  const [s, set] = useState(data.get());
  useEffect(() => data.subscribe(set), []);
  return s;
}

/**
 * Something fetched again at every generation. Keeps the previous value
 * while reloading, and the previous object when the answer is unchanged.
 */
export function useFetched<T>(
  fetcher: () => Promise<T>,
  generation: number,
  key = '',
): { value: T | null; error: string | null } {
  const [state, setState] = useState<{ value: T | null; error: string | null; text: string | null; key: string }>({
    value: null,
    error: null,
    text: null,
    key,
  });
  useEffect(() => {
    let cancelled = false;
    fetcher().then(
      (v) => {
        if (cancelled) return;
        // The first answer is taken as is; later ones are compared as text
        // (the earlier one's text is made then, off the first draw's path).
        setState((prev) => {
          if (prev.value === null || prev.key !== key) return { value: v, error: null, text: null, key };
          const text = JSON.stringify(v);
          const before = prev.text ?? JSON.stringify(prev.value);
          if (before !== text) return { value: v, error: null, text, key };
          return prev.text === null ? { ...prev, text } : prev;
        });
      },
      (e) => {
        if (!cancelled) setState((prev) => ({ ...prev, error: e instanceof Error ? e.message : String(e) }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [generation, key]);
  return state.key === key ? state : { value: null, error: null };
}

// --- per-tag scalar series, fetched on demand with bounded concurrency.

/** Few at a time, so the first cards on screen are answered first. */
const MAX_CONCURRENT = 3;
let active = 0;
const queue: Array<() => void> = [];

/** Runs `job` when fewer than MAX_CONCURRENT others are running. */
export function limited<T>(job: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = () => {
      active++;
      job()
        .then(resolve, reject)
        .finally(() => {
          active--;
          const next = queue.shift();
          if (next) next();
        });
    };
    if (active < MAX_CONCURRENT) run();
    else queue.push(run);
  });
}

/**
 * A card's data, fetched through `limited` while the card is `visible` and
 * its `key` (generation, sample...) differs from the loaded one. An answer
 * equal to the shown one keeps the shown object, so nothing redraws.
 */
export function useCardFetch<T>(visible: boolean, key: string, fetcher: () => Promise<T>): { value: T | null; error: string } {
  const [value, setValue] = useState<T | null>(null);
  const [loaded, setLoaded] = useState<string | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!visible || loaded === key) return;
    let cancelled = false;
    limited(fetcher).then(
      (v) => {
        if (cancelled) return;
        setValue((prev) => (prev && JSON.stringify(prev) === JSON.stringify(v) ? prev : v));
        setLoaded(key);
        setError('');
      },
      (e) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [visible, key]);
  return { value, error };
}

// --- per-tag scalar series, fetched on demand and kept up to date.

/** A tag's loaded series, by run. */
export interface TagEntry {
  runs: Map<string, RunScalars>;
  /** Loaded runs whose server data moved since. */
  stale: Set<string>;
  /** The page generation the entry was brought up to. */
  generation: number;
  /** Bumped on every change, for cards to redraw. */
  version: number;
}

type Upstream = (tag: string) => Promise<ScalarFetchResult>;

/** Cards hear of new points of their tag at most this often (ms). */
const LIVE_NOTIFY_MS = 1000;

/** Whether the push channel is up: then a reload alone means no new points. */
let pushing = false;

/** Stores of the mounted dashboards, told by the push channel what moved. */
const liveStores = new Set<SeriesStore>();

/** Marks (run, tag) moved; false when no mounted dashboard lists it. */
function seriesMoved(run: string, tag: string): boolean {
  let known = false;
  for (const st of liveStores) if (st.moved(run, tag)) known = true;
  return known;
}

function flushMoved(): void {
  for (const st of liveStores) st.flush();
}

function concat(a: Float64Array | undefined, b: Float64Array, fill: Float64Array): Float64Array {
  const head = a ?? fill;
  const out = new Float64Array(head.length + b.length);
  out.set(head);
  out.set(b, head.length);
  return out;
}

function emptySeries(): RunScalars {
  return { n: 0, gen: 0, step: new Float64Array(0), wallTime: new Float64Array(0), value: new Float64Array(0) };
}

/** `prev` followed by the points of `more` (fetched with `after`). */
export function appendSeries(prev: RunScalars, more: RunScalars): RunScalars {
  if (more.step.length === 0) return prev;
  const bucketed = !!(prev.min || more.min);
  const out: RunScalars = {
    n: prev.n + more.n,
    gen: more.gen,
    step: concat(prev.step, more.step, prev.step),
    wallTime: concat(prev.wallTime, more.wallTime, prev.wallTime),
    value: concat(prev.value, more.value, prev.value),
  };
  if (bucketed) {
    // A raw point is a bucket of one.
    out.firstStep = concat(prev.firstStep ?? prev.step, more.firstStep ?? more.step, prev.step);
    out.min = concat(prev.min ?? prev.value, more.min ?? more.value, prev.value);
    out.max = concat(prev.max ?? prev.value, more.max ?? more.value, prev.value);
  }
  return out;
}

/** Longest the other cards wait for the first card's chart after its answer (ms). */
const FIRST_CHART_WAIT_MS = 1000;

/** Points an answer of new points alone brings before the server buckets them. */
const LIVE_POINTS = 64;

/**
 * A bucketed series with neighbouring buckets merged in pairs: each keeps
 * the first step of its first half, the last point of its second, and the
 * lowest and highest value of both, so the line and its envelope stay what
 * the server would answer for half the budget. A run grown past its budget
 * by live points is made coarser here instead of fetched afresh.
 */
export function halveBuckets(s: RunScalars): RunScalars {
  const m = s.step.length >> 1;
  const first = s.firstStep ?? s.step;
  const lo = s.min ?? s.value;
  const hi = s.max ?? s.value;
  const out: RunScalars = {
    n: s.n,
    gen: s.gen,
    step: new Float64Array(m + (s.step.length & 1)),
    wallTime: new Float64Array(m + (s.step.length & 1)),
    value: new Float64Array(m + (s.step.length & 1)),
    firstStep: new Float64Array(m + (s.step.length & 1)),
    min: new Float64Array(m + (s.step.length & 1)),
    max: new Float64Array(m + (s.step.length & 1)),
  };
  for (let i = 0; i < out.step.length; i++) {
    const a = 2 * i;
    const b = Math.min(a + 1, s.step.length - 1);
    out.firstStep![i] = first[a];
    out.step[i] = s.step[b];
    out.wallTime[i] = s.wallTime[b];
    out.value[i] = s.value[b];
    out.min![i] = Math.min(lo[a], lo[b]);
    out.max![i] = Math.max(hi[a], hi[b]);
  }
  return out;
}

/**
 * Scalar series of the tags on screen. With tboard's own route a card asks
 * only for the runs it is missing, downsampled to its width, and after a
 * change only for the points past the last step it has. Against a server
 * with upstream's routes only, a tag is fetched whole, again at each
 * generation.
 */
export class SeriesStore {
  private entries = new Map<string, TagEntry>();
  private listeners = new Map<string, Set<() => void>>();
  private running = new Map<string, Promise<void>>();
  private changed = new Set<string>();
  private listing = new Map<string, ReadonlySet<string>>();
  /** When each tag's cards were last told of moved runs, and pending tellings. */
  private notified = new Map<string, number>();
  private later = new Map<string, number>();

  /**
   * Open once this store's first chart is drawn: until then one tag is
   * fetched at a time, so the first card's answer shares neither the
   * server, nor the connections, nor the page's main thread (parsing)
   * with the answers of the cards beside it.
   */
  private firstChart: Promise<void> | undefined;
  private openFirst: (() => void) | undefined;

  constructor(private readonly upstream: Upstream) {}

  /**
   * A chart of this store's series was drawn: the other cards may fetch
   * once the frame that shows it is out.
   */
  drawn(): void {
    const open = this.openFirst;
    if (!open) return;
    this.openFirst = undefined;
    // A hidden page has no frames: then a short wait.
    requestAnimationFrame(() => window.setTimeout(open));
    window.setTimeout(open, 100);
  }

  /** Starts following the push channel for the tags in `listing` (tag -> runs). */
  attach(listing: Map<string, string[]>): () => void {
    // Tags with the same runs share one list (timeseries.tsx), and one set.
    const sets = new Map<string[], Set<string>>();
    const setOf = (rs: string[]) => sets.get(rs) ?? sets.set(rs, new Set(rs)).get(rs)!;
    this.listing = new Map([...listing].map(([t, rs]) => [t, setOf(rs)]));
    liveStores.add(this);
    return () => liveStores.delete(this);
  }

  peek(tag: string): TagEntry | undefined {
    return this.entries.get(tag);
  }

  subscribe(tag: string, fn: () => void): () => void {
    let set = this.listeners.get(tag);
    if (!set) this.listeners.set(tag, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Records that `run` has new points of `tag`; true when the tag is listed. */
  moved(run: string, tag: string): boolean {
    const e = this.entries.get(tag);
    if (e && e.runs.has(run)) {
      e.stale.add(run);
      this.changed.add(tag);
    }
    return this.listing.get(tag)?.has(run) ?? false;
  }

  /** Marks every loaded run of every tag stale. */
  staleAll(): void {
    for (const [tag, e] of this.entries) {
      for (const r of e.runs.keys()) e.stale.add(r);
      this.changed.add(tag);
    }
    this.flush(true);
  }

  /**
   * Tells the cards of the tags that moved, each tag at most once per
   * LIVE_NOTIFY_MS: a run writing ten points a second makes its cards fetch
   * and redraw once a second, with the points gathered meanwhile. A reload
   * the user asked for tells them at once.
   */
  flush(immediate = false): void {
    const now = performance.now();
    for (const tag of this.changed) {
      const wait = immediate ? 0 : (this.notified.get(tag) ?? -Infinity) + LIVE_NOTIFY_MS - now;
      if (wait <= 0) {
        this.notified.set(tag, now);
        this.bump(tag);
      } else if (!this.later.has(tag)) {
        this.later.set(
          tag,
          window.setTimeout(() => {
            this.later.delete(tag);
            this.notified.set(tag, performance.now());
            this.bump(tag);
          }, wait),
        );
      }
    }
    this.changed.clear();
  }

  private bump(tag: string): void {
    const e = this.entries.get(tag);
    if (e) e.version++;
    for (const fn of this.listeners.get(tag) ?? []) fn();
  }

  private entry(tag: string): TagEntry {
    let e = this.entries.get(tag);
    if (!e) this.entries.set(tag, (e = { runs: new Map(), stale: new Set(), generation: 0, version: 0 }));
    return e;
  }

  /**
   * Brings `runs` of `tag` up to date: fetches what is missing or stale.
   * `buckets` is the pixel budget of a newly fetched run.
   */
  ensure(tag: string, runs: string[], buckets: number, generation: number): Promise<void> {
    const busy = this.running.get(tag);
    if (busy) return busy.then(() => this.ensure(tag, runs, buckets, generation));
    const p = this.update(tag, runs, buckets, generation).finally(() => this.running.delete(tag));
    this.running.set(tag, p);
    return p;
  }

  private async update(tag: string, runs: string[], buckets: number, generation: number): Promise<void> {
    const e = this.entry(tag);
    if (generation > e.generation) {
      // A reload without word of what moved: every loaded run may have.
      if (e.generation > 0 && !pushing) for (const r of e.runs.keys()) e.stale.add(r);
      e.generation = generation;
    }
    const missing = runs.filter((r) => !e.runs.has(r));
    const stale = runs.filter((r) => e.stale.has(r));
    if (missing.length === 0 && stale.length === 0) return;
    const after: Record<string, number> = {};
    for (const r of stale) {
      // A run without points yet is asked for whole.
      const st = e.runs.get(r)!.step;
      if (st.length) after[r] = st[st.length - 1];
    }
    // Only new points of moved runs: they come as points unless many
    // arrived (a card long off screen); a few points cost less than their
    // buckets, and the run is made coarser here once past twice its budget.
    const q: ScalarQuery = {buckets : missing.length ? buckets : Math.max(buckets, LIVE_POINTS)};
    const listed = this.listing.get(tag);
    // Everything the tag has and nothing loaded: no need to name the runs.
    const whole = e.runs.size === 0 && listed !== undefined && missing.length === listed.size;
    if (!whole) q.runs = [...missing, ...stale];
    if (Object.keys(after).length) q.after = after;
    const first = !this.firstChart;
    if (first) this.firstChart = new Promise((open) => (this.openFirst = open));
    else await this.firstChart;
    let res: TagScalars | null;
    try {
      res = await limited(() => fetchTagScalars(tag, q));
    } finally {
      // Should its card not draw (gone, failed), the others go on anyway.
      if (first) window.setTimeout(() => this.drawn(), FIRST_CHART_WAIT_MS);
    }
    if (!res) this.drawn();
    if (res) {
      for (const r of stale) e.stale.delete(r);
      // Asked for but not answered (gone, or no points of this tag):
      // remember as empty rather than ask again at every render.
      for (const r of missing) if (!res.runs.has(r)) e.runs.set(r, emptySeries());
      for (const [run, series] of res.runs) {
        const prev = e.runs.get(run);
        const merged = prev && run in after ? appendSeries(prev, series) : series;
        // A downsampled run grown past twice its budget: coarser buckets.
        e.runs.set(run, merged.min && merged.step.length > 2 * buckets ? halveBuckets(merged) : merged);
      }
      this.bump(tag);
      return;
    }
    // Upstream's routes: the whole tag, all runs.
    const result = await limited(() => this.upstream(tag));
    e.stale.clear();
    for (const [run, series] of result.runs) {
      const prev = e.runs.get(run);
      // Keep the previous object when nothing changed, so charts can skip work.
      const same =
        prev &&
        prev.step.length === series.step.length &&
        prev.step.every((v, i) => v === series.step[i]) &&
        prev.value.every((v, i) => Object.is(v, series.value[i]));
      if (!same) e.runs.set(run, { ...series, n: series.step.length, gen: 0 });
    }
    for (const run of [...e.runs.keys()]) if (!result.runs.has(run)) e.runs.delete(run);
    // Runs asked for but without data: remember them as empty, not missing.
    for (const run of missing) if (!e.runs.has(run)) e.runs.set(run, emptySeries());
    this.bump(tag);
  }
}
