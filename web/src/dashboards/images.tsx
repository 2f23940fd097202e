// Placeholder for the Images dashboard.
import type { DashboardProps } from './registry';

export default function ImagesDashboard(_props: DashboardProps) {
  return (
    <main class="main">
      <div class="empty-state">
        <h3>Images</h3>
        <p>This dashboard is not available yet.</p>
      </div>
    </main>
  );
}
