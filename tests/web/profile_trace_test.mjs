// Browser test of the Profile dashboard's Trace view (the canvas timeline):
// on the in-repo profile corpus (legacy traces, drawn through tboard's own
// timelines/timeline routes) and, when TBOARD_EXTRA_CORPORA holds them, a
// Kineto GPU trace (CPU threads and a GPU stream, launch -> kernel flows).
// Checks: lanes are drawn (canvas pixels), zooming changes the visible
// range, a search finds an event, a click on an event shows its details.
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
  await openProfile(page, base, runName);
  const open = page.locator('[data-testid="profile-trace-open"]');
  await open.waitFor({ timeout: 30000 });
  await open.click();
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-state') === 'drawn', CANVAS, {
    timeout: 60000,
  });
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
  return {
    name: await details.locator('[data-testid="profile-trace-name"]').textContent(),
    duration: await details.locator('[data-testid="profile-trace-duration"]').textContent(),
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

run(async () => {
  await legacy();
  const logdir = profileExtraLogdir('the Kineto GPU trace checks');
  if (logdir) await kineto(logdir);
});
