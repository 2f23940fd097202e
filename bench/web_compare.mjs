// web_compare: comparing runs at scale, in headless Chromium.
//
//     node bench/web_compare.mjs BUILD_DIR [lrs=20] [batch_sizes=10] [seeds=5]
//
// Writes a sweep with gen_sweep (by default 20 x 10 x 5 = 1000 runs, each
// with its hparams child run), serves it with tboard and measures, median
// of 5 each, on the val/acc card alone (#tags=^val/acc$):
//  1. run mode: navigation to the card drawn with every run (the baseline);
//  2. group mode: navigation with #gby=regex:(.*)/seed\d+ to the card drawn
//     with one line and band per group (200 groups by default);
//  3. the run query: from setting the query box to the runs list showing
//     the answer (the box waits for a 300 ms pause in typing first; that
//     pause is included);
//  4. HParams brushing: from the end of a drag on the lr axis of the
//     parallel coordinates to the rows filtered (1000 rows);
//  5. shared y: navigation to the val/acc and train/loss cards both drawn
//     with every run, their y axes linked (#ylink=*: both on one range),
//     against the same two cards each fitting its own range.
// Prints the figures as JSON. Paths only under the system's temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const buildDir = resolve(process.argv[2] || 'build');
const LRS = Number(process.argv[3] || 20);
const BSS = Number(process.argv[4] || 10);
const SEEDS = Number(process.argv[5] || 5);
const RUNS = LRS * BSS * SEEDS;
const GROUPS = LRS * BSS;
process.env.TB_BINARY ||= join(buildDir, 'tboard');
process.env.TB_BUILD_DIR ||= buildDir;
const { launch, startServer, stopServer } = await import('../tests/web/lib.mjs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Median over 5 loads of url of the ms from navigation until ready(arg), run in the page, answers a time. */
async function timeToReady(page, url, ready, arg) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    await page.goto('about:blank');
    await sleep(1000);
    await page.goto(url, { waitUntil: 'commit' });
    const t = await page.waitForFunction(ready, arg, { polling: 'raf', timeout: 180000 });
    times.push(await t.jsonValue());
  }
  return median(times);
}

/** ms from navigation to `sel` having data-series-count = n with a canvas. */
function firstDraw(page, url, kind, n) {
  return timeToReady(
    page,
    url,
    ([k, c]) =>
      document.querySelector(`.card[data-kind="${k}"][data-tag="val/acc"][data-state="ready"][data-series-count="${c}"] canvas`)
        ? performance.now()
        : 0,
    [kind, String(n)],
  );
}

/** ms from navigation to the val/acc and train/loss cards drawn with n runs each (and one y range when linked). */
function twoCards(page, url, n, linked) {
  return timeToReady(
    page,
    url,
    ([c, same]) => {
      const ys = ['val/acc', 'train/loss'].map((tag) => {
        const el = document.querySelector(`.card[data-kind="scalar"][data-tag="${tag}"][data-state="ready"][data-series-count="${c}"]`);
        return el?.querySelector('canvas') ? el.querySelector('.plot').tbChart.yAxis() : null;
      });
      if (!ys[0] || !ys[1]) return 0;
      return !same || (ys[0].min === ys[1].min && ys[0].max === ys[1].max) ? performance.now() : 0;
    },
    [String(n), linked],
  );
}

const tmp = mkdtempSync(join(tmpdir(), 'tboard-web-compare-'));
let server = null;
let b = null;
try {
  const logdir = join(tmp, 'sweep');
  execFileSync(join(buildDir, 'gen_sweep'), [logdir, String(LRS), String(BSS), String(SEEDS)]);
  server = await startServer(logdir);
  b = await launch({ viewport: { width: 1500, height: 1000 } });
  const { page } = b;
  const base = server.url;
  const tags = `tags=${encodeURIComponent('^val/acc$')}`;
  const runMode = await firstDraw(page, `${base}#${tags}`, 'scalar', RUNS);
  const groupMode = await firstDraw(page, `${base}#${tags}&gby=${encodeURIComponent('regex:(.*)/seed\\d+')}`, 'scalar-groups', GROUPS);
  const two = `tags=${encodeURIComponent('^(val/acc|train/loss)$')}`;
  const ownY = await twoCards(page, `${base}#${two}`, RUNS, false);
  const sharedY = await twoCards(page, `${base}#${two}&ylink=*`, RUNS, true);

  // The run query: alternate two queries so each one is asked anew.
  await page.goto(`${base}#${tags}`, { waitUntil: 'load' });
  await page.waitForSelector('.run-row', { timeout: 60000 });
  const queries = ['hp.lr >= 0.01 and hp.bs = 16 sort by last(val/acc) desc', 'max(val/acc) > 0.8 and hp.seed < 3'];
  const query = [];
  for (let i = 0; i < 6; i++) {
    const q = queries[i % 2];
    const t0 = await page.evaluate(() => performance.now());
    await page.fill('[data-testid="run-query"]', q);
    const t = await page.waitForFunction(
      (text) => {
        const c = document.querySelector('[data-testid="query-count"]');
        const row = document.querySelector('.run-row .query-val');
        return c && row && c.getAttribute('data-q') === text ? performance.now() : 0;
      },
      q,
      { polling: 'raf', timeout: 60000 },
    );
    if (i > 0) query.push((await t.jsonValue()) - t0);
  }

  // Brushing: drag along the lr axis, alternating two ranges.
  await page.goto(`${base}#dash=hparams&hpview=parallel`, { waitUntil: 'load' });
  await page.waitForFunction(
    (n) => {
      const el = document.querySelector('[data-testid="hp-parallel"]');
      return el?.getAttribute('data-rows') === String(n) && (el.querySelector('canvas')?.width ?? 0) > 0;
    },
    RUNS,
    { timeout: 180000 },
  );
  const geo = await page.evaluate(() => {
    const pc = document.querySelector('[data-testid="hp-parallel"]').tbParallel;
    const i = pc.axes.findIndex((a) => a.label === 'lr');
    return pc.axisGeometry(i);
  });
  const box = await page.locator('[data-testid="hp-parallel"] canvas').boundingBox();
  const brush = [];
  for (let i = 0; i < 6; i++) {
    const before = await page.getAttribute('[data-testid="hp-parallel"]', 'data-rows');
    const frac = i % 2 ? 0.3 : 0.6;
    await page.mouse.move(box.x + geo.x, box.y + geo.top - 4);
    await page.mouse.down();
    await page.mouse.move(box.x + geo.x, box.y + geo.top + (geo.bottom - geo.top) * frac, { steps: 3 });
    const t0 = await page.evaluate(() => performance.now());
    await page.mouse.up();
    const t = await page.waitForFunction(
      (prev) => (document.querySelector('[data-testid="hp-parallel"]')?.getAttribute('data-rows') !== prev ? performance.now() : 0),
      before,
      { polling: 'raf', timeout: 60000 },
    );
    if (i > 0) brush.push((await t.jsonValue()) - t0);
  }
  console.log(
    JSON.stringify(
      {
        runs: RUNS,
        groups: GROUPS,
        firstDrawMs: { runMode, groupMode, ratio: Math.round((groupMode / runMode) * 100) / 100 },
        queryToListMs: median(query),
        brushToRowsMs: median(brush),
        twoCardsDrawnMs: { ownY, sharedY, ratio: Math.round((sharedY / ownY) * 100) / 100 },
      },
      null,
      1,
    ),
  );
} finally {
  await b?.close();
  await stopServer(server);
  rmSync(tmp, { recursive: true, force: true });
}
