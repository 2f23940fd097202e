// projector_math_bench: the projector's layout arithmetic alone, in Node (no
// browser, no server), timed by CPU time so a busy machine changes the
// figures little.
//
//     node bench/projector_math_bench.mjs [sizes=10000,50000] [mode=step] [dims=3] [baseline_rev]
//
// Points are made as gen_embedding makes them (clusteredPoints in
// tests/web/projector_lib.mjs, 32 dimensions). For each size the bench times the
// neighbour graph (90 per point), t-SNE's set-up and its iterations, UMAP's
// set-up and its epochs (15 neighbours), all with the code the layout
// worker runs (web/src/dashboards/projector_tsne.ts, projector_umap.ts,
// bundled by esbuild). Modes:
//   step   the median CPU ms of t-SNE iterations 1-30 and 250-280 (the
//          layout has spread by then) and of UMAP epochs 1-20;
//   full   every iteration to the finished layouts (1,000 t-SNE
//          iterations, all UMAP epochs): total CPU seconds, and how well
//          the clusters stay apart: the share of each point's 10 nearest
//          neighbours in the layout (1,000 points sampled) that belong to
//          its cluster (1.0: clusters fully separated, 1/12 at random).
// With baseline_rev (a git revision), t-SNE is timed on that revision's
// projector_tsne.ts too, on the same points and the same neighbour graph.
// Prints JSON.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusteredPoints, layoutCode, separation } from '../tests/web/projector_lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = (process.argv[2] || '10000,50000').split(',').map(Number);
const MODE = process.argv[3] || 'step';
const DIMS = Number(process.argv[4] || 3);
const BASELINE = process.argv[5] || '';
const D = 32;
const TSNE_ITERATIONS = 1000;

/** CPU ms (user + system) spent by fn. */
function cpu(fn) {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

async function cpuAsync(fn) {
  const t = process.cpuUsage();
  const r = await fn();
  const u = process.cpuUsage(t);
  return [r, (u.user + u.system) / 1000];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const r1 = (v) => Math.round(v * 10) / 10;

function timeTsne(mod, g, n, label) {
  let t;
  const out = {};
  out.setup_cpu_ms = r1(cpu(() => (t = new mod.TSNE(g, n, DIMS, 30))));
  const times = [];
  const iterations = MODE === 'full' ? TSNE_ITERATIONS : 280;
  for (let it = 0; it < iterations; it++) {
    const ms = cpu(() => t.step(10));
    if (MODE === 'full' || it < 30 || it >= 250) times.push(ms);
  }
  if (MODE === 'full') {
    out.total_cpu_s = r1(times.reduce((a, b) => a + b, 0) / 1000);
    out.iteration_cpu_ms = r1(median(times));
    out.separation = separation(t.y, n, DIMS);
  } else {
    out.iteration_cpu_ms_1_30 = r1(median(times.slice(0, 30)));
    out.iteration_cpu_ms_250_280 = r1(median(times.slice(30)));
  }
  console.error(JSON.stringify({ n, [label]: out }));
  return out;
}

const current = await layoutCode();
const baseline = BASELINE ? await layoutCode(execFileSync('git', ['-C', root, 'show', `${BASELINE}:web/src/dashboards/projector_tsne.ts`], { encoding: 'utf8' })) : null;
const result = { mode: MODE, dims: DIMS, load_before: loadavg().map(r1), sizes: {} };
for (const n of SIZES) {
  const x = clusteredPoints(n, D);
  const row = {};
  const [g, knnMs] = await cpuAsync(() => current.knnGraph(x, n, D, 90));
  row.neighbours_cpu_ms = r1(knnMs);
  row.tsne = timeTsne(current, g, n, 'tsne');
  if (baseline) row.tsne_baseline = timeTsne(baseline, g, n, 'tsne_baseline');
  let u;
  const umap = {};
  umap.setup_cpu_ms = r1(cpu(() => (u = current.umapLayout(n, g, 15, DIMS))));
  umap.epochs = u.total;
  const times = [];
  const epochs = MODE === 'full' ? u.total : 20;
  for (let e = 0; e < epochs; e++) times.push(cpu(() => u.step()));
  umap.epoch_cpu_ms = r1(median(times));
  if (MODE === 'full') {
    umap.total_cpu_s = r1((umap.setup_cpu_ms + times.reduce((a, b) => a + b, 0)) / 1000);
    umap.separation = separation(u.coords(), n, DIMS);
  }
  row.umap = umap;
  console.error(JSON.stringify({ n, umap }));
  result.sizes[n] = row;
}
result.load_after = loadavg().map(r1);
console.log(JSON.stringify(result, null, 2));
