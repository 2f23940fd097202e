// Server routes of the hparams dashboard. URLs are relative to the server
// root (see api.ts).
import { asString, HttpError, isObject, postJson, toNumber } from '../api';
import { parsePoints, type Points } from './custom_scalars_api';

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
  return { group: asString(o.group), tag: asString(o.tag) };
}

export async function fetchExperiment(signal?: AbortSignal): Promise<Experiment> {
  const body = await postJson('data/plugin/hparams/experiment', { experimentName: '', includeMetrics: true }, signal);
  const o = isObject(body) ? body : {};
  const hparams = (Array.isArray(o.hparamInfos) ? o.hparamInfos : []).filter(isObject).map((h) => {
    const t = asString(h.type);
    return {
      name: asString(h.name),
      label: asString(h.displayName) || asString(h.name),
      type: (t === 'DATA_TYPE_FLOAT64' ? 'number' : t === 'DATA_TYPE_BOOL' ? 'bool' : 'string') as HType,
      description: asString(h.description),
    };
  });
  const metrics = (Array.isArray(o.metricInfos) ? o.metricInfos : []).filter(isObject).map((m) => {
    const name = metricName(m.name);
    return {
      name,
      label: asString(m.displayName) || (name.group ? `${name.group}/${name.tag}` : name.tag),
      description: asString(m.description),
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
        name: asString(s.name),
        status: asString(s.status),
        metrics: new Set(
          (Array.isArray(s.metricValues) ? s.metricValues.filter(isObject) : []).map((mv) => metricKey(metricName(mv.name))),
        ),
      }));
    return { name: asString(g.name), hparams, metrics, sessions };
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
    return parsePoints(body);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null;
    throw err;
  }
}
