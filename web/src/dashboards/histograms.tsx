// Histograms dashboard: one ridge plot per selected run and tag.
import { HistogramChart, type HistogramMode } from '../chart/ridge';
import { settings, useSettings } from '../state';
import { fetchHistograms } from './series_api';
import type { DashboardProps } from './registry';
import { StepChartDashboard } from './stepchart';

export default function HistogramsDashboard(props: DashboardProps) {
  // The mode is in the URL (shared with Time Series' histogram cards).
  const mode = useSettings().histogramMode;
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
    <StepChartDashboard
      {...props}
      plugin="histograms"
      noun="histogram data"
      controls={controls}
      fetch={fetchHistograms}
      create={(el) => new HistogramChart(el)}
      draw={(chart, data, color) => chart.setData(data, color, mode)}
      mode={mode}
    />
  );
}
