// Server routes used by the PR curves, custom scalars and hparams
// dashboards. URLs are relative to the server root (see api.ts).
import { apiUrl, HttpError, toNumber } from '../api';

async function request(path: string, init?: RequestInit): Promise<unknown> {
  const resp = await fetch(apiUrl(path), { cache: 'no-store', ...init });
  const text = await resp.text();
  if (!resp.ok) throw new HttpError(resp.status, `${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

function postJson(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
  return request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nums(v: unknown): number[] {
  return Array.isArray(v) ? v.map(toNumber) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

// ---- PR curves ----

export interface PrEntry {
  wallTime: number;
  step: number;
  precision: number[];
  recall: number[];
  tp: number[];
  fp: number[];
  tn: number[];
  fn: number[];
  thresholds: number[];
}

/** Every stored step of one tag, for each of `runs`. */
export async function fetchPrCurves(runs: string[], tag: string, signal?: AbortSignal): Promise<Map<string, PrEntry[]>> {
  const q = new URLSearchParams();
  for (const r of runs) q.append('run', r);
  q.set('tag', tag);
  const body = await request(`data/plugin/pr_curves/pr_curves?${q}`, { signal });
  const out = new Map<string, PrEntry[]>();
  if (!isObject(body)) return out;
  for (const run of runs) {
    const list = body[run];
    if (!Array.isArray(list)) continue;
    out.set(
      run,
      list.filter(isObject).map((e) => ({
        wallTime: toNumber(e.wall_time),
        step: toNumber(e.step),
        precision: nums(e.precision),
        recall: nums(e.recall),
        tp: nums(e.true_positives),
        fp: nums(e.false_positives),
        tn: nums(e.true_negatives),
        fn: nums(e.false_negatives),
        thresholds: nums(e.thresholds),
      })),
    );
  }
  return out;
}

// ---- Custom scalars ----

export interface MarginSeries {
  value: string;
  lower: string;
  upper: string;
}

export interface LayoutChart {
  title: string;
  /** Multiline chart: tag regular expressions. */
  tags: string[] | null;
  /** Margin chart: exact tag names. */
  series: MarginSeries[] | null;
}

export interface LayoutCategory {
  title: string;
  closed: boolean;
  charts: LayoutChart[];
}

/** The merged layout; an empty list when no run has one. */
export async function fetchCustomLayout(signal?: AbortSignal): Promise<LayoutCategory[]> {
  const body = await request('data/plugin/custom_scalars/layout', { signal });
  if (!isObject(body) || !Array.isArray(body.category)) return [];
  return body.category.filter(isObject).map((c) => ({
    title: str(c.title),
    closed: c.closed === true,
    charts: (Array.isArray(c.chart) ? c.chart : []).filter(isObject).map((ch) => {
      const ml = isObject(ch.multiline) ? ch.multiline : null;
      const mg = isObject(ch.margin) ? ch.margin : null;
      return {
        title: str(ch.title),
        tags: ml ? (Array.isArray(ml.tag) ? ml.tag.filter((t): t is string => typeof t === 'string') : []) : null,
        series:
          mg && Array.isArray(mg.series)
            ? mg.series.filter(isObject).map((s) => ({ value: str(s.value), lower: str(s.lower), upper: str(s.upper) }))
            : null,
      };
    }),
  }));
}

export interface Points {
  wallTime: Float64Array;
  step: Float64Array;
  value: Float64Array;
}

function points(list: unknown): Points {
  const arr = Array.isArray(list) ? list.filter(Array.isArray) : [];
  const p: Points = {
    wallTime: new Float64Array(arr.length),
    step: new Float64Array(arr.length),
    value: new Float64Array(arr.length),
  };
  arr.forEach((e, i) => {
    p.wallTime[i] = toNumber(e[0]);
    p.step[i] = toNumber(e[1]);
    p.value[i] = toNumber(e[2]);
  });
  return p;
}

/** Scalar series of `run` whose tag matches `regex` at its start. */
export async function fetchCustomScalars(
  run: string,
  regex: string,
  signal?: AbortSignal,
): Promise<{ valid: boolean; tags: Map<string, Points> }> {
  const q = new URLSearchParams({ run, tag: regex });
  const body = await request(`data/plugin/custom_scalars/scalars?${q}`, { signal });
  const tags = new Map<string, Points>();
  if (!isObject(body)) return { valid: false, tags };
  const t2e = isObject(body.tag_to_events) ? body.tag_to_events : {};
  for (const tag of Object.keys(t2e).sort()) tags.set(tag, points(t2e[tag]));
  return { valid: body.regex_valid !== false, tags };
}

// ---- HParams ----

export type HType = 'number' | 'string' | 'bool';

export interface HParamInfo {
  name: string;
  label: string;
  type: HType;
  description: string;
}

export interface MetricName {
  group: string;
  tag: string;
}

export interface MetricInfo {
  name: MetricName;
  label: string;
  description: string;
}

export interface Experiment {
  hparams: HParamInfo[];
  metrics: MetricInfo[];
}

export function metricKey(m: MetricName): string {
  return `${m.group}\u0000${m.tag}`;
}

function metricName(v: unknown): MetricName {
  const o = isObject(v) ? v : {};
  return { group: str(o.group), tag: str(o.tag) };
}

export async function fetchExperiment(signal?: AbortSignal): Promise<Experiment> {
  const body = await postJson('data/plugin/hparams/experiment', { experimentName: '', includeMetrics: true }, signal);
  const o = isObject(body) ? body : {};
  const hparams = (Array.isArray(o.hparamInfos) ? o.hparamInfos : []).filter(isObject).map((h) => {
    const t = str(h.type);
    return {
      name: str(h.name),
      label: str(h.displayName) || str(h.name),
      type: (t === 'DATA_TYPE_FLOAT64' ? 'number' : t === 'DATA_TYPE_BOOL' ? 'bool' : 'string') as HType,
      description: str(h.description),
    };
  });
  const metrics = (Array.isArray(o.metricInfos) ? o.metricInfos : []).filter(isObject).map((m) => {
    const name = metricName(m.name);
    return {
      name,
      label: str(m.displayName) || (name.group ? `${name.group}/${name.tag}` : name.tag),
      description: str(m.description),
    };
  });
  return { hparams, metrics };
}

export type HValue = number | string | boolean;

export interface Session {
  name: string;
  status: string;
  /** metricKey of every metric the session has a value for. */
  metrics: Set<string>;
}

export interface SessionGroup {
  name: string;
  hparams: Map<string, HValue>;
  /** Aggregated metric values by metricKey. */
  metrics: Map<string, number>;
  sessions: Session[];
}

export async function fetchSessionGroups(exp: Experiment, signal?: AbortSignal): Promise<SessionGroup[]> {
  const colParams = [
    ...exp.hparams.map((h) => ({ hparam: h.name, includeInResult: true })),
    ...exp.metrics.map((m) => ({ metric: m.name, includeInResult: true })),
  ];
  const body = await postJson(
    'data/plugin/hparams/session_groups',
    {
      experimentName: '',
      allowedStatuses: ['STATUS_FAILURE', 'STATUS_RUNNING', 'STATUS_SUCCESS', 'STATUS_UNKNOWN'],
      colParams,
      startIndex: 0,
      sliceSize: 1000000,
      includeMetrics: true,
    },
    signal,
  );
  const o = isObject(body) ? body : {};
  return (Array.isArray(o.sessionGroups) ? o.sessionGroups : []).filter(isObject).map((g) => {
    const hparams = new Map<string, HValue>();
    if (isObject(g.hparams)) {
      for (const [k, v] of Object.entries(g.hparams)) {
        if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') hparams.set(k, v);
      }
    }
    const metrics = new Map<string, number>();
    for (const mv of Array.isArray(g.metricValues) ? g.metricValues.filter(isObject) : []) {
      metrics.set(metricKey(metricName(mv.name)), toNumber(mv.value));
    }
    const sessions = (Array.isArray(g.sessions) ? g.sessions : [])
      .filter(isObject)
      .map((s) => ({
        name: str(s.name),
        status: str(s.status),
        metrics: new Set(
          (Array.isArray(s.metricValues) ? s.metricValues.filter(isObject) : []).map((mv) => metricKey(metricName(mv.name))),
        ),
      }));
    return { name: str(g.name), hparams, metrics, sessions };
  });
}

/** One session's values of one metric over steps; null when it has none. */
export async function fetchMetricEvals(session: string, metric: MetricName, signal?: AbortSignal): Promise<Points | null> {
  try {
    const body = await postJson(
      'data/plugin/hparams/metric_evals',
      { experimentName: '', sessionName: session, metricName: metric },
      signal,
    );
    return points(body);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null;
    throw err;
  }
}
