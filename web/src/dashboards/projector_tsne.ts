// Barnes–Hut t-SNE for the projector's layout worker, and the
// nearest-neighbour graph it (and UMAP) start from. Written here because
// the t-SNE packages on npm are exact (O(n²) time and memory per
// iteration), which caps them at a few thousand points.
import { makeForest, makeLeafArray } from 'umap-js/dist/tree';
import { rng } from './projector_math';

/** Each row's k nearest other rows, nearest first: n × k, row-major. */
export interface KnnGraph {
  k: number;
  idx: Int32Array;
  /** Squared Euclidean distances. */
  dist: Float64Array;
}

function pause(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** Points up to which the neighbour graph is exact (all pairs). */
const EXACT_MAX = 5000;
/** Random-projection trees searched beyond EXACT_MAX points. */
const TREES = 8;

/**
 * The k nearest rows of each row of the n × d matrix x, by squared
 * Euclidean distance, each kept in a bounded max-heap per row. Up to
 * EXACT_MAX points every pair is compared (O(n²·d)). Beyond, the pairs
 * compared are those sharing a leaf of umap-js's random-projection trees
 * (leaves of up to 2k points), then each row's neighbours' neighbours
 * once: about n·k·(TREES + 6) pairs, so 50,000 points take seconds instead
 * of minutes, at the cost of missing a few true neighbours. (umap-js's own
 * nearest-neighbour descent, which starts from the same trees, was much
 * slower at k = 90.) Yields to the event loop between blocks, so `signal`
 * can stop it, and reports the share done to `progress`.
 */
export async function knnGraph(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  signal?: AbortSignal,
  progress?: (done: number) => void,
): Promise<KnnGraph> {
  k = Math.max(1, Math.min(k, n - 1));
  const idx = new Int32Array(n * k).fill(-1);
  const dist = new Float64Array(n * k).fill(Infinity);
  const clean = new Float32Array(x.length);
  for (let a = 0; a < x.length; a++) clean[a] = Number.isFinite(x[a]) ? x[a] : 0;
  const d2 = (i: number, j: number) => {
    const oi = i * d;
    const oj = j * d;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = clean[oi + c] - clean[oj + c];
      s += t * t;
    }
    return s;
  };
  // Row `row` keeps j at distance dd if nearer than its farthest and new.
  const push = (row: number, dd: number, j: number) => {
    const o = row * k;
    if (dd >= dist[o]) return;
    for (let m = 0; m < k; m++) if (idx[o + m] === j) return;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && dist[o + r] > dist[o + l] ? r : l;
      if (dist[o + c] <= dd) break;
      dist[o + p] = dist[o + c];
      idx[o + p] = idx[o + c];
      p = c;
    }
    dist[o + p] = dd;
    idx[o + p] = j;
  };
  const pair = (i: number, j: number) => {
    const s = d2(i, j);
    push(i, s, j);
    push(j, s, i);
  };
  let t0 = performance.now();
  const yieldSometimes = async (done: number) => {
    if (performance.now() - t0 < 100) return;
    progress?.(done);
    await pause();
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    t0 = performance.now();
  };
  if (n <= EXACT_MAX) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) pair(i, j);
      await yieldSometimes(1 - ((n - i) * (n - i)) / (n * n));
    }
  } else {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(clean.subarray(i * d, (i + 1) * d)));
    const leaves = makeLeafArray(makeForest(rows, 2 * k, TREES, rng(7)));
    for (let l = 0; l < leaves.length; l++) {
      const leaf = leaves[l];
      for (let a = 0; a < leaf.length; a++) {
        if (leaf[a] < 0) break;
        for (let b = a + 1; b < leaf.length && leaf[b] >= 0; b++) pair(leaf[a], leaf[b]);
      }
      await yieldSometimes((0.7 * l) / leaves.length);
    }
    // Neighbours of the nearest neighbours (one round of refinement).
    const near = Math.min(6, k);
    const snapshot = idx.slice();
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < near; m++) {
        const j = snapshot[i * k + m];
        if (j < 0) continue;
        for (let q = 0; q < k; q++) {
          const l = snapshot[j * k + q];
          if (l >= 0 && l !== i) {
            const s = d2(i, l);
            push(i, s, l);
          }
        }
      }
      await yieldSometimes(0.7 + (0.3 * i) / n);
    }
  }
  // Each heap, nearest first.
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * k;
    order.length = 0;
    for (let m = 0; m < k; m++) order.push(m);
    order.sort((a, b) => dist[o + a] - dist[o + b]);
    const di = Array.from(order, (m) => dist[o + m]);
    const ii = Array.from(order, (m) => idx[o + m]);
    for (let m = 0; m < k; m++) {
      dist[o + m] = di[m];
      idx[o + m] = ii[m];
    }
  }
  return { k, idx, dist };
}

/**
 * Barnes–Hut t-SNE (van der Maaten 2014), stepped by the caller: attraction
 * along the k = 3 × perplexity nearest neighbours of each point, repulsion
 * from a 2^dim-ary space tree whose far cells act as one mass. About
 * O(n log n) per iteration, so it runs on tens of thousands of points.
 */
export class TSNE {
  readonly n: number;
  readonly dim: number;
  iteration = 0;
  /** n × dim coordinates, row-major. */
  y: Float64Array;
  /** Directed edges i → nb[i*k + m] with weight p(j|i) / 2n. */
  private k: number;
  private nb: Int32Array;
  private pw: Float64Array;
  private gains: Float64Array;
  private velocity: Float64Array;
  private grad: Float64Array;
  private tree: SpaceTree;

  /** `graph`: knnGraph() of the points with k >= 3 × perplexity (fewer
   * neighbours lower the perplexity to k / 3). */
  constructor(graph: KnnGraph, n: number, dim: number, perplexity: number, seed = 1) {
    this.n = n;
    this.dim = dim;
    this.k = Math.max(1, Math.min(graph.k, Math.floor(3 * perplexity)));
    perplexity = Math.max(1, Math.min(perplexity, this.k / 3));
    this.nb = new Int32Array(n * this.k);
    const dist = new Float64Array(n * this.k);
    for (let i = 0; i < n; i++)
      for (let m = 0; m < this.k; m++) {
        this.nb[i * this.k + m] = graph.idx[i * graph.k + m];
        dist[i * this.k + m] = graph.dist[i * graph.k + m];
      }
    this.pw = TSNE.affinities(dist, n, this.k, perplexity);
    const rand = rng(seed);
    this.y = new Float64Array(n * dim);
    for (let i = 0; i < this.y.length; i++) {
      // Box–Muller: small Gaussian start.
      const u = Math.max(rand(), 1e-12);
      this.y[i] = 1e-4 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    }
    this.gains = new Float64Array(n * dim).fill(1);
    this.velocity = new Float64Array(n * dim);
    this.grad = new Float64Array(n * dim);
    this.tree = new SpaceTree(dim, n);
  }

  /** Conditional p(j|i) over each row's neighbours for the perplexity, / 2n. */
  private static affinities(dist: Float64Array, n: number, k: number, perplexity: number): Float64Array {
    const target = Math.log(perplexity);
    const p = new Float64Array(n * k);
    const row = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const di = dist.subarray(i * k, (i + 1) * k);
      // Distances relative to the nearest keep exp() in range.
      let dmin = Infinity;
      for (let m = 0; m < k; m++) if (di[m] < dmin) dmin = di[m];
      if (!Number.isFinite(dmin)) dmin = 0;
      let beta = 1;
      let lo = -Infinity;
      let hi = Infinity;
      for (let tries = 0; tries < 64; tries++) {
        let sum = 0;
        for (let m = 0; m < k; m++) {
          row[m] = Number.isFinite(di[m]) ? Math.exp(-(di[m] - dmin) * beta) : 0;
          sum += row[m];
        }
        let h = 0;
        if (sum > 0) {
          for (let m = 0; m < k; m++) {
            row[m] /= sum;
            if (row[m] > 1e-12) h -= row[m] * Math.log(row[m]);
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
      for (let m = 0; m < k; m++) p[i * k + m] = row[m] / (2 * n);
    }
    return p;
  }

  /**
   * One gradient step. `learningRate` is per 500 points: the step grows
   * with n, as the "auto" rate of common implementations does, so one
   * setting suits 300 and 50,000 points.
   */
  step(learningRate = 10): void {
    const { n, dim, y, k, nb, pw, gains, velocity, grad, tree } = this;
    const exaggeration = this.iteration < 100 ? 4 : 1;
    const momentum = this.iteration < 250 ? 0.5 : 0.8;
    const eta = learningRate * Math.max(1, n / 500);
    // Repulsion first, into grad: Σ q²(yi − yj), and Z = Σ q over all pairs.
    grad.fill(0);
    tree.build(y, n);
    const z = tree.repulse(y, grad, THETA);
    const rz = z > 0 ? -4 / z : 0;
    for (let a = 0; a < grad.length; a++) grad[a] *= rz;
    // Attraction: each directed edge pulls both ends (P is symmetrised this way).
    const a4 = 4 * exaggeration;
    const three = dim === 3;
    for (let i = 0; i < n; i++) {
      const xi = y[dim * i];
      const yi = y[dim * i + 1];
      const zi = three ? y[3 * i + 2] : 0;
      let gx = 0;
      let gy = 0;
      let gz = 0;
      for (let e = i * k; e < i * k + k; e++) {
        const j = nb[e];
        if (j < 0 || j === i) continue;
        const dx = xi - y[dim * j];
        const dy = yi - y[dim * j + 1];
        const dz = three ? zi - y[3 * j + 2] : 0;
        const f = (a4 * pw[e]) / (1 + dx * dx + dy * dy + dz * dz);
        gx += f * dx;
        gy += f * dy;
        grad[dim * j] -= f * dx;
        grad[dim * j + 1] -= f * dy;
        if (three) {
          gz += f * dz;
          grad[3 * j + 2] -= f * dz;
        }
      }
      grad[dim * i] += gx;
      grad[dim * i + 1] += gy;
      if (three) grad[3 * i + 2] += gz;
    }
    const mean = [0, 0, 0];
    for (let a = 0; a < grad.length; a++) {
      const g = grad[a];
      const v = velocity[a];
      let gain = Math.sign(g) === Math.sign(v) ? gains[a] * 0.8 : gains[a] + 0.2;
      if (gain < 0.01) gain = 0.01;
      gains[a] = gain;
      const nv = momentum * v - eta * gain * g;
      velocity[a] = nv;
      y[a] += nv;
      mean[a % dim] += y[a];
    }
    // Keep the layout centred.
    for (let c = 0; c < dim; c++) mean[c] /= n;
    for (let a = 0; a < y.length; a++) y[a] -= mean[a % dim];
    this.iteration++;
  }
}

/**
 * Barnes–Hut accuracy: a cell acts as one mass when its width is below
 * THETA times its distance. 0.8, as upstream's projector and the value the
 * Barnes–Hut t-SNE paper recommends; 0.5 costs about twice the time in
 * 3-D for no visible change in the layout.
 */
const THETA = 0.8;

/** Levels below which nearly coincident points share one leaf. */
const TREE_DEPTH = 24;

/**
 * A quadtree (dim 2) or octree (dim 3) over the layout, rebuilt every
 * iteration into flat arrays reused between iterations. Cells are stored
 * in depth-first order, each with the index just past its subtree, so the
 * traversal is a loop over one array with no stack: a cell taken whole
 * jumps past its subtree, an opened one steps into its first child. The
 * points are visited in the tree's order too, so consecutive points walk
 * nearly the same cells.
 */
class SpaceTree {
  /** Per cell: centre of mass (x, y, z; z = 0 in 2-D), point count, squared width. */
  private cell = new Float64Array(0);
  /** Per cell: the index of the first cell after its subtree. */
  private next = new Int32Array(0);
  private used = 0;
  /** The points, sorted into the tree's order. */
  private order: Int32Array;
  private scratch: Int32Array;
  /** Per level: 2^dim bucket counts for the partition. */
  private counts: Int32Array;

  constructor(
    private readonly dim: number,
    n: number,
  ) {
    this.order = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.counts = new Int32Array((TREE_DEPTH + 1) * ((1 << dim) + 1));
    this.grow(Math.max(64, 2 * n));
  }

  private grow(cap: number) {
    const cell = new Float64Array(cap * 5);
    cell.set(this.cell);
    const next = new Int32Array(cap);
    next.set(this.next);
    this.cell = cell;
    this.next = next;
  }

  build(y: Float64Array, n: number) {
    const { dim } = this;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < n; i++)
      for (let c = 0; c < dim; c++) {
        const v = y[i * dim + c];
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
      }
    let half = 0;
    const mid = [0, 0, 0];
    for (let c = 0; c < dim; c++) {
      mid[c] = (lo[c] + hi[c]) / 2;
      half = Math.max(half, (hi[c] - lo[c]) / 2);
    }
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.used = 0;
    if (n > 0) this.subtree(y, 0, n, mid[0], mid[1], mid[2], half * (1 + 1e-6) + 1e-12, 0);
  }

  /** Cells for the points order[from, to) inside the cube at (cx, cy, cz), half-width h. */
  private subtree(y: Float64Array, from: number, to: number, cx: number, cy: number, cz: number, h: number, depth: number) {
    const { dim, order } = this;
    if (this.used === this.next.length) this.grow(2 * this.next.length);
    const c = this.used++;
    const o = c * 5;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let p = from; p < to; p++) {
      const i = order[p] * dim;
      sx += y[i];
      sy += y[i + 1];
      if (dim === 3) sz += y[i + 2];
    }
    const m = to - from;
    this.cell[o] = sx / m;
    this.cell[o + 1] = sy / m;
    this.cell[o + 2] = sz / m;
    this.cell[o + 3] = m;
    this.cell[o + 4] = 4 * h * h;
    if (m > 1 && depth < TREE_DEPTH) {
      // Counting sort of the points by child cube (bit c set: above the centre on axis c).
      const fan = 1 << dim;
      const cnt = this.counts;
      const base = depth * (fan + 1);
      cnt.fill(0, base, base + fan + 1);
      const quadrant = (i: number) => {
        const q = (y[i * dim] > cx ? 1 : 0) | (y[i * dim + 1] > cy ? 2 : 0);
        return dim === 3 && y[i * dim + 2] > cz ? q | 4 : q;
      };
      for (let p = from; p < to; p++) cnt[base + quadrant(order[p]) + 1]++;
      for (let q = 0; q < fan; q++) cnt[base + q + 1] += cnt[base + q];
      const scratch = this.scratch;
      for (let p = from; p < to; p++) {
        const i = order[p];
        scratch[from + cnt[base + quadrant(i)]++] = i;
      }
      order.set(scratch.subarray(from, to), from);
      // After the scatter, cnt[base + q] is the end of bucket q.
      const h2 = h / 2;
      let start = from;
      for (let q = 0; q < fan; q++) {
        const end = from + cnt[base + q];
        if (end > start)
          this.subtree(y, start, end, cx + (q & 1 ? h2 : -h2), cy + (q & 2 ? h2 : -h2), cz + (q & 4 ? h2 : -h2), h2, depth + 1);
        start = end;
      }
    }
    this.next[c] = this.used;
  }

  /**
   * Adds to out[i] the sum of q²(yi − yj) over the other points j, far
   * cells taken whole when their width / distance < theta; returns the sum
   * of q over all pairs. A point meets itself (or its leaf of coincident
   * points) at distance 0, adding 1 to its sum of q and nothing to its
   * force; that 1 is taken off.
   */
  repulse(y: Float64Array, out: Float64Array, theta: number): number {
    const { cell, next, used, order, dim } = this;
    const three = dim === 3;
    const t2 = theta * theta;
    let z = 0;
    for (let p = 0; p < order.length; p++) {
      const i = order[p];
      const px = y[dim * i];
      const py = y[dim * i + 1];
      const pz = three ? y[3 * i + 2] : 0;
      let fx = 0;
      let fy = 0;
      let fz = 0;
      let zi = -1;
      let c = 0;
      while (c < used) {
        const o = c * 5;
        const dx = px - cell[o];
        const dy = py - cell[o + 1];
        const dz = pz - cell[o + 2];
        const d2 = dx * dx + dy * dy + dz * dz;
        const after = next[c];
        if (after === c + 1 || cell[o + 4] < t2 * d2) {
          const q = 1 / (1 + d2);
          const mq = cell[o + 3] * q;
          zi += mq;
          fx += mq * q * dx;
          fy += mq * q * dy;
          fz += mq * q * dz;
          c = after;
        } else c++;
      }
      out[dim * i] += fx;
      out[dim * i + 1] += fy;
      if (three) out[3 * i + 2] += fz;
      z += zi;
    }
    return z;
  }
}
