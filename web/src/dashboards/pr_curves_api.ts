// Server routes of the PR curves dashboard. URLs are relative to the
// server root (see api.ts).
import { getJson, isObject, toNumber, toNumbers } from '../api';

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
  const body = await getJson(`data/plugin/pr_curves/pr_curves?${q}`, signal);
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
        precision: toNumbers(e.precision),
        recall: toNumbers(e.recall),
        tp: toNumbers(e.true_positives),
        fp: toNumbers(e.false_positives),
        tn: toNumbers(e.true_negatives),
        fn: toNumbers(e.false_negatives),
        thresholds: toNumbers(e.thresholds),
      })),
    );
  }
  return out;
}
