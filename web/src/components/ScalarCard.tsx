import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ScalarChart, type ChartLine, type ChartOptions, type ChartTheme } from '../chart/scalarChart';
import type { SeriesStore } from '../data';
import { cancelDraw, scheduleDraw, useChartFit, useInView } from '../hooks';
import { smoothBy } from '../smoothing';
import type { Settings } from '../state';
import type { Prefs } from '../prefs';
import { fetchTagScalars, markOnce, scalarDownloadUrl, type RunScalars, type ScalarSeries } from '../api';
import { CardHead } from './CardHead';
import { ChartImageMenu } from './ChartImageMenu';
import { MenuButton } from './MenuButton';
import { ChartTable, TableButton } from './DataTable';
import { alignByStep } from '../compare';
import { useYAxis, yLinkOf } from '../yrange';
import { YRangeBar, YRangeButton, yRangeKey } from './YRange';

export interface ScalarCardProps {
  tag: string;
  /** Runs that have this tag and are selected, in run order. */
  runs: string[];
  description: string;
  generation: number;
  store: SeriesStore;
  settings: Settings;
  prefs: Prefs;
  runColor: (run: string) => string;
  theme: ChartTheme;
  pinned: boolean;
  onPin: () => void;
}

type Status = 'idle' | 'loading' | 'ready' | 'error';

function xValues(series: ScalarSeries, axis: Settings['xAxis'], start: number): Float64Array {
  if (axis === 'step') return series.step;
  if (axis === 'wall') return series.wallTime;
  return series.wallTime.map((t) => (t - start) / 3600);
}

// Smoothed values by series, so ticking one run re-smooths only that run.
const smoothed = new WeakMap<Float64Array, { weight: number; mode: Settings['smoothMode']; out: Float64Array }>();
function smoothOnce(values: Float64Array, weight: number, mode: Settings['smoothMode']): Float64Array {
  const have = smoothed.get(values);
  if (have && have.weight === weight && have.mode === mode) return have.out;
  const out = smoothBy(values, weight, mode);
  smoothed.set(values, { weight, mode, out });
  return out;
}

/** Redraws for new points alone, at most once per this many ms (or ten
 * times the card's last draw, if longer). */
const LIVE_REDRAW_MS = 1000;

/**
 * Above this many lines the faint unsmoothed lines are left out: they would
 * double the drawing for a tangle nobody can read; downsampled runs still
 * show their min/max envelope.
 */
const RAW_LINES_MAX = 100;

/** Chart options from the view settings, for `lines` lines. */
export function chartOptions(s: Settings, p: Prefs, theme: ChartTheme, lines = 0): ChartOptions {
  return {
    xAxis: s.xAxis,
    logY: s.logY,
    logX: s.logX,
    showRaw: s.smoothing > 0 && lines <= RAW_LINES_MAX,
    ignoreOutliers: s.ignoreOutliers,
    tooltipSort: p.tooltipSort,
    theme,
  };
}

/** Points a card draws at most, over all its runs, before downsampling. */
const CARD_POINTS = 25000;

/** Points of a card's first answer per pixel of its width, over all runs. */
const FIRST_POINTS_PER_PX = 12;

/** Buckets a run of a many-run card's first answer keeps at least. */
const FIRST_MIN_BUCKETS = 4;

/**
 * Points (or buckets) a run may bring when zoomed in: about one per pixel
 * of the plot, fewer when many runs share the card, never under 16. A
 * downsampled run keeps its extremes in the envelope.
 */
function pixelBudget(el: HTMLElement | null, runs: number): number {
  const w = el ? el.getBoundingClientRect().width : 400;
  const perPixel = Math.max(100, Math.ceil(w / 50) * 50);
  return Math.max(16, Math.min(perPixel, Math.floor(CARD_POINTS / Math.max(1, runs))));
}

/**
 * Buckets a run brings in a card's first answer: a budget for the whole
 * card of about FIRST_POINTS_PER_PX points per pixel of width, shared by
 * its runs, so the answer (and the first draw) stays about the same size
 * at 10 runs and at 10,000. A few runs keep one bucket per pixel, as when
 * zoomed; zooming in fetches finer data.
 */
function cardBudget(el: HTMLElement | null, runs: number): number {
  const w = el ? el.getBoundingClientRect().width : 400;
  const shared = Math.floor((FIRST_POINTS_PER_PX * w) / Math.max(1, runs));
  return Math.min(pixelBudget(el, runs), Math.max(FIRST_MIN_BUCKETS, shared));
}

/** Finer data for a zoomed step range, for the runs that came downsampled. */
interface Detail {
  start: number;
  end: number;
  runs: Map<string, RunScalars>;
}

/** The card's runs that have data of `tag`, one row each; `has` says which (the list is made only while open). */
function DownloadMenu({ tag, runs, has }: { tag: string; runs: string[]; has: (run: string) => boolean }) {
  const [open, setOpen] = useState(false);
  const file = (run: string, ext: string) => `${run}-${tag}.${ext}`.replace(/[^\w.-]+/g, '_');
  const icon = (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <path d="M12 4v11M7 10l5 5 5-5M5 20h14" fill="none" stroke="currentColor" stroke-width="1.8" />
    </svg>
  );
  return (
    <MenuButton open={open} setOpen={setOpen} kind="card-button" title="Download data" label="Download data" testid="download" icon={icon}>
      {() => {
        const withData = runs.filter(has);
        return (
          <div class="menu download-menu" role="menu">
            <div class="menu-title">Download data</div>
            {withData.length === 0 && <div class="menu-empty">No run selected</div>}
            {withData.map((run) => (
              <div class="menu-row" key={run}>
                <span class="menu-run" title={run}>
                  {run}
                </span>
                <a href={scalarDownloadUrl(run, tag, 'csv')} download={file(run, 'csv')} data-format="csv">
                  CSV
                </a>
                <a href={scalarDownloadUrl(run, tag, 'json')} download={file(run, 'json')} data-format="json">
                  JSON
                </a>
              </div>
            ))}
          </div>
        );
      }}
    </MenuButton>
  );
}

export function ScalarCard(props: ScalarCardProps) {
  const { tag, runs, description, generation, store, settings: s, prefs: p, runColor, theme } = props;
  const { refs, visible } = useChartCardRefs();
  const { rootRef, plotRef, chartRef } = refs;
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<Status>(store.peek(tag)?.runs.size ? 'ready' : 'idle');
  const [error, setError] = useState('');
  const [drawn, setDrawn] = useState<{ count: number; smoothing: number } | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const withY = useYAxis(tag, s, chartRef);
  // The x axis by another tag: its series too, aligned by step.
  const xTag = s.xAxis === 'tag' ? s.xTag : '';
  useEffect(() => (xTag ? store.subscribe(xTag, () => setVersion((v) => v + 1)) : undefined), [xTag]);
  const zoomTimer = useRef<number | undefined>(undefined);

  // New points of this tag: redraw, and fetch them if on screen.
  useEffect(() => store.subscribe(tag, () => setVersion((v) => v + 1)), [tag]);

  // Fetch what is missing or moved, only while on screen.
  const runsList = runs.join('\u0000');
  useEffect(() => {
    if (!visible) return;
    let cancelled = false;
    if (!store.peek(tag)?.runs.size) setStatus('loading');
    const budget = cardBudget(plotRef.current, runs.length);
    markOnce('tb:card-ask');
    Promise.all([store.ensure(tag, runs, budget, generation), xTag && store.ensure(xTag, runs, budget, generation)]).then(
      () => {
        if (cancelled) return;
        setStatus('ready');
        setError('');
      },
      (err) => {
        if (cancelled) return;
        setStatus('error');
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [visible, generation, tag, runsList, version, xTag]);

  // Draw (or redraw) when on screen, each card in a task of its own.
  const entry = store.peek(tag);
  // Made again only when the runs or their colours change: at 1000 runs it
  // was most of each card's render.
  const runsKey = useMemo(() => runs.map((r) => r + '\u0001' + runColor(r)).join('\u0000'), [runsList, runColor]);
  // Runs of the card that have arrived: a run arriving draws at once.
  const loaded = entry ? runs.reduce((n, r) => n + (entry.runs.has(r) ? 1 : 0), 0) : 0;
  const view = [visible, detail, runsKey, loaded, s.smoothing, s.smoothMode, s.xAxis, xTag, s.logX, s.logY, s.ignoreOutliers, p.tooltipSort, theme, yRangeKey(s, tag), yLinkOf(s, tag)];
  const lastView = useRef<unknown[]>([]);
  const lastDraw = useRef(0);
  const drawCost = useRef(0);
  const liveTimer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!visible || !entry || !plotRef.current) return;
    // Nothing to draw until the first answer (then an empty chart says
    // that no selected run has the tag).
    if (loaded === 0 && status !== 'ready') return;
    const key = rootRef;
    // New points alone redraw at most once a second; what the user changed
    // and runs arriving redraw at once.
    const liveOnly = view.every((v, i) => Object.is(v, lastView.current[i]));
    // A card that takes long to draw (many runs, a busy machine) redraws
    // for new points less often, so watching stays light.
    const every = Math.max(LIVE_REDRAW_MS, 10 * drawCost.current);
    const wait = liveOnly ? lastDraw.current + every - performance.now() : 0;
    window.clearTimeout(liveTimer.current);
    if (wait > 0) {
      liveTimer.current = window.setTimeout(() => setVersion((v) => v + 1), wait);
      return;
    }
    scheduleDraw(key, () => {
      const el = plotRef.current;
      if (!el) return;
      markOnce('tb:card-draw');
      lastView.current = view;
      lastDraw.current = performance.now();
      const lines: ChartLine[] = [];
      for (const run of runs) {
        const whole = entry.runs.get(run);
        if (!whole) continue;
        const series = detail?.runs.get(run) ?? whole;
        const start = whole.wallTime.length ? whole.wallTime[0] : 0;
        const xs = xTag ? store.peek(xTag)?.runs.get(run) : undefined;
        if (xTag && !xs?.step.length) continue;
        const x = xs ? alignByStep(series.step, xs.step, xs.value) : xValues(series, s.xAxis, start);
        lines.push({
          run,
          color: runColor(run),
          x,
          raw: series.value,
          smoothed: smoothOnce(series.value, s.smoothing, s.smoothMode),
          step: series.step,
          wallTime: series.wallTime,
          start,
          lo: series.min,
          hi: series.max,
          x0: series.firstStep && s.xAxis === 'step' ? series.firstStep : undefined,
        });
      }
      if (!chartRef.current) {
        chartRef.current = new ScalarChart(el);
        const r = el.getBoundingClientRect();
        chartRef.current.setSize(r.width, r.height);
      }
      chartRef.current.onXRange = onXRange;
      const t0 = performance.now();
      chartRef.current.update(lines, withY(lines, chartOptions(s, p, theme, lines.length)));
      // uPlot draws in a microtask queued by update(); this one runs after it.
      queueMicrotask(() => {
        drawCost.current = performance.now() - t0;
        markOnce('tb:card-drawn');
        store.drawn();
      });
      setDrawn({ count: lines.length, smoothing: s.smoothing });
    });
    return () => cancelDraw(key);
  }, [entry, version, status, ...view]);

  // Zoomed in on steps: ask for the range at full resolution for the runs
  // that came downsampled. Zooming out drops it.
  const onXRange = (min: number, max: number, zoomed: boolean) => {
    window.clearTimeout(zoomTimer.current);
    if (!zoomed || s.xAxis !== 'step') {
      if (detail) setDetail(null);
      return;
    }
    const start = Math.floor(min);
    const end = Math.ceil(max);
    if (detail && detail.start === start && detail.end === end) return;
    const e = store.peek(tag);
    const coarse = runs.filter((r) => {
      const ser = e?.runs.get(r);
      return ser && ser.min !== undefined;
    });
    if (coarse.length === 0) return;
    zoomTimer.current = window.setTimeout(() => {
      const budget = pixelBudget(plotRef.current, coarse.length);
      fetchTagScalars(tag, { runs: coarse, start, end, buckets: budget }).then(
        (res) => {
          if (res && chartRef.current?.xRange()) setDetail({ start, end, runs: res.runs });
        },
        () => undefined,
      );
    }, 150);
  };

  // Follow the card's size; the chart goes with the card.
  useChartFit(plotRef, chartRef);

  useEffect(
    () => () => {
      window.clearTimeout(zoomTimer.current);
      window.clearTimeout(liveTimer.current);
    },
    [],
  );

  return (
    <ChartCard
      kind="scalar"
      card={{ ...props, refs, state: status, drawn }}
      attrs={{ 'data-smoothing': drawn ? String(drawn.smoothing) : undefined }}
      subtitle={drawn ? `${drawn.count} run${drawn.count === 1 ? '' : 's'}` : ''}
      tools={<DownloadMenu tag={tag} runs={runs} has={(r) => !!entry?.runs.has(r)} />}
      plot={
        <>
          {status === 'loading' && <div class="plot-msg">Loading…</div>}
          {status === 'error' && (
            <div class="plot-msg error" title={error}>
              Failed to load
            </div>
          )}
          {status === 'ready' && drawn && drawn.count === 0 && <div class="plot-msg">No selected run has this tag</div>}
        </>
      }
    />
  );
}

interface ChartCardRefs {
  rootRef: RefObject<HTMLDivElement | null>;
  plotRef: RefObject<HTMLDivElement | null>;
  chartRef: RefObject<ScalarChart | null>;
}

/** The refs of a ChartCard's card, and whether the card is on screen. */
export function useChartCardRefs(): { refs: ChartCardRefs; visible: boolean } {
  const refs = { rootRef: useRef<HTMLDivElement>(null), plotRef: useRef<HTMLDivElement>(null), chartRef: useRef<ScalarChart | null>(null) };
  return { refs, visible: useInView(refs.rootRef) };
}

/** Per kind of chart card: its classes besides "card", and the table's name for a line. */
const CHART_CARD_KINDS = {
  scalar: { class: 'scalar-card', what: 'Run' },
  'scalar-groups': { class: 'scalar-card group-card', what: 'Group' },
};

interface ChartCardProps {
  kind: keyof typeof CHART_CARD_KINDS;
  /** The tag, its description, pin and settings; the card's refs, load state and what it drew. */
  card: Pick<ScalarCardProps, 'tag' | 'description' | 'pinned' | 'onPin' | 'settings'> & {
    refs: ChartCardRefs;
    state: string;
    /** The series count, and the table's version (read again when it changes). */
    drawn: { count: number } | null;
  };
  attrs: Record<string, string | undefined>;
  subtitle: ComponentChildren;
  /** Header buttons between the y range and the image menu. */
  tools?: ComponentChildren;
  /** Messages over the plot. */
  plot: ComponentChildren;
  /** Below the plot (a legend). */
  legend?: ComponentChildren;
}

/**
 * The frame of a scalar chart card: header with the table, y range and image
 * buttons, the y range bar, the plot and the data table; full width, table
 * and y range bar open and close here.
 */
export function ChartCard(props: ChartCardProps) {
  const { card, kind } = props;
  const { tag, settings: s, refs, drawn } = card;
  const [full, setFull] = useState(false);
  const [table, setTable] = useState(false);
  const [yBar, setYBar] = useState(false);
  return (
    <div
      class={'card ' + CHART_CARD_KINDS[kind].class + (full ? ' full' : '')}
      ref={refs.rootRef}
      data-tag={tag}
      data-kind={kind}
      data-state={card.state}
      data-series-count={drawn ? String(drawn.count) : undefined}
      {...props.attrs}
    >
      <CardHead
        title={tag}
        description={card.description}
        subtitle={props.subtitle}
        pinned={card.pinned}
        onPin={card.onPin}
        full={full}
        onFull={() => setFull(!full)}
      >
        <TableButton open={table} onClick={() => setTable(!table)} />
        <YRangeButton s={s} tag={tag} open={yBar} onClick={() => setYBar(!yBar)} />
        {props.tools}
        <ChartImageMenu title={tag} view={() => refs.chartRef.current?.view() ?? null} />
      </CardHead>
      <YRangeBar s={s} tag={tag} open={yBar} />
      <div class="plot" ref={refs.plotRef}>
        {props.plot}
      </div>
      {props.legend}
      {table && <ChartTable chart={refs.chartRef.current} version={drawn} what={CHART_CARD_KINDS[kind].what} />}
    </div>
  );
}
