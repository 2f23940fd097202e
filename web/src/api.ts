// Access to the server's HTTP API. Every URL is relative to the server root
// announced by the page's <meta name="tb-relative-root">, so the UI keeps
// working under --path_prefix. In a snapshot page (snapshot.ts) the same
// wrapper answers from the data stored in the page.
import { isSnapshot, snapshotFetch, snapshotUrl } from './snapshot';

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

export interface ImageTagListing {
  tagDescriptions: Record<string, string>;
  tagRunSampledInfo: Record<string, Record<string, { maxSamplesPerStep: number }>>;
}

/**
 * One kind's tags of the Time Series listing: each tag once, with the runs
 * that have it as flat half-open ranges [from, to) of indices into the
 * listing's `runs`.
 */
export interface KindTags {
  tags: Record<string, number[]>;
  tagDescriptions: Record<string, string>;
}

export interface TimeSeriesTags {
  runs: string[];
  scalars: KindTags;
  histograms: KindTags;
  images: ImageTagListing;
}

export interface PluginEntry {
  tab_name: string;
  enabled: boolean;
  disable_reload: boolean;
}

/** Plugin name -> entry, in tab order. */
export type PluginsListing = Array<[string, PluginEntry]>;

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
  return (isSnapshot && snapshotUrl(path)) || ROOT + path;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The one wrapper around fetch(): requests `path` (relative to the server
 * root) without the HTTP cache and rejects with HttpError on a non-2xx
 * answer, quoting the start of its body.
 */
export async function request(path: string, init?: RequestInit): Promise<Response> {
  const resp = isSnapshot ? await snapshotFetch(path, init) : await fetch(apiUrl(path), { cache: 'no-store', ...init });
  if (!resp.ok) {
    const text = await resp.text();
    throw new HttpError(resp.status, `${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  }
  return resp;
}

const marked = new Set<string>();

/**
 * A `performance` mark the first time the page reaches `name` (answers
 * parsed, first chart drawn): the steps of the first chart, read by
 * bench/web_scale.mjs. Once each, so a page left open keeps no growing
 * list of marks.
 */
export function markOnce(name: string): void {
  if (marked.has(name)) return;
  marked.add(name);
  performance.mark(name);
}

async function fetchText(path: string, init?: RequestInit): Promise<string> {
  return (await request(path, init)).text();
}

/** GET a text document. */
export function getText(path: string, signal?: AbortSignal): Promise<string> {
  return fetchText(path, { signal });
}

/** GET a JSON document. */
export async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  return JSON.parse(await fetchText(path, { signal }));
}

/** POST `body` as JSON and parse the JSON answer. */
export async function postJson(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
  const text = await fetchText(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return JSON.parse(text);
}

/** A URL query string from parameters. */
export function query(params: Record<string, string | number>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  return p.toString();
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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

/** Every element of a JSON array through toNumber; [] for anything else. */
export function toNumbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map(toNumber) : [];
}

/** A JSON string, or '' for anything else. */
export function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** tboard's change counter: it moves whenever the server stored new data. */
export async function fetchGeneration(): Promise<number> {
  const obj = JSON.parse(await fetchText('data/tboard/generation')) as { generation?: unknown };
  return typeof obj.generation === 'number' ? obj.generation : -1;
}

export async function fetchRuns(): Promise<string[]> {
  const runs = JSON.parse(await fetchText('data/runs'));
  markOnce('tb:runs');
  return Array.isArray(runs) ? runs.filter((r): r is string => typeof r === 'string') : [];
}

export async function fetchEnvironment(): Promise<Environment> {
  return JSON.parse(await fetchText('data/environment')) as Environment;
}

export async function fetchPluginsListing(): Promise<PluginsListing> {
  const obj = JSON.parse(await fetchText('data/plugins_listing')) as Record<string, Partial<PluginEntry>>;
  return Object.entries(obj ?? {}).map(([name, e]) => [
    name,
    { tab_name: String(e?.tab_name ?? name), enabled: !!e?.enabled, disable_reload: !!e?.disable_reload },
  ]);
}

/** Upstream's run -> tags into KindTags over `runs` (their order). */
function kindTags(t: Partial<TagListing> | undefined, index: Map<string, number>): KindTags {
  const tags: Record<string, number[]> = Object.create(null);
  for (const [run, list] of Object.entries(t?.runTagInfo ?? {})) {
    const i = index.get(run)!;
    for (const tag of list) {
      let ranges = tags[tag];
      if (!ranges) tags[tag] = ranges = [];
      if (ranges.length && ranges[ranges.length - 1] === i) ranges[ranges.length - 1] = i + 1;
      else ranges.push(i, i + 1);
    }
  }
  return { tags, tagDescriptions: t?.tagDescriptions ?? {} };
}

/** tboard's own routes the server answered 404 or 405 to: not asked again. */
const absentRoutes = new Set<string>();

/**
 * The text of one of tboard's own routes (`data/tboard/...`), or null when
 * the server does not have it (an older server, a snapshot), so the caller
 * falls back to upstream's routes.
 */
async function fetchOwnRoute(path: string, init?: RequestInit): Promise<string | null> {
  if (absentRoutes.has(path)) return null;
  try {
    return await fetchText(path, init);
  } catch (e) {
    if (e instanceof HttpError && (e.status === 404 || e.status === 405)) {
      absentRoutes.add(path);
      return null;
    }
    throw e;
  }
}

/** tboard's listing (GET /data/tboard/tags), or null when the server (or a snapshot) does not have it. */
async function fetchTboardTags(): Promise<TimeSeriesTags | null> {
  const text = await fetchOwnRoute('data/tboard/tags');
  if (text === null) return null;
  type Kind = { tags?: Record<string, number[]>; samples?: Record<string, number[]>; tagDescriptions?: Record<string, string> };
  const t = JSON.parse(text) as { runs?: string[]; scalars?: Kind; histograms?: Kind; images?: Kind };
  const runs = Array.isArray(t.runs) ? t.runs : [];
  const kind = (k: Kind | undefined): KindTags => ({
    tags: k?.tags ?? {},
    tagDescriptions: k?.tagDescriptions ?? {},
  });
  // Images keep upstream's tag -> run -> samples shape; they are few.
  const tagRunSampledInfo: ImageTagListing['tagRunSampledInfo'] = {};
  for (const [tag, ranges] of Object.entries(t.images?.tags ?? {})) {
    const samples = t.images?.samples?.[tag] ?? [];
    const perRun: Record<string, { maxSamplesPerStep: number }> = {};
    let at = 0;
    for (let r = 0; r + 1 < ranges.length; r += 2)
      for (let i = ranges[r]; i < ranges[r + 1]; i++) perRun[runs[i]] = { maxSamplesPerStep: samples[at++] ?? 1 };
    tagRunSampledInfo[tag] = perRun;
  }
  return {
    runs,
    scalars: kind(t.scalars),
    histograms: kind(t.histograms),
    images: { tagDescriptions: t.images?.tagDescriptions ?? {}, tagRunSampledInfo },
  };
}

/**
 * The Time Series listing: tboard's compact route, or upstream's
 * (/data/plugin/timeseries/tags, every tag per run) where it is absent.
 */
export async function fetchTimeSeriesTags(): Promise<TimeSeriesTags> {
  const own = await fetchTboardTags();
  if (own) {
    markOnce('tb:tags');
    return own;
  }
  const t = JSON.parse(await fetchText('data/plugin/timeseries/tags')) as {
    scalars?: TagListing;
    histograms?: TagListing;
    images?: Partial<ImageTagListing>;
  };
  const runs = [...new Set([...Object.keys(t.scalars?.runTagInfo ?? {}), ...Object.keys(t.histograms?.runTagInfo ?? {})])];
  const index = new Map(runs.map((r, i) => [r, i]));
  markOnce('tb:tags');
  return {
    runs,
    scalars: kindTags(t.scalars, index),
    histograms: kindTags(t.histograms, index),
    images: {
      tagDescriptions: t.images?.tagDescriptions ?? {},
      tagRunSampledInfo: t.images?.tagRunSampledInfo ?? {},
    },
  };
}

/** The scalars plugin's listing, reshaped like the Time Series one. */
export async function fetchScalarPluginTags(): Promise<TagListing> {
  const obj = JSON.parse(await fetchText('data/plugin/scalars/tags')) as Record<
    string,
    Record<string, { description?: string }>
  >;
  const out: TagListing = { runTagInfo: {}, tagDescriptions: {} };
  for (const [run, tags] of Object.entries(obj ?? {})) {
    out.runTagInfo[run] = Object.keys(tags ?? {}).sort();
    for (const [tag, info] of Object.entries(tags ?? {})) {
      if (info?.description && !out.tagDescriptions[tag]) out.tagDescriptions[tag] = info.description;
    }
  }
  return out;
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
  runs: RunToScalars;
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
  return { runs };
}

/** One tag for the given runs via the scalars plugin's multi-run route. */
export async function fetchScalarsMultirun(tag: string, runs: string[]): Promise<ScalarFetchResult> {
  const form = new FormData();
  form.append('tag', tag);
  for (const r of runs) form.append('runs', r);
  const text = await fetchText('data/plugin/scalars/scalars_multirun', { method: 'POST', body: form });
  const parsed = JSON.parse(text) as Record<string, unknown[][]>;
  const out: RunToScalars = new Map();
  for (const run of Object.keys(parsed ?? {})) {
    const pts = parsed[run];
    if (!Array.isArray(pts)) continue;
    out.set(run, columns(pts.map((p) => ({ wallTime: p[0], step: p[1], value: p[2] }))));
  }
  return { runs: out };
}

/**
 * One run's scalars as tboard's own route answers them: every point of the
 * asked range, or, past the pixel budget, one entry per bucket where `step`
 * and `value` are the bucket's last point and `min`/`max` its envelope.
 */
export interface RunScalars extends ScalarSeries {
  /** Points the range holds on the server (more than drawn when bucketed). */
  n: number;
  /** The run's change counter on the server. */
  gen: number;
  /** Per bucket: first step, and lowest and highest value. */
  firstStep?: Float64Array;
  min?: Float64Array;
  max?: Float64Array;
}

export interface TagScalars {
  generation: number;
  runs: Map<string, RunScalars>;
}

export interface ScalarQuery {
  /** Runs to answer; omitted means every run with the tag. */
  runs?: string[];
  /** Per run: only points with a larger step. */
  after?: Record<string, number>;
  /** Step range (inclusive). */
  start?: number;
  end?: number;
  /** Pixel budget: above this many points a run comes bucketed. */
  buckets?: number;
}

/** The columns of a run in a tboard scalars answer that the page reads. */
const SCALAR_COLUMNS = ['wall', 'step', 'value', 'step_last', 'last', 'min', 'max'];

/**
 * One tag's scalars from tboard's own route (POST /data/tboard/scalars).
 * Resolves to null when the server does not have that route, so callers
 * fall back to upstream's routes.
 */
export async function fetchTagScalars(tag: string, q: ScalarQuery, signal?: AbortSignal): Promise<TagScalars | null> {
  const body: Record<string, unknown> = { tag };
  if (q.runs) body.runs = q.runs;
  if (q.after && Object.keys(q.after).length) body.after = q.after;
  if (q.start !== undefined) body.start = q.start;
  if (q.end !== undefined) body.end = q.end;
  if (q.buckets !== undefined) body.buckets = q.buckets;
  markOnce('tb:scalars-ask');
  const text = await fetchOwnRoute('data/tboard/scalars', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (text === null) return null;
  const parsed = JSON.parse(text) as { generation?: unknown; runs?: Record<string, Record<string, unknown>> };
  const entries = Object.entries(parsed.runs ?? {}).filter(([, r]) => r && typeof r === 'object');
  // Every column of every run as a view into one array: an array each
  // (six a run) cost several times the JSON parse at 1000 runs.
  let total = 0;
  for (const [, r] of entries) for (const c of SCALAR_COLUMNS) if (Array.isArray(r[c])) total += (r[c] as unknown[]).length;
  const all = new Float64Array(total);
  let at = 0;
  const column = (a: unknown): Float64Array => {
    const start = at;
    if (Array.isArray(a)) for (let i = 0; i < a.length; i++) all[at++] = toNumber(a[i]);
    return all.subarray(start, at);
  };
  const runs = new Map<string, RunScalars>();
  for (const [run, r] of entries) {
    const n = toNumber(r.n);
    const gen = toNumber(r.gen);
    const wallTime = column(r.wall);
    if (r.bucketed) {
      runs.set(run, { n, gen, wallTime, step: column(r.step_last), value: column(r.last), firstStep: column(r.step), min: column(r.min), max: column(r.max) });
    } else {
      runs.set(run, { n, gen, wallTime, step: column(r.step), value: column(r.value) });
    }
  }
  markOnce('tb:scalars-parsed');
  return { generation: toNumber(parsed.generation), runs };
}

/** URL of one run's scalar series for download. */
export function scalarDownloadUrl(run: string, tag: string, format: 'csv' | 'json'): string {
  const q = new URLSearchParams({ run, tag, format });
  return apiUrl('data/plugin/scalars/scalars?' + q.toString());
}

export interface HistogramBin {
  min: number;
  max: number;
  count: number;
}

export interface HistogramStep {
  wallTime: number;
  step: number;
  bins: HistogramBin[];
}

async function timeSeriesRequest(request: object, signal?: AbortSignal): Promise<Record<string, unknown[]>> {
  const form = new FormData();
  form.append('requests', JSON.stringify([request]));
  const text = await fetchText('data/plugin/timeseries/timeSeries', { method: 'POST', body: form, signal });
  const parsed = JSON.parse(text);
  const first = Array.isArray(parsed) ? parsed[0] : null;
  if (!first || typeof first !== 'object') throw new Error('timeSeries: unexpected answer');
  if (typeof first.error === 'string') throw new Error(`timeSeries: ${first.error}`);
  return (first.runToSeries ?? {}) as Record<string, unknown[]>;
}

/** One run's histograms of a tag (Time Series API), oldest first. */
export async function fetchHistograms(run: string, tag: string): Promise<HistogramStep[]> {
  const rts = await timeSeriesRequest({ plugin: 'histograms', tag, run });
  const pts = (rts[run] ?? []) as Array<{ wallTime: unknown; step: unknown; bins?: Array<Record<string, unknown>> }>;
  return pts.map((p) => ({
    wallTime: toNumber(p.wallTime),
    step: toNumber(p.step),
    bins: (p.bins ?? []).map((b) => ({ min: toNumber(b.min), max: toNumber(b.max), count: toNumber(b.count) })),
  }));
}

export interface ImageStep {
  wallTime: number;
  step: number;
  imageId: string;
}

/** One run's images of a tag at one sample index (Time Series API). */
export async function fetchImages(run: string, tag: string, sample: number): Promise<ImageStep[]> {
  const rts = await timeSeriesRequest({ plugin: 'images', tag, run, sample });
  const pts = (rts[run] ?? []) as Array<{ wallTime: unknown; step: unknown; imageId?: unknown }>;
  return pts
    .filter((p) => typeof p.imageId === 'string')
    .map((p) => ({ wallTime: toNumber(p.wallTime), step: toNumber(p.step), imageId: p.imageId as string }));
}

export function imageUrl(imageId: string): string {
  return apiUrl('data/plugin/timeseries/imageData?imageId=' + encodeURIComponent(imageId));
}

/** One log directory the server reads, as given on its command line. */
export interface LogdirInfo {
  name: string | null;
  path: string;
  exists: boolean;
  is_directory: boolean;
}

/** tboard's status route: the log directories and how many runs were found. */
export async function fetchStatus(): Promise<{ logdirs: LogdirInfo[]; runs: number }> {
  const obj = JSON.parse(await fetchText('data/tboard/status')) as { logdirs?: LogdirInfo[]; runs?: number };
  return { logdirs: Array.isArray(obj.logdirs) ? obj.logdirs : [], runs: typeof obj.runs === 'number' ? obj.runs : 0 };
}
