// HParams dashboard: the session groups of the experiment as a sortable,
// filterable table (or as parallel coordinates), and the metric curves of
// the group the user clicks.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ParallelCoords, type PcBrushes, type PcCategories, type PcRow } from '../chart/parallelCoords';
import { ScatterMatrix } from '../chart/scatterMatrix';
import { CardTitle } from '../components/CardHead';
import { ChartImageMenu } from '../components/ChartImageMenu';
import { Segmented } from '../components/Segmented';
import type { Figure } from '../chart/chartImage';

/** Where a chart view tells the dashboard's image menu how to draw itself. */
type FigureSource = { current: () => Figure | null };

import { ScalarChart, type ChartLine, type ChartTheme } from '../chart/scalarChart';
import { useFetched } from '../data';
import { formatValue } from '../format';
import { useChartFit, useChartTheme } from '../hooks';
import { usePrefs } from '../prefs';
import { settings, useSettings, type Brush, type HparamsView } from '../state';
import {
  fetchExperiment,
  fetchMetricEvals,
  fetchSessionGroups,
  metricKey,
  type Experiment,
  type HType,
  type HValue,
  type MetricInfo,
  type SessionGroup,
} from './hparams_api';
import { useSeries, useThemeVersion } from './common';
import { queryString } from '../compare';
import type { DashboardProps } from './registry';
import { EmptyState } from '../components/EmptyState';
import './hparams.css';

/**
 * A chart that `make` puts in the returned box once, destroyed with the
 * component. A session group picked in it goes to the latest `onPick`;
 * `figure` draws it for the image menu.
 */
function usePickChart<C extends { figure(): Figure | null; destroy(): void }>(
  make: (el: HTMLDivElement, pick: (id: string) => void) => C,
  onPick: (id: string) => void,
  figure: FigureSource,
) {
  const boxRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<C | null>(null);
  figure.current = () => chartRef.current?.figure() ?? null;
  const pickRef = useRef(onPick);
  pickRef.current = onPick;
  const themeVersion = useThemeVersion();
  useEffect(() => {
    chartRef.current = make(boxRef.current!, (id) => pickRef.current(id));
    return () => {
      chartRef.current?.destroy();
      chartRef.current = null;
    };
  }, []);
  return { boxRef, chartRef, themeVersion };
}

interface Column {
  id: string;
  label: string;
  description: string;
  kind: 'hparam' | 'metric';
  type: HType;
  get: (g: SessionGroup) => HValue | undefined;
  /** The same value as a run query column (hp.NAME, last(TAG)), or '' when it has none. */
  query: string;
}

/** An hparam name as the query language spells it. */
function hpColumn(name: string): string {
  return /^[A-Za-z0-9_.]+$/.test(name) ? `hp.${name}` : `hp[${JSON.stringify(name)}]`;
}

/** A session metric as a query column: the last value of its tag in the run, or in its sub-run `group`. */
function metricColumn(m: MetricInfo): string {
  const tag = /^[^\s,()'"]+$/.test(m.name.tag) ? m.name.tag : queryString(m.name.tag);
  return m.name.group ? `last(${tag}, in ${queryString(m.name.group)})` : `last(${tag})`;
}

/** A column's filter: text it contains and the categories unticked, or a numeric range. */
type Filter = { text: string; off?: string[] } | { min: string; max: string };

/** Categorical columns with at most this many values get a checkbox each. */
const CHECKBOX_MAX = 12;

/** Whether a filter narrows anything. */
function active(f: Filter): boolean {
  return 'text' in f ? !!f.text || !!f.off?.length : !!(f.min || f.max);
}
type View = HparamsView;

const VIEWS: Array<[View, string]> = [
  ['table', 'Table'],
  ['parallel', 'Parallel coordinates'],
  ['scatter', 'Scatter matrix'],
];

interface Loaded {
  exp: Experiment;
  groups: SessionGroup[];
}

async function loadAll(): Promise<Loaded> {
  const exp = await fetchExperiment();
  const groups = exp.hparams.length || exp.metrics.length ? await fetchSessionGroups(exp) : [];
  return { exp, groups };
}

// The view and the sorted column are in the URL; filters survive switching tabs.
let saved: { filters: Record<string, Filter> } = { filters: {} };

function compare(a: HValue | undefined, b: HValue | undefined): number {
  if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : 1) : -1;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
    return a - b;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function cell(v: HValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return formatValue(v);
  return String(v);
}

function passes(v: HValue | undefined, f: Filter | undefined): boolean {
  if (!f) return true;
  if ('text' in f) {
    if (f.off && v !== undefined && f.off.includes(String(v))) return false;
    if (!f.text) return true;
    if (v === undefined) return false;
    return String(v).toLowerCase().includes(f.text.toLowerCase());
  }
  const lo = f.min.trim() === '' ? -Infinity : Number(f.min);
  const hi = f.max.trim() === '' ? Infinity : Number(f.max);
  if (lo === -Infinity && hi === Infinity) return true;
  if (typeof v !== 'number') return v === undefined ? false : true;
  return !(v < lo) && !(v > hi);
}

function MetricChart({
  metric,
  group,
  runColor,
  generation,
  theme,
}: {
  metric: MetricInfo;
  group: SessionGroup;
  runColor: (run: string) => string;
  generation: number;
  theme: ChartTheme;
}) {
  const key = metricKey(metric.name);
  const sessions = group.sessions.filter((s) => s.metrics.has(key));
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ScalarChart | null>(null);
  const p = usePrefs();
  const { data, status } = useSeries(`hparams\u0000${group.name}\u0000${key}`, generation, sessions.length > 0, async (signal) =>
    Promise.all(sessions.map(async (s) => [s.name, await fetchMetricEvals(s.name, metric.name, signal)] as const)),
  );
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    const lines: ChartLine[] = [];
    for (const [run, pts] of data) {
      if (!pts || pts.step.length === 0) continue;
      lines.push({
        run,
        color: runColor(run),
        x: pts.step,
        raw: pts.value,
        smoothed: pts.value,
        step: pts.step,
        wallTime: pts.wallTime,
        start: pts.wallTime.length ? pts.wallTime[0] : 0,
      });
    }
    if (!chartRef.current) {
      chartRef.current = new ScalarChart(el);
      const r = el.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    chartRef.current.update(lines, {
      xAxis: 'step',
      logY: false,
      showRaw: false,
      ignoreOutliers: false,
      tooltipSort: p.tooltipSort,
      theme,
    });
    setCount(lines.length);
  }, [data, theme, runColor]);
  useChartFit(plotRef, chartRef);
  return (
    <div class="card hp-metric-card" data-metric={metric.label} data-lines={count === null ? undefined : String(count)}>
      <div class="card-head">
        <CardTitle title={metric.description || metric.label} text={metric.label} />
        <ChartImageMenu title={metric.label} view={() => chartRef.current?.view() ?? null} />
      </div>
      <div class="plot hp-metric-plot" ref={plotRef}>
        {sessions.length === 0 && <div class="plot-msg">No values</div>}
        {status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
        {status === 'error' && <div class="plot-msg error">Failed to load</div>}
      </div>
    </div>
  );
}

function ParallelView({
  columns,
  rows,
  selected,
  onPick,
  brushes,
  figure,
}: {
  columns: Column[];
  rows: PcRow[];
  selected: string;
  onPick: (id: string) => void;
  brushes: readonly Brush[];
  figure: FigureSource;
}) {
  const { boxRef, chartRef, themeVersion } = usePickChart((el, pick) => new ParallelCoords(el, pick), onPick, figure);
  useChartFit(boxRef, chartRef);
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    // A brush narrows the runs of every view: it joins the run query.
    chart.onBrush = (axis, range) => {
      const col = columns[axis]?.query;
      if (!col) return;
      const others = settings.get().brushes.filter((b) => b.col !== col);
      settings.update({ brushes: range ? [...others, { col, lo: range[0], hi: range[1] }] : others });
    };
    // Categories kept on a string or bool axis: the query's `in [...]`, typed.
    chart.onCategories = (axis, values) => {
      const c = columns[axis];
      if (!c?.query) return;
      const others = settings.get().brushes.filter((b) => b.col !== c.query);
      const cats = (values ?? []).map((v) => (c.type === 'bool' ? v === 'true' : v));
      settings.update({ brushes: cats.length ? [...others, { col: c.query, lo: NaN, hi: NaN, cats }] : others });
    };
    const axisOf = (b: Brush) => columns.findIndex((c) => c.query === b.col);
    const byAxis: PcBrushes = new Map(
      brushes.flatMap((b) => {
        const i = axisOf(b);
        return i < 0 || b.cats ? [] : [[i, [b.lo, b.hi] as const]];
      }),
    );
    const cats: PcCategories = new Map(
      brushes.flatMap((b) => {
        const i = axisOf(b);
        return i < 0 || !b.cats ? [] : [[i, new Set(b.cats.map(String))] as const];
      }),
    );
    chart.update(
      columns.map((c) => ({ label: c.label, numeric: c.type === 'number' || c.kind === 'metric', brushable: !!c.query })),
      rows,
      selected,
      byAxis,
      cats,
    );
  }, [columns, rows, selected, themeVersion, brushes]);
  return (
    <div
      class="hp-parallel"
      ref={boxRef}
      data-testid="hp-parallel"
      data-rows={String(rows.filter((r) => r.shown).length)}
      title="Drag along an axis to keep a range of it; click the axis to clear. On a text or true/false axis, click values to keep them"
    />
  );
}

/** Every hparam against every metric, one small chart each, points coloured by run. */
function ScatterView({ columns, rows, onPick, figure }: { columns: Column[]; rows: PcRow[]; onPick: (id: string) => void; figure: FigureSource }) {
  const { boxRef, chartRef, themeVersion } = usePickChart((el, pick) => new ScatterMatrix(el, pick), onPick, figure);
  const xs = columns.map((c, i) => [c, i] as const).filter(([c]) => c.kind === 'hparam');
  const ys = columns.map((c, i) => [c, i] as const).filter(([c]) => c.kind === 'metric');
  useEffect(() => {
    chartRef.current?.update(
      xs.map(([c, i]) => ({ label: c.label, numeric: c.type === 'number', col: i })),
      ys.map(([c, i]) => ({ label: c.label, numeric: true, col: i })),
      rows,
    );
  }, [columns, rows, themeVersion]);
  return (
    <div
      class="hp-scatter"
      ref={boxRef}
      data-testid="hp-scatter"
      data-cells={String(xs.length * ys.length)}
      data-points={String(rows.filter((r) => r.shown).length)}
    />
  );
}

export default function HParamsDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { value, error } = useFetched(loadAll, generation);
  const theme = useChartTheme();
  const s = useSettings();
  const view = s.hparamsView;
  const sort = useMemo(
    () => (s.hparamsSort ? { col: s.hparamsSort, desc: s.hparamsSortDesc } : null),
    [s.hparamsSort, s.hparamsSortDesc],
  );
  const [filters, setFiltersState] = useState<Record<string, Filter>>(saved.filters);
  const [selected, setSelected] = useState('');
  const [colorBy, setColorBy] = useState('');
  const setView = (v: View) => settings.update({ hparamsView: v });
  const figure = useRef<() => Figure | null>(() => null);
  const setSort = (v: typeof sort) => settings.update({ hparamsSort: v?.col ?? '', hparamsSortDesc: !!v?.desc });
  const setFilter = (col: string, f: Filter) => {
    const next = { ...filters, [col]: f };
    saved = { ...saved, filters: next };
    setFiltersState(next);
  };

  const columns = useMemo<Column[]>(() => {
    if (!value) return [];
    return [
      ...value.exp.hparams.map((h) => ({
        id: 'h:' + h.name,
        label: h.label,
        description: h.description,
        kind: 'hparam' as const,
        type: h.type,
        get: (g: SessionGroup) => g.hparams.get(h.name),
        query: hpColumn(h.name),
      })),
      ...value.exp.metrics.map((m) => {
        const key = metricKey(m.name);
        return {
          id: 'm:' + key,
          label: m.label,
          description: m.description,
          kind: 'metric' as const,
          type: 'number' as HType,
          get: (g: SessionGroup) => g.metrics.get(key),
          query: metricColumn(m),
        };
      }),
    ];
  }, [value]);

  // The run that gives a group its colour: its first session.
  const groupRun = (g: SessionGroup) => g.sessions[0]?.name ?? g.name;
  const known = useMemo(() => new Set(runs), [runs]);
  const selectedSet = useMemo(() => new Set(selectedRuns), [selectedRuns]);

  const { ordered, visible } = useMemo(() => {
    // Groups of runs the runs list, the query or the brushes leave out stay
    // in `ordered` (drawn faintly in parallel coordinates), not in `visible`.
    const picked = (g: SessionGroup) => {
      const inRuns = g.sessions.filter((s) => known.has(s.name));
      return inRuns.length === 0 || inRuns.some((s) => selectedSet.has(s.name));
    };
    const ordered = [...(value?.groups ?? [])];
    if (sort) {
      const col = columns.find((c) => c.id === sort.col);
      if (col) {
        ordered.sort((a, b) => {
          const va = col.get(a);
          const vb = col.get(b);
          // Missing values stay last in both directions.
          if (va === undefined || vb === undefined) return compare(va, vb);
          const c = compare(va, vb);
          return sort.desc ? -c : c;
        });
      }
    }
    const visible = ordered.filter((g) => picked(g) && columns.every((c) => passes(c.get(g), filters[c.id])));
    return { ordered, visible };
  }, [value, columns, sort, filters, known, selectedSet]);

  const selectedGroup = visible.find((g) => g.name === selected) ?? null;

  // The distinct values of each categorical column, when few enough for checkboxes.
  const categories = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const c of columns) {
      if (c.type === 'number') continue;
      const vals = [...new Set((value?.groups ?? []).map((g) => c.get(g)).filter((v) => v !== undefined).map(String))].sort();
      if (vals.length <= CHECKBOX_MAX) m.set(c.id, vals);
    }
    return m;
  }, [value, columns]);

  // Colour by run, or by a metric's value (blue for the lowest, orange for the highest).
  const colorCol = columns.find((c) => c.id === colorBy && c.kind === 'metric');
  const rowColor = useMemo(() => {
    if (!colorCol) return (g: SessionGroup) => runColor(groupRun(g));
    const vals = ordered.map((g) => colorCol.get(g)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const lo = vals.length ? Math.min(...vals) : 0;
    const hi = vals.length ? Math.max(...vals) : 1;
    return (g: SessionGroup) => {
      const v = colorCol.get(g);
      if (typeof v !== 'number' || !Number.isFinite(v)) return '#9e9e9e';
      const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      return `hsl(${Math.round(220 - 190 * t)}, 75%, ${Math.round(42 + 8 * t)}%)`;
    };
  }, [colorCol, ordered, runColor]);

  const pcRows = useMemo<PcRow[]>(() => {
    const shown = new Set(visible.map((g) => g.name));
    return ordered.map((g) => ({
      id: g.name,
      color: rowColor(g),
      values: columns.map((c) => c.get(g)),
      shown: shown.has(g.name),
    }));
  }, [ordered, visible, columns, rowColor]);

  if (!value) {
    return (
      <div class="main dash" data-dashboard="hparams">
        <div class="empty-state">{error ? 'Could not load the hyperparameters.' : 'Loading…'}</div>
      </div>
    );
  }
  if (value.groups.length === 0) {
    return (
      <div class="main dash" data-dashboard="hparams">
        <EmptyState title="No hyperparameter data">No run in this log directory has logged hyperparameters with sessions yet.</EmptyState>
      </div>
    );
  }

  const filterPanel = (
    <aside class="hp-filters" data-testid="hp-filters">
      <div class="hp-filters-title">Filters</div>
      {columns.map((c) => {
        const f = filters[c.id];
        const numeric = c.type === 'number';
        // A box for one end of a numeric column's range.
        const bound = (end: 'min' | 'max') => {
          const range = { min: f && 'min' in f ? f.min : '', max: f && 'max' in f ? f.max : '' };
          return (
            <input
              type="number"
              placeholder={end}
              aria-label={`${c.label} ${end === 'min' ? 'minimum' : 'maximum'}`}
              data-testid={`hp-${end}`}
              value={range[end]}
              onInput={(e) => setFilter(c.id, { ...range, [end]: (e.target as HTMLInputElement).value })}
            />
          );
        };
        return (
          <div class="hp-filter" key={c.id} data-filter={c.label}>
            <div class="hp-filter-name" title={c.description || c.label}>
              {c.label}
              {c.kind === 'metric' && <span class="hp-kind">metric</span>}
            </div>
            {numeric ? (
              <div class="hp-range">
                {bound('min')}
                <span>–</span>
                {bound('max')}
              </div>
            ) : (
              <>
              <input
                type="search"
                class="hp-text"
                placeholder="contains…"
                aria-label={`${c.label} filter`}
                data-testid="hp-text"
                value={f && 'text' in f ? f.text : ''}
                onInput={(e) => setFilter(c.id, { text: (e.target as HTMLInputElement).value, off: f && 'text' in f ? f.off : undefined })}
              />
              {categories.get(c.id) && (
                <div class="hp-checks" data-testid="hp-checks">
                  {categories.get(c.id)!.map((v) => {
                    const text = f && 'text' in f ? f.text : '';
                    const off = (f && 'text' in f ? f.off : undefined) ?? [];
                    return (
                      <label key={v} class="hp-check">
                        <input
                          type="checkbox"
                          checked={!off.includes(v)}
                          data-value={v}
                          onChange={() => setFilter(c.id, { text, off: off.includes(v) ? off.filter((x) => x !== v) : [...off, v] })}
                        />
                        <span>{v}</span>
                      </label>
                    );
                  })}
                </div>
              )}
              </>
            )}
          </div>
        );
      })}
      {Object.values(filters).some(active) && (
        <button
          class="hp-clear"
          onClick={() => {
            saved = { ...saved, filters: {} };
            setFiltersState({});
          }}
        >
          Clear filters
        </button>
      )}
    </aside>
  );

  const toggleSort = (id: string) => {
    if (!sort || sort.col !== id) setSort({ col: id, desc: false });
    else if (!sort.desc) setSort({ col: id, desc: true });
    else setSort(null);
  };

  const table = (
    <div class="hp-table-wrap">
      <table class="hp-table" data-testid="hp-table">
        <thead>
          <tr>
            <th class="hp-name-col">Session group</th>
            {columns.map((c) => {
              const active = sort?.col === c.id;
              return (
                <th
                  key={c.id}
                  class={
                    'hp-sortable' +
                    (c.kind === 'metric' ? ' hp-metric-col' : '') +
                    (c.type === 'number' ? ' num' : '') +
                    (active ? ' active' : '')
                  }
                  data-col={c.label}
                  aria-sort={active ? (sort!.desc ? 'descending' : 'ascending') : 'none'}
                  title={c.description || `Sort by ${c.label}`}
                  onClick={() => toggleSort(c.id)}
                >
                  {c.label}
                  <span class="hp-arrow">{active ? (sort!.desc ? '▼' : '▲') : ''}</span>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {visible.map((g) => {
            const color = rowColor(g);
            return (
              <tr
                key={g.name}
                data-group={g.name}
                class={g.name === selected ? 'selected' : ''}
                style={{ '--row-color': color }}
                onClick={() => setSelected(g.name === selected ? '' : g.name)}
              >
                <td class="hp-name-col" title={g.sessions.map((s) => s.name).join('\n')}>
                  <span class="hp-name-cell">
                    <span class="tb-swatch" style={{ background: color }} />
                    <span class="hp-group-name">{g.name}</span>
                    {g.sessions.length > 1 && <span class="group-count">{g.sessions.length}</span>}
                  </span>
                </td>
                {columns.map((c) => {
                  const v = c.get(g);
                  return (
                    <td key={c.id} class={typeof v === 'number' ? 'num' : ''}>
                      {cell(v)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {visible.length === 0 && <div class="dash-msg">No session group passes the filters.</div>}
    </div>
  );

  return (
    <div class="main dash hp" data-dashboard="hparams">
      <div class="controls">
        <Segmented label="View" attr="view" options={VIEWS} value={view} onChange={setView} />
        <span class="tag-count" data-testid="hp-count">
          {visible.length === ordered.length
            ? `${ordered.length} session group${ordered.length === 1 ? '' : 's'}`
            : `${visible.length} of ${ordered.length} session groups`}
        </span>
        {error && <span class="dash-error">Update failed</span>}
        {value.exp.metrics.length > 0 && (
          <label class="control">
            <span>Colour</span>
            <select data-testid="hp-color-by" value={colorBy} onChange={(e) => setColorBy((e.target as HTMLSelectElement).value)}>
              <option value="">by run</option>
              {columns
                .filter((c) => c.kind === 'metric')
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    by {c.label}
                  </option>
                ))}
            </select>
          </label>
        )}
        <div class="spacer" />
        <span class="hp-hint">{selectedGroup ? '' : 'Click a row to see its metrics'}</span>
        {view !== 'table' && <ChartImageMenu title={view === 'parallel' ? 'Parallel coordinates' : 'Scatter matrix'} figure={() => figure.current()} />}
      </div>
      <div class="hp-body">
        {filterPanel}
        <div class="hp-main">
          {view === 'table' ? (
            table
          ) : view === 'parallel' ? (
            <ParallelView columns={columns} rows={pcRows} selected={selected} onPick={(id) => setSelected(id)} brushes={s.brushes} figure={figure} />
          ) : (
            <ScatterView columns={columns} rows={pcRows} onPick={(id) => setSelected(id)} figure={figure} />
          )}
          {selectedGroup && (
            <section class="hp-detail" data-testid="hp-detail" data-group={selectedGroup.name}>
              <div class="hp-detail-head">
                <span class="tb-swatch" style={{ background: runColor(groupRun(selectedGroup)) }} />
                <b>{selectedGroup.name}</b>
                <span class="hp-detail-sub">
                  {selectedGroup.sessions.length} session{selectedGroup.sessions.length === 1 ? '' : 's'}
                </span>
                <div class="spacer" />
                <button class="hp-close" aria-label="Close" onClick={() => setSelected('')}>
                  ×
                </button>
              </div>
              {value.exp.metrics.length === 0 ? (
                <div class="dash-msg inline">The experiment defines no metrics.</div>
              ) : (
                <div class="cards hp-metric-cards">
                  {value.exp.metrics.map((m) => (
                    <MetricChart
                      key={metricKey(m.name)}
                      metric={m}
                      group={selectedGroup}
                      runColor={runColor}
                      generation={generation}
                      theme={theme}
                    />
                  ))}
                </div>
              )}
            </section>
          )}
        </div>
      </div>
    </div>
  );
}
