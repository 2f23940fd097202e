import { useEffect, useRef, useState } from 'preact/hooks';
import { ScalarChart, type ChartLine, type ChartTheme } from '../chart/scalarChart';
import type { ScalarCache } from '../data';
import { useInView } from '../hooks';
import { smooth } from '../smoothing';
import type { Settings } from '../state';
import type { Prefs } from '../prefs';
import { scalarDownloadUrl, type ScalarSeries } from '../api';
import { CardHead } from './CardHead';

interface Props {
  tag: string;
  /** Runs that have this tag and are selected, in run order. */
  runs: string[];
  description: string;
  generation: number;
  cache: ScalarCache;
  settings: Settings;
  prefs: Prefs;
  runColor: (run: string) => string;
  theme: ChartTheme;
  pinned: boolean;
  onPin: () => void;
}

type Status = 'idle' | 'loading' | 'ready' | 'error';

function xValues(series: ScalarSeries, axis: Settings['xAxis']): Float64Array {
  if (axis === 'step') return series.step;
  if (axis === 'wall') return series.wallTime;
  const start = series.wallTime.length ? series.wallTime[0] : 0;
  return series.wallTime.map((t) => (t - start) / 3600);
}

function DownloadMenu({ tag, runs }: { tag: string; runs: string[] }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const file = (run: string, ext: string) => `${run}-${tag}.${ext}`.replace(/[^\w.-]+/g, '_');
  return (
    <div class="menu-anchor" ref={ref}>
      <button
        class={'card-button' + (open ? ' on' : '')}
        title="Download data"
        aria-label="Download data"
        aria-expanded={open}
        data-testid="download"
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M12 4v11M7 10l5 5 5-5M5 20h14" fill="none" stroke="currentColor" stroke-width="1.8" />
        </svg>
      </button>
      {open && (
        <div class="menu download-menu" role="menu">
          <div class="menu-title">Download data</div>
          {runs.length === 0 && <div class="menu-empty">No run selected</div>}
          {runs.map((run) => (
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
      )}
    </div>
  );
}

export function ScalarCard(props: Props) {
  const { tag, runs, description, generation, cache, settings: s, prefs: p, runColor, theme } = props;
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ScalarChart | null>(null);
  const visible = useInView(rootRef);
  const [entry, setEntry] = useState(() => cache.peek(tag));
  const [status, setStatus] = useState<Status>(entry ? 'ready' : 'idle');
  const [error, setError] = useState('');
  const [drawn, setDrawn] = useState<{ count: number; smoothing: number } | null>(null);
  const [full, setFull] = useState(false);

  // Fetch when on screen and the data is older than the current generation.
  useEffect(() => {
    if (!visible) return;
    if (entry && entry.generation >= generation) return;
    let cancelled = false;
    if (!entry) setStatus('loading');
    cache.load(tag, generation).then(
      (e) => {
        if (cancelled) return;
        setEntry(e);
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
  }, [visible, generation, tag, entry]);

  // Draw (or redraw) when on screen.
  const result = entry?.result;
  const runsKey = runs.map((r) => r + '\u0001' + runColor(r)).join('\u0000');
  useEffect(() => {
    if (!visible || !result || !plotRef.current) return;
    const lines: ChartLine[] = [];
    for (const run of runs) {
      const series = result.runs.get(run);
      if (!series) continue;
      lines.push({
        run,
        color: runColor(run),
        x: xValues(series, s.xAxis),
        raw: series.value,
        smoothed: smooth(series.value, s.smoothing),
        step: series.step,
        wallTime: series.wallTime,
        start: series.wallTime.length ? series.wallTime[0] : 0,
      });
    }
    if (!chartRef.current) {
      chartRef.current = new ScalarChart(plotRef.current);
      const r = plotRef.current.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    chartRef.current.update(lines, {
      xAxis: s.xAxis,
      logY: s.logY,
      showRaw: s.smoothing > 0,
      ignoreOutliers: s.ignoreOutliers,
      tooltipSort: p.tooltipSort,
      theme,
    });
    setDrawn({ count: lines.length, smoothing: s.smoothing });
  }, [visible, result, runsKey, s.smoothing, s.xAxis, s.logY, s.ignoreOutliers, p.tooltipSort, theme]);

  // Follow the card's size.
  useEffect(() => {
    const el = plotRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      chartRef.current?.setSize(r.width, r.height);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(
    () => () => {
      chartRef.current?.destroy();
      chartRef.current = null;
    },
    [],
  );

  const withData = result ? runs.filter((r) => result.runs.has(r)) : [];
  return (
    <div
      class={'card scalar-card' + (full ? ' full' : '')}
      ref={rootRef}
      data-tag={tag}
      data-kind="scalar"
      data-state={status}
      data-series-count={drawn ? String(drawn.count) : undefined}
      data-smoothing={drawn ? String(drawn.smoothing) : undefined}
    >
      <CardHead
        title={tag}
        description={description}
        subtitle={drawn ? `${drawn.count} run${drawn.count === 1 ? '' : 's'}` : ''}
        pinned={props.pinned}
        onPin={props.onPin}
        full={full}
        onFull={() => setFull(!full)}
      >
        <DownloadMenu tag={tag} runs={withData} />
      </CardHead>
      <div class="plot" ref={plotRef}>
        {status === 'loading' && <div class="plot-msg">Loading…</div>}
        {status === 'error' && (
          <div class="plot-msg error" title={error}>
            Failed to load
          </div>
        )}
        {status === 'ready' && drawn && drawn.count === 0 && <div class="plot-msg">No selected run has this tag</div>}
      </div>
    </div>
  );
}
