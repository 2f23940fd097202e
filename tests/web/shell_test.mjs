// The shell on every corpus: the right tabs in listing order, the
// inactive ones in the "More" menu, a scalar card per tag on Time Series,
// no console errors; a screenshot of each.
import { check, corpus, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const CORPORA = ['torch', 'tb-native', 'tensorboardx', 'edge-cases'];

await run(async () => {
  for (const name of CORPORA) {
    let server = null;
    let b = null;
    try {
      server = await startServer(corpus(name));
      const base = server.url;
      const listing = await getJson(base, 'data/plugins_listing');
      const ts = await getJson(base, 'data/plugin/timeseries/tags');
      const scalarTags = new Set(Object.values(ts.scalars.runTagInfo).flat());
      const enabled = Object.entries(listing).filter(([, e]) => e.enabled).map(([n]) => n);
      const inactive = Object.entries(listing).filter(([, e]) => !e.enabled).map(([n]) => n);

      b = await launch({ colorScheme: name === 'tb-native' ? 'dark' : 'light' });
      const { page } = b;
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForSelector('.tabs');
      const tabs = await page.$$eval('.tabs > .tab[data-plugin]', (els) => els.map((e) => e.getAttribute('data-plugin')));
      check(JSON.stringify(tabs) === JSON.stringify(enabled), `${name}: tabs are the active plugins in order`, JSON.stringify(tabs));
      if (inactive.length) {
        await page.click('[data-testid="more-tabs"]');
        const more = await page.$$eval('.tabs-menu [data-plugin]', (els) => els.map((e) => e.getAttribute('data-plugin')));
        check(JSON.stringify(more) === JSON.stringify(inactive), `${name}: inactive plugins are under "More"`, JSON.stringify(more));
        await page.keyboard.press('Escape');
      }
      const want = enabled[0] ?? 'timeseries';
      const active = await page.$eval('.main', (e) => e.getAttribute('data-dashboard'));
      check(active === want, `${name}: the first active dashboard is shown`, active);
      if (active === 'timeseries') {
        if (scalarTags.size > 0) {
          await page.waitForSelector('.card[data-kind=scalar][data-series-count]', { timeout: 20000 });
        } else {
          await page.waitForSelector('.groups > *', { timeout: 20000 });
        }
        const n = await page.locator('.card[data-kind=scalar]').count();
        // Long groups show one page of cards at first.
        const expected = await page.$$eval('section.group', (els) =>
          els.reduce((sum, g) => sum + Number(g.querySelector('.group-count')?.textContent || 0), 0),
        );
        check(n <= scalarTags.size && expected >= scalarTags.size, `${name}: a scalar card per tag`, `${n} cards, ${scalarTags.size} tags`);
      }
      await settle(page);
      await screenshot(page, `shell-${name}.png`);
      const ignorable = b.failedUrls.filter((u) => u.includes('imageData')).length;
      const errors = b.consoleErrors.filter((e) => !/Failed to load resource/.test(e));
      const loadErrors = b.consoleErrors.length - errors.length;
      check(errors.length === 0 && loadErrors <= ignorable, `${name}: no console errors`, b.consoleErrors.join(' | '));
    } finally {
      if (b) await b.close();
      await stopServer(server);
    }
  }
});
