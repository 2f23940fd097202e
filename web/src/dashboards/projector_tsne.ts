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
    grad.fill(0);
    // Attraction: each directed edge pulls both ends (P is symmetrised this way).
    for (let i = 0; i < n; i++)
      for (let m = 0; m < k; m++) {
        const j = nb[i * k + m];
        const w = pw[i * k + m];
        if (j < 0 || j === i || w === 0) continue;
        let s = 0;
        for (let c = 0; c < dim; c++) {
          const t = y[i * dim + c] - y[j * dim + c];
          s += t * t;
        }
        const f = (4 * exaggeration * w) / (1 + s);
        for (let c = 0; c < dim; c++) {
          const t = f * (y[i * dim + c] - y[j * dim + c]);
          grad[i * dim + c] += t;
          grad[j * dim + c] -= t;
        }
      }
    // Repulsion: Σ q²(yi − yj) / Z, with Z = Σ q over all pairs.
    tree.build(y, n);
    const rep = new Float64Array(n * dim);
    let z = 0;
    for (let i = 0; i < n; i++) z += tree.repulse(i, y, rep, 0.5);
    if (z > 0) for (let a = 0; a < grad.length; a++) grad[a] -= (4 * rep[a]) / z;
    for (let a = 0; a < grad.length; a++) {
      const g = grad[a];
      gains[a] = Math.sign(g) === Math.sign(velocity[a]) ? gains[a] * 0.8 : gains[a] + 0.2;
      if (gains[a] < 0.01) gains[a] = 0.01;
      velocity[a] = momentum * velocity[a] - eta * gains[a] * g;
      y[a] += velocity[a];
    }
    // Keep the layout centred.
    for (let c = 0; c < dim; c++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += y[i * dim + c];
      m /= n;
      for (let i = 0; i < n; i++) y[i * dim + c] -= m;
    }
    this.iteration++;
  }
}

/** Levels below which coincident points share one leaf. */
const TREE_DEPTH = 24;

/**
 * A quadtree (dim 2) or octree (dim 3) over the layout, in flat arrays
 * reused between iterations. Each cell keeps its count and the sum of its
 * points (centre of mass); a leaf keeps one point, or several coincident
 * ones at the depth limit.
 */
class SpaceTree {
  private cap = 0;
  private used = 0;
  private centre = new Float64Array(0);
  private half = new Float64Array(0);
  private mass = new Float64Array(0);
  private sum = new Float64Array(0);
  /** Centre of mass, filled in once the tree is built. */
  private com = new Float64Array(0);
  private child = new Int32Array(0);
  private point = new Int32Array(0);
  private depth = new Uint8Array(0);
  private stack = new Int32Array(0);
  private readonly fan: number;

  constructor(
    private readonly dim: number,
    n: number,
  ) {
    this.fan = 1 << dim;
    this.grow(Math.max(64, 2 * n));
  }

  private grow(cap: number) {
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(a: T, len: number): T => {
      const b = new (a.constructor as new (l: number) => T)(len);
      b.set(a.subarray(0, Math.min(a.length, len)) as never);
      return b;
    };
    this.centre = copy(this.centre, cap * this.dim);
    this.half = copy(this.half, cap);
    this.mass = copy(this.mass, cap);
    this.sum = copy(this.sum, cap * this.dim);
    this.com = new Float64Array(cap * this.dim);
    this.child = copy(this.child, cap);
    this.point = copy(this.point, cap);
    this.depth = copy(this.depth, cap);
    this.stack = new Int32Array(cap);
    this.cap = cap;
  }

  private cell(centre: ArrayLike<number>, half: number, depth: number): number {
    if (this.used === this.cap) this.grow(this.cap * 2);
    const c = this.used++;
    for (let k = 0; k < this.dim; k++) {
      this.centre[c * this.dim + k] = centre[k];
      this.sum[c * this.dim + k] = 0;
    }
    this.half[c] = half;
    this.mass[c] = 0;
    this.child[c] = -1;
    this.point[c] = -1;
    this.depth[c] = depth;
    return c;
  }

  /** Cells for the 2^dim quadrants of cell c, contiguous; returns the first. */
  private split(c: number): number {
    const { dim } = this;
    const h = this.half[c] / 2;
    const at = new Float64Array(dim);
    let first = -1;
    for (let q = 0; q < this.fan; q++) {
      for (let k = 0; k < dim; k++) at[k] = this.centre[c * dim + k] + ((q >> k) & 1 ? h : -h);
      const id = this.cell(at, h, this.depth[c] + 1);
      if (q === 0) first = id;
    }
    this.child[c] = first;
    return first;
  }

  private quadrant(c: number, y: Float64Array, i: number): number {
    let q = 0;
    for (let k = 0; k < this.dim; k++) if (y[i * this.dim + k] > this.centre[c * this.dim + k]) q |= 1 << k;
    return q;
  }

  private add(c: number, y: Float64Array, i: number) {
    this.mass[c] += 1;
    for (let k = 0; k < this.dim; k++) this.sum[c * this.dim + k] += y[i * this.dim + k];
  }

  build(y: Float64Array, n: number) {
    const { dim } = this;
    const lo = new Float64Array(dim).fill(Infinity);
    const hi = new Float64Array(dim).fill(-Infinity);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < dim; k++) {
        const v = y[i * dim + k];
        if (v < lo[k]) lo[k] = v;
        if (v > hi[k]) hi[k] = v;
      }
    let half = 0;
    const mid = new Float64Array(dim);
    for (let k = 0; k < dim; k++) {
      mid[k] = (lo[k] + hi[k]) / 2;
      half = Math.max(half, (hi[k] - lo[k]) / 2);
    }
    this.used = 0;
    this.cell(mid, half * (1 + 1e-6) + 1e-12, 0);
    for (let i = 0; i < n; i++) {
      let c = 0;
      for (;;) {
        if (this.child[c] < 0) {
          if (this.mass[c] === 0 || this.depth[c] >= TREE_DEPTH) {
            if (this.mass[c] === 0) this.point[c] = i;
            this.add(c, y, i);
            break;
          }
          // A leaf with one point: push that point one level down.
          const p = this.point[c];
          const first = this.split(c);
          const pc = first + this.quadrant(c, y, p);
          this.point[pc] = p;
          this.add(pc, y, p);
          this.point[c] = -1;
        }
        this.add(c, y, i);
        c = this.child[c] + this.quadrant(c, y, i);
      }
    }
    for (let c = 0; c < this.used; c++) {
      const m = this.mass[c];
      for (let k = 0; k < dim; k++) this.com[c * dim + k] = m > 0 ? this.sum[c * dim + k] / m : 0;
    }
  }

  /**
   * Adds to out[i] the sum of q²(yi − yj) over the other points, far cells
   * taken whole when their width / distance < theta; returns the sum of q.
   */
  repulse(i: number, y: Float64Array, out: Float64Array, theta: number): number {
    const { dim, stack, com, mass, child, half } = this;
    let top = 0;
    let z = 0;
    if (mass[0] > 0) stack[top++] = 0;
    const t2 = theta * theta;
    while (top > 0) {
      const c = stack[--top];
      const m = mass[c];
      const leaf = child[c] < 0;
      if (leaf && this.point[c] === i && m === 1) continue;
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        const t = y[i * dim + k] - com[c * dim + k];
        d2 += t * t;
      }
      const w = 2 * half[c];
      if (leaf || w * w < t2 * d2) {
        // A leaf holding i among coincident points counts the others only.
        const others = leaf && this.point[c] === i ? m - 1 : m;
        const q = 1 / (1 + d2);
        z += others * q;
        const f = others * q * q;
        for (let k = 0; k < dim; k++) out[i * dim + k] += f * (y[i * dim + k] - com[c * dim + k]);
        continue;
      }
      const first = child[c];
      for (let q = 0; q < this.fan; q++) if (mass[first + q] > 0) stack[top++] = first + q;
    }
    return z;
  }
}
