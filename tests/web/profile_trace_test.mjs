// Browser test of the Profile dashboard's Trace view (the canvas timeline):
// on the in-repo profile corpus (legacy traces, drawn through tboard's own
// timelines/timeline routes) and, when TBOARD_EXTRA_CORPORA holds them, a
// Kineto GPU trace (CPU threads and a GPU stream, launch -> kernel flows).
// Checks: lanes are drawn (canvas pixels), zooming changes the visible
// range, a search finds an event, a click on an event shows its details.
// On the chrome-trace corpus (TensorFlow/JAX traces under
// plugins/profile/<stamp>/): lanes named from the metadata events, a
// counter track drawn, a click on an instant shows its details, a run with
// a PyTorch trace too lists both workers, a damaged file says why.
//
// Environment: TB_BINARY, TB_SOURCE_DIR, TB_BUILD_DIR (see lib.mjs),
// optional TBOARD_EXTRA_CORPORA.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canvasPixels,
  check,
  corpus,
  getJson,
  openProfile,
  profileExtraLogdir,
  run,
  screenshot,
  withProfileServer,
} from './lib.mjs';

const CANVAS = '[data-testid="profile-trace-canvas"]';

/** Opens the Trace view of run runName and waits until it is drawn. */
async function openTrace(page, base, runName) {
  await openProfile(page, base);
  await openRun(page, runName);
}

/** Picks a run and shows its timeline, once it is read whole. */
async function openRun(page, runName) {
  await page.selectOption('[data-testid="profile-run"]', runName);
  const open = page.locator('[data-testid="profile-trace-open"]');
  await open.waitFor({ timeout: 30000 });
  await open.click();
  await drawnWhole(page);
}

async function drawnWhole(page) {
  await page.waitForFunction(
    (s) => {
      const c = document.querySelector(s);
      return c?.getAttribute('data-state') === 'drawn' && c.getAttribute('data-complete') === '1';
    },
    CANVAS,
    { timeout: 60000 },
  );
}

const range = async (page) => (await page.getAttribute(CANVAS, 'data-range')).split(' ').map(Number);

/** Waits for the canvas to show another range than `before`. */
async function rangeChanged(page, before) {
  await page.waitForFunction(
    ([s, b]) => document.querySelector(s)?.getAttribute('data-range') !== b,
    [CANVAS, before.join(' ')],
    { timeout: 10000 },
  );
  return range(page);
}

/** The box of the first event named `name` on the canvas, as the page's
 * own model places it: asked through a search, which selects and shows it. */
async function searchFor(page, name) {
  await page.fill('[data-testid="profile-trace-search"]', name);
  await page.press('[data-testid="profile-trace-search"]', 'Enter');
  await page.waitForFunction(
    (s) => document.querySelector(s)?.getAttribute('data-selected') !== null,
    CANVAS,
    { timeout: 10000 },
  );
  return page.getAttribute(CANVAS, 'data-selected');
}

/** Deselects with Escape, clicks the middle of the box the last search
 * selected and returns the details shown. */
async function clickSelected(page) {
  const [x, y, w, h] = (await page.getAttribute(CANVAS, 'data-selected-box')).split(' ').map(Number);
  await page.focus(CANVAS);
  await page.keyboard.press('Escape');
  const details = page.locator('[data-testid="profile-trace-details"]');
  await details.waitFor({ state: 'detached', timeout: 10000 });
  const box = await page.locator(CANVAS).boundingBox();
  await page.mouse.click(box.x + x + w / 2, box.y + y + h / 2);
  await details.waitFor({ timeout: 10000 });
  const duration = details.locator('[data-testid="profile-trace-duration"]');
  return {
    name: await details.locator('[data-testid="profile-trace-name"]').textContent(),
    kind: await details.locator('[data-testid="profile-trace-kind"]').textContent(),
    duration: (await duration.count()) ? await duration.textContent() : '',
  };
}

async function legacy() {
  await withProfileServer(corpus('profile'), async ({ base, page }) => {
    const files = await getJson(base, 'data/plugin/pytorch_profiler/timelines?run=convnet');
    check(files.length === 2 && files.every((f) => f.format === 'legacy'), 'timelines lists the legacy traces');
    const body = await (await fetch(`${base}data/plugin/pytorch_profiler/timeline?run=convnet&worker=vm_20271&span=1`)).text();
    const file = readFileSync(join(corpus('profile'), 'convnet', files[0].file), 'utf8');
    check(body === file, 'timeline serves the trace file as written');
    const missing = await fetch(`${base}data/plugin/pytorch_profiler/timeline?run=damaged&worker=vm_20271&span=1`);
    check(missing.status === 404, 'timeline of a truncated trace is 404', `${missing.status}`);
    await openTrace(page, base, 'convnet');
    check((await page.getAttribute(CANVAS, 'data-events')) === '837', 'the first trace\'s 837 complete events are read');
    const px = await canvasPixels(page, CANVAS);
    check(px.drawn > 0, 'the canvas is drawn', JSON.stringify(px));
    const colours = await page.evaluate((s) => {
      const c = document.querySelector(s);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size;
    }, CANVAS);
    check(colours > 8, 'the lanes hold coloured event boxes', `${colours} colours`);
    await screenshot(page, 'profile-trace-legacy.png');

    // zoom: the wheel at the middle of the plot narrows the visible range
    const before = await range(page);
    const box = await page.locator(CANVAS).boundingBox();
    await page.mouse.move(box.x + 180 + (box.width - 180) / 2, box.y + 60);
    await page.mouse.wheel(0, -600);
    const zoomed = await rangeChanged(page, before);
    check(zoomed[1] - zoomed[0] < (before[1] - before[0]) / 2, 'the wheel zooms in', `${before} -> ${zoomed}`);
    // W/S and A/D while held
    await page.focus(CANVAS);
    await page.keyboard.down('d');
    await page.waitForTimeout(300);
    await page.keyboard.up('d');
    const panned = await range(page);
    check(panned[0] > zoomed[0], 'D pans right', `${zoomed} -> ${panned}`);
    await page.keyboard.down('s');
    await page.waitForTimeout(300);
    await page.keyboard.up('s');
    const out = await range(page);
    check(out[1] - out[0] > panned[1] - panned[0], 'S zooms out', `${panned} -> ${out}`);
    await page.click('[data-testid="profile-trace-reset"]');

    // search: aten::conv2d is in every ConvNet step
    const found = await searchFor(page, 'conv2d');
    check(/conv2d/.test(found), 'the search selects a matching event', found);
    const count = await page.textContent('[data-testid="profile-trace-found"]');
    check(/^1 of \d+$/.test(count) && Number(count.split(' of ')[1]) > 1, 'the search counts its matches', count);
    const first = await range(page);
    await page.click('[data-testid="profile-trace-next"]');
    const second = await rangeChanged(page, first);
    check(second[0] > first[0], 'next shows the following match', `${first} -> ${second}`);
    check(/^2 of/.test(await page.textContent('[data-testid="profile-trace-found"]')), 'next counts on');
    await screenshot(page, 'profile-trace-search.png');

    // a click on an event shows its details
    const step = await searchFor(page, 'ProfilerStep#');
    const shown = await clickSelected(page);
    check(shown.name === step, 'a click on an event shows its details', `${shown.name} vs ${step}`);
    check(/\d+(\.\d+)? (us|ms|s)$/.test(shown.duration), 'the details give the duration', shown.duration);
    await screenshot(page, 'profile-trace-details.png');

    // a run with a truncated trace: its error, and the intact one drawn
    await page.selectOption('[data-testid="profile-run"]', 'damaged');
    await page.waitForSelector('[data-testid="profile-trace-bad"]', { timeout: 30000 });
    const bad = await page.textContent('[data-testid="profile-trace-bad"]');
    check(/truncated/.test(bad), 'the truncated trace says why it is not drawn', bad);
    await page.click('[data-testid="profile-trace-open"]', { timeout: 30000 });
    await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-events') === '474', CANVAS, {
      timeout: 30000,
    });
    check(true, 'the intact trace of that run is drawn');
  });
}

async function kineto(logdir) {
  await withProfileServer(logdir, async ({ base, page }) => {
    await openTrace(page, base, 'hta_sampled_2_of_128_ranks');
    const lanes = Number(await page.getAttribute(CANVAS, 'data-lanes'));
    check(lanes >= 4, 'CPU threads and GPU streams each have a lane', `${lanes}`);
    const px = await canvasPixels(page, CANVAS);
    check(px.drawn > 0, 'the GPU trace is drawn');
    // a kernel launch: its details name the flows to the GPU
    const found = await searchFor(page, 'cudaLaunchKernel');
    check(found === 'cudaLaunchKernel', 'the search finds a kernel launch', found);
    const flows = await page.textContent('[data-testid="profile-trace-flows"]');
    check(/^1 launch → kernel arrow/.test(flows), 'the launch has its arrow to the kernel', flows);
    await screenshot(page, 'profile-trace-kineto.png');
  });
}

/** Non-background pixels inside the canvas's box "x y w h" (CSS px). */
function pixelsIn(page, boxAttr) {
  return page.evaluate(
    ([s, attr]) => {
      const c = document.querySelector(s);
      const [x, y, w, h] = c.getAttribute(attr).split(' ').map(Number);
      const k = c.width / c.clientWidth;
      const d = c.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), Math.round(w * k), Math.round(h * k)).data;
      const bg = [d[0], d[1], d[2]];
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 255) + Math.abs(d[i + 1] - 255) + Math.abs(d[i + 2] - 255) > 30) n++;
      return { n, bg };
    },
    [CANVAS, boxAttr],
  );
}

async function tensorflow() {
  await withProfileServer(corpus('chrome-trace'), async ({ base, page }) => {
    const api = `${base}data/plugin/pytorch_profiler/`;
    const views = await getJson(base, 'data/plugin/pytorch_profiler/views?run=tf');
    check(JSON.stringify(views) === '["Trace"]', 'a TensorFlow run has the Trace view only', JSON.stringify(views));
    const spans = await getJson(base, 'data/plugin/pytorch_profiler/spans?run=tf&worker=host0');
    check(spans.length === 2 && spans[0] === '2026_01_02_03_04_05', 'spans are the profile folders', JSON.stringify(spans));
    const ov = await fetch(`${api}overview?run=tf&worker=host0&span=2026_01_02_03_04_05`);
    const why = await ov.text();
    check(ov.status === 400 && /Chrome trace of another profiler/.test(why), 'the Overview route says why it has no answer', why);
    const mixed = await getJson(base, 'data/plugin/pytorch_profiler/timelines?run=mixed');
    check(
      mixed.map((f) => `${f.worker}:${f.format}`).join(' ') === 'host0:chrome w0:kineto',
      'a run lists its PyTorch and TensorFlow traces',
      JSON.stringify(mixed),
    );

    await openTrace(page, base, 'tf');
    const labels = (await page.getAttribute(CANVAS, 'data-lane-labels')).split('\n');
    check(labels[0] === '/device:GPU:0 · GPU memory', 'the GPU (sort index 1) comes first, its counter on top', labels[0]);
    check(labels.includes('/device:GPU:0 · Stream #7(Compute)'), 'a GPU stream is named by thread_name', labels.join(' | '));
    check(labels.includes('/host:CPU · tf_Compute'), 'a host thread is named by thread_name');
    check(labels.includes('/host:CPU · async'), 'async spans have their lane');
    check(labels.indexOf('/device:GPU:0 · Stream #7(Compute)') < labels.indexOf('/host:CPU · tf_Compute'), 'process_sort_index orders the lanes');
    check((await page.getAttribute(CANVAS, 'data-counters')) === '1', 'one counter track');
    const area = await pixelsIn(page, 'data-counter-box');
    check(area.n > 500, 'the counter track is drawn as an area', JSON.stringify(area));
    // an instant: found by a search, then clicked
    const found = await searchFor(page, 'StepMarker');
    check(found === 'StepMarker', 'the search finds the instant', found);
    const instant = await clickSelected(page);
    check(instant.name === 'StepMarker', 'a click on the instant shows it', instant.name);
    check(instant.kind === 'instant' && !instant.duration, 'the details say it is an instant', JSON.stringify(instant));
    await page.waitForSelector('[data-testid="profile-trace-args"]', { timeout: 10000 });
    check(/step_num/.test(await page.textContent('[data-testid="profile-trace-args"]')), 'its args come from the worker');
    await screenshot(page, 'profile-trace-tensorflow.png');
    // a click on the counter track, the whole trace shown, gives its values
    await page.click('[data-testid="profile-trace-reset"]');
    const box = await page.locator(CANVAS).boundingBox();
    const [cx, cy, cw, ch] = (await page.getAttribute(CANVAS, 'data-counter-box')).split(' ').map(Number);
    await page.mouse.click(box.x + cx + cw * 0.5, box.y + cy + ch / 2);
    await page.waitForFunction(() => document.querySelector('[data-testid="profile-trace-kind"]')?.textContent === 'counter', null, {
      timeout: 10000,
    });
    check(/allocated_MiB/.test(await page.textContent('[data-testid="profile-trace-args"]')), 'the counter shows its series');

    // JAX: pids and tids that are strings
    await openRun(page, 'jax');
    const jax = await page.getAttribute(CANVAS, 'data-lane-labels');
    check(jax === 'TPU:0 · HBM\nTPU:0 · XLA Ops\n/host:CPU · Python', 'string pids and tids are named too', jax);
    // a damaged file says why; the good one is drawn
    await openRun(page, 'damaged');
    await page.waitForSelector('[data-testid="profile-trace-bad"]', { timeout: 30000 });
    check(/cut\.trace\.json\.gz: .*truncated/.test(await page.textContent('[data-testid="profile-trace-bad"]')), 'the damaged file says why');
    check(/tf_Compute/.test(await page.getAttribute(CANVAS, 'data-lane-labels')), 'the good file of that run is drawn');
    // a PyTorch run with a TensorFlow trace: both workers
    await page.selectOption('[data-testid="profile-run"]', 'mixed');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="profile-worker"] option')].map((o) => o.value).join(' ') === 'host0 w0',
      null,
      { timeout: 30000 },
    );
    await page.waitForSelector('[data-testid="profile-chrome-trace"]', { timeout: 30000 });
    check(true, 'a run with both kinds lists both workers; the TensorFlow one has the Trace view only');
  });
}

run(async () => {
  await legacy();
  await tensorflow();
  const logdir = profileExtraLogdir('the Kineto GPU trace checks');
  if (logdir) await kineto(logdir);
});
