// Images dashboard: one card per selected run and tag, with a step slider,
// a sample picker for batched images and display adjustments.
import { useRef, useState } from 'preact/hooks';
import { fetchImages, type TagInfo } from './series_api';
import { Card, DashboardLayout, StepSlider, useSeen, useSeries, useStepIndex, useTagListing } from './common';
import type { DashboardProps } from './registry';

interface Look {
  brightness: number;
  contrast: number;
  actualSize: boolean;
}

const DEFAULT_LOOK: Look = { brightness: 1, contrast: 1, actualSize: false };
let savedLook: Look = DEFAULT_LOOK;

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
  look: Look;
}

function ImageCard({ item, color, generation, look }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const seen = useSeen(rootRef);
  const [sample, setSample] = useState(0);
  const samples = Math.max(1, item.samples);
  const s = Math.min(sample, samples - 1);
  const { data, status, error } = useSeries(`images\u0000${item.run}\u0000${item.tag}\u0000${s}`, generation, seen, (signal) =>
    fetchImages(item.run, item.tag, s, signal),
  );
  const [index, setIndex] = useStepIndex(data?.length ?? 0);
  const [failed, setFailed] = useState('');
  const entry = data && data.length ? data[Math.min(index, data.length - 1)] : null;
  const filter =
    look.brightness !== 1 || look.contrast !== 1 ? `brightness(${look.brightness}) contrast(${look.contrast})` : undefined;

  return (
    <Card
      item={item}
      color={color}
      status={status}
      error={error}
      rootRef={rootRef}
      class={look.actualSize ? 'actual-size' : ''}
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
      <div class="dash-image-frame">
        {entry && (
          <img
            key={entry.url}
            class="dash-image"
            src={entry.url}
            alt={`${item.tag} at step ${entry.step}`}
            style={filter ? { filter } : undefined}
            onLoad={() => setFailed('')}
            onError={() => setFailed(entry.url)}
          />
        )}
        {entry && failed === entry.url && <div class="dash-msg error">Could not load the image</div>}
        {!entry && status === 'loading' && <div class="dash-msg">Loading…</div>}
        {!entry && status === 'ready' && <div class="dash-msg">No image for this sample</div>}
      </div>
    </Card>
  );
}

export default function ImagesDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const { items, error } = useTagListing('images', generation);
  const [look, setLookState] = useState<Look>(savedLook);
  const setLook = (patch: Partial<Look>) => {
    savedLook = { ...look, ...patch };
    setLookState(savedLook);
  };
  const changed = look.brightness !== 1 || look.contrast !== 1;
  const controls = (
    <>
      <label class="control" title="Brightness">
        <span>Brightness</span>
        <input
          type="range"
          min="0"
          max="3"
          step="0.05"
          value={look.brightness}
          data-testid="brightness"
          onInput={(e) => setLook({ brightness: Number((e.target as HTMLInputElement).value) })}
        />
      </label>
      <label class="control" title="Contrast">
        <span>Contrast</span>
        <input
          type="range"
          min="0"
          max="3"
          step="0.05"
          value={look.contrast}
          data-testid="contrast"
          onInput={(e) => setLook({ contrast: Number((e.target as HTMLInputElement).value) })}
        />
      </label>
      <button class="link" disabled={!changed} onClick={() => setLook({ brightness: 1, contrast: 1 })}>
        Reset
      </button>
      <label class="control checkbox">
        <input
          type="checkbox"
          checked={look.actualSize}
          data-testid="actual-size"
          onChange={(e) => setLook({ actualSize: (e.target as HTMLInputElement).checked })}
        />
        <span>Actual size</span>
      </label>
    </>
  );
  return (
    <DashboardLayout
      plugin="images"
      noun="image data"
      items={items}
      error={error}
      runs={runs}
      selectedRuns={selectedRuns}
      controls={controls}
      renderCard={(item) => (
        <ImageCard
          key={`${item.run}\u0000${item.tag}`}
          item={item}
          color={runColor(item.run)}
          generation={generation}
          look={look}
        />
      )}
    />
  );
}
