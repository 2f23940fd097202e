import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchImages, imageUrl, type ImageStep } from '../api';
import { limited } from '../data';
import { formatWallTime } from '../format';
import { useInView } from '../hooks';
import { CardHead } from './CardHead';

interface Props {
  run: string;
  tag: string;
  samples: number;
  description: string;
  color: string;
  generation: number;
  pinned: boolean;
  onPin: () => void;
}

export function ImageCard({ run, tag, samples, description, color, generation, pinned, onPin }: Props) {
  const rootRef = useRef<HTMLDivElement>(null);
  const visible = useInView(rootRef);
  const [sample, setSample] = useState(0);
  const [steps, setSteps] = useState<ImageStep[] | null>(null);
  const [loaded, setLoaded] = useState('');
  const [error, setError] = useState('');
  /** Index into steps; null follows the newest step. */
  const [index, setIndex] = useState<number | null>(null);
  const [full, setFull] = useState(false);

  const key = `${generation}/${sample}`;
  useEffect(() => {
    if (!visible || loaded === key) return;
    let cancelled = false;
    limited(() => fetchImages(run, tag, sample)).then(
      (s) => {
        if (cancelled) return;
        setSteps((prev) => (prev && JSON.stringify(prev) === JSON.stringify(s) ? prev : s));
        setLoaded(key);
        setError('');
      },
      (e) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [visible, key, run, tag]);

  const n = steps?.length ?? 0;
  const i = n === 0 ? -1 : index === null ? n - 1 : Math.min(index, n - 1);
  const cur = i >= 0 ? steps![i] : null;
  return (
    <div
      class={'card image-card' + (full ? ' full' : '')}
      ref={rootRef}
      data-kind="image"
      data-tag={tag}
      data-card-run={run}
      data-steps={steps ? String(n) : undefined}
    >
      <CardHead
        title={tag}
        description={description}
        subtitle={
          <span class="run-chip">
            <span class="swatch" style={{ background: color }} />
            {run}
          </span>
        }
        pinned={pinned}
        onPin={onPin}
        full={full}
        onFull={() => setFull(!full)}
      />
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
    </div>
  );
}
