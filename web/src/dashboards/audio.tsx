// Audio dashboard: a player per selected run and tag, with a step slider.
import { useRef, useState } from 'preact/hooks';
import { fetchAudio, type TagInfo } from './series_api';
import { Card, DashboardLayout, StepSlider, useSeen, useSeries, useStepIndex, useTagListing } from './common';
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
  const rootRef = useRef<HTMLDivElement>(null);
  const seen = useSeen(rootRef);
  const [sample, setSample] = useState(0);
  const samples = Math.max(1, item.samples);
  const s = Math.min(sample, samples - 1);
  const { data, status, error } = useSeries(`audio\u0000${item.run}\u0000${item.tag}\u0000${s}`, generation, seen, (signal) =>
    fetchAudio(item.run, item.tag, s, signal),
  );
  const [index, setIndex] = useStepIndex(data?.length ?? 0);
  const entry = data && data.length ? data[Math.min(index, data.length - 1)] : null;
  // The player rounds down to whole seconds (a 0.4 s clip reads 0:00): say the length.
  const [duration, setDuration] = useState<number | null>(null);

  return (
    <Card
      item={item}
      color={color}
      status={status}
      error={error}
      rootRef={rootRef}
      attrs={{ 'data-entries': data ? String(data.length) : undefined }}
    >
      <div class="dash-sliders">
        <StepSlider count={data?.length ?? 0} index={index} onChange={setIndex} step={entry?.step} wallTime={entry?.wallTime} />
        {samples > 1 && (
          <StepSlider
            count={samples}
            index={s}
            onChange={setSample}
            step={s}
            label={`Sample (of ${samples})`}
            testid="sample-slider"
          />
        )}
      </div>
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
      {!entry && status === 'loading' && <div class="dash-msg inline">Loading…</div>}
      {!entry && status === 'ready' && <div class="dash-msg inline">No clip for this sample</div>}
    </Card>
  );
}

export default function AudioDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('audio', generation);
  return (
    <DashboardLayout
      plugin="audio"
      noun="audio data"
      items={items}
      error={error}
      runs={runs}
      selectedRuns={selectedRuns}
      renderCard={(item) => (
        <AudioCard key={`${item.run}\u0000${item.tag}`} item={item} color={runColor(item.run)} generation={generation} />
      )}
    />
  );
}
