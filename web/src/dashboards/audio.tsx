// Audio dashboard: a player per selected run and tag, with a step slider.
import { useState } from 'preact/hooks';
import { fetchAudio, type TagInfo } from './series_api';
import { Card, EntryMessage, SampledSliders, TagDashboard, useSampledEntries } from './common';
import type { DashboardProps } from './registry';

/** A clip's length: "0.40 s" under a minute, else "m:ss". */
function clipLength(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '';
  if (sec < 60) return `${sec < 10 ? sec.toFixed(2) : sec.toFixed(1)} s`;
  const m = Math.floor(sec / 60);
  const r = Math.round(sec - m * 60);
  return `${m}:${String(r).padStart(2, '0')}`;
}

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
}

function AudioCard({ item, color, generation }: CardProps) {
  const steps = useSampledEntries(item, color, 'audio', generation, fetchAudio);
  const entry = steps.entry;
  // The player rounds down to whole seconds (a 0.4 s clip reads 0:00): say the length.
  const [duration, setDuration] = useState<number | null>(null);

  return (
    <Card {...steps.frame} attrs={steps.attrs}>
      <SampledSliders steps={steps} />
      {entry && (
        <div class="dash-audio">
          <audio
            key={entry.url}
            controls
            preload="metadata"
            src={entry.url}
            onLoadedMetadata={(e) => setDuration((e.target as HTMLAudioElement).duration)}
          >
            <a href={entry.url}>Download the clip</a>
          </audio>
          {duration !== null && (
            <span class="dash-audio-length" data-testid="audio-length" title="Length of the clip">
              {clipLength(duration)}
            </span>
          )}
          {entry.html && <div class="dash-label markdown" dangerouslySetInnerHTML={{ __html: entry.html }} />}
        </div>
      )}
      <EntryMessage steps={steps} none="No clip for this sample" inline />
    </Card>
  );
}

export default function AudioDashboard({ runColor, ...props }: DashboardProps) {
  return (
    <TagDashboard
      {...props}
      plugin="audio"
      noun="audio data"
      renderCard={(item) => <AudioCard item={item} color={runColor(item.run)} generation={props.generation} />}
    />
  );
}
