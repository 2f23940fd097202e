// Images dashboard: one card per selected run and tag, with a step slider,
// a sample picker for batched images and display adjustments.
import { useState } from 'preact/hooks';
import { fetchImages, type TagInfo } from './series_api';
import { Card, EntryMessage, SampledSliders, TagDashboard, useSampledEntries } from './common';
import type { DashboardProps } from './registry';
import { NumberField } from '../components/NumberField';

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
  const steps = useSampledEntries(item, color, 'images', generation, fetchImages);
  const [failed, setFailed] = useState('');
  const entry = steps.entry;
  const filter =
    look.brightness !== 1 || look.contrast !== 1 ? `brightness(${look.brightness}) contrast(${look.contrast})` : undefined;

  return (
    <Card {...steps.frame} class={look.actualSize ? 'actual-size' : ''} attrs={steps.attrs}>
      <SampledSliders steps={steps} />
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
        <EntryMessage steps={steps} none="No image for this sample" />
      </div>
    </Card>
  );
}

export default function ImagesDashboard({ runColor, ...props }: DashboardProps) {
  const [look, setLookState] = useState<Look>(savedLook);
  const setLook = (patch: Partial<Look>) => {
    savedLook = { ...look, ...patch };
    setLookState(savedLook);
  };
  const changed = look.brightness !== 1 || look.contrast !== 1;
  const controls = (
    <>
      {(['brightness', 'contrast'] as const).map((k) => (
        <NumberField
          key={k}
          class="control"
          label={k === 'brightness' ? 'Brightness' : 'Contrast'}
          title={k === 'brightness' ? 'Brightness' : 'Contrast'}
          type="range"
          min="0"
          max="3"
          step="0.05"
          value={look[k]}
          testid={k}
          onInput={(v) => setLook({ [k]: v })}
        />
      ))}
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
    <TagDashboard
      {...props}
      plugin="images"
      noun="image data"
      controls={controls}
      renderCard={(item) => <ImageCard item={item} color={runColor(item.run)} generation={props.generation} look={look} />}
    />
  );
}
