// PR curves dashboard: per tag, one precision-recall chart with a line per
// selected run, and a step slider per run.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { PrChart } from '../chart/prChart';
import { CardTitle } from '../components/CardHead';
import { ChartImageMenu } from '../components/ChartImageMenu';
import { TagFilter } from '../components/TagFilter';
import { useChartFit, useChartTheme } from '../hooks';
import type { TagInfo } from './series_api';
import { fetchPrCurves, type PrEntry } from './pr_curves_api';
import { CardGroup, StepSlider, tagPrefix, useCollapsed, useSeen, useSeries, useTagListing } from './common';
import type { DashboardProps } from './registry';
import { EmptyState } from '../components/EmptyState';
import './prcurves.css';

let savedFilter = '';

interface CardProps {
  tag: string;
  runs: string[];
  description: string;
  runColor: (run: string) => string;
  generation: number;
}

function PrCard({ tag, runs, description, runColor, generation }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<PrChart | null>(null);
  const theme = useChartTheme();
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(`pr_curves\u0000${tag}\u0000${runs.join('\u0001')}`, generation, seen && runs.length > 0, (signal) =>
    fetchPrCurves(runs, tag, signal),
  );
  // Chosen entry index per run; absent means "the newest".
  const [picked, setPicked] = useState<Record<string, number>>({});
  const [lineCount, setLineCount] = useState<number | null>(null);

  const shown = useMemo(() => {
    const out: Array<{ run: string; entries: PrEntry[]; index: number }> = [];
    for (const run of runs) {
      const entries = data?.get(run) ?? [];
      if (entries.length === 0) continue;
      const last = entries.length - 1;
      const p = picked[run];
      out.push({ run, entries, index: p === undefined ? last : Math.min(p, last) });
    }
    return out;
  }, [data, runs, picked]);

  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    if (!chartRef.current) {
      chartRef.current = new PrChart(el);
      const r = el.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    const n = chartRef.current.update(
      shown.map((s) => ({ run: s.run, color: runColor(s.run), entry: s.entries[s.index] })),
      theme,
    );
    setLineCount(n);
  }, [shown, theme, runColor]);

  useChartFit(plotRef, chartRef);

  return (
    <div
      class="card dash-card pr-card"
      ref={rootRef}
      data-pr-tag={tag}
      data-state={status}
      data-lines={lineCount === null ? undefined : String(lineCount)}
    >
      <div class="card-head dash-card-head">
        <CardTitle title={tag} description={description} />
        <span class="dash-aside">
          {runs.length} run{runs.length === 1 ? '' : 's'}
        </span>
        <ChartImageMenu title={tag} figure={() => chartRef.current?.figure() ?? null} />
      </div>
      <div class="plot dash-plot pr-plot" ref={plotRef}>
        {status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
        {lineCount === 0 && <div class="plot-msg">No data</div>}
      </div>
      {status === 'error' && (
        <div class="dash-msg error" title={error}>
          Failed to load
        </div>
      )}
      <div class="dash-sliders pr-sliders">
        {shown.map((s) => {
          const e = s.entries[s.index];
          return (
            <div class="pr-slider-row" key={s.run} data-run={s.run}>
              <span class="tb-swatch" style={{ background: runColor(s.run) }} />
              <span class="pr-slider-run" title={s.run}>
                {s.run}
              </span>
              <StepSlider
                count={s.entries.length}
                index={s.index}
                step={e.step}
                wallTime={e.wallTime}
                testid="pr-step-slider"
                onChange={(i) =>
                  setPicked((p) => {
                    const next = { ...p };
                    if (i >= s.entries.length - 1) delete next[s.run];
                    else next[s.run] = i;
                    return next;
                  })
                }
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}

function compile(text: string): RegExp | null {
  try {
    return new RegExp(text, 'i');
  } catch {
    return null;
  }
}

export default function PrCurvesDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('pr_curves', generation);
  const [filter, setFilterState] = useState(savedFilter);
  const groupsOpen = useCollapsed();
  const setFilter = (v: string) => {
    savedFilter = v;
    setFilterState(v);
  };
  const re = compile(filter);

  // tag -> selected runs having it (in run order), and its description.
  const byTag = useMemo(() => {
    const order = new Map(runs.map((r, i) => [r, i]));
    const selected = new Set(selectedRuns);
    const m = new Map<string, { runs: string[]; description: string }>();
    for (const i of (items ?? []) as TagInfo[]) {
      let e = m.get(i.tag);
      if (!e) m.set(i.tag, (e = { runs: [], description: i.description }));
      if (selected.has(i.run)) e.runs.push(i.run);
    }
    for (const e of m.values()) e.runs.sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
    return m;
  }, [items, runs, selectedRuns]);

  const allTags = [...byTag.keys()].sort();
  const tags = allTags.filter((t) => byTag.get(t)!.runs.length > 0 && (!re || re.test(t)));
  const groups = new Map<string, string[]>();
  for (const t of tags) {
    const g = tagPrefix(t);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(t);
  }

  let body;
  if (items === null) {
    body = <div class="empty-state">Loading…</div>;
  } else if (allTags.length === 0) {
    body = (
      <EmptyState title="No PR curve data">{error ? 'Could not load the tag list.' : 'No run in this log directory has written PR curve summaries yet.'}</EmptyState>
    );
  } else if (tags.length === 0) {
    body = <div class="empty-state">{re && filter ? 'No tag of a selected run matches the filter.' : 'No run with PR curves is selected.'}</div>;
  } else {
    body = [...groups].map(([name, list]) => (
      <CardGroup key={name} name={name} count={list.length} open={groupsOpen} cardsClass="cards dash-cards">
        {() =>
          list.map((t) => (
            <PrCard
              key={t}
              tag={t}
              runs={byTag.get(t)!.runs}
              description={byTag.get(t)!.description}
              runColor={runColor}
              generation={generation}
            />
          ))
        }
      </CardGroup>
    ));
  }

  return (
    <div class="main dash" data-dashboard="pr_curves">
      <div class="controls">
        <TagFilter value={filter} valid={!!re} onInput={setFilter} shown={tags.length} total={allTags.length} />
        {error && allTags.length > 0 && (
          <span class="dash-error" title={error}>
            Update failed
          </span>
        )}
      </div>
      <div class="groups">{body}</div>
    </div>
  );
}
