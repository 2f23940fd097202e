// Measurements of the projector shared by its scale test and
// bench/projector_bench.mjs: time to a finished layout, frame times while
// orbiting and zooming, input latency while a layout is computed; and for
// its layout test and bench/projector_math_bench.mjs, the layout code
// itself loaded into Node, clustered points and how well a layout keeps
// the clusters apart.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitAttr } from './lib.mjs';

export const ROOT = '.proj[data-dashboard="projector"]';
export const CANVAS = `${ROOT} canvas`;

/** Opens the projector; resolves to the ms from navigation to the first PCA
 * layout of n points, drawn. */
export async function openProjector(page, url, n, timeout = 240000) {
  const t0 = Date.now();
  await page.goto(url + '#dash=projector', { waitUntil: 'load' });
  // data-ready, or data-busy on builds before the layout worker.
  await page.waitForFunction(
    ([root, n]) => {
      const el = document.querySelector(root);
      if (!el || el.getAttribute('data-points') !== String(n)) return false;
      const ready = el.getAttribute('data-ready');
      return ready === null ? el.getAttribute('data-busy') === 'false' : ready === 'true';
    },
    [ROOT, n],
    { timeout },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return Date.now() - t0;
}

/** Picks a method and waits for its first layout; resolves to the ms from
 * the click to that layout (PCA: finished; t-SNE, UMAP: neighbours found,
 * first iterations drawn). */
export async function runMethod(page, method, minIteration = 1, timeout = 600000) {
  const t0 = Date.now();
  // Generous: under load a page drawing 50,000 sprites in software takes
  // seconds per frame, and a click waits for two frames.
  await page.click(`${ROOT} button[data-method="${method}"]`, { timeout: 120000 });
  await waitAttr(page, ROOT, 'data-method', `(v) => v === '${method}'`);
  await page.waitForSelector(`${ROOT}[data-ready="true"]`, { timeout });
  if (method !== 'pca') await waitAttr(page, ROOT, 'data-iteration', `(v) => Number(v) >= ${minIteration}`, timeout);
  return Date.now() - t0;
}

/** Stops a running t-SNE or UMAP; one that finishes and pauses itself
 * before the click (Stop turns to Resume) counts as stopped. */
export async function stopLayout(page) {
  await page
    .locator('[data-testid="tsne-stop"]')
    .click({ timeout: 10000 })
    .catch(() => {});
  await waitAttr(page, ROOT, 'data-running', "(v) => v === 'false'", 120000);
}

/**
 * Frame times (ms between animation frames) while the pointer orbits (drag)
 * and zooms (wheel) over the canvas for about `ms`.
 */
export async function frameTimes(page, ms = 2000) {
  const box = await page.locator(CANVAS).boundingBox();
  await page.evaluate(() => {
    const w = window;
    w.tbFrames = [];
    w.tbFramesOn = true;
    let last = performance.now();
    const tick = (t) => {
      w.tbFrames.push(t - last);
      last = t;
      if (w.tbFramesOn) requestAnimationFrame(tick);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(tick);
    });
  });
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const end = Date.now() + ms;
  let k = 0;
  while (Date.now() < end) {
    await page.mouse.move(cx - 100, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 100, cy + 30, { steps: 10 });
    await page.mouse.up();
    await page.mouse.wheel(0, k++ % 2 ? 120 : -120);
  }
  return page.evaluate(() => {
    window.tbFramesOn = false;
    return window.tbFrames.slice(1);
  });
}

/**
 * Input latency: for `presses` key presses into `selector`, the ms from the
 * keydown event to the first task after its handlers ran (the page's
 * thread is free again). Painting is measured apart (frameTimes): with
 * software WebGL the next frame waits for the rasteriser, not the page.
 */
export async function inputLatency(page, selector, presses = 12) {
  await page.evaluate(() => {
    const w = window;
    w.tbLatency = [];
    w.tbOnKey = (e) => {
      const ts = e.timeStamp;
      setTimeout(() => w.tbLatency.push(performance.now() - ts), 0);
    };
    document.addEventListener('keydown', w.tbOnKey, true);
  });
  await page.focus(selector);
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press(i % 2 ? 'Backspace' : 'z');
    await page.waitForTimeout(150);
  }
  await page.waitForFunction((n) => window.tbLatency.length >= n, presses, { timeout: 60000 }).catch(() => {});
  return page.evaluate(() => {
    document.removeEventListener('keydown', window.tbOnKey, true);
    return window.tbLatency;
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

const dashboards = join(dirname(fileURLToPath(import.meta.url)), '../../web/src/dashboards');

/**
 * The layout worker's arithmetic (projector_tsne.ts, projector_umap.ts)
 * bundled by esbuild for Node; `source`, if given, is a version of
 * projector_tsne.ts to load instead.
 */
export async function layoutCode(source = "export * from './projector_tsne'; export * from './projector_umap';") {
  const esbuild = await import(join(dashboards, '../../node_modules/esbuild/lib/main.js'));
  const r = await esbuild.build({
    stdin: { contents: source, resolveDir: dashboards, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'error',
  });
  return import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
}

export const CLUSTERS = 12;

/** n points in d dimensions as gen_embedding makes them: twelve Gaussian
 * clusters (centres at 6σ scale), row i in cluster i % 12. */
export function clusteredPoints(n, d) {
  let s = 88172645463325252n;
  const uniform = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return (Number(s >> 11n) + 0.5) / 9007199254740992;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const centre = Float64Array.from({ length: CLUSTERS * d }, () => 6 * gauss());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = centre[(i % CLUSTERS) * d + k] + gauss();
  return x;
}

/**
 * How well the n × dims layout y keeps clusteredPoints' clusters apart: the
 * share of the 10 nearest layout neighbours of 1,000 sampled points that
 * belong to the point's own cluster (1: fully apart; 1/12 at random).
 */
export function separation(y, n, dims) {
  const K = 10;
  const step = Math.max(1, Math.floor(n / 1000));
  let same = 0;
  let all = 0;
  const best = new Float64Array(K);
  const bestIdx = new Int32Array(K);
  for (let i = 0; i < n; i += step) {
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < dims; c++) {
        const t = y[i * dims + c] - y[j * dims + c];
        s += t * t;
      }
      if (s >= best[K - 1]) continue;
      let p = K - 1;
      while (p > 0 && best[p - 1] > s) {
        best[p] = best[p - 1];
        bestIdx[p] = bestIdx[p - 1];
        p--;
      }
      best[p] = s;
      bestIdx[p] = j;
    }
    for (let m = 0; m < K; m++) if (bestIdx[m] % CLUSTERS === i % CLUSTERS) same++;
    all += K;
  }
  return Math.round((same / all) * 1000) / 1000;
}
