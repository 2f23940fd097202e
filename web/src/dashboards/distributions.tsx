// Distributions dashboard: percentile bands over steps per selected run and tag.
import { DistributionChart } from '../chart/bands';
import { fetchDistributions } from './series_api';
import { DashboardLayout, useTagListing, useThemeVersion } from './common';
import type { DashboardProps } from './registry';
import { StepChartCard } from './stepchart';

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
        <StepChartCard
          key={`${item.run}\u0000${item.tag}`}
          item={item}
          color={runColor(item.run)}
          generation={generation}
          theme={theme}
          plugin="distributions"
          fetch={fetchDistributions}
          create={(el) => new DistributionChart(el)}
          draw={(chart, data, color) => chart.setData(data, color)}
        />
      )}
    />
  );
}
