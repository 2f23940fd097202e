// Placeholder for the Distributions dashboard.
import type { DashboardProps } from './registry';

export default function DistributionsDashboard(_props: DashboardProps) {
  return (
    <main class="main">
      <div class="empty-state">
        <h3>Distributions</h3>
        <p>This dashboard is not available yet.</p>
      </div>
    </main>
  );
}
