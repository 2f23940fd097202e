// Browser test of what a daily user meets first: log-scale axes on ranges
// across and inside decades (with zeros and negatives in the data), axis
// labels, every tab reachable at 1280 px, the log-dir status for a missing
// directory, view state kept in the URL, and the smaller dashboards' UI. The
// log directory is written by gen_ui (libtboard). A frozen page fails a
// check after a short timeout instead of hanging the suite.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardSel, check, corpus, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const HANG_MS = 15000;

/** `promise`, or a rejection naming `what` after `ms` (a frozen page). */
function within(promise, what, ms = HANG_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms (the page hangs)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const LOG_TAGS = {
  // tag: [smallest positive value, largest value]
  'log/across': [0.11, 2.8],
  'log/inside': [0.0962, 0.0999],
  'log/small': [0.0096, 0.0099],
  'log/signs': [0.05, 4.95],
  'log/wide': [1e-20, 1e20],
  'log/constant': [0.1, 0.1],
};

let server = null;
let missing = null;
let b = null;
const logdir = mkdtempSync(join(tmpdir(), 'tboard-ui-'));

await run(async () => {
  try {
    const gen = process.env.TB_GEN_UI;
    if (!gen) throw new Error('TB_GEN_UI is not set');
    execFileSync(gen, [logdir]);
    server = await startServer(logdir);
    const base = server.url;

    b = await launch({ viewport: { width: 1280, height: 900 } });
    let { page } = b;

    // --- Log scale: the page answers, the axis has labelled ticks.
    const hash = '#dash=scalars&log=1&smoothing=0&outliers=1&tags=' + encodeURIComponent('^log/');
    await within(page.goto(base + hash, { waitUntil: 'load' }), 'loading the page with log=1');
    // Cards draw when on screen: the first one drawn, the page still answers.
    const alive = await within(
      page.waitForSelector(`${cardSel('log/across')}[data-series-count="1"]`, { timeout: HANG_MS * 2 }).then(() => page.evaluate(() => true)),
      'drawing the first log-scale card',
      HANG_MS * 2,
    ).catch((e) => String(e));
    check(alive === true, 'log-scale cards draw without freezing the page', String(alive));
    if (alive !== true) return;

    for (const [tag, [lo, hi]] of Object.entries(LOG_TAGS)) {
      const card = page.locator(cardSel(tag));
      await within(card.scrollIntoViewIfNeeded(), `scrolling to ${tag}`);
      await within(page.waitForSelector(`${cardSel(tag)}[data-series-count="1"]`, { timeout: HANG_MS }), `drawing ${tag}`);
      await within(settle(page), `drawing ${tag}`);
      const axis = await within(
        card.evaluate((el) => el.querySelector('.plot').tbChart.yAxis()),
        `reading the y axis of ${tag}`,
      );
      const labels = axis.labels.filter((l) => l !== '');
      check(
        axis.min > 0 && axis.min <= lo * (1 + 1e-6) && axis.max >= hi * (1 - 1e-6) && axis.max < Infinity,
        `${tag}: the log range covers the positive data`,
        JSON.stringify(axis),
      );
      const span = Math.log10(Math.max(hi / lo, 1.0001));
      check(
        Math.log10(axis.max / axis.min) <= span * 1.25 + 0.1,
        `${tag}: the log range is padded by a fraction of the data's span, not to whole decades`,
        JSON.stringify(axis),
      );
      check(labels.length >= 2, `${tag}: at least two labelled ticks`, JSON.stringify(axis.labels));
      check(new Set(labels).size === labels.length, `${tag}: tick labels differ`, JSON.stringify(labels));
      check(axis.splits.every((v) => v > 0 && Number.isFinite(v)), `${tag}: every tick is a positive number`, JSON.stringify(axis.splits));
      check(labels.length <= 12, `${tag}: the labels fit the axis`, JSON.stringify(labels));
    }
    const nonpos = await page.locator(cardSel('log/nonpositive')).evaluate((el) => el.querySelector('.plot').tbChart.yAxis());
    check(nonpos.min > 0 && nonpos.max > nonpos.min, 'only non-positive values: a finite positive log range', JSON.stringify(nonpos));

    // Ticking the box off and on again in the page, then a reload with log=1.
    const logBox = page.getByTestId('log-y');
    await within(logBox.uncheck(), 'unticking log scale');
    await within(logBox.check(), 'ticking log scale');
    await within(settle(page), 'drawing after ticking log scale');
    await within(page.reload({ waitUntil: 'load' }), 'reloading with log=1');
    const reloaded = await within(
      page.waitForSelector(`${cardSel('log/across')}[data-series-count="1"]`, { timeout: HANG_MS }).then(() => true),
      'drawing after the reload',
    ).catch((e) => String(e));
    check(reloaded === true, 'a reload with log=1 in the URL draws', String(reloaded));
    await screenshot(page, 'ui-log-scale-1280-light.png');
    await b.close();
    b = null;

    // --- A missing log directory: the CLI warns, the status route and the
    // runs sidebar say which path and that it does not exist.
    const nowhere = join(logdir, 'no-such-dir');
    missing = await startServer(nowhere);
    check(missing.output.includes(`'${nowhere}' does not exist`), 'the CLI warns that the log directory does not exist', missing.output);
    const status = await getJson(missing.url, 'data/tboard/status');
    check(
      status.logdirs.length === 1 && status.logdirs[0].path === nowhere && status.logdirs[0].exists === false && status.runs === 0,
      '/data/tboard/status reports the missing directory',
      JSON.stringify(status),
    );
    b = await launch({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    page = b.page;
    await page.goto(missing.url, { waitUntil: 'load' });
    const hint = page.getByTestId('logdir-status');
    await hint.waitFor({ timeout: 10000 });
    const hintText = await hint.textContent();
    check(hintText.includes(nowhere) && /does not exist/.test(hintText), 'the sidebar shows the missing path and says it does not exist', hintText);
    await screenshot(page, 'ui-missing-logdir-1280-dark.png');
    await b.close();
    b = null;
    const good = await getJson(base, 'data/tboard/status');
    check(good.logdirs[0]?.exists === true && good.logdirs[0]?.is_directory === true && good.runs > 0, 'an existing log directory is reported as found', JSON.stringify(good));

    // --- Tabs: at 1280 and 1366 px every active dashboard is a tab in the
    // bar or an entry under "More", and each opens; at 1440 px opening
    // "More" moves nothing.
    await stopServer(server);
    server = await startServer(corpus('torch'));
    const listing = await getJson(server.url, 'data/plugins_listing');
    const enabled = Object.entries(listing).filter(([, e]) => e.enabled).map(([n]) => n);
    for (const width of [1280, 1366, 1440]) {
      b = await launch({ viewport: { width, height: 800 }, colorScheme: width === 1366 ? 'dark' : 'light' });
      page = b.page;
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForSelector('.tab[data-plugin]');
      await settle(page);
      const bar = await page.$$eval('.tabs > .tab[data-plugin]:not(.overflowed)', (els) =>
        els.map((e) => ({ name: e.dataset.plugin, ...e.getBoundingClientRect().toJSON() })),
      );
      const right = await page.$eval('.topbar .status, .topbar .icon-button', (e) => e.getBoundingClientRect().left);
      const clipped = bar.filter((t) => t.left < 0 || t.right > right);
      check(clipped.length === 0, `${width} px: the tabs in the bar are whole and clear of the buttons`, JSON.stringify(clipped));
      await page.click('[data-testid="more-tabs"]');
      const inMenu = await page.$$eval('.tabs-menu [data-overflow-plugin]', (els) => els.map((e) => e.dataset.overflowPlugin));
      const reachable = [...bar.map((t) => t.name), ...inMenu];
      const lost = enabled.filter((n) => !reachable.includes(n));
      check(lost.length === 0, `${width} px: every active dashboard is in the bar or under More`, `lost ${JSON.stringify(lost)}`);
      const first = await page.$eval('.tab[data-plugin=timeseries]', (e) => e.getBoundingClientRect().left);
      const scrolled = await page.$eval('.tabs', (e) => e.scrollLeft + window.scrollX);
      check(first > 0 && first === bar[0].left && scrolled === 0, `${width} px: opening More moves no tab`, `${first} vs ${bar[0].left}`);
      const menuBox = await page.$eval('.tabs-menu', (e) => e.getBoundingClientRect().toJSON());
      check(menuBox.left >= 0 && menuBox.right <= width, `${width} px: the More menu is on screen`, JSON.stringify(menuBox));
      await screenshot(page, `ui-tabs-more-${width}-${width === 1366 ? 'dark' : 'light'}.png`);
      if (inMenu.length) {
        const last = inMenu[inMenu.length - 1];
        await page.click(`.tabs-menu [data-overflow-plugin="${last}"]`);
        await page.waitForSelector(`.main[data-dashboard="${last}"]`, { timeout: 10000 });
        const shown = await page.$eval(`.tab[data-plugin="${last}"]`, (e) => !e.classList.contains('overflowed') && e.classList.contains('active'));
        check(shown, `${width} px: a dashboard opened from More gets its tab in the bar`);
      }
      await b.close();
      b = null;
    }
  } finally {
    await b?.close();
    await stopServer(server);
    await stopServer(missing);
    rmSync(logdir, { recursive: true, force: true });
  }
});
