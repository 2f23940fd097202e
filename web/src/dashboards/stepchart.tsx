// The card of the histograms and distributions dashboards: one run/tag
// series of steps, fetched once on screen, drawn by a canvas chart that
// follows the card's size and the colour theme.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TagInfo } from './series_api';
import { Card, TagDashboard, useCardSeries, useThemeVersion } from './common';
import type { DashboardProps } from './registry';
import { useChartFit } from '../hooks';
import type { Figure } from '../chart/chartImage';
import { ChartImageMenu } from '../components/ChartImageMenu';

/** What the card needs of a chart besides drawing its data. */
export interface StepChart {
  setSize(width: number, height: number): void;
  redraw(): void;
  destroy(): void;
  /** What is drawn, as a Figure for an image, the legend naming the run. */
  figure(name: string): Figure | null;
}

/** How a dashboard draws its series: fetch, chart and the draw call. */
interface StepChartKind<T, C extends StepChart> {
  /** The plugin whose series this is; names the series in the cache. */
  plugin: string;
  fetch: (run: string, tag: string, signal: AbortSignal) => Promise<T[]>;
  create: (el: HTMLDivElement) => C;
  /** Draws the data; returns whether anything finite was drawn. */
  draw: (chart: C, data: T[], color: string) => boolean;
  /** Another input of `draw`: the data are drawn again when it changes. */
  mode?: string;
}

interface StepChartCardProps<T, C extends StepChart> extends StepChartKind<T, C> {
  item: TagInfo;
  color: string;
  generation: number;
  theme: number;
}

function StepChartCard<T, C extends StepChart>({
  item,
  color,
  generation,
  theme,
  plugin,
  fetch,
  create,
  draw,
  mode,
}: StepChartCardProps<T, C>) {
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<C | null>(null);
  const { data, frame } = useCardSeries(item, color, `${plugin}\u0000${item.run}\u0000${item.tag}`, generation, (signal) =>
    fetch(item.run, item.tag, signal),
  );
  const [drawn, setDrawn] = useState<{ steps: number; finite: boolean } | null>(null);

  useEffect(() => {
    const el = plotRef.current;
    if (!el || !data) return;
    if (!chartRef.current) {
      chartRef.current = create(el);
      const r = el.getBoundingClientRect();
      chartRef.current.setSize(r.width, r.height);
    }
    const finite = draw(chartRef.current, data, color);
    setDrawn({ steps: data.length, finite });
  }, [data, color, mode]);

  useEffect(() => chartRef.current?.redraw(), [theme]);

  useChartFit(plotRef, chartRef);

  const steps = drawn?.steps ?? 0;
  return (
    <Card
      {...frame}
      aside={drawn ? `${steps} step${steps === 1 ? '' : 's'}` : ''}
      tools={<ChartImageMenu title={`${item.tag} (${item.run})`} figure={() => chartRef.current?.figure(item.run) ?? null} />}
      attrs={{ 'data-steps': drawn ? String(steps) : undefined, 'data-drawn': drawn ? String(drawn.finite) : undefined }}
    >
      <div class="plot dash-plot" ref={plotRef}>
        {frame.status === 'loading' && !data && <div class="plot-msg">Loading…</div>}
        {drawn && steps === 0 && <div class="plot-msg">No data</div>}
        {drawn && steps > 0 && !drawn.finite && <div class="plot-msg">Nothing finite to draw</div>}
      </div>
    </Card>
  );
}

interface StepChartDashboardProps<T, C extends StepChart> extends DashboardProps, StepChartKind<T, C> {
  noun: string;
  controls?: ComponentChildren;
}

/** A dashboard of one StepChartCard per selected run and tag. */
export function StepChartDashboard<T, C extends StepChart>({
  runColor,
  runs,
  selectedRuns,
  generation,
  noun,
  controls,
  ...kind
}: StepChartDashboardProps<T, C>) {
  const theme = useThemeVersion();
  return (
    <TagDashboard
      plugin={kind.plugin}
      noun={noun}
      runs={runs}
      selectedRuns={selectedRuns}
      generation={generation}
      controls={controls}
      renderCard={(item) => (
        <StepChartCard {...kind} item={item} color={runColor(item.run)} generation={generation} theme={theme} />
      )}
    />
  );
}
