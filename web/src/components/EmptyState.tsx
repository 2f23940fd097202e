// What a dashboard shows in place of its charts when it has nothing to
// draw: a heading, and a line saying why.
import type { ComponentChildren } from 'preact';

export function EmptyState({ title, children }: { title: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="empty-state">
      <h3>{title}</h3>
      <p>{children}</p>
    </div>
  );
}
