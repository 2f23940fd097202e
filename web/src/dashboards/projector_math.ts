// Dimensionality reduction for the projector, computed in the page: PCA by
// power iteration (in slices, yielding to the event loop) and exact t-SNE.

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
 * The first k principal components of the n × d matrix `x`, by power
 * iteration on XᵀX (never formed) with deflation against earlier components.
 */
export async function pca(x: Float32Array, n: number, d: number, k: number, signal?: AbortSignal): Promise<PcaResult> {
  k = Math.max(1, Math.min(k, d));
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  const c = new Float64Array(n * d);
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j] - mean[j];
      c[i * d + j] = Number.isFinite(v) ? v : 0;
      total += c[i * d + j] * c[i * d + j];
    }
  const comps: Float64Array[] = [];
  const explained: number[] = [];
  const rand = rng(42);
  const xv = new Float64Array(n);
  let work = 0;
  for (let p = 0; p < k; p++) {
    let v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = rand() - 0.5;
    let lambda = 0;
    for (let it = 0; it < 200; it++) {
      // xv = C v; w = Cᵀ xv
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += c[i * d + j] * v[j];
        xv[i] = s;
      }
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const s = xv[i];
        if (s !== 0) for (let j = 0; j < d; j++) w[j] += c[i * d + j] * s;
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
      work += 2 * n * d;
      if (work > 4e6) {
        work = 0;
        await pause();
        if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      }
      if (diff < 1e-7 * d) break;
    }
    comps.push(v);
    explained.push(total > 0 ? lambda / total : 0);
  }
  const coords = new Float32Array(n * k);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      let s = 0;
      const q = comps[p];
      for (let j = 0; j < d; j++) s += c[i * d + j] * q[j];
      coords[i * k + p] = s;
    }
  return { coords, k, explained };
}

/** Exact t-SNE (O(n²) per iteration), stepped by the caller. */
export class TSNE {
  readonly n: number;
  readonly dim: number;
  iteration = 0;
  /** n × dim coordinates, row-major. */
  y: Float64Array;
  private p: Float64Array;
  private gains: Float64Array;
  private velocity: Float64Array;
  private q: Float64Array;

  constructor(x: Float32Array, n: number, d: number, dim: number, perplexity: number, seed = 1) {
    this.n = n;
    this.dim = dim;
    this.p = TSNE.affinities(x, n, d, Math.min(perplexity, Math.max(2, (n - 1) / 3)));
    const rand = rng(seed);
    this.y = new Float64Array(n * dim);
    for (let i = 0; i < this.y.length; i++) {
      // Box–Muller: small Gaussian start.
      const u = Math.max(rand(), 1e-12);
      this.y[i] = 1e-4 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    }
    this.gains = new Float64Array(n * dim).fill(1);
    this.velocity = new Float64Array(n * dim);
    this.q = new Float64Array(n * n);
  }

  /** Symmetric joint probabilities with the given perplexity per point. */
  private static affinities(x: Float32Array, n: number, d: number, perplexity: number): Float64Array {
    const dist = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) {
          const t = x[i * d + k] - x[j * d + k];
          s += t * t;
        }
        if (!Number.isFinite(s)) s = 0;
        dist[i * n + j] = dist[j * n + i] = s;
      }
    const target = Math.log(perplexity);
    const p = new Float64Array(n * n);
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let beta = 1;
      let lo = -Infinity;
      let hi = Infinity;
      for (let tries = 0; tries < 50; tries++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          row[j] = j === i ? 0 : Math.exp(-dist[i * n + j] * beta);
          sum += row[j];
        }
        let h = 0;
        if (sum > 0) {
          for (let j = 0; j < n; j++) {
            row[j] /= sum;
            if (row[j] > 1e-12) h -= row[j] * Math.log(row[j]);
          }
        }
        const diff = h - target;
        if (Math.abs(diff) < 1e-5) break;
        if (diff > 0) {
          lo = beta;
          beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
        } else {
          hi = beta;
          beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
        }
      }
      for (let j = 0; j < n; j++) p[i * n + j] = row[j];
    }
    const out = new Float64Array(n * n);
    const z = 2 * n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) out[i * n + j] = Math.max((p[i * n + j] + p[j * n + i]) / z, 1e-100);
    return out;
  }

  /** One gradient step. */
  step(learningRate = 10): void {
    const { n, dim, y, p, q, gains, velocity } = this;
    const exaggeration = this.iteration < 100 ? 4 : 1;
    const momentum = this.iteration < 250 ? 0.5 : 0.8;
    let qsum = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) {
          const t = y[i * dim + k] - y[j * dim + k];
          s += t * t;
        }
        const v = 1 / (1 + s);
        q[i * n + j] = q[j * n + i] = v;
        qsum += 2 * v;
      }
    const grad = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      grad.fill(0);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const num = q[i * n + j];
        const m = (exaggeration * p[i * n + j] - num / qsum) * num;
        for (let k = 0; k < dim; k++) grad[k] += 4 * m * (y[i * dim + k] - y[j * dim + k]);
      }
      for (let k = 0; k < dim; k++) {
        const a = i * dim + k;
        const g = grad[k];
        gains[a] = Math.sign(g) === Math.sign(velocity[a]) ? gains[a] * 0.8 : gains[a] + 0.2;
        if (gains[a] < 0.01) gains[a] = 0.01;
        velocity[a] = momentum * velocity[a] - learningRate * gains[a] * g;
        y[a] += velocity[a];
      }
    }
    // Keep the layout centred.
    for (let k = 0; k < dim; k++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += y[i * dim + k];
      m /= n;
      for (let i = 0; i < n; i++) y[i * dim + k] -= m;
    }
    this.iteration++;
  }
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
