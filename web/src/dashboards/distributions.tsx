// Distributions dashboard: percentile bands over steps per selected run and tag.
import { useEffect, useRef, useState } from 'preact/hooks';
import { DistributionChart } from '../chart/bands';
import { fetchDistributions, type TagInfo } from './api_extra';
import { Card, DashboardLayout, useSeen, useSeries, useTagListing, useThemeVersion } from './common';
import type { DashboardProps } from './registry';

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
  theme: number;
}

function DistributionCard({ item, color, generation, theme }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<DistributionChart | null>(null);
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(`distributions\u0000${item.run}\u0000${item.tag}`, generation, seen, (signal) =>
    fetchDistributions(item.run, item.tag, signal),
  );
  const [drawn, setDrawn] = useState<{ steps: number; finite: boolean } | null>(null);

  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    if (!chartRef.current) {
      chartRef.current = new DistributionChart(el);
      const r = el.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    const finite = chartRef.current.setData(data, color);
    setDrawn({ steps: data.length, finite });
  }, [data, color]);

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

export default function DistributionsDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('distributions', generation);
  const theme = useThemeVersion();
  const legend = (
    <span class="dash-legend" title="Shaded bands, outside in: min–max, 7–93%, 16–84%, 31–69%; the line is the median">
      Bands: min–max · 7–93% · 16–84% · 31–69% · median
    </span>
  );
  return (
    <DashboardLayout
      plugin="distributions"
      noun="distribution data"
      items={items}
      error={error}
      runs={runs}
      selectedRuns={selectedRuns}
      controls={legend}
      renderCard={(item) => (
        <DistributionCard
          key={`${item.run}\u0000${item.tag}`}
          item={item}
          color={runColor(item.run)}
          generation={generation}
          theme={theme}
        />
      )}
    />
  );
}
