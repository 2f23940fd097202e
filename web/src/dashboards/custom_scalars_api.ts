// Server routes of the custom scalars dashboard. URLs are relative to the
// server root (see api.ts).
import { asString, getJson, isObject, toNumber } from '../api';

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
  const body = await getJson('data/plugin/custom_scalars/layout', signal);
  if (!isObject(body) || !Array.isArray(body.category)) return [];
  return body.category.filter(isObject).map((c) => ({
    title: asString(c.title),
    closed: c.closed === true,
    charts: (Array.isArray(c.chart) ? c.chart : []).filter(isObject).map((ch) => {
      const ml = isObject(ch.multiline) ? ch.multiline : null;
      const mg = isObject(ch.margin) ? ch.margin : null;
      return {
        title: asString(ch.title),
        tags: ml ? (Array.isArray(ml.tag) ? ml.tag.filter((t): t is string => typeof t === 'string') : []) : null,
        series:
          mg && Array.isArray(mg.series)
            ? mg.series.filter(isObject).map((s) => ({ value: asString(s.value), lower: asString(s.lower), upper: asString(s.upper) }))
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

/** Points [[wall_time, step, value], ...] as columns. */
export function parsePoints(list: unknown): Points {
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
  const body = await getJson(`data/plugin/custom_scalars/scalars?${q}`, signal);
  const tags = new Map<string, Points>();
  if (!isObject(body)) return { valid: false, tags };
  const t2e = isObject(body.tag_to_events) ? body.tag_to_events : {};
  for (const tag of Object.keys(t2e).sort()) tags.set(tag, parsePoints(t2e[tag]));
  return { valid: body.regex_valid !== false, tags };
}
