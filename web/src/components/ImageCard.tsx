import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchImages, imageUrl, type ImageStep } from '../api';
import { useCardFetch } from '../data';
import { formatWallTime } from '../format';
import { useInView } from '../hooks';
import { RunCard, type RunCardInfo } from './RunCard';

interface Props extends RunCardInfo {
  samples: number;
  generation: number;
}

export function ImageCard(props: Props) {
  const { run, tag, samples, generation } = props;
  const rootRef = useRef<HTMLDivElement>(null);
  const visible = useInView(rootRef);
  const [sample, setSample] = useState(0);
  const { value: steps, error } = useCardFetch<ImageStep[]>(visible, `${generation}/${sample}`, () => fetchImages(run, tag, sample));
  /** Index into steps; null follows the newest step. */
  const [index, setIndex] = useState<number | null>(null);

  const n = steps?.length ?? 0;
  const i = n === 0 ? -1 : index === null ? n - 1 : Math.min(index, n - 1);
  const cur = i >= 0 ? steps![i] : null;
  return (
    <RunCard kind="image" card={props} rootRef={rootRef} steps={steps ? n : undefined}>
      <div class="image-frame">
        {cur && (
          <img
            key={cur.imageId}
            src={imageUrl(cur.imageId)}
            alt={`${tag} at step ${cur.step}`}
            data-step={String(cur.step)}
            onError={(e) => ((e.target as HTMLImageElement).style.visibility = 'hidden')}
          />
        )}
        {!steps && !error && <div class="plot-msg">Loading…</div>}
        {error && <div class="plot-msg error" title={error}>Failed to load</div>}
        {steps && n === 0 && <div class="plot-msg">No image</div>}
      </div>
      <div class="image-controls">
        <span class="step-label" data-testid="image-step">
          {cur ? `Step ${cur.step}` : ''}
        </span>
        <input
          type="range"
          min="0"
          max={Math.max(0, n - 1)}
          step="1"
          value={Math.max(0, i)}
          disabled={n < 2}
          data-testid="image-slider"
          aria-label="Step"
          onInput={(e) => setIndex(Number((e.target as HTMLInputElement).value))}
        />
        {samples > 1 && (
          <label class="sample">
            Sample
            <input
              type="number"
              min="0"
              max={samples - 1}
              value={sample}
              onChange={(e) => setSample(Math.max(0, Math.min(samples - 1, Number((e.target as HTMLInputElement).value) || 0)))}
            />
          </label>
        )}
      </div>
      {cur && <div class="card-foot">{formatWallTime(cur.wallTime)}</div>}
    </RunCard>
  );
}
