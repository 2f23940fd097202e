// Browser test of what a daily user meets first: log-scale axes on ranges
// across and inside decades (with zeros and negatives in the data), axis
// labels, every tab reachable at 1280 px, the log-dir status for a missing
// directory, view state kept in the URL, and the smaller dashboards' UI. The
// log directory is written by gen_ui (libtboard). A frozen page fails a
// check after a short timeout instead of hanging the suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardSel, check, corpus, genUi, getJson, launch, run, screenshot, serverSaid, settle, startServer, stopServer } from './lib.mjs';

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
    genUi(logdir);
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

    // --- Relative time on a 40-second run: seconds, not "0.01h".
    await page.goto(base + '#dash=scalars&x=relative&tags=' + encodeURIComponent('^x/'), { waitUntil: 'load' });
    await page.waitForSelector(`${cardSel('x/short_run')}[data-series-count="1"]`, { timeout: 20000 });
    await settle(page);
    const xLabels = (tag) => page.locator(cardSel(tag)).evaluate((el) => el.querySelector('.plot').tbChart.xLabels());
    const rel = (await xLabels('x/short_run')).filter((l) => l);
    check(rel.length >= 2 && rel.every((l) => l === '0' || /^\d+(\.\d+)?s$/.test(l)), 'relative time on a short run ticks in seconds', JSON.stringify(rel));

    // --- Steps near 2^62: labels that differ and fit side by side.
    await page.click('[data-xaxis=step]');
    const huge = page.locator(cardSel('x/huge_steps'));
    await huge.scrollIntoViewIfNeeded();
    await page.waitForSelector(`${cardSel('x/huge_steps')}[data-series-count="1"]`, { timeout: 20000 });
    await settle(page);
    const steps = (await xLabels('x/huge_steps')).filter((l) => l);
    const plotWidth = await huge.evaluate((el) => el.querySelector('.u-over').clientWidth);
    const longest = Math.max(...steps.map((l) => l.length));
    check(steps.length >= 2 && new Set(steps).size === steps.length, 'step labels near 2^62 differ', JSON.stringify(steps));
    check(steps.length * longest * 7 <= plotWidth, 'step labels near 2^62 fit side by side', `${JSON.stringify(steps)} in ${plotWidth} px`);

    // --- Ignore outliers is on by default (as upstream) and kept in the URL when off.
    const outliers = page.getByTestId('ignore-outliers');
    check(await outliers.isChecked(), '"Ignore outliers" is on by default');
    await outliers.uncheck();
    check(page.url().includes('outliers=1'), 'turning "Ignore outliers" off is kept in the URL', page.url());
    await outliers.check();
    check(!page.url().includes('outliers'), 'the default leaves no outliers parameter', page.url());

    // --- Pinned cards: the group header's icon is drawn, not an emoji.
    await huge.getByTestId('pin').click();
    const pinned = page.locator('.pinned-group .group-name');
    await pinned.waitFor();
    const pinText = (await pinned.textContent()).trim();
    check(pinText === 'Pinned' && (await pinned.locator('svg.pin-icon').count()) === 1, 'the Pinned header has an SVG pin and plain text', pinText);
    await screenshot(page, 'ui-axes-pinned-1280-light.png');

    // --- Histograms: one count in the tooltip; the mode is in the URL.
    await page.goto(base + '#dash=histograms', { waitUntil: 'load' });
    const histCanvas = page.locator('.dash[data-dashboard=histograms] canvas.dash-canvas').first();
    await histCanvas.waitFor({ timeout: 20000 });
    await settle(page);
    // Hover until the chart answers (it draws once its data has arrived).
    const hbox = await histCanvas.boundingBox();
    for (let t = 0; t < 20 && !(await page.isVisible('.dash-tip')); t++) {
      await page.mouse.move(hbox.x + hbox.width * (0.4 + 0.01 * t), hbox.y + hbox.height * 0.6, { steps: 2 });
      await page.waitForTimeout(250);
    }
    await page.waitForSelector('.dash-tip', { state: 'visible', timeout: 5000 });
    const tipText = await page.$eval('.dash-tip', (e) => e.innerText);
    const counts = tipText.split('\n').filter((l) => /^(Count|Bin)\b/.test(l.trim()));
    check(counts.length === 1, 'the histogram tooltip shows one count', JSON.stringify(tipText));
    await page.mouse.move(0, 0);
    await page.click('.dash[data-dashboard=histograms] [data-mode=overlay]');
    check(page.url().includes('hist=overlay'), 'the histogram mode is in the URL', page.url());
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.dash[data-dashboard=histograms] [data-mode=overlay][aria-pressed=true]', { timeout: 10000 });
    check(true, 'the overlay mode survives a reload');

    // --- HParams: the view and the sort are in the URL.
    await page.goto(base + '#dash=hparams', { waitUntil: 'load' });
    await page.waitForSelector('[data-testid=hp-table] th[data-col="lr"]', { timeout: 20000 });
    await page.click('[data-testid=hp-table] th[data-col="lr"]');
    await page.click('[data-testid=hp-table] th[data-col="lr"]');
    await page.click('[data-view=parallel]');
    check(/hpview=parallel/.test(page.url()) && /hpsort=-/.test(page.url()), 'the HParams view and sort are in the URL', page.url());
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('[data-view=parallel][aria-pressed=true]', { timeout: 20000 });
    await page.click('[data-view=table]');
    const sorted = await page.$eval('[data-testid=hp-table] th[data-col="lr"]', (e) => e.getAttribute('aria-sort'));
    check(sorted === 'descending', 'the HParams view and sort survive a reload', sorted);

    // --- Custom scalars: lines of one run differ by dash, with a legend.
    await page.goto(base + '#dash=custom_scalars', { waitUntil: 'load' });
    await page.waitForSelector('.cs-card[data-lines="4"]', { timeout: 20000 });
    const legend = await page.$$eval('[data-testid=cs-legend] .cs-legend-item', (els) =>
      els.map((e) => ({
        label: e.textContent,
        color: e.querySelector('line').getAttribute('stroke'),
        dash: e.querySelector('line').getAttribute('stroke-dasharray') ?? '',
      })),
    );
    check(legend.length === 4, 'the custom-scalars chart has a legend entry per line', JSON.stringify(legend));
    const byRun = {};
    for (const l of legend) (byRun[l.label.match(/\((.*)\)$/)?.[1]] ??= []).push(l.dash);
    check(
      Object.keys(byRun).length === 2 && Object.values(byRun).every((d) => new Set(d).size === d.length),
      'lines of one run differ by dash pattern',
      JSON.stringify(byRun),
    );

    // --- Audio: a short clip says its length.
    await page.goto(base + '#dash=audio', { waitUntil: 'load' });
    const len = page.getByTestId('audio-length');
    await len.waitFor({ timeout: 20000 });
    check((await len.textContent()).trim() === '0.40 s', 'a 0.4 s clip shows its length', await len.textContent());

    // --- Graphs: opening a big scope keeps the zoom (labels stay readable)
    // and shows the scope; search finds op types too.
    await page.goto(base + '#dash=graphs', { waitUntil: 'load' });
    const scopeBox = page.locator('svg.graph-svg g.graph-node[data-kind="scope"][data-name="model"]');
    await scopeBox.waitFor({ timeout: 30000 });
    await settle(page);
    const svg = page.locator('svg.graph-svg');
    const zBefore = Number(await svg.getAttribute('data-zoom'));
    await scopeBox.click();
    await page.waitForSelector('g.graph-cluster[data-name="model"]', { timeout: 10000 });
    await settle(page);
    const zAfter = Number(await svg.getAttribute('data-zoom'));
    check(zAfter >= zBefore, 'opening a scope keeps the zoom', `${zBefore} -> ${zAfter}`);
    const seen = await page.evaluate(() => {
      const svgBox = document.querySelector('svg.graph-svg').getBoundingClientRect();
      const head = document.querySelector('g.graph-cluster[data-name="model"]').getBoundingClientRect();
      return head.left >= svgBox.left - 1 && head.top >= svgBox.top - 1 && head.left < svgBox.right && head.top < svgBox.bottom;
    });
    check(seen, 'the opened scope starts inside the view');
    await screenshot(page, 'ui-graph-expanded-1280-light.png');
    const gsearch = page.getByTestId('graph-search');
    await gsearch.fill('biasadd');
    const found = await page.$$eval('.graph-search-results li', (els) => els.map((e) => e.textContent));
    check(found.length > 0 && found.every((t) => /\/add.*BiasAdd$/.test(t)), 'graph search finds nodes by op type', JSON.stringify(found.slice(0, 3)));
    await gsearch.press('Enter');
    await page.waitForSelector('[data-testid="graph-details"][data-name="model/layer_00/add"]', { timeout: 10000 });
    check(true, 'picking an op-type match selects the node');

    // --- Run groups: by directory and by regex; a group shares a colour.
    const swatch = (run) => page.$eval(`[data-run="${run}"] .swatch-picker`, (e) => getComputedStyle(e).backgroundColor);
    await page.selectOption('[data-testid=run-group-mode]', 'dir');
    await page.waitForSelector('[data-run-group="hp"]');
    const hpRuns = await page.$eval('[data-run-group="hp"] .count', (e) => e.textContent);
    const trialColors = new Set([await swatch('hp/trial_0'), await swatch('hp/trial_1'), await swatch('hp/trial_2')]);
    check(hpRuns === '3' && trialColors.size === 1, 'grouping by directory: hp/* under one header, one colour', `${hpRuns} ${[...trialColors]}`);
    check((await swatch('cs_a')) !== (await swatch('cs_b')), 'runs outside a group keep their own colours');
    await page.selectOption('[data-testid=run-group-mode]', 're');
    await page.getByTestId('run-group-regex').fill('^(cs|hp)');
    await page.waitForSelector('[data-run-group="cs"]');
    check((await swatch('cs_a')) === (await swatch('cs_b')) && (await swatch('hp')) === (await swatch('hp/trial_1')), 'grouping by a regex: its capture groups share a colour');
    check(page.url().includes('group=re%3A'), 'the grouping is in the URL', page.url());
    await screenshot(page, 'ui-run-groups-1280-light.png');
    await page.selectOption('[data-testid=run-group-mode]', '');

    // --- Projector: picking a point lists its nearest neighbours (k and
    // metric adjustable); t-SNE takes a perplexity and a learning rate.
    await page.goto(base + '#dash=projector', { waitUntil: 'load' });
    const proj = '.proj[data-dashboard="projector"]';
    await page.waitForSelector(`${proj}[data-points="300"]`, { timeout: 30000 });
    await settle(page);
    const canvasBox = await page.getByTestId('proj-canvas').boundingBox();
    const [px, py] = await page.getByTestId('proj-canvas').evaluate((c) => c.tbView.screenOf(0));
    await page.mouse.click(canvasBox.x + px, canvasBox.y + py);
    const nbPanel = page.getByTestId('proj-neighbours');
    await nbPanel.waitFor({ timeout: 10000 });
    const nbLabels = () => page.$$eval('[data-testid=proj-neighbours] .proj-nb-label', (els) => els.map((e) => e.textContent));
    const pickedLabel = (await nbPanel.locator('b').textContent()).trim();
    let nb = await nbLabels();
    check(nb.length === 10 && nb.every((l) => l.startsWith(pickedLabel.slice(0, 3))), 'picking a point lists its 10 nearest neighbours, of its cluster', `${pickedLabel}: ${JSON.stringify(nb)}`);
    await page.getByTestId('proj-k').fill('5');
    await page.getByTestId('proj-k').press('Enter');
    await page.selectOption('[data-testid=proj-metric]', 'euclidean');
    nb = await nbLabels();
    check(nb.length === 5 && nb.every((l) => l.startsWith(pickedLabel.slice(0, 3))), 'k and the metric are adjustable', JSON.stringify(nb));
    await screenshot(page, 'ui-projector-neighbours-1280-light.png');
    await page.click(`${proj} [data-method=tsne]`);
    await page.getByTestId('tsne-perplexity').waitFor({ timeout: 10000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=tsne-iteration]')?.textContent) > 20, null, { timeout: 30000 });
    const before = await page.evaluate(() => {
      // Record the smallest iteration shown from now on.
      const w = window;
      w.tbMinIteration = Infinity;
      new MutationObserver(() => {
        const v = Number(document.querySelector('[data-testid=tsne-iteration]')?.textContent);
        if (v < w.tbMinIteration) w.tbMinIteration = v;
      }).observe(document.querySelector('.proj-status'), { subtree: true, childList: true, characterData: true });
      return Number(document.querySelector('[data-testid=tsne-iteration]').textContent);
    });
    await page.getByTestId('tsne-perplexity').fill('10');
    await page.getByTestId('tsne-perplexity').press('Enter');
    await page.getByTestId('tsne-learning-rate').fill('50');
    await page.getByTestId('tsne-learning-rate').press('Enter');
    await page.waitForTimeout(500);
    const restarted = await page.evaluate(() => window.tbMinIteration);
    check(restarted < before && restarted <= 20, 'changing the perplexity restarts t-SNE', `${before} -> ${restarted}`);
    // Stop the layout to spare the CPU; a small layout may already have
    // reached its last iteration and paused itself.
    await page.getByTestId('tsne-stop').click({ timeout: 5000 }).catch(() => {});

    // --- The runs sidebar resizes by dragging its edge; the width is kept.
    const side = page.locator('.sidebar');
    const w0 = (await side.boundingBox()).width;
    const handle = await page.getByTestId('sidebar-resize').boundingBox();
    await page.mouse.move(handle.x + handle.width / 2, handle.y + 200);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 120, handle.y + 200, { steps: 5 });
    await page.mouse.up();
    const w1 = (await side.boundingBox()).width;
    check(Math.abs(w1 - w0 - 120) <= 2, 'dragging the sidebar edge widens it', `${w0} -> ${w1}`);
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.sidebar');
    const w2 = (await side.boundingBox()).width;
    check(Math.abs(w2 - w1) <= 1, 'the sidebar width survives a reload', `${w1} -> ${w2}`);
    const titled = await page.$$eval('.run-name', (els) => els.every((e) => e.getAttribute('title') === e.textContent));
    check(titled, 'every run name has its full name as a tooltip');

    await b.close();
    b = null;

    // --- A missing log directory: the CLI warns, the status route and the
    // runs sidebar say which path and that it does not exist.
    const nowhere = join(logdir, 'no-such-dir');
    missing = await startServer(nowhere);
    check(await serverSaid(missing, `'${nowhere}' does not exist`), 'the CLI warns that the log directory does not exist', missing.output);
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
