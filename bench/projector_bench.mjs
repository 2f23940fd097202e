// projector_bench: the projector at 10,000 and 50,000 points, in headless
// Chromium with software WebGL (SwiftShader).
//
//     node bench/projector_bench.mjs BUILD_DIR [sizes=10000,50000] [baseline_tboard]
//
// For each size, gen_embedding writes a log directory (32 dimensions, no
// sprites) under the system's temp dir, tboard serves it, and the bench
// measures:
//  1. time from navigation to the first PCA layout drawn;
//  2. frame times while orbiting and zooming (median and p95);
//  3. input latency (keydown to the first task after its handlers) with no
//     layout running and while t-SNE's neighbour search runs;
//  4. t-SNE: time from the click to iteration 1 (neighbour search and
//     set-up), then ms per iteration; UMAP the same per epoch (its set-up
//     reuses t-SNE's neighbours).
// With a baseline tboard (another build), items 1-3 are measured on it too,
// in the same run; where the baseline runs t-SNE on the page's thread the
// latency is measured there. Prints JSON.
//
//     node bench/projector_bench.mjs BUILD_DIR SIZES BASELINE_TBOARD first [rounds=3]
//
// measures only item 1, alternating this build and the baseline for each
// round, and prints the medians and their ratio.
//
//     node bench/projector_bench.mjs BUILD_DIR SIZES BASELINE_TBOARD finish [rounds=1] [cap_minutes=60]
//
// measures finished layouts: from navigation to t-SNE's last iteration
// drawn (1,000 iterations, 3-D, the page's defaults), and in a fresh page
// from navigation to UMAP's last epoch drawn (neighbour search included in
// both), alternating this build and the baseline for each round; prints
// the medians and their ratio. A layout not finished within cap_minutes
// counts as unfinished (null), with the iteration it reached.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const buildDir = resolve(process.argv[2] || 'build');
const SIZES = (process.argv[3] || '10000,50000').split(',').map(Number);
const BASELINE = process.argv[4] || '';
process.env.TB_BINARY ||= join(buildDir, 'tboard');
process.env.TB_BUILD_DIR ||= buildDir;
const { launch, startServer, stopServer, waitAttr } = await import('../tests/web/lib.mjs');
const { frameTimes, inputLatency, median, openProjector, ROOT, runMethod, stopLayout } = await import('../tests/web/projector_lib.mjs');

const r1 = (v) => Math.round(v * 10) / 10;
const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))];
};

async function measure(binary, dir, n, layouts) {
  process.env.TB_BINARY = binary;
  const server = await startServer(dir);
  const b = await launch({ webgl: true, viewport: { width: 1440, height: 900 } });
  const out = {};
  try {
    const { page } = b;
    out.first_pca_ms = await openProjector(page, server.url, n, 900000);
    const frames = await frameTimes(page, 3000);
    out.frame_ms = { median: r1(median(frames)), p95: r1(p95(frames)), frames: frames.length };
    out.idle_input_ms = r1(median(await inputLatency(page, '[data-testid="proj-search"]', 10)));
    await page.fill('[data-testid="proj-search"]', '');
    // t-SNE: latency while it starts (the baseline computes on the page).
    const t0 = Date.now();
    await page.click(`${ROOT} button[data-method="tsne"]`);
    out.tsne_input_ms = r1(median(await inputLatency(page, '[data-testid="proj-search"]', 10)));
    await page.fill('[data-testid="proj-search"]', '');
    if (layouts) {
      await waitAttr(page, ROOT, 'data-iteration', '(v) => Number(v) >= 1', 1800000);
      out.tsne_first_ms = Date.now() - t0;
      await waitAttr(page, ROOT, 'data-iteration', '(v) => Number(v) >= 30', 1800000);
      out.tsne_iteration_ms = Number(await page.getAttribute(ROOT, 'data-step-ms'));
      await stopLayout(page);
      out.umap_first_ms = await runMethod(page, 'umap', 1, 1800000);
      await waitAttr(page, ROOT, 'data-iteration', '(v) => Number(v) >= 20', 1800000);
      out.umap_epoch_ms = Number(await page.getAttribute(ROOT, 'data-step-ms'));
      out.umap_epochs = Number(await page.getAttribute(ROOT, 'data-iteration').then(() => page.textContent(`${ROOT} .proj-status`)).then((t) => (t.match(/\/ (\d+)/) || [])[1]));
    }
  } finally {
    await b.close();
    await stopServer(server);
  }
  return out;
}

async function firstOnly(binary, dir, n) {
  process.env.TB_BINARY = binary;
  const server = await startServer(dir);
  const b = await launch({ webgl: true, viewport: { width: 1440, height: 900 } });
  try {
    return await openProjector(b.page, server.url, n, 900000);
  } finally {
    await b.close();
    await stopServer(server);
  }
}

/** ms from navigation to the last iteration of `method` drawn, or null
 * with the iteration reached if it has not finished within capMs. */
async function finished(binary, dir, n, method, capMs) {
  process.env.TB_BINARY = binary;
  const server = await startServer(dir);
  const b = await launch({ webgl: true, viewport: { width: 1440, height: 900 } });
  try {
    const { page } = b;
    const t0 = Date.now();
    await openProjector(page, server.url, n, 900000);
    await page.click(`${ROOT} button[data-method="${method}"]`);
    await waitAttr(page, ROOT, 'data-method', `(v) => v === '${method}'`);
    // Finished: iterated, and stopped by itself (nothing here pauses it).
    const done = await page
      .waitForFunction(
        (root) => {
          const el = document.querySelector(root);
          return Number(el.getAttribute('data-iteration')) >= 1 && el.getAttribute('data-running') === 'false';
        },
        ROOT,
        { timeout: capMs, polling: 250 },
      )
      .then(() => true)
      .catch(() => false);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const ms = Date.now() - t0;
    const iteration = Number(await page.getAttribute(ROOT, 'data-iteration'));
    return done ? { ms, iteration } : { ms: null, after_ms: ms, iteration };
  } finally {
    await b.close();
    await stopServer(server);
  }
}

const result = { load_before: loadavg().map(r1), sizes: {} };
if (process.argv[5] === 'finish') {
  const rounds = Number(process.argv[6] || 1);
  const capMs = Number(process.argv[7] || 60) * 60000;
  const med = (runs) => (runs.every((r) => r.ms !== null) ? median(runs.map((r) => r.ms)) : null);
  for (const n of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'tboard-projector-bench-'));
    try {
      execFileSync(join(buildDir, 'gen_embedding'), [dir, String(n), '32', '0'], { stdio: 'ignore' });
      const row = {};
      for (const method of ['tsne', 'umap']) {
        const now = [];
        const base = [];
        for (let r = 0; r < rounds; r++) {
          now.push(await finished(join(buildDir, 'tboard'), dir, n, method, capMs));
          console.error(JSON.stringify({ n, method, round: r, tboard: now[r] }));
          if (BASELINE) base.push(await finished(BASELINE, dir, n, method, capMs));
          if (BASELINE) console.error(JSON.stringify({ n, method, round: r, baseline: base[r] }));
        }
        const a = med(now);
        const b = BASELINE ? med(base) : null;
        row[`${method}_finished_ms`] = { tboard: a, baseline: b, ratio: a !== null && b !== null ? r1((a / b) * 100) / 100 : null, runs: { now, base } };
        console.error(JSON.stringify({ n, method, ...row[`${method}_finished_ms`] }));
      }
      result.sizes[n] = row;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  result.load_after = loadavg().map(r1);
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
if (process.argv[5] === 'first') {
  const rounds = Number(process.argv[6] || 3);
  for (const n of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'tboard-projector-bench-'));
    try {
      execFileSync(join(buildDir, 'gen_embedding'), [dir, String(n), '32', '0'], { stdio: 'ignore' });
      const now = [];
      const base = [];
      for (let r = 0; r < rounds; r++) {
        now.push(await firstOnly(join(buildDir, 'tboard'), dir, n));
        base.push(await firstOnly(BASELINE, dir, n));
      }
      result.sizes[n] = { first_pca_ms: { tboard: median(now), baseline: median(base), ratio: r1((median(now) / median(base)) * 100) / 100, runs: { now, base } } };
      console.error(JSON.stringify({ n, ...result.sizes[n] }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  result.load_after = loadavg().map(r1);
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'tboard-projector-bench-'));
  try {
    execFileSync(join(buildDir, 'gen_embedding'), [dir, String(n), '32', '0'], { stdio: 'ignore' });
    const row = { tboard: await measure(join(buildDir, 'tboard'), dir, n, true) };
    if (BASELINE) row.baseline = await measure(BASELINE, dir, n, false);
    result.sizes[n] = row;
    console.error(JSON.stringify({ n, ...row }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
result.load_after = loadavg().map(r1);
console.log(JSON.stringify(result, null, 2));
