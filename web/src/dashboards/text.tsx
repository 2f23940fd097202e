// Text dashboard: the server's rendered (and sanitised) Markdown per step.
import { useRef } from 'preact/hooks';
import { fetchText, type TagInfo } from './series_api';
import { Card, DashboardLayout, StepSlider, useSeen, useSeries, useStepIndex, useTagListing } from './common';
import type { DashboardProps } from './registry';

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
}

function TextCard({ item, color, generation }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const seen = useSeen(rootRef);
  const { data, status, error } = useSeries(`text\u0000${item.run}\u0000${item.tag}`, generation, seen, (signal) =>
    fetchText(item.run, item.tag, signal),
  );
  const [index, setIndex] = useStepIndex(data?.length ?? 0);
  const entry = data && data.length ? data[Math.min(index, data.length - 1)] : null;

  return (
    <Card
      item={item}
      color={color}
      status={status}
      error={error}
      rootRef={rootRef}
      class="dash-text-card"
      attrs={{ 'data-entries': data ? String(data.length) : undefined }}
    >
      <StepSlider count={data?.length ?? 0} index={index} onChange={setIndex} step={entry?.step} wallTime={entry?.wallTime} />
      {entry && (
        <div class="dash-text markdown" data-step={String(entry.step)} dangerouslySetInnerHTML={{ __html: entry.html }} />
      )}
      {!entry && status === 'loading' && <div class="dash-msg inline">Loading…</div>}
      {!entry && status === 'ready' && <div class="dash-msg inline">No text</div>}
    </Card>
  );
}

export default function TextDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('text', generation);
  return (
    <DashboardLayout
      plugin="text"
      noun="text data"
      items={items}
      error={error}
      runs={runs}
      selectedRuns={selectedRuns}
      renderCard={(item) => (
        <TextCard key={`${item.run}\u0000${item.tag}`} item={item} color={runColor(item.run)} generation={generation} />
      )}
    />
  );
}
