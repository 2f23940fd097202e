// A scalar card in group mode: one line per group of runs (the mean or
// median across its runs at each aligned step) with a shaded band (± std,
// min–max or a 95 % confidence interval), all computed on the server
// (/data/tboard/groups, which documents how steps are aligned). A group's
// colour comes from its name's hash, so it stays put as groups come and go.
// The legend lists each group's runs; clicking a group draws its runs
// instead, in the group's colour, until clicked again.
import { useEffect, useState } from 'preact/hooks';
import { ScalarChart, type ChartLine } from '../chart/scalarChart';
import { cancelDraw, scheduleDraw, useChartFit, useSettled } from '../hooks';
import { settings, type Settings } from '../state';
import { keyColor } from '../colors';
import { alignByStep, effectiveQuery, fetchGroups, queryString, type GroupsAnswer, type GroupsRequest } from '../compare';
import { useSeries } from '../dashboards/common';
import { ChartCard, chartOptions, ScalarCard, useChartCardRefs, type ScalarCardProps } from './ScalarCard';
import { useYAxis, yLinkOf } from '../yrange';
import { yRangeKey } from './YRange';

interface Props extends ScalarCardProps {
  /** How many runs have this tag, selected or not. */
  allRuns: number;
}

/** A scalar tag's card: its groups when the settings group runs, else its runs. */
export function TagCard(props: Props) {
  return props.settings.groupBy ? <GroupCard {...props} /> : <ScalarCard {...props} />;
}

/** Aligned steps a group brings at most. */
const GROUP_POINTS = 1000;

/** Longest run list a card names in its query (the server takes 64 KiB). */
const LIST_MAX = 48 * 1024;

/**
 * The run query that limits the groups to the selected runs: none when
 * every run with the tag is selected, the run query when only it narrows
 * the runs, else the selected runs by name.
 */
function selectionQuery(s: Settings, runs: string[], all: number): string {
  if (runs.length === all) return '';
  const q = effectiveQuery(s.runQuery, s.brushes);
  if (!s.runFilter && s.hiddenRuns.size === 0) return q;
  const list = `run in [${runs.map(queryString).join(', ')}]`;
  return list.length <= LIST_MAX ? list : q;
}

export function GroupCard(props: Props) {
  const { tag, runs, description, generation, store, settings: s, prefs: p, theme } = props;
  const { refs, visible } = useChartCardRefs();
  const { rootRef, plotRef, chartRef } = refs;
  const [drawn, setDrawn] = useState<{ count: number } | null>(null);
  const [version, setVersion] = useState(0);
  const withY = useYAxis(tag, s, chartRef);
  const by = useSettled(s.groupBy, 300);
  const xTag = s.xAxis === 'tag' ? s.xTag : '';
  const q = selectionQuery(s, runs, props.allRuns);
  const req: GroupsRequest = { tag, by, q, agg: s.groupAgg, band: s.groupBand, points: GROUP_POINTS };
  const key = JSON.stringify(['groups', req, xTag]);
  const { data, status, error } = useSeries<[GroupsAnswer, GroupsAnswer | null]>(
    key,
    generation,
    visible && runs.length > 0 && by !== 'regex:' && by !== 'hp:',
    (signal) =>
      Promise.all([fetchGroups(req, signal), xTag ? fetchGroups({ ...req, tag: xTag, band: 'minmax' }, signal) : Promise.resolve(null)]),
  );

  // Runs of expanded groups come from the card store, as in run mode.
  const expanded = (data?.[0].groups ?? []).filter((g) => s.expandedGroups.has(g.name));
  const expandedRuns = expanded.flatMap((g) => g.members);
  const xRuns = xTag ? expandedRuns : [];
  useEffect(() => store.subscribe(tag, () => setVersion((v) => v + 1)), [tag]);
  useEffect(() => {
    if (!visible || expandedRuns.length === 0) return;
    void store.ensure(tag, expandedRuns, 400, generation).catch(() => undefined);
    if (xRuns.length) void store.ensure(xTag, xRuns, 400, generation).catch(() => undefined);
  }, [visible, expandedRuns.join('\u0000'), generation, xTag]);

  useEffect(() => {
    if (!visible || !data || !plotRef.current) return;
    const keyRef = rootRef;
    scheduleDraw(keyRef, () => {
      const el = plotRef.current;
      if (!el) return;
      const [groups, xGroups] = data;
      const xByGroup = new Map((xGroups?.groups ?? []).map((g) => [g.name, g]));
      const lines: ChartLine[] = [];
      for (const g of groups.groups) {
        const color = keyColor(g.key);
        if (s.expandedGroups.has(g.name)) {
          const entry = store.peek(tag);
          const xEntry = xTag ? store.peek(xTag) : undefined;
          g.members.forEach((run, k) => {
            const ser = entry?.runs.get(run);
            if (!ser || ser.step.length === 0) return;
            const xs = xEntry?.runs.get(run);
            if (xTag && !xs) return;
            lines.push({
              run,
              color,
              dash: k % 2 ? [6, 3] : undefined,
              x: xs ? alignByStep(ser.step, xs.step, xs.value) : ser.step,
              raw: ser.value,
              smoothed: ser.value,
              step: ser.step,
              wallTime: ser.wallTime,
              start: ser.wallTime.length ? ser.wallTime[0] : 0,
            });
          });
          continue;
        }
        const xg = xTag ? xByGroup.get(g.name) : undefined;
        if (xTag && !xg) continue;
        const x = xg ? alignByStep(g.step, xg.step, xg.center) : g.step;
        lines.push({
          run: g.name,
          color,
          x,
          raw: g.center,
          smoothed: g.center,
          step: g.step,
          wallTime: new Float64Array(g.step.length).fill(NaN),
          start: NaN,
          lo: g.lo,
          hi: g.hi,
          x0: x,
          members: g.members,
          n: g.n,
        });
      }
      if (!chartRef.current) {
        chartRef.current = new ScalarChart(el);
        const r = el.getBoundingClientRect();
        chartRef.current.setSize(r.width, r.height);
      }
      // Group lines are plotted against steps (or the x tag): wall and
      // relative time differ between a group's runs.
      const opts = chartOptions({ ...s, xAxis: xTag ? 'tag' : 'step', smoothing: 0 }, p, theme, lines.length);
      chartRef.current.update(lines, withY(lines, opts));
      store.drawn();
      setDrawn({ count: lines.length });
    });
    return () => cancelDraw(keyRef);
  }, [visible, data, version, s.expandedGroups, s.logX, s.logY, s.ignoreOutliers, theme, p.tooltipSort, yRangeKey(s, tag), yLinkOf(s, tag)]);

  useChartFit(plotRef, chartRef);

  const toggle = (name: string) => {
    const next = new Set(s.expandedGroups);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    settings.update({ expandedGroups: next });
  };
  const groups = data?.[0].groups ?? [];
  const state = status === 'error' ? 'error' : data && drawn ? 'ready' : runs.length === 0 ? 'ready' : 'loading';
  return (
    <ChartCard
      kind="scalar-groups"
      card={{ ...props, refs, state, drawn }}
      attrs={{ 'data-group-count': data ? String(groups.length) : undefined }}
      subtitle={data ? `${groups.length} group${groups.length === 1 ? '' : 's'}` : ''}
      plot={
        <>
          {status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
          {status === 'error' && (
            <div class="plot-msg error" title={error}>
              {error || 'Failed to load'}
            </div>
          )}
          {data && groups.length === 0 && <div class="plot-msg">No group has this tag</div>}
        </>
      }
      legend={
        groups.length > 0 && (
          <div class="group-legend" data-testid="group-legend">
            {groups.map((g) => (
              <button
                key={g.name}
                class={'group-chip' + (s.expandedGroups.has(g.name) ? ' expanded' : '')}
                data-group={g.name}
                title={`${g.members.length} runs:\n${g.members.join('\n')}\n\nClick to ${s.expandedGroups.has(g.name) ? 'draw the group again' : 'draw its runs'}`}
                onClick={() => toggle(g.name)}
              >
                <span class="tb-swatch" style={{ background: keyColor(g.key) }} />
                {g.name || '(empty)'}
                <span class="count">{g.members.length}</span>
              </button>
            ))}
          </div>
        )
      }
    />
  );
}
