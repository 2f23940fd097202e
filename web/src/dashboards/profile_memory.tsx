// Profile dashboard, Memory and Module views.
//
// Memory: the allocated and reserved memory of one device over time
// (memory_curve) with its peak marked; dragging across the chart selects
// a time range, and the statistics table (memory: per operator, the
// allocations and the size increase, self and with children) and the
// events table (memory_events: each allocation with its free) then cover
// that range only, as the reference plugin's page does.
//
// Module: the nn.Module hierarchy (module) as an expandable tree table
// with host and device times.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { MAX_ROWS, query, Select, useAnswer } from './profile';

interface Column {
  name: string;
  tooltip?: string;
}
interface MemoryCurve {
  metadata: {
    default_device: string;
    devices: string[];
    peaks: Record<string, string>;
    first_ts: number;
    time_factor: number;
    time_metric: string;
    memory_metric: string;
  };
  rows: Record<string, Array<[number, number, number]>>;
}
interface MemoryTable {
  metadata: { default_device: string; sort?: string };
  columns: Column[];
  rows: Record<string, Array<Array<string | number | null>>>;
}

/** A selected time range: chart times (time_metric) and the trace
 * timestamps the routes take (microseconds). */
interface Range {
  from: number;
  to: number;
  startTs: number;
  endTs: number;
}

function textColour(el: HTMLElement): string {
  return getComputedStyle(el).color || '#444';
}

/** The memory curve of one device; drag to select a range. */
function MemoryChart({ curve, device, onSelect }: {
  curve: MemoryCurve;
  device: string;
  onSelect: (r: Range | null) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const pick = useRef(onSelect);
  pick.current = onSelect;
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const pts = curve.rows[device] ?? [];
    const xs = pts.map((p) => p[0]);
    const alloc = pts.map((p) => p[1]);
    const reserved = pts.map((p) => p[2]);
    let peakAt = -1;
    alloc.forEach((v, i) => {
      if (peakAt < 0 || v > alloc[peakAt]) peakAt = i;
    });
    const peak = alloc.map((v, i) => (i === peakAt ? v : null));
    const fg = textColour(host);
    const m = curve.metadata;
    const axis = { stroke: fg, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } };
    const opts: uPlot.Options = {
      width: Math.max(300, Math.min(1100, host.clientWidth || 900)),
      height: 260,
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: false } },
      legend: { show: true },
      axes: [
        { ...axis, label: `Time (${m.time_metric})` },
        { ...axis, label: `Memory (${m.memory_metric})`, size: 70 },
      ],
      series: [
        {},
        { label: 'Allocated', stroke: '#1976d2', width: 1.5 },
        { label: 'Reserved', stroke: '#e64a19', width: 1.5 },
        { label: 'Peak', stroke: '#c62828', points: { show: true, size: 9, fill: '#c62828' }, paths: () => null },
      ],
      hooks: {
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            pick.current({
              from,
              to,
              startTs: Math.round(from / m.time_factor + m.first_ts),
              endTs: Math.round(to / m.time_factor + m.first_ts),
            });
          },
        ],
      },
    };
    const u = new uPlot(opts, [xs, alloc, reserved, peak] as uPlot.AlignedData, host);
    return () => u.destroy();
  }, [curve, device]);
  return <div ref={el} class="profile-memory-chart" data-testid="profile-memory-chart" data-points={String((curve.rows[device] ?? []).length)} />;
}

/** A table of one device's rows: sortable by a column, searchable by the
 * first (name) column. */
function RowsTable({ table, device, testid, title, sortBy }: {
  table: MemoryTable;
  device: string;
  testid: string;
  title: string;
  sortBy?: string;
}) {
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<{ col: number; desc: boolean } | null>(null);
  const rows = table.rows[device] ?? [];
  const needle = search.toLowerCase();
  const shown = rows.filter((r) => !needle || String(r[0]).toLowerCase().includes(needle));
  const initial = sortBy ? table.columns.findIndex((c) => c.name === sortBy) : -1;
  const order = sort ?? (initial >= 0 ? { col: initial, desc: true } : null);
  const sorted = order
    ? [...shown].sort((a, b) => {
        const x = a[order.col];
        const y = b[order.col];
        const c =
          typeof x === 'number' && typeof y === 'number'
            ? x - y
            : x === null || y === null
              ? (x === null ? -1 : 0) + (y === null ? 1 : 0)
              : String(x).localeCompare(String(y));
        return order.desc ? -c : c;
      })
    : shown;
  return (
    <section class="profile-section" data-testid={testid} data-rows={String(shown.length)}>
      <h4>{title}</h4>
      <div class="profile-controls">
        <input
          type="search"
          data-testid={`${testid}-search`}
          placeholder="Search operators"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="profile-table-wrap">
        <table class="profile-table">
          <thead>
            <tr>
              {table.columns.map((c, i) => (
                <th
                  key={c.name}
                  class="sortable"
                  title={c.tooltip ?? ''}
                  onClick={() => setSort({ col: i, desc: order?.col === i ? !order.desc : true })}
                >
                  {c.name}
                  {order?.col === i ? (order.desc ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, MAX_ROWS).map((r, i) => (
              <tr key={i}>
                {r.map((v, k) => (
                  <td key={k} class={typeof v === 'number' ? 'num' : ''}>
                    {v === null ? '' : String(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length > MAX_ROWS && <div class="dash-msg inline">First {MAX_ROWS} of {shown.length} rows.</div>}
    </section>
  );
}

export function MemoryView({ params, generation }: { params: string; generation: number }) {
  const curve = useAnswer<MemoryCurve>(`memory_curve?${params}`, generation);
  const [range, setRange] = useState<Range | null>(null);
  const [device, setDevice] = useState('');
  useEffect(() => setRange(null), [params]);
  const ranged = range ? `${params}&${query({ start_ts: String(range.startTs), end_ts: String(range.endTs) })}` : params;
  const stats = useAnswer<MemoryTable>(`memory?${ranged}`, generation);
  const events = useAnswer<MemoryTable>(`memory_events?${ranged}`, generation);
  const error = curve.error || stats.error || events.error;
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!curve.data) return <div class="dash-msg inline">Loading…</div>;
  const m = curve.data.metadata;
  const tableDevices = Object.keys(stats.data?.rows ?? {}).concat(Object.keys(events.data?.rows ?? {}));
  const devices = [...new Set([...m.devices, ...tableDevices])].sort();
  const fallback = m.devices.length ? m.default_device : (stats.data?.metadata.default_device ?? devices[0] ?? '');
  const dev = devices.includes(device) ? device : fallback;
  const hasCurve = (curve.data.rows[dev] ?? []).length > 0;
  return (
    <section class="profile-section" data-testid="profile-memory">
      <h3>Memory</h3>
      <div class="profile-controls">
        {devices.length > 0 && (
          <Select label="Device" testid="profile-memory-device" options={devices} value={dev} onChange={setDevice} />
        )}
        {m.peaks[dev] && <span data-testid="profile-memory-peak">{m.peaks[dev]}</span>}
      </div>
      {hasCurve ? (
        <MemoryChart curve={curve.data} device={dev} onSelect={setRange} />
      ) : (
        <div class="dash-msg inline">The memory events of {dev || 'this trace'} carry no totals: no curve to draw.</div>
      )}
      <div class="profile-controls">
        <span data-testid="profile-memory-range">
          {range
            ? `Selected ${range.from.toFixed(3)} – ${range.to.toFixed(3)} ${m.time_metric}`
            : hasCurve
              ? 'Drag across the chart to select a time range.'
              : 'Whole trace.'}
        </span>
        {range && (
          <button type="button" data-testid="profile-memory-clear" onClick={() => setRange(null)}>
            Whole trace
          </button>
        )}
      </div>
      {stats.data ? (
        <RowsTable
          table={stats.data}
          device={dev}
          testid="profile-memory-stats"
          title="Memory statistics"
          sortBy={stats.data.metadata.sort}
        />
      ) : (
        <div class="dash-msg inline">Loading…</div>
      )}
      {events.data ? (
        <RowsTable table={events.data} device={dev} testid="profile-memory-events" title="Allocations and frees" />
      ) : (
        <div class="dash-msg inline">Loading…</div>
      )}
    </section>
  );
}

interface ModuleRow {
  name: string;
  id: number;
  occurences: number;
  operators: number;
  host_duration: number;
  self_host_duration: number;
  device_duration: number;
  self_device_duration: number;
  children: ModuleRow[];
}
interface ModuleAnswer {
  columns: Array<{ name: string; key: keyof ModuleRow }>;
  data: ModuleRow[];
}

const fmt = (v: unknown) => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v));

function ModuleRows({ rows, columns, depth, open, toggle, path }: {
  rows: ModuleRow[];
  columns: ModuleAnswer['columns'];
  depth: number;
  open: Set<string>;
  toggle: (p: string) => void;
  path: string;
}) {
  return (
    <>
      {rows.map((r, i) => {
        const p = `${path}/${i}`;
        const isOpen = open.has(p);
        return (
          <Fragment key={p}>
            <tr data-testid="profile-module-row" data-depth={String(depth)}>
              {columns.map((c, k) =>
                k === 0 ? (
                  <td key={c.key} style={{ paddingLeft: `${6 + depth * 16}px` }}>
                    {r.children.length > 0 ? (
                      <button
                        type="button"
                        class="profile-tree-toggle"
                        data-testid="profile-module-toggle"
                        aria-expanded={isOpen}
                        onClick={() => toggle(p)}
                      >
                        {isOpen ? '▾' : '▸'}
                      </button>
                    ) : (
                      <span class="profile-tree-leaf" />
                    )}{' '}
                    {r.name}
                  </td>
                ) : (
                  <td key={c.key} class="num">
                    {fmt(r[c.key])}
                  </td>
                ),
              )}
            </tr>
            {isOpen && (
              <ModuleRows rows={r.children} columns={columns} depth={depth + 1} open={open} toggle={toggle} path={p} />
            )}
          </Fragment>
        );
      })}
    </>
  );
}

export function ModuleView({ params, generation }: { params: string; generation: number }) {
  const { data, error } = useAnswer<ModuleAnswer>(`module?${params}`, generation);
  const [open, setOpen] = useState<Set<string>>(new Set(['/0']));
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  const toggle = (p: string) => {
    const next = new Set(open);
    if (next.has(p)) next.delete(p);
    else next.add(p);
    setOpen(next);
  };
  return (
    <section class="profile-section" data-testid="profile-modules" data-roots={String(data.data.length)}>
      <h3>Modules</h3>
      <p class="dash-msg inline">Times in microseconds; expand a module for the modules it calls.</p>
      <div class="profile-table-wrap">
        <table class="profile-table">
          <thead>
            <tr>
              {data.columns.map((c) => (
                <th key={c.key}>{c.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <ModuleRows rows={data.data} columns={data.columns} depth={0} open={open} toggle={toggle} path="" />
          </tbody>
        </table>
      </div>
    </section>
  );
}
