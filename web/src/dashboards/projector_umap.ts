// UMAP for the projector's layout worker: umap-js's optimiser, started
// from the neighbour graph t-SNE already found (projector_tsne.ts).
import { UMAP } from 'umap-js';
import { rng } from './projector_math';
import type { KnnGraph } from './projector_tsne';

export interface UmapRun {
  /** Epochs to the finished layout. */
  total: number;
  /** One epoch; returns the epochs done. */
  step(): number;
  /** n × dims coordinates, row-major. */
  coords(): Float64Array;
}

/** The parts of umap-js's UMAP that the set-up below replaces or calls. */
interface UmapInternals {
  nEpochs: number;
  localConnectivity: number;
  random: () => number;
  embedding: number[][];
  makeSearchGraph: () => null;
  fuzzySimplicialSet: (x: unknown, k: number) => { nRows: number; nCols: number };
  initializeSimplicialSetEmbedding: () => { head: number[]; tail: number[]; epochsPerSample: number[] };
  smoothKNNDistance: (d: number[][], k: number, localConnectivity: number) => { sigmas: number[]; rhos: number[] };
  computeMembershipStrengths: (
    idx: number[][],
    d: number[][],
    sigmas: number[],
    rhos: number[],
  ) => { rows: number[]; cols: number[]; vals: number[] };
  makeEpochsPerSample: (weights: number[], nEpochs: number) => number[];
  getNEpochs: () => number;
}

/**
 * A UMAP of the n points whose neighbours `g` holds (k − 1 of them are used:
 * umap-js counts each point as its own nearest), in `dims` dimensions, with
 * umap-js's epoch count for n (200 from 7,500 points on, as umap-learn
 * for large inputs).
 *
 * umap-js computes the fuzzy union of the neighbour graph (w + wᵀ − w∘wᵀ)
 * with sparse matrices keyed by "row:col" strings, seven of them at about
 * 1.5 million entries each at 50,000 points: nearly a minute of set-up.
 * Here its own smoothing and membership strengths make the directed
 * weights, the union is taken over the k-row table directly (each edge
 * looks for its reverse among the k of the other row), and the edge lists
 * its optimiser steps over are made from that, dropping the weights under
 * max / epochs as umap-js does. The epochs are umap-js's.
 */
export function umapLayout(n: number, g: KnnGraph, k: number, dims: number): UmapRun {
  k = Math.max(2, Math.min(k, g.k + 1, n));
  const umap = new UMAP({ nComponents: dims, nNeighbors: k, random: rng(1) });
  const knnIdx: number[][] = [];
  const knnDist: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ii = [i];
    const dd = [0];
    for (let q = 0; q < k - 1; q++) {
      ii.push(g.idx[i * g.k + q]);
      dd.push(Math.sqrt(g.dist[i * g.k + q]));
    }
    knnIdx.push(ii);
    knnDist.push(dd);
  }
  umap.setPrecomputedKNN(knnIdx, knnDist);
  const u = umap as unknown as UmapInternals;
  // The search graph serves only umap.transform(), never called here.
  u.makeSearchGraph = () => null;
  let head: number[] = [];
  let tail: number[] = [];
  let weights: number[] = [];
  u.fuzzySimplicialSet = () => {
    const { sigmas, rhos } = u.smoothKNNDistance(knnDist, k, u.localConnectivity);
    const { cols, vals } = u.computeMembershipStrengths(knnIdx, knnDist, sigmas, rhos);
    // w(i→j) at i*k + m; the union keeps one weight per pair, on both edges.
    const w = Float64Array.from(vals);
    const reverse = (i: number, j: number) => {
      for (let m = 0; m < k; m++) if (cols[j * k + m] === i) return j * k + m;
      return -1;
    };
    for (let i = 0; i < n; i++)
      for (let m = 0; m < k; m++) {
        const e = i * k + m;
        const j = cols[e];
        if (j < 0 || j === i || w[e] === 0) continue;
        const r = reverse(i, j);
        if (r >= 0 && r < e) continue; // the pair was taken from j's row
        const a = w[e];
        const b = r >= 0 ? w[r] : 0;
        const v = a + b - a * b;
        head.push(j, i);
        tail.push(i, j);
        weights.push(v, v);
      }
    return { nRows: n, nCols: n };
  };
  u.initializeSimplicialSetEmbedding = () => {
    const epochs = u.getNEpochs();
    let max = 0;
    for (const v of weights) if (v > max) max = v;
    const keep = weights.map((v) => v >= max / epochs);
    head = head.filter((_, e) => keep[e]);
    tail = tail.filter((_, e) => keep[e]);
    weights = weights.filter((_, e) => keep[e]);
    u.embedding = [];
    for (let i = 0; i < n; i++) u.embedding.push(Array.from({ length: dims }, () => u.random() * 20 - 10));
    return { head, tail, epochsPerSample: u.makeEpochsPerSample(weights, epochs) };
  };
  // Only the row count of the data is read once the graph is given.
  const total = umap.initializeFit(new Array<number[]>(n));
  return {
    total,
    step: () => umap.step(),
    coords: () => {
      const e = umap.getEmbedding();
      const flat = new Float64Array(n * dims);
      for (let i = 0; i < n; i++) for (let c = 0; c < dims; c++) flat[i * dims + c] = e[i][c];
      return flat;
    },
  };
}
