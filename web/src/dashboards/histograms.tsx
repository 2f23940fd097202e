// Placeholder for the Histograms dashboard.
import type { DashboardProps } from './registry';

export default function HistogramsDashboard(_props: DashboardProps) {
  return (
    <main class="main">
      <div class="empty-state">
        <h3>Histograms</h3>
        <p>This dashboard is not available yet.</p>
      </div>
    </main>
  );
}
