import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchHistograms, type HistogramStep } from '../api';
import { drawHistograms } from '../chart/histogramChart';
import { histogramFigure } from '../chart/ridge';
import type { ChartTheme } from '../chart/scalarChart';
import { useCardFetch } from '../data';
import { useInView } from '../hooks';
import type { HistogramMode } from '../state';
import { RunCard, type RunCardInfo } from './RunCard';
import { ChartImageMenu } from './ChartImageMenu';

interface Props extends RunCardInfo {
  mode: HistogramMode;
  generation: number;
  theme: ChartTheme;
}

export function HistogramCard(props: Props) {
  const { run, tag, color, mode, generation, theme } = props;
  const rootRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const visible = useInView(rootRef);
  const { value: steps, error } = useCardFetch<HistogramStep[]>(visible, String(generation), () => fetchHistograms(run, tag));
  const [size, setSize] = useState(0);
  const [drawable, setDrawable] = useState(true);

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
    <RunCard
      kind="histogram"
      card={props}
      rootRef={rootRef}
      steps={steps?.length}
      tools={
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
      }
    >
      <div class="plot">
        <canvas ref={canvasRef} class="hist-canvas" />
        {!steps && !error && <div class="plot-msg">Loading…</div>}
        {error && <div class="plot-msg error" title={error}>Failed to load</div>}
        {steps && (steps.length === 0 || !drawable) && <div class="plot-msg">No finite values to draw</div>}
      </div>
      {last && <div class="card-foot">{steps!.length} step{steps!.length === 1 ? '' : 's'} · last step {last.step}</div>}
    </RunCard>
  );
}
