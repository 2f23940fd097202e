// The data table under a scalar card: every drawn line's (run's or group's)
// value at the hovered step, or at the step pinned by a click; or, in range
// mode, its first, last, change, min, max and mean over the x range shown
// (drag on the chart to zoom to a range). Sortable by any column; copied as
// CSV.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChartLine, ScalarChart } from '../chart/scalarChart';
import { formatStep, formatValue } from '../format';
import { toCsv } from '../compare';
import { CardButton } from './CardHead';
import { Segmented } from './Segmented';

const TABLE_MODES: Array<['point' | 'range', string]> = [
  ['point', 'At step'],
  ['range', 'Over range'],
];

interface Props {
  lines: readonly ChartLine[];
  /** The x (in the chart's unit) the table shows values at; null: none yet. */
  x: number | null;
  pinned: boolean;
  /** The x range shown, for range mode. */
  range: [number, number] | null;
  /** Label of the first column: "Run" or "Group". */
  what: string;
  onUnpin: () => void;
}

interface Row {
  name: string;
  color: string;
  cells: number[];
}

/** Index of the last x <= v, or the first point when all are after it; -1 when empty. */
function indexAt(xs: Float64Array, v: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function pointRows(lines: readonly ChartLine[], x: number, groups: boolean): { columns: string[]; rows: Row[] } {
  const columns = groups ? ['Step', 'Center', 'Low', 'High', 'n'] : ['Step', 'Smoothed', 'Value'];
  const rows: Row[] = [];
  for (const l of lines) {
    const i = indexAt(l.x, x);
    if (i < 0) continue;
    const cells = groups
      ? [l.step[i], l.smoothed[i], l.lo?.[i] ?? NaN, l.hi?.[i] ?? NaN, l.n?.[i] ?? NaN]
      : [l.step[i], l.smoothed[i], l.raw[i]];
    rows.push({ name: l.run, color: l.color, cells });
  }
  return { columns, rows };
}

function rangeRows(lines: readonly ChartLine[], range: [number, number]): { columns: string[]; rows: Row[] } {
  const columns = ['First', 'Last', 'Change', 'Min', 'Max', 'Mean', 'Points'];
  const rows: Row[] = [];
  for (const l of lines) {
    let first = NaN;
    let last = NaN;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < l.x.length; i++) {
      const v = l.smoothed[i];
      if (l.x[i] < range[0] || l.x[i] > range[1] || !Number.isFinite(v)) continue;
      if (n === 0) first = v;
      last = v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      n++;
    }
    if (n === 0) continue;
    rows.push({ name: l.run, color: l.color, cells: [first, last, last - first, min, max, sum / n, n] });
  }
  return { columns, rows };
}

export function DataTable({ lines, x, pinned, range, what, onUnpin }: Props) {
  const [mode, setMode] = useState<'point' | 'range'>('point');
  const [sort, setSort] = useState<{ col: number; desc: boolean } | null>(null);
  const [copied, setCopied] = useState(false);
  const groups = lines.some((l) => l.n);
  const table =
    mode === 'range' ? (range ? rangeRows(lines, range) : null) : x === null ? null : pointRows(lines, x, groups);
  const rows = table ? [...table.rows] : [];
  if (sort && table) {
    rows.sort((a, b) => {
      const va = sort.col < 0 ? a.name : a.cells[sort.col];
      const vb = sort.col < 0 ? b.name : b.cells[sort.col];
      if (typeof va === 'number' && typeof vb === 'number' && (Number.isNaN(va) || Number.isNaN(vb)))
        return Number.isNaN(va) ? (Number.isNaN(vb) ? 0 : 1) : -1;
      const c = va < vb ? -1 : va > vb ? 1 : 0;
      return sort.desc ? -c : c;
    });
  }
  const header = (label: string, col: number) => {
    const on = sort?.col === col;
    return (
      <th
        key={col}
        class={col >= 0 ? 'num' : ''}
        aria-sort={on ? (sort!.desc ? 'descending' : 'ascending') : 'none'}
        data-col={label}
        onClick={() => setSort(!on ? { col, desc: false } : !sort!.desc ? { col, desc: true } : null)}
      >
        {label}
        {on ? (sort!.desc ? ' ▼' : ' ▲') : ''}
      </th>
    );
  };
  const fmt = (v: number, col: string) => (col === 'Step' ? formatStep(v) : col === 'n' || col === 'Points' ? String(v) : formatValue(v));
  const copy = () => {
    if (!table) return;
    const csv = toCsv([[what.toLowerCase(), ...table.columns.map((c) => c.toLowerCase())], ...rows.map((r) => [r.name, ...r.cells])]);
    void navigator.clipboard?.writeText(csv).then(() => {
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div class="data-table" data-testid="data-table" data-mode={mode} data-pinned={pinned ? 'true' : 'false'}>
      <div class="data-table-bar">
        <Segmented label="Table values" attr="table-mode" options={TABLE_MODES} value={mode} onChange={setMode} />
        <span class="data-table-hint">
          {mode === 'range'
            ? 'The x range shown: drag on the chart to narrow it'
            : pinned
              ? 'Pinned: click the chart elsewhere to move it'
              : 'Hover the chart, or click to pin a step'}
        </span>
        {pinned && mode === 'point' && (
          <button class="link" data-testid="table-unpin" onClick={onUnpin}>
            Unpin
          </button>
        )}
        <div class="spacer" />
        <button class="link" data-testid="table-copy" disabled={!table} onClick={copy}>
          {copied ? 'Copied' : 'Copy CSV'}
        </button>
      </div>
      {table && (
        <table>
          <thead>
            <tr>
              {header(what, -1)}
              {table.columns.map((c, i) => header(c, i))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-row={r.name}>
                <td class="name" title={r.name}>
                  <span class="tb-swatch" style={{ background: r.color }} />
                  {r.name}
                </td>
                {r.cells.map((v, i) => (
                  <td key={i} class="num" data-value={String(v)}>
                    {fmt(v, table.columns[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * The table of a card's chart: follows the pointer over the chart (at most
 * once a frame) and pins the step of a click. `version` changes whenever
 * the chart drew anew.
 */
export function ChartTable({ chart, what }: { chart: ScalarChart | null; version: unknown; what: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const [pin, setPin] = useState<number | null>(null);
  const frame = useRef(0);
  useEffect(() => {
    if (!chart) return;
    chart.onHoverX = (x) => {
      cancelAnimationFrame(frame.current);
      frame.current = requestAnimationFrame(() => setHover(x));
    };
    chart.onClickX = (x) => setPin(x);
    return () => {
      cancelAnimationFrame(frame.current);
      chart.onHoverX = null;
      chart.onClickX = null;
    };
  }, [chart]);
  const x = pin ?? hover;
  return (
    <DataTable
      lines={chart?.drawnLines ?? []}
      x={x}
      pinned={pin !== null}
      range={chart?.xRange() ?? null}
      what={what}
      onUnpin={() => setPin(null)}
    />
  );
}

/** The card-head button that shows or hides a card's data table. */
export function TableButton({ open, onClick }: { open: boolean; onClick: () => void }) {
  return (
    <CardButton on={open} title="Data table" label="Data table" testid="table-toggle" onClick={onClick}>
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M4 5h16v14H4zM4 10h16M4 15h16M10 5v14" fill="none" stroke="currentColor" stroke-width="1.6" />
      </svg>
    </CardButton>
  );
}
