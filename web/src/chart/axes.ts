// Axis ranges, ticks and tick labels that uPlot's defaults get wrong for
// training curves: log axes (uPlot's own log ticks assume the range starts
// on a power of ten and loop or fail otherwise), steps near 2^62 (labels
// that need many digits), and relative time (seconds, minutes or hours,
// whichever the tick spacing calls for). Every function here does bounded
// work whatever the range.
import { formatStep, formatTick } from '../format';

/** A value written as m·10^k, exact in decimal (no 0.30000000000000004). */
function decimal(m: number, k: number): number {
  return Number(`${m}e${k}`);
}

/** The 1, 2 or 5 times a power of ten nearest above `raw`. */
export function niceStep(raw: number): number {
  const k = Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    const s = decimal(m, k);
    if (s >= raw * (1 - 1e-9)) return s;
  }
  return decimal(1, k + 1);
}

/**
 * The y range of a log axis for positive data in [lo, hi]: widened by 5% of
 * the span on each side in log space (at least 2%), never to a power of
 * ten it does not need. No positive data gives [1, 10].
 */
export function logRange(lo: number, hi: number): [number, number] {
  if (!(lo > 0) || !(hi >= lo) || !Number.isFinite(hi)) return [1, 10];
  const pad = Math.pow(hi / lo, 0.05) * 1.02;
  const min = lo / pad;
  const max = hi * pad;
  return [min > 0 ? min : Number.MIN_VALUE, Number.isFinite(max) ? max : Number.MAX_VALUE];
}

export interface Ticks {
  /** Where grid lines go, ascending. */
  splits: number[];
  /** Whether splits[i] carries a label. */
  labelled: boolean[];
}

/**
 * Ticks of a log axis over [min, max] (0 < min < max) with room for about
 * `maxLabels` labels. Within a decade: evenly stepped round numbers, as on a
 * linear axis. Across decades: a grid line at each whole digit times a
 * power of ten, labels at the densest of {1..9}, {1, 2, 5}, {1, 3}, {1}
 * times a power of ten that fits; over many decades, every n-th power of
 * ten only.
 */
export function logTicks(min: number, max: number, maxLabels: number): Ticks {
  maxLabels = Math.max(2, Math.floor(maxLabels));
  if (!(min > 0) || !(max > min) || !Number.isFinite(max)) return { splits: [], labelled: [] };
  const kLo = Math.floor(Math.log10(min));
  const kHi = Math.floor(Math.log10(max));
  const inside = (v: number) => v >= min * (1 - 1e-12) && v <= max * (1 + 1e-12);
  if (kHi - kLo < 1 || max / min < 10) {
    const splits = linearTicks(min, max, maxLabels);
    return { splits, labelled: splits.map(() => true) };
  }
  const decades = kHi - kLo + 1;
  const collect = (mantissas: number[], every: number): number[] => {
    const out: number[] = [];
    for (let k = kLo; k <= kHi; k++) {
      if (((k % every) + every) % every !== 0) continue;
      for (const m of mantissas) {
        const v = decimal(m, k);
        if (inside(v)) out.push(v);
      }
    }
    return out;
  };
  let labels: number[] | null = null;
  for (const set of [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 5], [1, 3], [1]]) {
    const c = collect(set, 1);
    if (c.length <= maxLabels) {
      labels = c;
      break;
    }
  }
  if (labels === null) {
    const every = Math.ceil(decades / maxLabels);
    const splits = collect([1], every);
    return { splits, labelled: splits.map(() => true) };
  }
  // Minor grid lines at every digit while they stay a few pixels apart.
  const splits = decades * 9 <= maxLabels * 5 ? collect([1, 2, 3, 4, 5, 6, 7, 8, 9], 1) : labels;
  const keep = new Set(labels);
  return { splits, labelled: splits.map((v) => keep.has(v)) };
}

/** Round-numbered ticks stepping evenly through [min, max], at most `maxTicks` + 1. */
export function linearTicks(min: number, max: number, maxTicks: number): number[] {
  if (!(max > min) || !Number.isFinite(max - min)) return Number.isFinite(min) ? [min] : [];
  const step = niceStep((max - min) / Math.max(1, maxTicks));
  const first = Math.ceil(min / step);
  const last = Math.floor(max / step);
  const out: number[] = [];
  for (let i = first; i <= last && out.length <= maxTicks + 1; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/**
 * Step labels for ticks `splits`: k/M/B suffixes where they keep ticks
 * apart, otherwise as many significant digits as tell neighbours apart.
 */
export function stepLabels(splits: number[]): string[] {
  const vals = splits.map((v) => (v == null || !Number.isFinite(v) ? NaN : v));
  const plain = vals.map((v) => (Number.isNaN(v) ? '' : formatStep(v)));
  if (distinct(plain)) return plain;
  for (let digits = 4; digits <= 17; digits++) {
    const labels = vals.map((v) => (Number.isNaN(v) ? '' : compactNumber(v, digits)));
    if (distinct(labels)) return labels;
  }
  return plain;
}

function distinct(labels: string[]): boolean {
  const seen = labels.filter((l) => l !== '');
  return new Set(seen).size === seen.length;
}

/** `v` with `digits` significant digits: plain below 1e6, else 1.2345e18. */
function compactNumber(v: number, digits: number): string {
  if (Math.abs(v) < 1e6) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

/** Pixels between x ticks so `stepLabels` of such magnitudes do not touch. */
export function stepSpace(min: number, max: number, plotWidth: number): number {
  const mag = Math.max(Math.abs(min), Math.abs(max));
  const span = max - min;
  if (!(span > 0) || mag < 1e5) return 50;
  // Digits needed to tell ticks about span/8 apart at this magnitude.
  const digits = Math.min(17, Math.max(3, Math.ceil(Math.log10(mag / (span / 8))) + 1));
  const chars = mag >= 1e6 ? digits + 4 : digits;
  return Math.min(plotWidth / 2, Math.max(50, chars * 7 + 14));
}

const SEC = 1 / 3600; // relative time is in hours

/** Tick spacings for relative time, in hours: round seconds, minutes, hours, days. */
export const RELATIVE_INCRS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
  60, 120, 300, 600, 900, 1800,
  3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000,
].map((s) => s * SEC);

/** Ticks over [min, max] hours at the smallest RELATIVE_INCRS spacing giving at most `maxTicks`. */
export function relativeTicks(min: number, max: number, maxTicks: number): number[] {
  if (!(max > min) || !Number.isFinite(max - min)) return Number.isFinite(min) ? [min] : [];
  const want = (max - min) / Math.max(1, maxTicks);
  const incr = RELATIVE_INCRS.find((i) => i >= want) ?? niceStep(want / 8760) * 8760;
  const out: number[] = [];
  for (let i = Math.ceil(min / incr - 1e-9); i * incr <= max + incr * 1e-9 && out.length <= maxTicks + 1; i++) out.push(i * incr);
  return out;
}

/**
 * Relative-time labels for ticks `splits` (hours): in the unit the tick
 * spacing calls for, "30s", "2.5min", "6h", "3d", never "0.01h".
 */
export function relativeLabels(splits: number[]): string[] {
  const finite = splits.filter((v) => v != null && Number.isFinite(v));
  let incr = Infinity;
  for (let i = 1; i < finite.length; i++) incr = Math.min(incr, Math.abs(finite[i] - finite[i - 1]));
  if (!Number.isFinite(incr)) incr = finite.length ? Math.abs(finite[0]) : 1;
  const secs = incr * 3600;
  const [div, unit] = secs < 60 ? [SEC, 's'] : secs < 3600 ? [60 * SEC, 'min'] : secs < 86400 ? [1, 'h'] : [24, 'd'];
  return splits.map((v) => {
    if (v == null || !Number.isFinite(v)) return '';
    if (v === 0) return '0';
    return `${formatTick(Number((v / div).toPrecision(6)))}${unit}`;
  });
}
