// Custom scalars dashboard: the charts the log directory's layout asks for,
// one collapsible section per category. Multiline charts draw every scalar
// tag matching their regular expressions for every selected run; margin
// charts draw a value line inside a shaded lower/upper band.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { MarginChart, type MarginLine } from '../chart/marginChart';
import { CardTitle } from '../components/CardHead';
import { ChartImageMenu } from '../components/ChartImageMenu';
import { ScalarChart, type ChartLine, type ChartTheme } from '../chart/scalarChart';
import { GroupHead } from '../components/CardGrid';
import { Controls } from '../components/Controls';
import { chartOptions } from '../components/ScalarCard';
import { useFetched } from '../data';
import { useChartFit, useChartTheme } from '../hooks';
import { usePrefs, type Prefs } from '../prefs';
import { smoothBy } from '../smoothing';
import { compileFilter, useSettings, type Settings } from '../state';
import { fetchCustomLayout, fetchCustomScalars, type LayoutCategory, type LayoutChart, type Points } from './custom_scalars_api';
import { useSeen, useSeries } from './common';
import type { DashboardProps } from './registry';
import './customscalars.css';

/** Loaded series of a chart: "run\0tag" -> points. */
type ChartData = Map<string, Points>;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function loadChart(chart: LayoutChart, runs: string[], signal: AbortSignal): Promise<ChartData> {
  const patterns = chart.tags ?? [];
  if (chart.series) {
    const exact = new Set<string>();
    for (const s of chart.series) for (const t of [s.value, s.lower, s.upper]) if (t) exact.add(t);
    for (const t of exact) patterns.push(`${escapeRegex(t)}$`);
  }
  const jobs: Array<Promise<Array<[string, Points]>>> = [];
  for (const run of runs) {
    for (const p of patterns) {
      if (!p) continue;
      jobs.push(
        fetchCustomScalars(run, p, signal).then((r) => [...r.tags].map(([tag, pts]) => [`${run}\u0000${tag}`, pts] as [string, Points])),
      );
    }
  }
  const out: ChartData = new Map();
  for (const list of await Promise.all(jobs)) for (const [k, v] of list) out.set(k, v);
  return out;
}

function xValues(p: Points, axis: Settings['xAxis']): Float64Array {
  if (axis === 'step' || axis === 'tag') return p.step;
  if (axis === 'wall') return p.wallTime;
  const start = p.wallTime.length ? p.wallTime[0] : 0;
  return p.wallTime.map((t) => (t - start) / 3600);
}

/** The run colour, darkened or lightened for the k-th tag of a chart. */
function shade(hex: string, k: number): string {
  if (k === 0 || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
  const steps = [0, -0.35, 0.35, -0.6, 0.55];
  const f = steps[k % steps.length];
  const n = parseInt(hex.slice(1), 16);
  const ch = (c: number) => Math.round(f < 0 ? c * (1 + f) : c + (255 - c) * f);
  const r = ch((n >> 16) & 255);
  const g = ch((n >> 8) & 255);
  const b = ch(n & 255);
  return '#' + ((r << 16) | (g << 8) | b).toString(16).padStart(6, '0');
}

/** Dash patterns for the k-th tag of a chart: lines of one run share a colour. */
const DASHES: number[][] = [[], [6, 4], [2, 3], [9, 3, 2, 3], [12, 5]];

function dashOf(k: number): number[] | undefined {
  const d = DASHES[k % DASHES.length];
  return d.length ? d : undefined;
}

interface LegendEntry {
  label: string;
  color: string;
  dash?: number[];
}

/** Which line is which: a sample of each line's stroke and its label. */
function Legend({ entries }: { entries: LegendEntry[] }) {
  if (entries.length < 2) return null;
  return (
    <div class="cs-legend" data-testid="cs-legend">
      {entries.map((e) => (
        <span class="cs-legend-item" key={e.label} title={e.label}>
          <svg viewBox="0 0 24 8" aria-hidden="true">
            <line x1="1" y1="4" x2="23" y2="4" stroke={e.color} stroke-width="2" stroke-dasharray={e.dash ? e.dash.join(' ') : undefined} />
          </svg>
          <span class="cs-legend-label">{e.label}</span>
        </span>
      ))}
    </div>
  );
}

interface CardProps {
  chart: LayoutChart;
  chartKey: string;
  runs: string[];
  runColor: (run: string) => string;
  generation: number;
  s: Settings;
  p: Prefs;
  theme: ChartTheme;
}

function CustomChartCard({ chart, chartKey, runs, runColor, generation, s, p, theme }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const lineRef = useRef<ScalarChart | null>(null);
  const marginRef = useRef<MarginChart | null>(null);
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(`custom_scalars\u0000${chartKey}\u0000${runs.join('\u0001')}`, generation, seen, (signal) =>
    loadChart(chart, runs, signal),
  );
  const [lines, setLines] = useState<number | null>(null);
  const [legend, setLegend] = useState<LegendEntry[]>([]);
  const kind = chart.series ? 'margin' : 'multiline';

  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    const r = el.getBoundingClientRect();
    if (kind === 'multiline') {
      const tags = [...new Set([...data.keys()].map((k) => k.split('\u0000')[1]))].sort();
      const out: ChartLine[] = [];
      for (const run of runs) {
        for (const tag of tags) {
          const pts = data.get(`${run}\u0000${tag}`);
          if (!pts || pts.step.length === 0) continue;
          out.push({
            run: tags.length > 1 || runs.length === 1 ? `${tag} (${run})` : run,
            color: shade(runColor(run), tags.indexOf(tag)),
            dash: dashOf(tags.indexOf(tag)),
            x: xValues(pts, s.xAxis),
            raw: pts.value,
            smoothed: smoothBy(pts.value, s.smoothing, s.smoothMode),
            step: pts.step,
            wallTime: pts.wallTime,
            start: pts.wallTime.length ? pts.wallTime[0] : 0,
          });
        }
      }
      if (!lineRef.current) {
        lineRef.current = new ScalarChart(el);
        lineRef.current.setSize(r.width, r.height);
      }
      lineRef.current.update(out, chartOptions(s, p, theme));
      setLines(out.length);
      setLegend(out.map((l) => ({ label: l.run, color: l.color, dash: l.dash })));
    } else {
      const out: MarginLine[] = [];
      for (const run of runs) {
        chart.series!.forEach((ser, k) => {
          const value = data.get(`${run}\u0000${ser.value}`);
          if (!value || value.step.length === 0) return;
          out.push({
            label: chart.series!.length > 1 ? `${ser.value} (${run})` : run,
            color: shade(runColor(run), k),
            value,
            lower: data.get(`${run}\u0000${ser.lower}`) ?? null,
            upper: data.get(`${run}\u0000${ser.upper}`) ?? null,
          });
        });
      }
      if (!marginRef.current) {
        marginRef.current = new MarginChart(el);
        marginRef.current.setSize(r.width, r.height);
      }
      marginRef.current.update(out, theme);
      setLines(out.length);
      setLegend(out.map((l) => ({ label: l.label, color: l.color })));
    }
  }, [data, runs.join('\u0000'), runColor, s.smoothing, s.smoothMode, s.xAxis, s.logY, s.ignoreOutliers, p.tooltipSort, theme]);

  useChartFit(plotRef, lineRef);
  useChartFit(plotRef, marginRef);

  const what = chart.tags
    ? chart.tags.join(', ')
    : (chart.series ?? []).map((x) => `${x.value} [${x.lower}, ${x.upper}]`).join('; ');
  return (
    <div
      class="card dash-card cs-card"
      ref={rootRef}
      data-cs-chart={chart.title}
      data-cs-kind={kind}
      data-state={status}
      data-lines={lines === null ? undefined : String(lines)}
    >
      <div class="card-head dash-card-head">
        <CardTitle title={chart.title} text={chart.title || '(untitled)'} />
        <span class="dash-aside cs-what" title={what}>
          {kind === 'margin' ? 'margin · ' : ''}
          {what}
        </span>
        <ChartImageMenu
          title={chart.title || 'chart'}
          view={() => (kind === 'multiline' ? (lineRef.current?.view() ?? null) : null)}
          figure={() => marginRef.current?.figure() ?? null}
        />
      </div>
      <div class="plot dash-plot" ref={plotRef}>
        {status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
        {lines === 0 && <div class="plot-msg">No matching scalar data in the selected runs</div>}
      </div>
      <Legend entries={legend} />
      {status === 'error' && (
        <div class="dash-msg error" title={error}>
          Failed to load
        </div>
      )}
    </div>
  );
}

function chartId(cat: number, i: number, c: LayoutChart): string {
  return `${cat}/${i}/${c.title}/${JSON.stringify(c.tags ?? c.series)}`;
}

export default function CustomScalarsDashboard({ selectedRuns, runColor, generation }: DashboardProps) {
  const s = useSettings();
  const p = usePrefs();
  const theme = useChartTheme();
  const { value: layout, error } = useFetched((() => fetchCustomLayout()) as () => Promise<LayoutCategory[]>, generation);
  // Categories the user opened or closed, overriding the layout's "closed".
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const tagRe = compileFilter(s.tagFilter);

  const cats = useMemo(
    () =>
      (layout ?? []).map((c, ci) => ({
        cat: c,
        charts: c.charts
          .map((chart, i) => ({ chart, id: chartId(ci, i, chart) }))
          .filter(({ chart }) => !tagRe || tagRe.test(chart.title) || (chart.tags ?? []).some((t) => tagRe.test(t))),
      })),
    [layout, s.tagFilter],
  );
  const total = (layout ?? []).reduce((n, c) => n + c.charts.length, 0);
  const shown = cats.reduce((n, c) => n + c.charts.length, 0);

  let body;
  if (!layout) {
    body = <div class="empty-state">{error ? 'Could not load the layout.' : 'Loading…'}</div>;
  } else if (layout.length === 0) {
    body = (
      <div class="empty-state" data-testid="cs-no-layout">
        <h3>No custom scalar layout</h3>
        <p>
          No run in this log directory has written a custom scalars layout. Write one with the custom scalars summary API
          to arrange scalar charts here.
        </p>
      </div>
    );
  } else {
    body = cats.map(({ cat, charts }, ci) => {
      const key = `${ci}\u0000${cat.title}`;
      const isCollapsed = toggled[key] ?? cat.closed;
      return (
        <section class="group cs-category" key={key} data-category={cat.title} data-collapsed={String(isCollapsed)}>
          <GroupHead
            name={cat.title || '(untitled)'}
            count={charts.length}
            collapsed={isCollapsed}
            onToggle={() => setToggled({ ...toggled, [key]: !isCollapsed })}
          />
          {!isCollapsed && (
            <div class="cards">
              {charts.length === 0 && <div class="dash-msg inline">No chart in this category matches the filter.</div>}
              {charts.map(({ chart, id }) => (
                <CustomChartCard
                  key={id}
                  chartKey={id}
                  chart={chart}
                  runs={selectedRuns}
                  runColor={runColor}
                  generation={generation}
                  s={s}
                  p={p}
                  theme={theme}
                />
              ))}
            </div>
          )}
        </section>
      );
    });
  }
  return (
    <main class="main dash" data-dashboard="custom_scalars">
      <Controls s={s} shown={shown} total={total} />
      <div class="groups">{body}</div>
    </main>
  );
}
