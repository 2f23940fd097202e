// Placeholder for the Text dashboard.
import type { DashboardProps } from './registry';

export default function TextDashboard(_props: DashboardProps) {
  return (
    <main class="main">
      <div class="empty-state">
        <h3>Text</h3>
        <p>This dashboard is not available yet.</p>
      </div>
    </main>
  );
}
