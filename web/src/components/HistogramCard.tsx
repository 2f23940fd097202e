import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchHistograms, type HistogramStep } from '../api';
import { drawHistograms } from '../chart/histogramChart';
import { histogramFigure } from '../chart/ridge';
import type { ChartTheme } from '../chart/scalarChart';
import { limited } from '../data';
import { useInView } from '../hooks';
import type { HistogramMode } from '../state';
import { CardHead } from './CardHead';
import { ChartImageMenu } from './ChartImageMenu';

interface Props {
  run: string;
  tag: string;
  description: string;
  color: string;
  mode: HistogramMode;
  generation: number;
  theme: ChartTheme;
  pinned: boolean;
  onPin: () => void;
}

export function HistogramCard({ run, tag, description, color, mode, generation, theme, pinned, onPin }: Props) {
  const rootRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const visible = useInView(rootRef);
  const [steps, setSteps] = useState<HistogramStep[] | null>(null);
  const [loadedGen, setLoadedGen] = useState(-1);
  const [error, setError] = useState('');
  const [full, setFull] = useState(false);
  const [size, setSize] = useState(0);
  const [drawable, setDrawable] = useState(true);

  useEffect(() => {
    if (!visible || loadedGen >= generation) return;
    let cancelled = false;
    limited(() => fetchHistograms(run, tag)).then(
      (s) => {
        if (cancelled) return;
        setSteps((prev) => (prev && JSON.stringify(prev) === JSON.stringify(s) ? prev : s));
        setLoadedGen(generation);
        setError('');
      },
      (e) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [visible, generation, run, tag]);

  useEffect(() => {
    const el = canvasRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize(el.clientWidth * 10000 + el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (visible && steps && canvasRef.current) setDrawable(drawHistograms(canvasRef.current, steps, mode, color, theme));
  }, [visible, steps, mode, color, theme, size]);

  const last = steps && steps.length ? steps[steps.length - 1] : null;
  return (
    <div
      class={'card histogram-card' + (full ? ' full' : '')}
      ref={rootRef}
      data-kind="histogram"
      data-tag={tag}
      data-card-run={run}
      data-steps={steps ? String(steps.length) : undefined}
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
      >
        <ChartImageMenu
          title={`${tag} (${run})`}
          figure={() =>
            steps &&
            histogramFigure(
              steps.map((s) => ({ wallTime: s.wallTime, step: s.step, buckets: s.bins.map((b) => ({ left: b.min, right: b.max, count: b.count })) })),
              color,
              mode,
              run,
            )
          }
        />
      </CardHead>
      <div class="plot">
        <canvas ref={canvasRef} class="hist-canvas" />
        {!steps && !error && <div class="plot-msg">Loading…</div>}
        {error && <div class="plot-msg error" title={error}>Failed to load</div>}
        {steps && (steps.length === 0 || !drawable) && <div class="plot-msg">No finite values to draw</div>}
      </div>
      {last && <div class="card-foot">{steps!.length} step{steps!.length === 1 ? '' : 's'} · last step {last.step}</div>}
    </div>
  );
}
