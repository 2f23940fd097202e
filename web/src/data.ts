// Server data shared by the whole page: plugin listing, environment, run
// list, periodic refresh, and a cache of per-tag scalar series.
import { useEffect, useState } from 'preact/hooks';
import {
  Environment,
  PluginsListing,
  ScalarFetchResult,
  fetchEnvironment,
  fetchGeneration,
  fetchPluginsListing,
  fetchRuns,
} from './api';
import { RunColors } from './colors';
import { prefs } from './prefs';

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
    // Between full refreshes, ask the server once a second whether it
    // stored anything new, so a point written to disk shows within about a
    // second; the answer is a few bytes.
    this.liveTimer = window.setInterval(() => {
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
    }, 1000);
    return prefs.subscribe(() => this.schedule());
  }

  /** (Re)arms the polling timer after the refresh interval changed. */
  private schedule(): void {
    const sec = prefs.get().refreshSec;
    if (sec === this.interval) return;
    this.interval = sec;
    window.clearInterval(this.timer);
    this.timer = undefined;
    if (sec <= 0) return;
    this.timer = window.setInterval(() => {
      if (document.visibilityState === 'hidden' || this.paused) return;
      void this.refresh();
    }, sec * 1000);
  }

  /** Reloads the listing and runs, and tells every dashboard to refetch. */
  refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.set({ loading: true });
    this.inFlight = this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<void> {
    try {
      const [runs, plugins, env] = await Promise.all([fetchRuns(), fetchPluginsListing(), fetchEnvironment()]);
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
  const [state, setState] = useState<{ value: T | null; error: string | null; text: string; key: string }>({
    value: null,
    error: null,
    text: '',
    key,
  });
  useEffect(() => {
    let cancelled = false;
    fetcher().then(
      (v) => {
        if (cancelled) return;
        const text = JSON.stringify(v);
        setState((prev) => (prev.text === text && prev.key === key ? prev : { value: v, error: null, text, key }));
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

export interface CacheEntry {
  generation: number;
  result: ScalarFetchResult;
}

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

export class ScalarCache {
  private entries = new Map<string, CacheEntry>();
  private pending = new Map<string, Promise<CacheEntry>>();

  constructor(private readonly fetcher: (tag: string) => Promise<ScalarFetchResult>) {}

  peek(tag: string): CacheEntry | undefined {
    return this.entries.get(tag);
  }

  /** Data for `tag` at least as new as `generation`. */
  load(tag: string, generation: number): Promise<CacheEntry> {
    const have = this.entries.get(tag);
    if (have && have.generation >= generation) return Promise.resolve(have);
    const key = `${tag}\u0000${generation}`;
    const p = this.pending.get(key);
    if (p) return p;
    const promise = limited(() => this.fetcher(tag))
      .then((result) => {
        const prev = this.entries.get(tag);
        // Without an earlier answer there is nothing to compare yet: hash
        // the body once the page is idle, after the first draw.
        if (!prev) {
          const idle = window.requestIdleCallback ?? ((fn: () => void) => window.setTimeout(fn, 300));
          idle(() => void result.digest);
        }
        // Keep the previous object when nothing changed, so charts can skip a redraw.
        const entry: CacheEntry =
          prev && prev.result.digest === result.digest ? { generation, result: prev.result } : { generation, result };
        const cur = this.entries.get(tag);
        if (!cur || cur.generation <= generation) this.entries.set(tag, entry);
        return entry;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }
}
