// The projector's layouts, computed off the page's thread: PCA
// (projector_math.ts), t-SNE (projector_tsne.ts) and UMAP (umap-js). The
// page sends the embedding once ('data'), then one job at a time ('run');
// a new job or 'cancel' ends the one before. Iterative methods run in slices of about 40 ms, yielding
// between slices so 'pause', 'resume' and 'learningRate' take effect at
// once, and post the normalised n × 3 layout at most every 80 ms, and only
// once the page has drawn the one before ('drawn'), so a page that draws
// slowly (50,000 sprites on a software renderer) is never flooded.
import { normalise, pca } from './projector_math';
import { knnGraph, TSNE, type KnnGraph } from './projector_tsne';
import type { FromWorker, ToWorker } from './projector_jobs';
import { umapLayout } from './projector_umap';

/** t-SNE pauses itself here; 'resume' goes on. */
const TSNE_ITERATIONS = 1000;
const SLICE_MS = 40;
const POST_MS = 80;

interface Job {
  id: number;
  dims: number;
  running: boolean;
  learningRate: number;
  ctl: AbortController;
  /** One iteration; returns whether the method has finished. */
  step?: () => boolean;
  coords?: () => { data: ArrayLike<number>; k: number };
  iteration: () => number;
  total: number;
  n: number;
  stepMs: number;
  looping: boolean;
  /** A layout of this job has been posted. */
  posted: boolean;
}

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let data: { x: Float32Array; n: number; d: number } | null = null;
let job: Job | null = null;
/** The last neighbour graph, reused while the rows stay the same. */
let graph: { rows: Int32Array | null; g: KnnGraph } | null = null;

/** The last PCA, reused when the same rows come back to PCA. */
let lastPca: { rows: Int32Array | null; r: Awaited<ReturnType<typeof pca>> } | null = null;

/** t-SNE's neighbours at perplexity 30 (3 × 30): one graph serves most runs. */
const KNN_DEFAULT = 90;

function sameRows(a: Int32Array | null, b: Int32Array | null): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function neighbours(j: Job, x: Float32Array, n: number, d: number, k: number, rows: Int32Array | null): Promise<KnnGraph> {
  k = Math.max(1, Math.min(k, n - 1));
  const same = graph && sameRows(graph.rows, rows) && graph.g.k >= k;
  if (same) return graph!.g;
  const g = await knnGraph(x, n, d, Math.max(k, Math.min(KNN_DEFAULT, n - 1)), j.ctl.signal, (f) =>
    post({ type: 'status', job: j.id, text: `Finding neighbours… ${Math.round(f * 100)}%` }),
  );
  graph = { rows, g };
  return g;
}

function pause(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function subsetRows(x: Float32Array, d: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

/** A layout is posted and not yet drawn; another is waiting for that. */
let inFlight = false;
let waiting = false;

/** Posts j's layout. While another is in flight, a running layout's
 * later ones wait (its first, last and paused ones go at once). */
function sendLayout(j: Job, explained: number[] = []) {
  if (inFlight && j.running && j.posted) {
    waiting = true;
    return;
  }
  inFlight = true;
  j.posted = true;
  waiting = false;
  const c = j.coords!();
  const xyz = normalise(c.data, j.n, c.k, j.dims);
  post(
    { type: 'layout', job: j.id, xyz, explained, iteration: j.iteration(), total: j.total, running: j.running, stepMs: j.stepMs },
    [xyz.buffer],
  );
}

async function loop(j: Job) {
  if (j.looping) return;
  j.looping = true;
  let last = 0;
  while (job === j && j.running) {
    const t0 = performance.now();
    let steps = 0;
    let done = false;
    do {
      done = j.step!();
      steps++;
    } while (!done && performance.now() - t0 < SLICE_MS);
    const now = performance.now();
    j.stepMs = (now - t0) / steps;
    if (done) j.running = false;
    if (done || now - last >= POST_MS) {
      last = now;
      sendLayout(j);
    }
    await pause();
  }
  j.looping = false;
}

async function run(m: Extract<ToWorker, { type: 'run' }>) {
  if (!data) return;
  const rows = m.subset;
  const x = rows ? subsetRows(data.x, data.d, rows) : data.x;
  const n = rows ? rows.length : data.n;
  const d = data.d;
  const j: Job = {
    id: m.job,
    dims: m.dims,
    running: false,
    learningRate: m.learningRate,
    ctl: new AbortController(),
    iteration: () => 0,
    total: 0,
    n,
    stepMs: 0,
    looping: false,
    posted: false,
  };
  job = j;
  try {
    if (m.method === 'pca') {
      post({ type: 'status', job: j.id, text: 'Computing PCA…' });
      const r = lastPca && sameRows(lastPca.rows, rows) ? lastPca.r : await pca(x, n, d, 3, j.ctl.signal);
      if (job !== j) return;
      lastPca = { rows, r };
      j.coords = () => ({ data: r.coords, k: r.k });
      sendLayout(j, r.explained.slice(0, m.dims));
      return;
    }
    if (m.method === 'tsne') {
      post({ type: 'status', job: j.id, text: 'Finding neighbours…' });
      const g = await neighbours(j, x, n, d, Math.floor(3 * m.perplexity), rows);
      if (job !== j) return;
      const tsne = new TSNE(g, n, m.dims, m.perplexity);
      if (job !== j) return;
      j.total = TSNE_ITERATIONS;
      j.iteration = () => tsne.iteration;
      j.coords = () => ({ data: tsne.y, k: tsne.dim });
      j.step = () => {
        tsne.step(j.learningRate);
        return tsne.iteration % TSNE_ITERATIONS === 0;
      };
    } else {
      post({ type: 'status', job: j.id, text: 'Finding neighbours…' });
      const k = Math.max(2, Math.min(m.neighbours, n - 1));
      const g = await neighbours(j, x, n, d, k - 1, rows);
      if (job !== j) return;
      post({ type: 'status', job: j.id, text: 'Building the UMAP graph…' });
      await pause();
      const u = umapLayout(n, g, k, m.dims);
      if (job !== j) return;
      let epoch = 0;
      j.total = u.total;
      j.iteration = () => epoch;
      j.coords = () => ({ data: u.coords(), k: m.dims });
      j.step = () => {
        epoch = u.step();
        return epoch >= u.total;
      };
    }
    j.running = true;
    sendLayout(j);
    await loop(j);
  } catch (e) {
    if (job === j && !j.ctl.signal.aborted) post({ type: 'error', job: j.id, message: e instanceof Error ? e.message : String(e) });
  }
}

function stop() {
  if (!job) return;
  job.running = false;
  job.ctl.abort();
  job = null;
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'data':
      stop();
      data = { x: m.x, n: m.n, d: m.d };
      graph = null;
      lastPca = null;
      break;
    case 'run':
      stop();
      void run(m);
      break;
    case 'cancel':
      stop();
      break;
    case 'learningRate':
      if (job) job.learningRate = m.value;
      break;
    case 'drawn':
      inFlight = false;
      if (waiting && job && job.coords) sendLayout(job);
      break;
    case 'pause':
      if (job && job.running) {
        job.running = false;
        sendLayout(job);
      }
      break;
    case 'resume':
      if (job && job.step && !job.running) {
        job.running = true;
        sendLayout(job);
        void loop(job);
      }
      break;
  }
};
