// Entry point of the tboard UI: top bar with the dashboard tabs, runs
// sidebar, and the selected dashboard.
import { render } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { data, useData } from './data';
import { groupedColors } from './colors';
import { compileFilter, useSettings } from './state';
import { prefs, usePrefs } from './prefs';
import { applyTheme, useSettled } from './hooks';
import { TopBar } from './components/TopBar';
import { RunsSidebar } from './components/RunsSidebar';
import { useDashboard } from './dashboards/registry';
import { effectiveQuery, queryKeeps, runQuery, useRunQuery } from './compare';
import { EmptyState } from './components/EmptyState';

applyTheme();
prefs.subscribe((p) => applyTheme(p));

function NotAvailable({ name, tab }: { name: string; tab: string }) {
  return (
    <main class="main" data-dashboard={name}>
      <EmptyState title={tab}>This dashboard is not available in tboard yet.</EmptyState>
    </main>
  );
}

function App() {
  const state = useData();
  const s = useSettings();
  const p = usePrefs();

  useEffect(() => data.start(), []);
  useEffect(() => {
    const t = state.env?.window_title;
    document.title = t ? `${t} - tboard` : 'tboard';
  }, [state.env?.window_title]);

  // The selected tab: from the URL if listed, else the first active one.
  const plugins = state.plugins ?? [];
  // Until the listing arrives, start on the dashboard the URL names (or Time
  // Series) so its data loads in parallel with the listing.
  let active = s.dashboard || 'timeseries';
  if (state.plugins && !plugins.some(([n]) => n === active)) {
    active = plugins.find(([, e]) => e.enabled)?.[0] ?? 'timeseries';
  } else if (state.plugins && !s.dashboard && !plugins.find(([n]) => n === active)?.[1].enabled) {
    active = plugins.find(([, e]) => e.enabled)?.[0] ?? 'timeseries';
  }
  const entry = plugins.find(([n]) => n === active)?.[1];
  useEffect(() => {
    data.paused = !!entry?.disable_reload;
  }, [entry?.disable_reload]);

  const runColorKey = JSON.stringify(p.runColors);
  const runColor = useMemo(() => {
    const c = data.colors;
    if (!s.runGroup) return (run: string) => c.color(run);
    const grouped = groupedColors(state.runs, s.runGroup);
    return (run: string) => grouped.get(run) ?? c.color(run);
  }, [runColorKey, state.runs, s.runGroup]);

  // The runs list follows every keystroke of the run filter; the charts
  // follow once typing pauses.
  const runFilter = useSettled(s.runFilter, 150);
  // The run query is asked once typing pauses; its answer narrows every view.
  const queryText = effectiveQuery(useSettled(s.runQuery, 300), s.brushes);
  useEffect(() => runQuery.ask(queryText, state.generation), [queryText, state.generation]);
  const rq = useRunQuery();
  const matched = queryText.trim() ? rq.runs : null;
  const selectedRuns = useMemo(() => {
    const re = compileFilter(runFilter);
    const keep = matched ? queryKeeps(state.runs, matched) : null;
    return state.runs.filter((r) => !s.hiddenRuns.has(r) && (!re || re.test(r)) && (!keep || keep.has(r)));
  }, [state.runs, runFilter, s.hiddenRuns, matched]);

  const Dashboard = useDashboard(active);
  // The sidebar and the dashboard as the same elements while their inputs
  // are the same, so an answer they do not read (the plugins listing, the
  // environment, the loading flag) re-renders neither: at 1000 runs such a
  // render of every card stood in the way of the first chart.
  const sidebar = useMemo(
    () => <RunsSidebar runs={state.runs} runColor={runColor} settings={s} customColors={p.runColors} width={p.sidebarWidth} />,
    [state.runs, runColor, s, p.runColors, p.sidebarWidth],
  );
  const dashboard = useMemo(
    () =>
      Dashboard ? (
        <Dashboard key={active} runs={state.runs} selectedRuns={selectedRuns} runColor={runColor} generation={state.generation} />
      ) : Dashboard === null ? (
        <div class="dash-loading" />
      ) : (
        <NotAvailable name={active} tab={entry?.tab_name ?? active} />
      ),
    [Dashboard, active, state.runs, selectedRuns, runColor, state.generation, entry?.tab_name],
  );
  return (
    <div class="app">
      <TopBar state={state} active={active} prefs={p} onReload={() => void data.reload()} selectedRuns={selectedRuns} />
      <div class="body">
        {sidebar}
        {dashboard}
      </div>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
