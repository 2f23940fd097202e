// Browser test of the Time Series and Scalars dashboards on the torch
// corpus: cards, lines, run filter, smoothing, tooltip, pinning, URL state,
// downloads, histogram and image cards, theme, settings, screenshots.
import { cardSel, check, corpus, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

let server = null;
let b = null;

await run(async () => {
  try {
    server = process.env.TB_URL ? { url: process.env.TB_URL } : await startServer(corpus('torch'));
    let base = server.url;
    if (!base.endsWith('/')) base += '/';

    // What the API says, to compare the page against.
    const runs = await getJson(base, 'data/runs');
    const listing = await getJson(base, 'data/plugins_listing');
    const ts = await getJson(base, 'data/plugin/timeseries/tags');
    const invert = (info) => {
      const m = new Map();
      for (const [r, tags] of Object.entries(info)) for (const t of tags) (m.get(t) ?? m.set(t, []).get(t)).push(r);
      return m;
    };
    const tagRuns = invert(ts.scalars.runTagInfo);
    const histRuns = invert(ts.histograms.runTagInfo);
    const allTags = [...tagRuns.keys()].sort();
    const histCards = [...histRuns.values()].reduce((n, l) => n + l.length, 0);
    const imageCards = Object.values(ts.images.tagRunSampledInfo).reduce((n, o) => n + Object.keys(o).length, 0);
    check(allTags.length > 0, 'the corpus has scalar tags', String(allTags.length));

    // Whether the image bytes route exists yet (it lands separately).
    let imagesServed = false;
    const firstImageTag = Object.keys(ts.images.tagRunSampledInfo)[0];
    if (firstImageTag) {
      const firstRun = Object.keys(ts.images.tagRunSampledInfo[firstImageTag])[0];
      const form = new FormData();
      form.append('requests', JSON.stringify([{ plugin: 'images', tag: firstImageTag, run: firstRun, sample: 0 }]));
      const r = await (await fetch(base + 'data/plugin/timeseries/timeSeries', { method: 'POST', body: form })).json();
      const id = r[0]?.runToSeries?.[firstRun]?.[0]?.imageId;
      if (id) imagesServed = (await fetch(base + 'data/plugin/timeseries/imageData?imageId=' + encodeURIComponent(id))).ok;
    }

    b = await launch();
    const { page } = b;
    const resp = await page.goto(base, { waitUntil: 'load' });
    check(resp && resp.ok(), 'the page loads', resp ? String(resp.status()) : 'no response');

    // Tabs: the active plugins, in listing order; Time Series selected.
    await page.waitForSelector('.tab[data-plugin]');
    const tabs = await page.$$eval('.tabs > .tab[data-plugin]', (els) => els.map((e) => e.getAttribute('data-plugin')));
    const enabled = Object.entries(listing).filter(([, e]) => e.enabled).map(([n]) => n);
    check(JSON.stringify(tabs) === JSON.stringify(enabled), 'a tab per active plugin, in order', JSON.stringify(tabs));
    const activeTab = await page.$eval('.tab.active', (e) => e.getAttribute('data-plugin'));
    check(activeTab === 'timeseries', 'Time Series is the default dashboard', activeTab);

    // Every scalar tag has a card; histogram and image cards per run.
    await page.waitForFunction((n) => document.querySelectorAll('.card[data-kind=scalar]').length >= n, allTags.length, {
      timeout: 20000,
    });
    const cardTags = await page.$$eval('.card[data-kind=scalar]', (els) => els.map((e) => e.getAttribute('data-tag')));
    const missing = allTags.filter((t) => !cardTags.includes(t));
    const extra = cardTags.filter((t) => !tagRuns.has(t));
    check(missing.length === 0, 'every scalar tag has a card', `missing ${JSON.stringify(missing)}`);
    check(extra.length === 0, 'no card for an unknown tag', JSON.stringify(extra));
    const nHist = await page.locator('.card[data-kind=histogram]').count();
    check(nHist === histCards, 'a histogram card per run and histogram tag', `${nHist}, want ${histCards}`);
    const nImg = await page.locator('.card[data-kind=image]').count();
    check(nImg === imageCards, 'an image card per run and image tag', `${nImg}, want ${imageCards}`);

    // Cards are grouped by tag prefix.
    const groups = await page.$$eval('section.group[data-group]', (els) => els.map((e) => e.getAttribute('data-group')));
    const wantGroups = [...new Set([...allTags, ...histRuns.keys(), ...Object.keys(ts.images.tagRunSampledInfo)].sort().map((t) => t.split('/')[0]))];
    check(JSON.stringify(groups) === JSON.stringify(wantGroups), 'cards are grouped by tag prefix', JSON.stringify(groups));

    const rowRuns = await page.$$eval('[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
    check(JSON.stringify(rowRuns) === JSON.stringify(runs), 'the sidebar lists every run in order', JSON.stringify(rowRuns));

    async function waitCount(tag, want) {
      const card = page.locator(cardSel(tag));
      await card.scrollIntoViewIfNeeded();
      try {
        // Kept in view while waiting: cards above may still be coming in
        // (the run filter reaches the cards once typing pauses).
        await page.waitForFunction(
          ([sel, n]) => {
            const el = document.querySelector(sel);
            el?.scrollIntoView({ block: 'nearest' });
            return el?.getAttribute('data-series-count') === String(n);
          },
          [cardSel(tag), want],
          { timeout: 10000 },
        );
      } catch {
        /* reported by the caller */
      }
      return Number(await card.getAttribute('data-series-count'));
    }
    let allRight = true;
    for (const tag of allTags) {
      const want = tagRuns.get(tag).length;
      const got = await waitCount(tag, want);
      if (got !== want) {
        allRight = false;
        check(false, `card "${tag}" draws one line per run`, `drew ${got}, want ${want}`);
      }
      if ((await page.locator(`${cardSel(tag)} canvas`).count()) !== 1) {
        allRight = false;
        check(false, `card "${tag}" has a chart canvas`);
      }
    }
    check(allRight, `all ${allTags.length} scalar cards draw one line per run that has the tag`);
    await page.evaluate(() => document.querySelector('.groups')?.scrollTo(0, 0));
    await screenshot(page, 'timeseries.png');

    // The run filter hides runs, in the list and in the charts.
    await page.fill('[data-testid="run-filter"]', '^eval$');
    const shownRows = await page.$$eval('[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
    check(JSON.stringify(shownRows) === JSON.stringify(['eval']), 'run filter narrows the run list', JSON.stringify(shownRows));
    let filterOk = true;
    for (const tag of allTags) {
      const want = tagRuns.get(tag).includes('eval') ? 1 : 0;
      const got = await waitCount(tag, want);
      if (got !== want) {
        filterOk = false;
        check(false, `with the run filter, card "${tag}"`, `drew ${got}, want ${want}`);
      }
    }
    check(filterOk, 'run filter hides the other runs in every chart');
    check((await page.locator('.card[data-kind=histogram]').count()) === (histRuns.size && [...histRuns.values()].filter((l) => l.includes('eval')).length),
      'run filter hides the other runs\' histogram cards');
    await page.fill('[data-testid="run-filter"]', '');
    const lossWant = tagRuns.get('loss')?.length ?? 0;
    const lossGot = await waitCount('loss', lossWant);
    check(lossGot === lossWant, 'clearing the run filter brings the runs back', `drew ${lossGot}, want ${lossWant}`);

    // Unticking a run removes its line.
    const firstLossRun = tagRuns.get('loss')[0];
    await page.locator(`[data-run="${firstLossRun}"] input[type=checkbox]`).click();
    check((await waitCount('loss', lossWant - 1)) === lossWant - 1, 'unticking a run removes its line');
    await page.click('[data-testid="select-all"]');
    check((await waitCount('loss', lossWant)) === lossWant, '"select all" restores it');

    // Changing smoothing changes the drawn path.
    const lossCard = page.locator(cardSel('loss'));
    await lossCard.scrollIntoViewIfNeeded();
    const snapshot = () => lossCard.locator('canvas').evaluate((c) => c.toDataURL());
    const setSmoothing = async (v) => {
      await page.$eval(
        '[data-testid="smoothing"]',
        (el, value) => {
          el.value = String(value);
          el.dispatchEvent(new Event('input', { bubbles: true }));
        },
        v,
      );
      await page.waitForFunction(
        ([sel, value]) => document.querySelector(sel)?.getAttribute('data-smoothing') === String(value),
        [cardSel('loss'), v],
        { timeout: 10000 },
      );
      await settle(page);
    };
    const initialSmoothing = await page.$eval('[data-testid="smoothing"]', (el) => Number(el.value));
    check(initialSmoothing === 0.6, 'smoothing defaults to 0.6', String(initialSmoothing));
    const before = await snapshot();
    await setSmoothing(0.95);
    const after = await snapshot();
    check(before !== after, 'changing smoothing changes the drawn path');
    await setSmoothing(0.6);
    check((await snapshot()) === before, 'setting smoothing back redraws the same picture');

    // Ignoring outliers and the log scale change the picture too.
    await page.check('[data-testid="log-y"]');
    await settle(page);
    check((await snapshot()) !== before, 'log scale redraws the chart');
    await page.uncheck('[data-testid="log-y"]');
    await settle(page);

    // The tooltip shows the nearest points, one row per run.
    const hover = async (card) => {
      const box = await card.locator('.u-over').boundingBox();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
      return page
        .waitForFunction(() => {
          const t = document.querySelector('.tb-tooltip');
          return t && t.style.display !== 'none' ? [...t.querySelectorAll('tbody td.run')].map((e) => e.textContent) : null;
        }, null, { timeout: 5000 })
        .then((h) => h.jsonValue())
        .catch(() => []);
    };
    const tipRuns = await hover(lossCard);
    check(tipRuns.length === lossWant, 'hovering a chart shows a tooltip row per run', `${tipRuns.length} rows`);

    // Settings: tooltip order by name.
    await page.click('[data-testid="settings-button"]');
    await page.waitForSelector('[data-testid="settings-panel"]');
    await screenshot(page, 'settings.png');
    await page.selectOption('[data-testid="tooltip-sort"]', 'name');
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
    const byName = await hover(lossCard);
    check(JSON.stringify(byName) === JSON.stringify([...byName].sort()) && byName.length === lossWant, 'tooltip can be sorted by run name', JSON.stringify(byName));
    await page.mouse.move(5, 5);

    // Download links point at the scalars route, and it answers CSV.
    await lossCard.locator('[data-testid="download"]').click();
    const csvHref = await lossCard.locator('.download-menu a[data-format=csv]').first().getAttribute('href');
    check(/data\/plugin\/scalars\/scalars\?run=.*&tag=loss&format=csv/.test(csvHref), 'download menu links CSV per run', csvHref);
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), csvHref);
    check(csv.startsWith('Wall time,Step,Value'), 'the CSV download has the expected header', csv.slice(0, 40));
    const jsonHref = await lossCard.locator('.download-menu a[data-format=json]').first().getAttribute('href');
    const json = await page.evaluate(async (href) => (await fetch(href)).json(), jsonHref);
    check(Array.isArray(json) && json.length > 0 && json[0].length === 3, 'the JSON download is a point array');
    await page.mouse.click(5, 400);

    // Full-size toggle widens a card.
    const w0 = (await lossCard.boundingBox()).width;
    await lossCard.locator('[data-testid="fullsize"]').click();
    await settle(page);
    const w1 = (await lossCard.boundingBox()).width;
    check(w1 > w0 * 1.3, 'full-size toggle widens the card', `${w0} -> ${w1}`);
    await lossCard.locator('[data-testid="fullsize"]').click();

    // Pinning a card moves it first.
    const lastTag = cardTags[cardTags.length - 1];
    await page.locator(cardSel(lastTag)).locator('[data-testid="pin"]').click();
    await settle(page);
    const firstCard = await page.$eval('.card', (e) => e.getAttribute('data-tag'));
    check(firstCard === lastTag, 'pinning a card moves it first', `${firstCard}, want ${lastTag}`);
    check(page.url().includes('pin='), 'pinned cards are in the URL', page.url());

    // Tag filter.
    await page.fill('[data-testid="tag-filter"]', 'loss');
    await settle(page);
    const filtered = await page.$$eval('.card[data-kind=scalar]', (els) => els.map((e) => e.getAttribute('data-tag')));
    const wantFiltered = allTags.filter((t) => /loss/i.test(t) || t === lastTag);
    check(
      JSON.stringify([...filtered].sort()) === JSON.stringify([...new Set(wantFiltered)].sort()),
      'the tag filter keeps matching (and pinned) cards',
      JSON.stringify(filtered),
    );

    // Histogram modes draw different pictures.
    if (histCards > 0) {
      await page.fill('[data-testid="tag-filter"]', '');
      const hcard = page.locator('.card[data-kind=histogram]').first();
      await hcard.scrollIntoViewIfNeeded();
      await page.waitForFunction(() => document.querySelector('.card[data-kind=histogram]')?.hasAttribute('data-steps'));
      await settle(page);
      const h0 = await hcard.locator('canvas').evaluate((c) => c.toDataURL());
      await page.click('[data-hist-mode=overlay]');
      const weights = page.locator('.card[data-kind=histogram]').last();
      await weights.scrollIntoViewIfNeeded();
      await settle(page);
      const h1 = await hcard.locator('canvas').evaluate((c) => c.toDataURL());
      check(h0 !== h1, 'histogram overlay mode redraws the card');
      await screenshot(page, 'histograms.png');
      await page.click('[data-hist-mode=offset]');
      await page.fill('[data-testid="tag-filter"]', 'loss');
    }

    // A URL with state reproduces the view after a reload.
    await page.fill('[data-testid="run-filter"]', 'train');
    await setSmoothing(0.8);
    await page.check('[data-testid="log-y"]');
    await page.click('[data-xaxis=relative]');
    const url = page.url();
    const b2 = await launch();
    try {
      const p2 = b2.page;
      await p2.goto(url, { waitUntil: 'load' });
      await p2.waitForSelector('.card[data-kind=scalar][data-series-count]', { timeout: 20000 });
      const st = await p2.evaluate(() => ({
        tags: document.querySelector('[data-testid="tag-filter"]').value,
        runs: document.querySelector('[data-testid="run-filter"]').value,
        smoothing: document.querySelector('[data-testid="smoothing"]').value,
        log: document.querySelector('[data-testid="log-y"]').checked,
        x: document.querySelector('[data-xaxis].active')?.getAttribute('data-xaxis'),
        first: document.querySelector('.card')?.getAttribute('data-tag'),
        cards: [...document.querySelectorAll('.card[data-kind=scalar]')].map((e) => e.getAttribute('data-tag')),
      }));
      check(
        st.tags === 'loss' && st.runs === 'train' && st.smoothing === '0.8' && st.log && st.x === 'relative',
        'a link reproduces filters, smoothing and axes in a new browser',
        JSON.stringify(st),
      );
      check(st.first === lastTag, 'a link reproduces the pinned card', st.first);
      check(JSON.stringify(st.cards) === JSON.stringify(filtered), 'a link reproduces the shown cards', JSON.stringify(st.cards));
      await p2.reload({ waitUntil: 'load' });
      await p2.waitForSelector('.card[data-kind=scalar]');
      const again = await p2.$eval('[data-testid="tag-filter"]', (e) => e.value);
      check(again === 'loss', 'the view survives a reload');
      await screenshot(p2, 'url-state.png');
      check(b2.consoleErrors.length === 0, 'no console errors in the linked view', b2.consoleErrors.join(' | '));
    } finally {
      await b2.close();
    }
    await page.goto(base + '#', { waitUntil: 'load' });
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.card[data-kind=scalar]');

    // Image cards: the step slider changes the image.
    if (imageCards > 0 && imagesServed) {
      const icard = page.locator('.card[data-kind=image][data-steps]').first();
      await page.locator('.card[data-kind=image]').first().scrollIntoViewIfNeeded();
      await page.waitForSelector('.card[data-kind=image][data-steps] img', { timeout: 10000 });
      const n = Number(await icard.getAttribute('data-steps'));
      const src0 = await icard.locator('img').getAttribute('src');
      await icard.locator('[data-testid="image-slider"]').evaluate((el) => {
        el.value = '0';
        el.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await settle(page);
      const src1 = await icard.locator('img').getAttribute('src');
      check(n < 2 || src0 !== src1, 'the step slider changes the image', `${n} steps`);
      await page.waitForFunction(() => {
        const img = document.querySelector('.card[data-kind=image][data-steps] img');
        return img && img.complete && img.naturalWidth > 0;
      }, null, { timeout: 10000 }).then(() => check(true, 'the image loads'), () => check(false, 'the image loads'));
      await screenshot(page, 'images.png');
    } else {
      console.log(`skip - image step slider (${imageCards} image cards, imageData route ${imagesServed ? 'served' : 'not served yet'})`);
    }

    // Run colour picker: persisted, and charts follow.
    const row = page.locator(`[data-run="${firstLossRun}"]`);
    await row.locator('input[type=color]').evaluate((el) => {
      el.value = '#123456';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await settle(page);
    const bg = await row.locator('.swatch-picker').evaluate((e) => getComputedStyle(e).backgroundColor);
    check(bg === 'rgb(18, 52, 86)', 'the colour picker recolours the run', bg);
    const stored = await page.evaluate(() => localStorage.getItem('tboard.prefs'));
    check(stored && stored.includes('#123456'), 'run colours are saved in localStorage');
    await row.locator('.reset-color').click();

    // Scalars tab: the same cards over the scalars plugin's routes.
    const scalarTags = await getJson(base, 'data/plugin/scalars/tags');
    const sTagRuns = new Map();
    for (const [r, tags] of Object.entries(scalarTags)) for (const t of Object.keys(tags)) (sTagRuns.get(t) ?? sTagRuns.set(t, []).get(t)).push(r);
    await page.click('.tab[data-plugin=scalars]');
    await page.waitForSelector('[data-dashboard=scalars] .card[data-kind=scalar]', { timeout: 10000 });
    check(page.url().includes('dash=scalars'), 'the selected dashboard is in the URL');
    const sCards = await page.$$eval('.card[data-kind=scalar]', (els) => els.map((e) => e.getAttribute('data-tag')));
    check(JSON.stringify(sCards.sort()) === JSON.stringify([...sTagRuns.keys()].sort()), 'Scalars tab: a card per scalar tag', JSON.stringify(sCards));
    const sLoss = sTagRuns.get('loss')?.length ?? 0;
    check((await waitCount('loss', sLoss)) === sLoss, 'Scalars tab: one line per run', String(sLoss));
    await page.evaluate(() => document.querySelector('.groups')?.scrollTo(0, 0));
    await screenshot(page, 'scalars.png');

    // A plugin without a dashboard here says so.
    const other = enabled.find((n) => !['timeseries', 'scalars', 'histograms', 'distributions', 'images', 'audio', 'text', 'pr_curves', 'custom_scalars', 'hparams', 'graphs', 'mesh', 'projector'].includes(n));
    if (other) {
      await page.click(`.tab[data-plugin="${other}"]`);
      const msg = await page.textContent('.main .empty-state');
      check(/not available/i.test(msg), `the ${other} tab says it is not available yet`, msg);
    }

    // Dark mode toggle.
    await page.click('.tab[data-plugin=timeseries]');
    await page.waitForSelector('.card[data-kind=scalar][data-series-count]');
    await page.click('[data-testid="theme-toggle"]');
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    check(theme === 'dark', 'the theme toggle switches to dark mode', theme);
    await page.locator(cardSel('accuracy')).scrollIntoViewIfNeeded();
    await hover(page.locator(cardSel('accuracy')));
    await settle(page);
    await screenshot(page, 'timeseries-dark.png');
    await page.mouse.move(5, 5);
    await page.click('[data-testid="theme-toggle"]');

    const ignorable = imagesServed ? [] : b.failedUrls.filter((u) => u.includes('imageData'));
    const errors = b.consoleErrors.filter((e, i) => !(ignorable.length && /Failed to load resource/.test(e) && i < 1e9 && ignorable.length-- > 0));
    check(errors.length === 0, 'no console errors', errors.join(' | '));
  } finally {
    if (b) await b.close();
    if (!process.env.TB_URL) await stopServer(server);
  }
});
