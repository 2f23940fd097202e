// Histograms dashboard: one ridge plot per selected run and tag.
import { useEffect, useRef, useState } from 'preact/hooks';
import { HistogramChart, type HistogramMode } from '../chart/ridge';
import { fetchHistograms, type TagInfo } from './api_extra';
import { Card, DashboardLayout, useSeen, useSeries, useTagListing, useThemeVersion } from './common';
import type { DashboardProps } from './registry';

let savedMode: HistogramMode = 'offset';

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
  mode: HistogramMode;
  theme: number;
}

function HistogramCard({ item, color, generation, mode, theme }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<HistogramChart | null>(null);
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(`histograms\u0000${item.run}\u0000${item.tag}`, generation, seen, (signal) =>
    fetchHistograms(item.run, item.tag, signal),
  );
  const [drawn, setDrawn] = useState<{ steps: number; finite: boolean } | null>(null);

  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    if (!chartRef.current) {
      chartRef.current = new HistogramChart(el);
      const r = el.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    const finite = chartRef.current.setData(data, color, mode);
    setDrawn({ steps: data.length, finite });
  }, [data, color, mode]);

  useEffect(() => chartRef.current?.redraw(), [theme]);

  useEffect(() => {
    const el = plotRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      chartRef.current?.setSize(r.width, r.height);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chartRef.current?.destroy();
      chartRef.current = null;
    };
  }, []);

  const steps = drawn?.steps ?? 0;
  return (
    <Card
      item={item}
      color={color}
      status={status}
      error={error}
      rootRef={rootRef}
      aside={drawn ? `${steps} step${steps === 1 ? '' : 's'}` : ''}
      attrs={{ 'data-steps': drawn ? String(steps) : undefined, 'data-drawn': drawn ? String(drawn.finite) : undefined }}
    >
      <div class="plot dash-plot" ref={plotRef}>
        {status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
        {drawn && steps === 0 && <div class="plot-msg">No data</div>}
        {drawn && steps > 0 && !drawn.finite && <div class="plot-msg">Nothing finite to draw</div>}
      </div>
    </Card>
  );
}

export default function HistogramsDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('histograms', generation);
  const [mode, setModeState] = useState<HistogramMode>(savedMode);
  const theme = useThemeVersion();
  const setMode = (m: HistogramMode) => {
    savedMode = m;
    setModeState(m);
  };
  const controls = (
    <div class="control segmented" role="group" aria-label="Histogram mode">
      {(
        [
          ['offset', 'Offset'],
          ['overlay', 'Overlay'],
        ] as Array<[HistogramMode, string]>
      ).map(([key, label]) => (
        <button
          key={key}
          class={mode === key ? 'active' : ''}
          aria-pressed={mode === key}
          data-mode={key}
          onClick={() => setMode(key)}
        >
          {label}
        </button>
      ))}
    </div>
  );
  return (
    <DashboardLayout
      plugin="histograms"
      noun="histogram data"
      items={items}
      error={error}
      runs={runs}
      selectedRuns={selectedRuns}
      controls={controls}
      renderCard={(item) => (
        <HistogramCard
          key={`${item.run}\u0000${item.tag}`}
          item={item}
          color={runColor(item.run)}
          generation={generation}
          mode={mode}
          theme={theme}
        />
      )}
    />
  );
}
