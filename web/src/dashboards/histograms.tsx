// Histograms dashboard: one ridge plot per selected run and tag.
import { HistogramChart, type HistogramMode } from '../chart/ridge';
import { settings, useSettings } from '../state';
import { fetchHistograms } from './series_api';
import type { DashboardProps } from './registry';
import { StepChartDashboard } from './stepchart';
import { HISTOGRAM_MODES } from '../components/Controls';
import { Segmented } from '../components/Segmented';

export default function HistogramsDashboard(props: DashboardProps) {
  // The mode is in the URL (shared with Time Series' histogram cards).
  const mode = useSettings().histogramMode;
  const setMode = (m: HistogramMode) => settings.update({ histogramMode: m });
  const controls = <Segmented label="Histogram mode" attr="mode" options={HISTOGRAM_MODES} value={mode} onChange={setMode} />;
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
