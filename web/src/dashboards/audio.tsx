// Placeholder for the Audio dashboard.
import type { DashboardProps } from './registry';

export default function AudioDashboard(_props: DashboardProps) {
  return (
    <main class="main">
      <div class="empty-state">
        <h3>Audio</h3>
        <p>This dashboard is not available yet.</p>
      </div>
    </main>
  );
}
