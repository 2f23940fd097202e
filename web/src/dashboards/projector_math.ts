// Arithmetic of the projector: PCA on the scatter matrix (run in the layout
// worker), the layout's scaling into the view, and the nearest neighbours
// of one point (brute force, on the page).

function pause(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** A deterministic pseudo-random generator, so layouts are reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export interface PcaResult {
  /** n × k coordinates, row-major. */
  coords: Float32Array;
  k: number;
  /** Share of the total variance along each component. */
  explained: number[];
}

/**
 * The first k principal components of the n × d matrix `x`: the d × d
 * scatter matrix XᵀX of the centred rows is accumulated in one pass over
 * the data (n·d²/2 multiply-adds), then each component is found by power
 * iteration on that small matrix with deflation against earlier ones, so an
 * iteration costs d² instead of two passes over the n rows. Non-finite
 * entries count as the column's mean.
 */
export async function pca(x: Float32Array, n: number, d: number, k: number, signal?: AbortSignal): Promise<PcaResult> {
  k = Math.max(1, Math.min(k, d));
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (Number.isFinite(v)) mean[j] += v;
    }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  const centred = (i: number, row: Float64Array) => {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j] - mean[j];
      row[j] = Number.isFinite(v) ? v : 0;
    }
  };
  // The upper triangle of XᵀX, then mirrored.
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  // Every few million operations, a pause lets an abort arrive.
  let work = 0;
  const due = (ops: number) => (work += ops) >= 4e6;
  const breathe = async () => {
    work = 0;
    await pause();
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
  };
  for (let i = 0; i < n; i++) {
    centred(i, row);
    for (let a = 0; a < d; a++) {
      const va = row[a];
      if (va === 0) continue;
      const base = a * d;
      for (let b2 = a; b2 < d; b2++) cov[base + b2] += va * row[b2];
    }
    if (due((d * (d + 1)) / 2)) await breathe();
  }
  let total = 0;
  for (let a = 0; a < d; a++) {
    total += cov[a * d + a];
    for (let b2 = a + 1; b2 < d; b2++) cov[b2 * d + a] = cov[a * d + b2];
  }
  const comps: Float64Array[] = [];
  const explained: number[] = [];
  const rand = rng(42);
  for (let p = 0; p < k; p++) {
    let v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = rand() - 0.5;
    let lambda = 0;
    for (let it = 0; it < 1000; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        const base = a * d;
        for (let j = 0; j < d; j++) s += cov[base + j] * v[j];
        w[a] = s;
      }
      for (const q of comps) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j] * q[j];
        for (let j = 0; j < d; j++) w[j] -= dot * q[j];
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += w[j] * w[j];
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      let diff = 0;
      for (let j = 0; j < d; j++) {
        w[j] /= norm;
        diff += Math.abs(w[j] - v[j]);
      }
      v = w;
      lambda = norm;
      if (due(d * d)) await breathe();
      if (diff < 1e-9 * d) break;
    }
    comps.push(v);
    explained.push(total > 0 ? lambda / total : 0);
  }
  const coords = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    centred(i, row);
    for (let p = 0; p < k; p++) {
      let s = 0;
      const q = comps[p];
      for (let j = 0; j < d; j++) s += row[j] * q[j];
      coords[i * k + p] = s;
    }
  }
  return { coords, k, explained };
}

/** Centres the n × k coordinates and scales them into [-1, 1]; 3 columns out. */
export function normalise(coords: ArrayLike<number>, n: number, k: number, dims: number): Float32Array {
  const out = new Float32Array(n * 3);
  const use = Math.min(k, dims);
  for (let c = 0; c < use; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += coords[i * k + c];
    m /= Math.max(n, 1);
    for (let i = 0; i < n; i++) out[i * 3 + c] = coords[i * k + c] - m;
  }
  let max = 0;
  for (let i = 0; i < out.length; i++) if (Number.isFinite(out[i])) max = Math.max(max, Math.abs(out[i]));
  const s = max > 0 ? 1 / max : 1;
  for (let i = 0; i < out.length; i++) out[i] = Number.isFinite(out[i]) ? out[i] * s : 0;
  return out;
}

export type Metric = 'cosine' | 'euclidean';

/**
 * The k points nearest to point `i` of the n × d rows `x` (brute force,
 * O(n·d)), nearest first, with their distances: 1 − cosine similarity, or
 * the Euclidean distance.
 */
export function nearestNeighbours(x: Float32Array, n: number, d: number, i: number, k: number, metric: Metric): Array<{ i: number; dist: number }> {
  const norm = (r: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += x[r * d + c] * x[r * d + c];
    return Math.sqrt(s);
  };
  const ni = metric === 'cosine' ? norm(i) : 0;
  const best: Array<{ i: number; dist: number }> = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let dist: number;
    if (metric === 'cosine') {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += x[i * d + c] * x[j * d + c];
      const nj = norm(j);
      dist = ni > 0 && nj > 0 ? 1 - dot / (ni * nj) : 1;
    } else {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = x[i * d + c] - x[j * d + c];
        s += t * t;
      }
      dist = Math.sqrt(s);
    }
    if (!Number.isFinite(dist)) continue;
    if (best.length < k || dist < best[best.length - 1].dist) {
      // Insert in order; k is small.
      if (best.length >= k) best.pop();
      let p = best.length;
      while (p > 0 && best[p - 1].dist > dist) p--;
      best.splice(p, 0, { i: j, dist });
    }
  }
  return best;
}
