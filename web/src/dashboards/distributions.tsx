// Distributions dashboard: percentile bands over steps per selected run and tag.
import { DistributionChart } from '../chart/bands';
import { fetchDistributions } from './series_api';
import type { DashboardProps } from './registry';
import { StepChartDashboard } from './stepchart';

export default function DistributionsDashboard(props: DashboardProps) {
  const legend = (
    <span class="dash-legend" title="Shaded bands, outside in: min–max, 7–93%, 16–84%, 31–69%; the line is the median">
      Bands: min–max · 7–93% · 16–84% · 31–69% · median
    </span>
  );
  return (
    <StepChartDashboard
      {...props}
      plugin="distributions"
      noun="distribution data"
      controls={legend}
      fetch={fetchDistributions}
      create={(el) => new DistributionChart(el)}
      draw={(chart, data, color) => chart.setData(data, color)}
    />
  );
}
