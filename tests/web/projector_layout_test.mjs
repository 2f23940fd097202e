// The projector's layouts in Node, with the code its layout worker runs
// (projector_tsne.ts, projector_umap.ts): on 6,000 points in twelve
// clusters (above the size where the neighbour graph stops being exact),
// t-SNE in 3-D and UMAP in 2-D run to their finished layouts, t-SNE in 2-D
// on 2,400 of them, and each keeps the clusters apart: of the 10 nearest
// layout neighbours of sampled points, nearly all belong to the point's
// own cluster.
import { check, run } from './lib.mjs';
import { CLUSTERS, clusteredPoints, layoutCode, separation } from './projector_lib.mjs';

const N = 6000;
const D = 32;
/** Share of same-cluster layout neighbours required (1/12 at random). */
const SEPARATED = 0.95;

run(async () => {
  const { knnGraph, TSNE, umapLayout } = await layoutCode();
  const x = clusteredPoints(N, D);
  const g = await knnGraph(x, N, D, 90);
  let sameCluster = 0;
  for (let i = 0; i < N; i++) for (let m = 0; m < 10; m++) if (g.idx[i * g.k + m] % CLUSTERS === i % CLUSTERS) sameCluster++;
  check(sameCluster / (N * 10) > 0.99, `the neighbour graph links points of one cluster (${sameCluster} of ${N * 10} nearest ten)`);

  const small = 2400;
  const gSmall = await knnGraph(x.subarray(0, small * D), small, D, 90);
  for (const [dims, n, graph] of [
    [3, N, g],
    [2, small, gSmall],
  ]) {
    const t = new TSNE(graph, n, dims, 30);
    while (t.iteration < 1000) t.step(10);
    check(t.y.every(Number.isFinite), `t-SNE (${dims}-D) of ${n} points ran 1,000 iterations to finite coordinates`);
    const s = separation(t.y, n, dims);
    check(s >= SEPARATED, `t-SNE (${dims}-D) keeps the ${CLUSTERS} clusters apart: ${s} of nearest layout neighbours in the same cluster`);
  }

  const u = umapLayout(N, g, 15, 2);
  let epoch = 0;
  while (epoch < u.total) epoch = u.step();
  const y = u.coords();
  check(u.total >= 200 && y.every(Number.isFinite), `UMAP (2-D) ran its ${u.total} epochs to finite coordinates`);
  const s = separation(y, N, 2);
  check(s >= SEPARATED, `UMAP keeps the ${CLUSTERS} clusters apart: ${s} of nearest layout neighbours in the same cluster`);
});
