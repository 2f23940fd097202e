// Histograms dashboard: one ridge plot per selected run and tag.
import { HistogramChart, type HistogramMode } from '../chart/ridge';
import { settings, useSettings } from '../state';
import { fetchHistograms } from './series_api';
import { DashboardLayout, useTagListing, useThemeVersion } from './common';
import type { DashboardProps } from './registry';
import { StepChartCard } from './stepchart';

export default function HistogramsDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('histograms', generation);
  // The mode is in the URL (shared with Time Series' histogram cards).
  const mode = useSettings().histogramMode;
  const theme = useThemeVersion();
  const setMode = (m: HistogramMode) => settings.update({ histogramMode: m });
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
        <StepChartCard
          key={`${item.run}\u0000${item.tag}`}
          item={item}
          color={runColor(item.run)}
          generation={generation}
          theme={theme}
          plugin="histograms"
          fetch={fetchHistograms}
          create={(el) => new HistogramChart(el)}
          draw={(chart, data, color) => chart.setData(data, color, mode)}
          mode={mode}
        />
      )}
    />
  );
}
