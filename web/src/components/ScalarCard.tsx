import { useEffect, useRef, useState } from 'preact/hooks';
import { ScalarChart, type ChartLine, type ChartTheme } from '../chart/scalarChart';
import type { RunColors } from '../colors';
import { scalarCache } from '../data';
import { useInView } from '../hooks';
import { smooth } from '../smoothing';
import type { Settings } from '../state';
import type { ScalarSeries } from '../api';

interface Props {
  tag: string;
  /** Runs that have this tag and are selected, in run order. */
  runs: string[];
  description: string;
  generation: number;
  settings: Settings;
  colors: RunColors;
  theme: ChartTheme;
}

type Status = 'idle' | 'loading' | 'ready' | 'error';

function xValues(series: ScalarSeries, axis: Settings['xAxis']): Float64Array {
  if (axis === 'step') return series.step;
  if (axis === 'wall') return series.wallTime;
  const start = series.wallTime.length ? series.wallTime[0] : 0;
  return series.wallTime.map((t) => (t - start) / 3600);
}

function plainText(html: string): string {
  if (!html) return '';
  return new DOMParser().parseFromString(html, 'text/html').body.textContent ?? '';
}

export function ScalarCard({ tag, runs, description, generation, settings: s, colors, theme }: Props) {
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ScalarChart | null>(null);
  const visible = useInView(rootRef);
  const [entry, setEntry] = useState(() => scalarCache.peek(tag));
  const [status, setStatus] = useState<Status>(entry ? 'ready' : 'idle');
  const [error, setError] = useState('');
  const [drawn, setDrawn] = useState<{ count: number; smoothing: number } | null>(null);

  // Fetch when on screen and the data is older than the current generation.
  useEffect(() => {
    if (!visible) return;
    if (entry && entry.generation >= generation) return;
    let cancelled = false;
    if (!entry) setStatus('loading');
    scalarCache.load(tag, generation).then(
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
  const runsKey = runs.join('\u0000');
  useEffect(() => {
    if (!visible || !result || !plotRef.current) return;
    const lines: ChartLine[] = [];
    for (const run of runs) {
      const series = result.runs.get(run);
      if (!series) continue;
      lines.push({
        run,
        color: colors.color(run),
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
    chartRef.current.update(lines, { xAxis: s.xAxis, logY: s.logY, showRaw: s.smoothing > 0, theme });
    setDrawn({ count: lines.length, smoothing: s.smoothing });
  }, [visible, result, runsKey, s.smoothing, s.xAxis, s.logY, theme]);

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

  const desc = plainText(description);
  return (
    <div
      class="card"
      ref={rootRef}
      data-tag={tag}
      data-state={status}
      data-series-count={drawn ? String(drawn.count) : undefined}
      data-smoothing={drawn ? String(drawn.smoothing) : undefined}
    >
      <div class="card-head">
        <span class="card-title" title={tag}>
          {tag}
        </span>
        {desc && (
          <span class="info" title={desc}>
            i
          </span>
        )}
        <span class="card-runs">{drawn ? `${drawn.count} run${drawn.count === 1 ? '' : 's'}` : ''}</span>
      </div>
      <div class="plot" ref={plotRef}>
        {status === 'loading' && <div class="plot-msg">Loading…</div>}
        {status === 'error' && <div class="plot-msg error" title={error}>Failed to load</div>}
        {status === 'ready' && drawn && drawn.count === 0 && <div class="plot-msg">No selected run has this tag</div>}
      </div>
    </div>
  );
}
