// Access to the server's HTTP API. Every URL is relative to the server root
// announced by the page's <meta name="tb-relative-root">, so the UI keeps
// working under --path_prefix.

export interface Environment {
  version?: string;
  data_location?: string;
  window_title?: string;
  experiment_name?: string;
}

export interface TagListing {
  runTagInfo: Record<string, string[]>;
  tagDescriptions: Record<string, string>;
}

export interface TimeSeriesTags {
  scalars: TagListing;
  histograms?: TagListing;
  images?: unknown;
}

/** One run's scalar series, stored column-wise. */
export interface ScalarSeries {
  wallTime: Float64Array;
  step: Float64Array;
  value: Float64Array;
}

/** Scalar series of one tag, keyed by run. */
export type RunToScalars = Map<string, ScalarSeries>;

function relativeRoot(): string {
  const meta = document.querySelector('meta[name="tb-relative-root"]');
  let root = meta?.getAttribute('content') || './';
  if (!root.endsWith('/')) root += '/';
  return root;
}

const ROOT = relativeRoot();

export function apiUrl(path: string): string {
  return ROOT + path;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function fetchText(path: string, init?: RequestInit): Promise<string> {
  const resp = await fetch(apiUrl(path), { cache: 'no-store', ...init });
  const text = await resp.text();
  if (!resp.ok) throw new HttpError(resp.status, `${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  return text;
}

/** JSON numbers may come as the strings "NaN", "Infinity", "-Infinity". */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string') {
    const n = Number(v);
    return v.trim() !== '' && !Number.isNaN(n) ? n : NaN;
  }
  return NaN;
}

export async function fetchRuns(): Promise<string[]> {
  const runs = JSON.parse(await fetchText('data/runs'));
  return Array.isArray(runs) ? runs.filter((r): r is string => typeof r === 'string') : [];
}

export async function fetchEnvironment(): Promise<Environment> {
  return JSON.parse(await fetchText('data/environment')) as Environment;
}

export async function fetchTimeSeriesTags(): Promise<TimeSeriesTags> {
  const t = JSON.parse(await fetchText('data/plugin/timeseries/tags')) as Partial<TimeSeriesTags>;
  const scalars = t.scalars ?? { runTagInfo: {}, tagDescriptions: {} };
  return {
    ...t,
    scalars: { runTagInfo: scalars.runTagInfo ?? {}, tagDescriptions: scalars.tagDescriptions ?? {} },
  };
}

interface RawDatum {
  wallTime: unknown;
  step: unknown;
  value: unknown;
}

function columns(points: RawDatum[]): ScalarSeries {
  const n = points.length;
  const s: ScalarSeries = {
    wallTime: new Float64Array(n),
    step: new Float64Array(n),
    value: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const p = points[i];
    s.wallTime[i] = toNumber(p.wallTime);
    s.step[i] = toNumber(p.step);
    s.value[i] = toNumber(p.value);
  }
  return s;
}

export interface ScalarFetchResult {
  /** A hash of the response body, to detect whether anything changed. */
  digest: string;
  runs: RunToScalars;
}

/** 32-bit FNV-1a of a string, plus its length. Cheap change detection. */
function digestOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

/** All runs' scalar series for one tag (Time Series API). */
export async function fetchScalars(tag: string, signal?: AbortSignal): Promise<ScalarFetchResult> {
  const form = new FormData();
  form.append('requests', JSON.stringify([{ plugin: 'scalars', tag }]));
  const text = await fetchText('data/plugin/timeseries/timeSeries', { method: 'POST', body: form, signal });
  const parsed = JSON.parse(text);
  const runs: RunToScalars = new Map();
  const first = Array.isArray(parsed) ? parsed[0] : null;
  if (!first || typeof first !== 'object') throw new Error(`timeSeries: unexpected answer for ${tag}`);
  if (typeof first.error === 'string') throw new Error(`timeSeries: ${first.error}`);
  const rts = first.runToSeries ?? {};
  for (const run of Object.keys(rts)) {
    if (Array.isArray(rts[run])) runs.set(run, columns(rts[run] as RawDatum[]));
  }
  return { digest: digestOf(text), runs };
}
