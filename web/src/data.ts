// Server data shared by the whole page: run list, environment, tag listing,
// periodic refresh, and a cache of per-tag scalar series.
import { useEffect, useState } from 'preact/hooks';
import {
  Environment,
  ScalarFetchResult,
  TimeSeriesTags,
  fetchEnvironment,
  fetchRuns,
  fetchScalars,
  fetchTimeSeriesTags,
} from './api';
import { RunColors } from './colors';

export interface DataState {
  runs: string[];
  env: Environment | null;
  tags: TimeSeriesTags | null;
  /** Bumped whenever chart data should be fetched again. */
  generation: number;
  loading: boolean;
  error: string | null;
  lastUpdated: number | null;
}

const POLL_MS = 5000;
/** Even when runs and tags are unchanged, refetch chart data this often. */
const DATA_REFRESH_TICKS = 6;

class DataStore {
  readonly colors = new RunColors();
  private state: DataState = {
    runs: [],
    env: null,
    tags: null,
    generation: 0,
    loading: true,
    error: null,
    lastUpdated: null,
  };
  private listeners = new Set<(s: DataState) => void>();
  private runsText = '';
  private tagsText = '';
  private ticks = 0;
  private inFlight: Promise<void> | null = null;
  private timer: number | undefined;

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

  start(): void {
    if (this.timer !== undefined) return;
    void this.refresh(true);
    this.timer = window.setInterval(() => {
      if (document.visibilityState === 'hidden') return;
      this.ticks++;
      void this.refresh(this.ticks % DATA_REFRESH_TICKS === 0);
    }, POLL_MS);
  }

  /** Reloads runs and tags; `force` also makes every chart refetch. */
  refresh(force = false): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.set({ loading: true });
    this.inFlight = this.doRefresh(force).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(force: boolean): Promise<void> {
    try {
      const [runs, tags, env] = await Promise.all([
        fetchRuns(),
        fetchTimeSeriesTags(),
        this.state.env && !force ? Promise.resolve(this.state.env) : fetchEnvironment(),
      ]);
      const runsText = JSON.stringify(runs);
      const tagsText = JSON.stringify(tags.scalars);
      const changed = runsText !== this.runsText || tagsText !== this.tagsText;
      this.colors.assign(runs);
      const patch: Partial<DataState> = { loading: false, error: null, lastUpdated: Date.now(), env };
      if (changed) {
        this.runsText = runsText;
        this.tagsText = tagsText;
        patch.runs = runs;
        patch.tags = tags;
      }
      if (changed || force) patch.generation = this.state.generation + 1;
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

// --- per-tag scalar series, fetched on demand with bounded concurrency.

interface CacheEntry {
  generation: number;
  result: ScalarFetchResult;
}

const MAX_CONCURRENT = 6;

class ScalarCache {
  private entries = new Map<string, CacheEntry>();
  private pending = new Map<string, Promise<CacheEntry>>();
  private queue: Array<() => void> = [];
  private active = 0;

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
    const promise = this.schedule(() => fetchScalars(tag))
      .then((result) => {
        const prev = this.entries.get(tag);
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

  private schedule<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.active++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            const next = this.queue.shift();
            if (next) next();
          });
      };
      if (this.active < MAX_CONCURRENT) run();
      else this.queue.push(run);
    });
  }
}

export const scalarCache = new ScalarCache();
