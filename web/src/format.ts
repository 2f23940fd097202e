// Number and time formatting shared by charts and tooltips.

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(5)));
}

/** `s` with the characters HTML and SVG give a meaning to written as entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Short axis label; trims trailing zeros. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace(/\.0e/, 'e');
  return String(Number(v.toPrecision(4)));
}

export function formatStep(v: number): string {
  if (Math.abs(v) >= 1e4) {
    const units: Array<[number, string]> = [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
    for (const [d, s] of units) if (Math.abs(v) >= d) return `${Number((v / d).toPrecision(3))}${s}`;
  }
  return String(Math.round(v * 1000) / 1000);
}

/** A duration in hours as "1h 2m 3s" / "45.2s". */
export function formatDuration(hours: number): string {
  if (!Number.isFinite(hours)) return String(hours);
  let s = hours * 3600;
  const neg = s < 0;
  s = Math.abs(s);
  let out: string;
  if (s < 60) out = `${Number(s.toPrecision(3))}s`;
  else {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = Math.floor(s % 60);
    out = h > 0 ? `${h}h ${m}m ${sec}s` : `${m}m ${sec}s`;
  }
  return neg ? '-' + out : out;
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Local wall-clock time of a Unix timestamp in seconds. */
export function formatWallTime(sec: number): string {
  const d = new Date(sec * 1000);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
