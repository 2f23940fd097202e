// Browser test of the projector at 50,000 points: gen_embedding writes a
// log directory of 50,000 points in 32 dimensions with sprites and a
// three-column metadata table; the real server serves it to headless
// Chromium (WebGL through SwiftShader). Checks that PCA lays out and draws
// every point, colouring by a column shows over sprites, the page answers
// key presses while the layout worker finds neighbours for t-SNE on all
// points, searching and isolating a cluster lays out only its points, and
// t-SNE and UMAP iterate on them.
//
// Environment: as lib.mjs; TB_BUILD_DIR holds gen_embedding.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, canvasPixels, canvasPixelsChanged, check, launch, run, screenshot, settle, startServer, stopServer, waitAttr } from './lib.mjs';
import { CANVAS, frameTimes, inputLatency, median, openProjector, ROOT, runMethod, stopLayout } from './projector_lib.mjs';

const N = 50000;
const CLUSTER = 3; // gen_embedding puts row i in cluster i % 12
const IN_CLUSTER = Math.ceil((N - CLUSTER) / 12);

run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tboard-projector-scale-'));
  let server = null;
  let b = null;
  try {
    execFileSync(join(buildDir, 'gen_embedding'), [dir, String(N), '32', '1'], { stdio: 'ignore' });
    server = await startServer(dir);
    b = await launch({ webgl: true, viewport: { width: 1440, height: 900 } });
    const { page, consoleErrors } = b;

    const firstMs = await openProjector(page, server.url, N);
    check(true, `PCA of ${N} points laid out and drawn ${firstMs} ms after navigation`);
    const webgl = (await page.getAttribute(ROOT, 'data-webgl')) === 'true';
    const plain = await canvasPixels(page, CANVAS);
    if (webgl) check(plain.drawn > 5000, `the ${N} points are drawn`, JSON.stringify(plain));
    check((await page.textContent('[data-testid="proj-count"]')).includes(`${N} points`), 'the point count is shown');

    const frames = await frameTimes(page, 2000);
    check(frames.length >= 5, `orbiting and zooming: ${frames.length} frames, median ${median(frames).toFixed(1)} ms`);

    // Colour by the cluster column while the sprites are shown.
    check((await page.getAttribute(ROOT, 'data-sprites')) === 'true', 'sprites are shown');
    await page.selectOption('[data-testid="proj-color"]', '1');
    await waitAttr(page, ROOT, 'data-color-by', "(v) => v === '1'");
    await settle(page);
    if (webgl) {
      const tinted = await canvasPixelsChanged(page, CANVAS, plain);
      check(tinted.sum !== plain.sum, 'colouring by a column shows over the sprites');
    }
    await screenshot(page, 'projector-50k-sprites-1440-light.png');

    const idle = median(await inputLatency(page, '[data-testid="proj-search"]', 6));
    check(idle > 0, `key presses answered in ${idle.toFixed(1)} ms with no layout running`);
    await page.fill('[data-testid="proj-search"]', '');

    // t-SNE on every point: the worker searches neighbours, the page answers keys.
    await page.click(`${ROOT} button[data-method="tsne"]`);
    await page.waitForFunction((s) => /neighbours/i.test(document.querySelector(`${s} .plot-msg`)?.textContent ?? ''), ROOT, { timeout: 120000 });
    const latency = await inputLatency(page, '[data-testid="proj-search"]');
    const lat = median(latency);
    // A main thread busy with the search would answer after many seconds.
    check(latency.length >= 10 && lat < 1000, `key presses answered in ${lat.toFixed(1)} ms (median of ${latency.length}) while the worker finds the neighbours of ${N} points`, JSON.stringify(latency));
    check((await page.getAttribute(ROOT, 'data-ready')) === 'false', 'the t-SNE neighbour search was still running while measured');
    await page.fill('[data-testid="proj-search"]', '');
    await runMethod(page, 'pca');
    check(Number(await page.getAttribute(ROOT, 'data-visible')) === N, 'switching back to PCA ends the search and shows every point');

    // Search a cluster and isolate it: only its points are laid out.
    await page.fill('[data-testid="proj-search"]', `c${CLUSTER}_`);
    await waitAttr(page, ROOT, 'data-matches', `(v) => Number(v) === ${IN_CLUSTER}`);
    check(true, `searching "c${CLUSTER}_" matches the ${IN_CLUSTER} points of cluster ${CLUSTER}`);
    await page.click('[data-testid="proj-isolate"]');
    await page.waitForSelector(`${ROOT}[data-visible="${IN_CLUSTER}"][data-ready="true"]`, { timeout: 120000 });
    check(true, `isolating lays out the ${IN_CLUSTER} matching points alone`);
    check((await page.textContent('[data-testid="proj-count"]')).includes(`${IN_CLUSTER} of ${N} points`), 'the count says how many are isolated');
    await settle(page);
    await screenshot(page, 'projector-50k-isolated-1440-light.png');

    const tsneMs = await runMethod(page, 'tsne', 20);
    const stepMs = Number(await page.getAttribute(ROOT, 'data-step-ms'));
    check(stepMs > 0, `t-SNE of the ${IN_CLUSTER} isolated points iterates (${tsneMs} ms to iteration 20, ${stepMs} ms per iteration)`);
    const tsneLatency = median(await inputLatency(page, '[data-testid="proj-search"]', 6));
    check(tsneLatency < 1000, `key presses answered in ${tsneLatency.toFixed(1)} ms while t-SNE iterates`);
    await stopLayout(page);
    await screenshot(page, 'projector-50k-tsne-1440-light.png');

    const umapMs = await runMethod(page, 'umap', 10);
    check(await page.getByTestId('umap-neighbours').isVisible(), 'UMAP offers its neighbour count');
    check(true, `UMAP of the ${IN_CLUSTER} isolated points iterates (${umapMs} ms to epoch 10)`);
    await stopLayout(page);

    await runMethod(page, 'pca');
    await page.click('[data-testid="proj-show-all"]');
    await page.waitForSelector(`${ROOT}[data-visible="${N}"][data-ready="true"]`, { timeout: 120000 });
    check(true, 'showing all lays out every point again');
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
