// Browser test of the mesh and projector dashboards (three.js views):
// starts the real server on the corpora, opens the UI in headless
// Chromium with a software WebGL implementation and checks what a person
// sees: canvases with pixels drawn, step sliders and controls that change
// them, point counts matching the API, no console errors.
//
// Environment: TB_BINARY (the tboard executable), TB_SOURCE_DIR (source
// tree), TB_BUILD_DIR (screenshots go to TB_BUILD_DIR/screenshots).
import { canvasPixels as pixels, canvasPixelsChanged as pixelsChanged, check, corpus, getJson, launch as launchBrowser, run, screenshot as shot, settle, startServer, stopServer, waitAttr } from './lib.mjs';

/** The browser with WebGL through SwiftShader. */
function launch(opts = {}) {
  return launchBrowser({ ...opts, webgl: true });
}

async function meshTest() {
  const server = await startServer(corpus('tb-native'));
  const b = await launch();
  try {
    const { page, consoleErrors } = b;
    const tags = await getJson(server.url, 'data/plugin/mesh/tags');
    const pairs = Object.entries(tags).flatMap(([r, t]) => Object.keys(t).map((tag) => [r, tag]));
    await page.goto(server.url + '#dash=mesh', { waitUntil: 'load' });
    await page.waitForSelector('.dash[data-dashboard="mesh"]', { timeout: 60000 });
    const cards = page.locator('.dash-card[data-kind="mesh"]');
    await page.waitForFunction((n) => document.querySelectorAll('.dash-card[data-kind="mesh"]').length >= n, pairs.length, {
      timeout: 60000,
    });
    check((await cards.count()) === pairs.length, `mesh: one card per run/tag (${pairs.length})`, String(await cards.count()));
    const [r0, t0] = pairs[0];
    const sel = `.dash-card[data-kind="mesh"][data-card-run="${r0}"][data-card-tag="${t0}"]`;
    const webgl = (await page.getAttribute(sel, 'data-webgl')) === 'true';
    check(true, `mesh: WebGL ${webgl ? 'available' : 'not available (checking scene state only)'}`);
    await waitAttr(page, sel, 'data-drawn-step');
    const steps = Number(await page.getAttribute(sel, 'data-steps'));
    const meshes = await getJson(server.url, `data/plugin/mesh/meshes?run=${encodeURIComponent(r0)}&tag=${encodeURIComponent(t0)}`);
    const distinct = new Set(meshes.map((m) => m.step));
    check(steps === distinct.size, `mesh: ${distinct.size} steps listed`, String(steps));
    const vshape = meshes.find((m) => m.content_type === 1)?.data_shape ?? [];
    check(
      Number(await page.getAttribute(sel, 'data-vertices')) === vshape[1],
      `mesh: ${vshape[1]} vertices drawn`,
      await page.getAttribute(sel, 'data-vertices'),
    );
    check(Number(await page.getAttribute(sel, 'data-faces')) > 0, 'mesh: drawn with faces');
    const last = Math.max(...distinct);
    check(Number(await page.getAttribute(sel, 'data-drawn-step')) === last, `mesh: shows the newest step (${last})`);
    await settle(page);
    const canvasSel = `${sel} canvas`;
    const before = await pixels(page, canvasSel);
    if (webgl) check(before.drawn > 200, 'mesh: canvas is not blank', JSON.stringify(before));
    await shot(page, 'mesh.png');

    // The step slider shows another step and changes the picture.
    const slider = page.locator(`${sel} [data-testid="step-slider"]`);
    if (check((await slider.count()) === 1, 'mesh: step slider present')) {
      await slider.fill('0');
      await waitAttr(page, sel, 'data-drawn-step', `(v) => v === '${[...distinct].sort((a, b) => a - b)[0]}'`);
      await settle(page);
      const after = await pixels(page, canvasSel);
      check(true, 'mesh: slider moves to the first step');
      if (webgl) check(after.sum !== before.sum && after.drawn > 200, 'mesh: step change redraws the canvas', JSON.stringify([before, after]));
    }

    // Drag orbits the camera; reset restores the view.
    const box = await page.locator(canvasSel).boundingBox();
    const pre = await pixels(page, canvasSel);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 20, { steps: 5 });
    await page.mouse.up();
    await settle(page);
    const orbited = await pixels(page, canvasSel);
    if (webgl) check(orbited.sum !== pre.sum, 'mesh: dragging orbits the view');
    await page.click(`${sel} [data-testid="mesh-reset"]`);
    await settle(page);
    const reset = await pixels(page, canvasSel);
    if (webgl) check(reset.sum === pre.sum, 'mesh: reset view restores the picture');

    // Dark mode.
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await settle(page);
    await shot(page, 'mesh_dark.png');
    check(consoleErrors.length === 0, 'mesh: no console errors', consoleErrors.join('\n'));
  } finally {
    await b.close();
    await stopServer(server);
  }
}

async function projectorTest() {
  const server = await startServer(corpus('torch'));
  const b = await launch();
  try {
    const { page, consoleErrors } = b;
    const runs = await getJson(server.url, 'data/plugin/projector/runs');
    const info = await getJson(server.url, `data/plugin/projector/info?run=${encodeURIComponent(runs[0])}`);
    const emb = info.embeddings[0];
    const n = Number(emb.tensorShape[0]);
    await page.goto(server.url + '#dash=projector', { waitUntil: 'load' });
    const root = '.proj[data-dashboard="projector"]';
    await page.waitForSelector(root, { timeout: 60000 });
    check(!(await page.locator(`${root} iframe`).count()), 'projector: drawn in the tab, no iframe');
    const webgl = (await page.getAttribute(root, 'data-webgl')) === 'true';
    check(true, `projector: WebGL ${webgl ? 'available' : 'not available (checking scene state only)'}`);
    await waitAttr(page, root, 'data-points');
    check(Number(await page.getAttribute(root, 'data-points')) === n, `projector: PCA lays out ${n} points`, await page.getAttribute(root, 'data-points'));
    const runOpts = await page.locator('[data-testid="proj-run"] option').allTextContents();
    check(JSON.stringify(runOpts) === JSON.stringify(runs), 'projector: run selector lists projector/runs', JSON.stringify(runOpts));
    const embOpts = await page.locator('[data-testid="proj-embedding"] option').count();
    check(embOpts === info.embeddings.length, `projector: ${info.embeddings.length} embedding(s) to choose`);
    check((await page.textContent('[data-testid="proj-count"]')).includes(`${n} points`), 'projector: point count shown');
    await settle(page);
    await settle(page);
    const canvasSel = `${root} canvas`;
    const sprites = (await page.getAttribute(root, 'data-sprites')) === 'true';
    check(sprites === !!emb.sprite, `projector: sprites ${emb.sprite ? 'shown' : 'off'}`);
    const withSprites = await pixels(page, canvasSel);
    if (webgl) check(withSprites.drawn > 500, 'projector: canvas is not blank', JSON.stringify(withSprites));
    await shot(page, 'projector_sprites.png');

    // Colour by a column shows over the sprites too (a frame in the point's colour).
    if (sprites) {
      await page.selectOption('[data-testid="proj-color"]', '0');
      await waitAttr(page, root, 'data-color-by', "(v) => v === '0'");
      await settle(page);
      const tinted = webgl ? await pixelsChanged(page, canvasSel, withSprites) : withSprites;
      if (webgl) check(tinted.sum !== withSprites.sum, 'projector: colouring by a column shows while sprites are on');
      await shot(page, 'projector_sprites_coloured.png');
      await page.selectOption('[data-testid="proj-color"]', '-1');
      await waitAttr(page, root, 'data-color-by', "(v) => v === '-1'");
      await settle(page);
    }

    // Points as dots, then coloured by a metadata column.
    if (sprites) {
      await page.uncheck('[data-testid="proj-sprites"]');
      await waitAttr(page, root, 'data-sprites', "(v) => v === 'false'");
      await settle(page);
      const dots = webgl ? await pixelsChanged(page, canvasSel, withSprites) : withSprites;
      if (webgl) check(dots.sum !== withSprites.sum, 'projector: turning sprites off redraws');
    }
    const plain = await pixels(page, canvasSel);
    await page.selectOption('[data-testid="proj-color"]', '0');
    await waitAttr(page, root, 'data-color-by', "(v) => v === '0'");
    await settle(page);
    const colored = webgl ? await pixelsChanged(page, canvasSel, plain) : plain;
    if (webgl) check(colored.sum !== plain.sum, 'projector: colouring by metadata changes the pixels');
    else check(true, 'projector: colour-by column selected');
    await shot(page, 'projector_pca.png');

    // Search highlights the matching labels.
    const meta = await (await fetch(server.url + `data/plugin/projector/metadata?run=${encodeURIComponent(runs[0])}&name=${encodeURIComponent(emb.tensorName)}`)).text();
    const lines = meta.split('\n').filter((l) => l !== '');
    const labels = lines[0].includes('\t') ? lines.slice(1).map((l) => l.split('\t').join('\t')) : lines;
    const term = labels[1].slice(0, Math.max(1, labels[1].length - 1));
    const expected = labels.filter((l) => l.toLowerCase().includes(term.toLowerCase())).length;
    await page.fill('[data-testid="proj-search"]', term);
    await waitAttr(page, root, 'data-matches');
    check(Number(await page.getAttribute(root, 'data-matches')) === expected, `projector: search "${term}" matches ${expected}`, await page.getAttribute(root, 'data-matches'));
    await settle(page);
    const searched = webgl ? await pixelsChanged(page, canvasSel, colored) : colored;
    if (webgl) check(searched.sum !== colored.sum, 'projector: search highlighting changes the pixels');
    await shot(page, 'projector_search.png');

    // Hover shows a label.
    const box = await page.locator(canvasSel).boundingBox();
    let tip = false;
    for (let gy = 0; gy < 12 && !tip; gy++)
      for (let gx = 0; gx < 16 && !tip; gx++) {
        await page.mouse.move(box.x + ((gx + 0.5) * box.width) / 16, box.y + ((gy + 0.5) * box.height) / 12);
        tip = (await page.locator('[data-testid="proj-tip"]').count()) > 0;
      }
    check(tip, 'projector: hovering a point shows its label');
    await page.fill('[data-testid="proj-search"]', '');

    // t-SNE runs a few iterations, then stops on the button.
    await page.click(`${root} button[data-method="tsne"]`);
    await waitAttr(page, root, 'data-tsne-iteration', '(v) => Number(v) >= 5');
    check(true, 'projector: t-SNE iterates');
    // A small layout may reach its 1000 iterations and pause itself before
    // the click: then resume it and stop it again, within the frame the
    // Stop button appears in (its 1000 iterations take a fraction of a
    // second), until the button stopped it (an iteration that is no
    // multiple of 1000).
    let stoppedAt = 0;
    let byButton = false;
    for (let attempt = 0; attempt < 5 && !byButton; attempt++) {
      if (attempt === 0)
        await page
          .locator('[data-testid="tsne-stop"]')
          .click({ timeout: 5000 })
          .catch(() => {});
      else
        await page.evaluate(
          () =>
            new Promise((done) => {
              document.querySelector('[data-testid="tsne-resume"]')?.click();
              const t0 = performance.now();
              const poll = () => {
                const stop = document.querySelector('[data-testid="tsne-stop"]');
                if (stop) stop.click();
                if (stop || performance.now() - t0 > 10000) done();
                else requestAnimationFrame(poll);
              };
              requestAnimationFrame(poll);
            }),
        );
      await waitAttr(page, root, 'data-tsne-running', "(v) => v === 'false'");
      stoppedAt = Number(await page.getAttribute(root, 'data-tsne-iteration'));
      byButton = stoppedAt % 1000 !== 0;
    }
    await settle(page);
    await settle(page);
    await settle(page);
    const later = Number(await page.getAttribute(root, 'data-tsne-iteration'));
    check(
      byButton && later === stoppedAt && stoppedAt >= 5,
      `projector: t-SNE stops on the button (iteration ${stoppedAt})`,
      `${stoppedAt} -> ${later}`,
    );
    check(Number(await page.getAttribute(root, 'data-points')) === n, `projector: t-SNE shows ${n} points`);
    await shot(page, 'projector_tsne.png');

    // 2-D PCA, dark mode.
    await page.click(`${root} button[data-method="pca"]`);
    await page.click(`${root} button[data-dims="2"]`);
    await waitAttr(page, root, 'data-dims', "(v) => v === '2'");
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-busy') === 'false', root);
    await settle(page);
    await shot(page, 'projector_2d_dark.png');
    check(consoleErrors.length === 0, 'projector: no console errors', consoleErrors.join('\n'));
  } finally {
    await b.close();
    await stopServer(server);
  }
}

run(async () => {
  await meshTest();
  await projectorTest();
});
