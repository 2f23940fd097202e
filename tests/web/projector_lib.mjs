// Measurements of the projector shared by its scale test and
// bench/projector_bench.mjs: time to a finished layout, frame times while
// orbiting and zooming, input latency while a layout is computed.
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
  await page.click(`${ROOT} button[data-method="${method}"]`);
  await waitAttr(page, ROOT, 'data-method', `(v) => v === '${method}'`);
  await page.waitForSelector(`${ROOT}[data-ready="true"]`, { timeout });
  if (method !== 'pca') await waitAttr(page, ROOT, 'data-iteration', `(v) => Number(v) >= ${minIteration}`, timeout);
  return Date.now() - t0;
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
