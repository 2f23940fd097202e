// Embedding projector: pick a run and an embedding, reduce it to 3-D or 2-D
// with PCA, t-SNE or UMAP in a Web Worker (the page stays responsive at
// 50,000 points), and explore the points (colour by a metadata column, also
// over sprite thumbnails; search labels; hover for a label; pick a point for
// its nearest neighbours; isolate the highlighted points and lay them out
// alone).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  fetchProjectorInfo,
  fetchProjectorMetadata,
  fetchProjectorRuns,
  fetchProjectorTensor,
  spriteUrl,
  type EmbeddingInfo,
  type Metadata,
} from './projector_api';
import { Segmented } from '../components/Segmented';
import { Select } from '../components/Select';
import { errorText, useListing, useThemeVersion } from './common';
import { LayoutWorker, type Layout, type Method } from './projector_jobs';
import { nearestNeighbours, type Metric } from './projector_math';
import { PointsView } from './projector_view';
import type { DashboardProps } from './registry';
import { webglAvailable } from './three_util';
import { EmptyState } from '../components/EmptyState';
import './view3d.css';
import './projector.css';

const METHODS: Array<[Method, string]> = [
  ['pca', 'PCA'],
  ['tsne', 't-SNE'],
  ['umap', 'UMAP'],
];

const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#3949ab', '#f4511e', '#00897b', '#c0ca33', '#8e24aa',
  '#6d4c41', '#d81b60', '#546e7a', '#fdd835', '#039be5',
];

interface Loaded {
  key: string;
  x: Float32Array;
  n: number;
  d: number;
  meta: Metadata;
  sprite: HTMLImageElement | null;
  spriteDim: [number, number] | null;
}

// The choices survive switching tabs.
const saved = {
  run: '',
  embedding: '',
  method: 'pca' as Method,
  dims: 3,
  colorBy: -1,
  sprites: true,
  perplexity: 30,
  learningRate: 10,
  umapNeighbours: 15,
  neighbours: 10,
  metric: 'cosine' as Metric,
};

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

interface Coloring {
  rgb: Float32Array;
  legend: Array<{ label: string; color: string }>;
  range: [number, number] | null;
}

function toCss(c: [number, number, number]): string {
  return `rgb(${c.map((v) => Math.round(v * 255)).join(',')})`;
}

/** Colours per point from a metadata column: a ramp for numbers, categories otherwise. */
function colorPoints(n: number, meta: Metadata, col: number, uniform: string): Coloring {
  const rgb = new Float32Array(n * 3);
  if (col < 0 || col >= meta.columns.length) {
    const c = hexToRgb(uniform);
    for (let i = 0; i < n; i++) rgb.set(c, i * 3);
    return { rgb, legend: [], range: null };
  }
  const values = Array.from({ length: n }, (_, i) => meta.rows[i]?.[col] ?? '');
  const nums = values.map((v) => (v.trim() === '' ? NaN : Number(v)));
  const distinct = new Map<string, number>();
  for (const v of values) if (!distinct.has(v)) distinct.set(v, distinct.size);
  const numeric = nums.every((v, i) => Number.isFinite(v) || values[i].trim() === '') && distinct.size > PALETTE.length;
  if (numeric) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of nums) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    for (let i = 0; i < n; i++) {
      const t = Number.isFinite(nums[i]) ? (hi > lo ? (nums[i] - lo) / (hi - lo) : 0.5) : -1;
      rgb.set(t < 0 ? [0.6, 0.6, 0.6] : hslToRgb(0.66 - 0.58 * t, 0.75, 0.5), i * 3);
    }
    return { rgb, legend: [], range: [lo, hi] };
  }
  const colors: Array<[number, number, number]> = [];
  for (const [, idx] of distinct) {
    colors.push(distinct.size <= PALETTE.length ? hexToRgb(PALETTE[idx]) : hslToRgb((idx * 0.618034) % 1, 0.65, 0.5));
  }
  for (let i = 0; i < n; i++) rgb.set(colors[distinct.get(values[i])!], i * 3);
  const legend = [...distinct.keys()].slice(0, 12).map((label, i) => ({ label: label || '(empty)', color: toCss(colors[i]) }));
  return { rgb, legend: distinct.size <= 12 ? legend : [], range: null };
}

function loadImage(url: string): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * A number input that keeps what is typed until Enter or leaving the field
 * (frequent redraws, e.g. while t-SNE runs, must not reset it), then
 * commits it clamped to [min, max].
 */
function NumberField(props: { value: number; min: number; max: number; step: number; testid: string; onCommit: (v: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const commit = () => {
    if (draft === null) return;
    const v = Number(draft);
    setDraft(null);
    if (draft.trim() !== '' && Number.isFinite(v)) props.onCommit(Math.min(props.max, Math.max(props.min, v)));
  };
  return (
    <input
      class="number"
      type="number"
      min={props.min}
      max={props.max}
      step={props.step}
      value={draft ?? String(props.value)}
      data-testid={props.testid}
      onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
      onChange={commit}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

export default function ProjectorDashboard({ generation }: DashboardProps) {
  // Runs with a projector config.
  const { items: runs, error: runsError } = useListing(fetchProjectorRuns, generation);
  const [run, setRunState] = useState(saved.run);
  const [infos, setInfos] = useState<EmbeddingInfo[] | null>(null);
  const [embedding, setEmbeddingState] = useState(saved.embedding);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState('');
  const [method, setMethodState] = useState<Method>(saved.method);
  const [dims, setDimsState] = useState(saved.dims);
  const [colorBy, setColorByState] = useState(saved.colorBy);
  const [showSprites, setShowSprites] = useState(saved.sprites);
  const [search, setSearch] = useState('');
  const [coords, setCoords] = useState<{ key: string; xyz: Float32Array; explained: number[] } | null>(null);
  const [busy, setBusy] = useState('');
  const [layoutState, setLayoutState] = useState<{ iteration: number; total: number; running: boolean; stepMs: number }>({
    iteration: 0,
    total: 0,
    running: false,
    stepMs: 0,
  });
  const [umapNeighbours, setUmapNeighboursState] = useState(saved.umapNeighbours);
  /** Rows laid out alone (isolated), ascending, or null for all. */
  const [isolated, setIsolated] = useState<Int32Array | null>(null);
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null);
  const [perplexity, setPerplexityState] = useState(saved.perplexity);
  const [learningRate, setLearningRateState] = useState(saved.learningRate);
  const [picked, setPicked] = useState(-1);
  const [neighbourCount, setNeighbourCountState] = useState(saved.neighbours);
  const [metric, setMetricState] = useState<Metric>(saved.metric);
  const [webgl, setWebgl] = useState(() => webglAvailable());
  const theme = useThemeVersion();

  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<PointsView | null>(null);
  const workerRef = useRef<LayoutWorker | null>(null);

  const setRun = (r: string) => ((saved.run = r), setRunState(r));
  const setEmbedding = (e: string) => ((saved.embedding = e), setEmbeddingState(e));
  const setMethod = (m: Method) => ((saved.method = m), setMethodState(m));
  const setDims = (d: number) => ((saved.dims = d), setDimsState(d));
  const setColorBy = (c: number) => ((saved.colorBy = c), setColorByState(c));
  const setPerplexity = (v: number) => ((saved.perplexity = v), setPerplexityState(v));
  const setLearningRate = (v: number) => {
    saved.learningRate = v;
    setLearningRateState(v);
    workerRef.current?.send({ type: 'learningRate', value: v });
  };
  const setUmapNeighbours = (v: number) => ((saved.umapNeighbours = v), setUmapNeighboursState(v));
  const setNeighbourCount = (v: number) => ((saved.neighbours = v), setNeighbourCountState(v));
  const setMetric = (m: Metric) => ((saved.metric = m), setMetricState(m));


  const activeRun = runs && runs.includes(run) ? run : runs?.[0] ?? '';

  useEffect(() => {
    if (!activeRun) return;
    const ctl = new AbortController();
    fetchProjectorInfo(activeRun, ctl.signal).then(
      (i) => setInfos(i),
      (e) => {
        if (!ctl.signal.aborted) (setInfos([]), setLoadError(errorText(e)));
      },
    );
    return () => ctl.abort();
  }, [activeRun, generation]);

  const info = infos?.find((e) => e.tensorName === embedding) ?? infos?.[0] ?? null;
  const dataKey = info ? `${activeRun}\u0000${info.tensorName}` : '';

  // Tensor, metadata and sprite of the chosen embedding.
  useEffect(() => {
    if (!info || loaded?.key === dataKey) return;
    const ctl = new AbortController();
    setLoadError('');
    setBusy('Loading embedding…');
    const name = info.tensorName;
    Promise.all([
      fetchProjectorTensor(activeRun, name, ctl.signal),
      info.metadataPath ? fetchProjectorMetadata(activeRun, name, ctl.signal) : Promise.resolve({ columns: [], rows: [] }),
      info.sprite ? loadImage(spriteUrl(activeRun, name)) : Promise.resolve(null),
    ]).then(
      ([x, meta, sprite]) => {
        let [n, d] = info.tensorShape;
        if (!(n > 0 && d > 0) || n * d !== x.length) {
          d = d > 0 ? d : 1;
          n = Math.floor(x.length / d);
        }
        setLoaded({ key: dataKey, x, n, d, meta, sprite, spriteDim: info.sprite?.singleImageDim ?? null });
        setCoords(null);
        setBusy('');
      },
      (e) => {
        if (ctl.signal.aborted) return;
        setBusy('');
        setLoadError(errorText(e));
      },
    );
    return () => ctl.abort();
  }, [dataKey]);

  // The 3-D view.
  useEffect(() => {
    const canvas = canvasRef.current;
    const box = boxRef.current;
    if (!canvas || !box) return;
    const view = new PointsView(canvas, (i, x, y) => setHover(i >= 0 ? { i, x, y } : null));
    viewRef.current = view;
    if (!webglAvailable()) setWebgl(false);
    // Reachable from the canvas, for measuring tools and tests.
    (canvas as HTMLCanvasElement & { tbView?: PointsView }).tbView = view;
    const ro = new ResizeObserver(() => {
      const r = box.getBoundingClientRect();
      view.setSize(r.width, r.height);
    });
    ro.observe(box);
    // A click (not a drag) picks the point under the pointer, or clears the pick.
    let down: [number, number] | null = null;
    const onDown = (e: PointerEvent) => (down = [e.clientX, e.clientY]);
    const onUp = (e: PointerEvent) => {
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
      const r = canvas.getBoundingClientRect();
      setPicked(view.pick(e.clientX - r.left, e.clientY - r.top));
    };
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointerup', onUp);
    return () => {
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointerup', onUp);
      ro.disconnect();
      view.destroy();
      viewRef.current = null;
    };
  }, []);

  useEffect(() => {
    viewRef.current?.setTheme(cssVar('--accent', '#e8710a'), cssVar('--muted', '#888888'));
  }, [theme]);

  // The layout worker, for the dashboard's lifetime.
  useEffect(() => {
    const w = new LayoutWorker({
      layout: (l: Layout) => {
        const key = layoutKeyRef.current;
        setCoords({ key, xyz: l.xyz, explained: l.explained });
        setLayoutState({ iteration: l.iteration, total: l.total, running: l.running, stepMs: l.stepMs });
        setBusy('');
      },
      status: (text) => setBusy(text),
      error: (message) => (setBusy(''), setLoadError(message)),
    });
    workerRef.current = w;
    return () => {
      w.destroy();
      workerRef.current = null;
    };
  }, []);

  const isolatedKey = useMemo(() => {
    if (!isolated) return '';
    let h = 0;
    for (const i of isolated) h = (Math.imul(h, 31) + i) | 0;
    return `${isolated.length}:${h}`;
  }, [isolated]);
  const layoutKey = loaded
    ? [loaded.key, method, dims, method === 'tsne' ? perplexity : '', method === 'umap' ? umapNeighbours : '', isolatedKey].join('\u0000')
    : '';
  const layoutKeyRef = useRef(layoutKey);
  layoutKeyRef.current = layoutKey;

  // Compute the layout for the chosen method, in the worker.
  useEffect(() => {
    const w = workerRef.current;
    if (!loaded || !w) return;
    setLoadError('');
    setBusy(method === 'pca' ? 'Computing PCA…' : 'Finding neighbours…');
    setLayoutState({ iteration: 0, total: 0, running: false, stepMs: 0 });
    w.setData(loaded.key, loaded.x, loaded.n, loaded.d);
    w.run({ method, dims, perplexity, learningRate, neighbours: umapNeighbours, subset: isolated });
    return () => w.cancel();
  }, [layoutKey]);

  const stopLayout = () => workerRef.current?.send({ type: 'pause' });
  const resumeLayout = () => workerRef.current?.send({ type: 'resume' });

  const coloring = useMemo(
    () => (loaded ? colorPoints(loaded.n, loaded.meta, colorBy, cssVar('--accent', '#e8710a')) : null),
    [loaded, colorBy, theme],
  );

  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (!loaded || !q) return null;
    const m = new Uint8Array(loaded.n);
    for (let i = 0; i < loaded.n; i++) {
      const row = loaded.meta.rows[i];
      const text = row ? row.join('\t') : String(i);
      if (text.toLowerCase().includes(q)) m[i] = 1;
    }
    return m;
  }, [loaded, search]);
  const matchCount = matches ? matches.reduce((a, b) => a + b, 0) : 0;

  const current = coords && coords.key === layoutKey ? coords : null;
  // Isolated points fill their rows of the full n × 3 array; the rest hide.
  const positions = useMemo(() => {
    if (!current || !loaded) return null;
    if (!isolated) return current.xyz;
    const xyz = new Float32Array(loaded.n * 3);
    for (let r = 0; r < isolated.length; r++) xyz.set(current.xyz.subarray(r * 3, r * 3 + 3), isolated[r] * 3);
    return xyz;
  }, [current?.xyz, isolated]);
  const hidden = useMemo(() => {
    if (!isolated || !loaded) return null;
    const h = new Uint8Array(loaded.n).fill(1);
    for (const i of isolated) h[i] = 0;
    return h;
  }, [isolated, loaded]);
  const spriteOn = showSprites && !!loaded?.sprite;

  useEffect(() => {
    const view = viewRef.current;
    if (!view || !positions) return;
    view.setPositions(positions, dims === 2);
    view.setHidden(hidden);
  }, [positions]);
  useEffect(() => {
    if (current && coloring) viewRef.current?.setColors(coloring.rgb);
  }, [coloring, !!current, loaded]);
  // The picked point's nearest neighbours in the original space.
  const neighbours = useMemo(
    () =>
      loaded && picked >= 0 && picked < loaded.n
        ? nearestNeighbours(loaded.x, loaded.n, loaded.d, picked, neighbourCount, metric)
        : null,
    [loaded, picked, neighbourCount, metric],
  );
  // Highlighted: the picked point and its neighbours, else the search matches.
  const highlighted = useMemo(() => {
    if (!neighbours || !loaded) return matches;
    const m = new Uint8Array(loaded.n);
    m[picked] = 1;
    for (const nb of neighbours) m[nb.i] = 1;
    return m;
  }, [neighbours, matches, loaded]);
  useEffect(() => {
    if (current) viewRef.current?.setMatches(highlighted);
  }, [highlighted, !!current, loaded]);
  useEffect(() => {
    setPicked(-1);
    setIsolated(null);
  }, [loaded?.key]);
  const highlightedCount = useMemo(() => (highlighted ? highlighted.reduce((a, b) => a + b, 0) : 0), [highlighted]);
  const isolate = () => {
    if (!highlighted || !highlightedCount) return;
    const rows = new Int32Array(highlightedCount);
    let r = 0;
    for (let i = 0; i < highlighted.length; i++) if (highlighted[i]) rows[r++] = i;
    setIsolated(rows);
  };
  useEffect(() => viewRef.current?.setTint(spriteOn && colorBy >= 0), [spriteOn, colorBy]);
  useEffect(() => {
    viewRef.current?.setSprite(spriteOn ? loaded!.sprite : null, spriteOn ? loaded!.spriteDim : null);
  }, [spriteOn, loaded]);

  const labelOf = (i: number): string => {
    const row = loaded?.meta.rows[i];
    if (!row) return `#${i}`;
    const cols = loaded!.meta.columns;
    return cols.length <= 1 ? row[0] ?? `#${i}` : cols.map((c, k) => `${c}: ${row[k] ?? ''}`).join(' · ');
  };

  const columns = loaded?.meta.columns ?? [];
  let notice = '';
  if (runs !== null && runs.length === 0) notice = runsError ? 'Could not load the projector runs.' : '';
  const empty = runs !== null && runs.length === 0;

  if (empty) {
    return (
      <div class="main proj" data-dashboard="projector">
        <EmptyState title="No embeddings">{notice || 'No run in this log directory has a projector configuration with a tensor file.'}</EmptyState>
      </div>
    );
  }

  const explained = current?.explained ?? [];
  return (
    <div
      class="main proj"
      data-dashboard="projector"
      data-webgl={String(webgl)}
      data-points={current ? String(loaded?.n ?? 0) : undefined}
      data-dims={String(dims)}
      data-method={method}
      data-matches={matches ? String(matchCount) : undefined}
      data-color-by={String(colorBy)}
      data-sprites={String(spriteOn)}
      data-ready={current && !busy ? 'true' : 'false'}
      data-visible={current && loaded ? String(isolated ? isolated.length : loaded.n) : undefined}
      data-iteration={String(layoutState.iteration)}
      data-running={String(layoutState.running)}
      data-step-ms={layoutState.stepMs.toFixed(2)}
      data-tsne-iteration={String(layoutState.iteration)}
      data-tsne-running={String(layoutState.running)}
      data-busy={busy ? 'true' : 'false'}
    >
      <div class="controls">
        <Select label="Run" selectClass="view3d-select" testid="proj-run" options={runs ?? []} value={activeRun} onChange={setRun} />
        <Select
          label="Embedding"
          selectClass="view3d-select"
          testid="proj-embedding"
          options={(infos ?? []).map((e) => [e.tensorName, `${e.tensorName} (${e.tensorShape[0]}×${e.tensorShape[1]})`] as const)}
          value={info?.tensorName ?? ''}
          onChange={setEmbedding}
        />
        <Segmented label="Projection" attr="method" options={METHODS} value={method} onChange={setMethod} />
        <Segmented
          label="Dimensions"
          attr="dims"
          options={[
            [3, '3D'],
            [2, '2D'],
          ]}
          value={dims}
          onChange={setDims}
        />
        {method === 'tsne' && (
          <>
            <label class="control" title="Effective number of neighbours each point keeps close (restarts t-SNE)">
              Perplexity
              <NumberField value={perplexity} min={2} max={100} step={1} testid="tsne-perplexity" onCommit={(v) => setPerplexity(Math.round(v))} />
            </label>
            <label class="control" title="Step size of each t-SNE iteration (applies at once)">
              Learning rate
              <NumberField value={learningRate} min={0.1} max={1000} step={1} testid="tsne-learning-rate" onCommit={setLearningRate} />
            </label>
          </>
        )}
        {method === 'umap' && (
          <label class="control" title="Neighbours each point is tied to: small values keep local detail, large ones the global shape (restarts UMAP)">
            Neighbours
            <NumberField value={umapNeighbours} min={2} max={200} step={1} testid="umap-neighbours" onCommit={(v) => setUmapNeighbours(Math.round(v))} />
          </label>
        )}
        <Select
          label="Colour by"
          selectClass="view3d-select"
          testid="proj-color"
          options={[['-1', 'None'] as const, ...columns.map((c, i) => [String(i), c] as const)]}
          value={String(colorBy)}
          onChange={(v) => setColorBy(Number(v))}
        />
        <input
          class="filter proj-search"
          type="search"
          placeholder="Search labels"
          value={search}
          data-testid="proj-search"
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        {matches && <span class="tag-count" data-testid="proj-match-count">{matchCount} match{matchCount === 1 ? '' : 'es'}</span>}
        {isolated ? (
          <button class="proj-btn" data-testid="proj-show-all" title="Lay out every point again" onClick={() => setIsolated(null)}>
            Show all {loaded?.n ?? ''} points
          </button>
        ) : (
          highlightedCount > 1 && (
            <button class="proj-btn" data-testid="proj-isolate" title="Lay out only the highlighted points" onClick={isolate}>
              Isolate {highlightedCount} points
            </button>
          )
        )}
        {loaded?.sprite && (
          <label class="control checkbox">
            <input type="checkbox" checked={showSprites} data-testid="proj-sprites" onChange={(e) => {
              saved.sprites = (e.target as HTMLInputElement).checked;
              setShowSprites(saved.sprites);
            }} />
            Sprites
          </label>
        )}
      </div>
      <div class="proj-body">
        <div class="view3d-view proj-view" ref={boxRef}>
          <canvas ref={canvasRef} class="view3d-canvas" data-testid="proj-canvas" />
          {!webgl && <div class="plot-msg">WebGL is not available in this browser</div>}
          {webgl && (busy || runs === null) && <div class="plot-msg">{busy || 'Loading…'}</div>}
          {webgl && loadError && <div class="plot-msg error" title={loadError}>Failed to load the embedding</div>}
          {hover && (
            <div class="proj-tip" style={{ left: `${hover.x + 14}px`, top: `${hover.y + 10}px` }} data-testid="proj-tip">
              {labelOf(hover.i)}
            </div>
          )}
          <button class="view3d-reset" title="Reset view" data-testid="proj-reset" onClick={() => viewRef.current?.resetView()}>
            ⟲
          </button>
        </div>
        {neighbours && (
          <aside class="proj-neighbours" data-testid="proj-neighbours">
            <div class="proj-nb-head">
              <b title={labelOf(picked)}>{labelOf(picked)}</b>
              <button class="proj-btn" data-testid="proj-unpick" onClick={() => setPicked(-1)}>
                Clear
              </button>
            </div>
            <div class="proj-nb-controls">
              <label>
                Neighbours
                <NumberField value={neighbourCount} min={1} max={100} step={1} testid="proj-k" onCommit={(v) => setNeighbourCount(Math.round(v))} />
              </label>
              <select value={metric} data-testid="proj-metric" onChange={(e) => setMetric((e.target as HTMLSelectElement).value as Metric)}>
                <option value="cosine">cosine</option>
                <option value="euclidean">euclidean</option>
              </select>
            </div>
            <ol class="proj-nb-list">
              {neighbours.map((nb) => (
                <li key={nb.i} data-index={nb.i} onClick={() => setPicked(nb.i)} title={labelOf(nb.i)}>
                  <span class="proj-nb-label">{labelOf(nb.i)}</span>
                  <span class="proj-nb-dist">{nb.dist.toPrecision(3)}</span>
                </li>
              ))}
            </ol>
          </aside>
        )}
        <div class="proj-status">
          {loaded && (
            <span data-testid="proj-count">
              {isolated ? `${isolated.length} of ${loaded.n}` : loaded.n} points · {loaded.d} dimensions
            </span>
          )}
          {method === 'pca' && explained.length > 0 && (
            <span title="Share of the total variance along each component">
              Variance explained: {explained.map((e) => `${(e * 100).toFixed(1)}%`).join(' · ')}
            </span>
          )}
          {method !== 'pca' && loaded && (
            <>
              <span title={layoutState.stepMs ? `${layoutState.stepMs.toFixed(1)} ms per iteration` : undefined}>
                Iteration <b data-testid="tsne-iteration">{layoutState.iteration}</b>
                {layoutState.total > 0 && <> / {layoutState.total}</>}
              </span>
              {layoutState.running ? (
                // Keyed, so a click aimed at Stop never lands on Resume when
                // the layout pauses itself at that moment.
                <button key="stop" class="proj-btn" data-testid="tsne-stop" onClick={stopLayout}>
                  Stop
                </button>
              ) : (
                <button
                  key="resume"
                  class="proj-btn"
                  data-testid="tsne-resume"
                  disabled={!current || (method === 'umap' && layoutState.iteration >= layoutState.total)}
                  onClick={resumeLayout}
                >
                  Resume
                </button>
              )}
            </>
          )}
          {coloring?.range && (
            <span class="proj-ramp">
              {coloring.range[0].toPrecision(3)}
              <i />
              {coloring.range[1].toPrecision(3)}
            </span>
          )}
          {coloring && coloring.legend.length > 0 && (
            <span class="proj-legend">
              {coloring.legend.map((l) => (
                <span key={l.label}>
                  <span class="tb-swatch" style={{ background: l.color }} />
                  {l.label}
                </span>
              ))}
            </span>
          )}
          <span class="spacer" />
          <span class="dash-legend">{dims === 3 ? 'Drag to orbit · wheel to zoom' : 'Drag to pan · wheel to zoom'}</span>
        </div>
      </div>
    </div>
  );
}
