import { prefs } from './prefs';

// Stable run colours: a run keeps the palette slot it got when first seen,
// and slots are handed out in run order (the order of data/runs).

const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#3949ab', '#f4511e', '#00897b', '#c0ca33', '#8e24aa',
  '#6d4c41', '#d81b60', '#546e7a', '#fdd835', '#039be5',
];

export class RunColors {
  private slots = new Map<string, number>();

  /** Registers runs in order; returns true if any run was new. */
  assign(runs: string[]): boolean {
    let changed = false;
    for (const r of runs) {
      if (!this.slots.has(r)) {
        this.slots.set(r, this.slots.size);
        changed = true;
      }
    }
    return changed;
  }

  color(run: string): string {
    const picked = prefs.get().runColors[run];
    if (picked) return picked;
    const slot = this.slots.get(run) ?? 0;
    return PALETTE[slot % PALETTE.length];
  }
}

/**
 * The group of `run` under the grouping `mode` (see Settings.runGroup), or
 * null when the run stands alone: 'dir' groups by the first path component,
 * 're:PATTERN' by the regex's capture groups (or its whole match). An
 * invalid regex groups nothing.
 */
export function runGroupOf(run: string, mode: string, re: RegExp | null): string | null {
  if (mode === 'dir') {
    const i = run.indexOf('/');
    return i > 0 ? run.slice(0, i) : null;
  }
  if (!mode.startsWith('re:') || !re) return null;
  const m = re.exec(run);
  if (!m) return null;
  return m.length > 1 ? m.slice(1).map((g) => g ?? '').join(' ') : m[0];
}

/** The regex of a 're:' grouping (case-insensitive), or null. */
export function runGroupRegex(mode: string): RegExp | null {
  if (!mode.startsWith('re:') || mode.length === 3) return null;
  try {
    return new RegExp(mode.slice(3), 'i');
  } catch {
    return null;
  }
}

/**
 * Colours when runs are grouped: every run of a group gets the group's
 * palette slot (groups numbered in run order); runs in no group follow
 * with slots of their own. A colour picked by hand still wins.
 */
export function groupedColors(runs: string[], mode: string): Map<string, string> {
  const re = runGroupRegex(mode);
  const slots = new Map<string, number>();
  const out = new Map<string, string>();
  for (const run of runs) {
    const g = runGroupOf(run, mode, re);
    const key = g === null ? '\u0000' + run : g;
    if (!slots.has(key)) slots.set(key, slots.size);
    out.set(run, prefs.get().runColors[run] || PALETTE[slots.get(key)! % PALETTE.length]);
  }
  return out;
}

/** The palette colour of a stable hash (a group's key): the same whatever else is shown. */
export function keyColor(key: number): string {
  return PALETTE[(key >>> 0) % PALETTE.length];
}

/** Same colour with an alpha channel, for the faint raw line. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Sets (or with null, resets) the colour of a run; persisted. */
export function setRunColor(run: string, color: string | null): void {
  const runColors = { ...prefs.get().runColors };
  if (color) runColors[run] = color;
  else delete runColors[run];
  prefs.update({ runColors });
}
