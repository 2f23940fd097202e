// Text dashboard: the server's rendered (and sanitised) Markdown per step.
import { fetchText, type TagInfo } from './series_api';
import { Card, EntryMessage, EntrySlider, TagDashboard, useStepEntries } from './common';
import type { DashboardProps } from './registry';

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
}

function TextCard({ item, color, generation }: CardProps) {
  const steps = useStepEntries(item, color, `text\u0000${item.run}\u0000${item.tag}`, generation, (signal) =>
    fetchText(item.run, item.tag, signal),
  );
  const entry = steps.entry;

  return (
    <Card {...steps.frame} class="dash-text-card" attrs={steps.attrs}>
      <EntrySlider steps={steps} />
      {entry && (
        <div class="dash-text markdown" data-step={String(entry.step)} dangerouslySetInnerHTML={{ __html: entry.html }} />
      )}
      <EntryMessage steps={steps} none="No text" inline />
    </Card>
  );
}

export default function TextDashboard({ runColor, ...props }: DashboardProps) {
  return (
    <TagDashboard
      {...props}
      plugin="text"
      noun="text data"
      renderCard={(item) => <TextCard item={item} color={runColor(item.run)} generation={props.generation} />}
    />
  );
}
