// Browser test of the histograms, distributions, images, audio and text
// dashboards: starts the real server on each corpus, opens the UI in
// headless Chromium, switches to each dashboard's tab and checks what a
// person sees against what the API says.
//
// Environment: TB_BINARY (the tboard executable), TB_SOURCE_DIR (source
// tree), TB_BUILD_DIR (screenshots go to TB_BUILD_DIR/screenshots).
import { check, corpus, getJson, launch, run, screenshot, startServer, stopServer } from './lib.mjs';

const CORPORA = ['tb-native', 'torch', 'tensorboardx'];
const DASHBOARDS = ['histograms', 'distributions', 'images', 'audio', 'text'];

/** (run, tag) pairs of a plugin's tag listing, as "run\ttag" strings. */
function pairsOf(listing) {
  const out = [];
  for (const [run, v] of Object.entries(listing)) {
    const tags = Array.isArray(v) ? v : Object.keys(v);
    for (const t of tags) out.push(`${run}\t${t}`);
  }
  return out.sort();
}

const esc = (s) => s.replace(/["\\]/g, '\\$&');
const cardSel = (plugin, pair) => {
  const [run, tag] = pair.split('\t');
  return `.dash[data-dashboard="${plugin}"] .dash-card[data-card-run="${esc(run)}"][data-card-tag="${esc(tag)}"]`;
};

/** Clicks the tab labelled `name`; the shell must have drawn its tabs. */
async function openTab(page, name) {
  await page.waitForSelector('[role="tab"]', { timeout: 60000 });
  const re = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i');
  const candidates = page.locator('[role="tab"], nav button, nav a, button, a').filter({ hasText: re });
  const n = await candidates.count();
  for (let i = 0; i < n; i++) {
    const c = candidates.nth(i);
    if (await c.isVisible()) {
      await c.click();
      return;
    }
  }
  // A tab may sit in an overflow menu: open any "more" control and retry.
  const more = page.locator('[aria-haspopup], [data-testid*="more"]');
  if ((await more.count()) > 0 && (await more.first().isVisible())) {
    await more.first().click();
    const again = page.locator('[role="menuitem"], [role="tab"], button, a').filter({ hasText: re });
    if ((await again.count()) > 0 && (await again.first().isVisible())) {
      await again.first().click();
      return;
    }
  }
  throw new Error(`no tab "${name}"`);
}

/** Scrolls a card into view and waits until its data arrived or failed. */
async function settle(page, sel, attr = 'data-state', timeout = 15000) {
  const card = page.locator(sel);
  await card.scrollIntoViewIfNeeded();
  await page
    .waitForFunction(
      ([s, a]) => {
        const el = document.querySelector(s);
        const st = el?.getAttribute('data-state');
        if (a === 'data-state') return st === 'ready' || st === 'error';
        // Ready again too: the 10-second refresh refetches with the old chart still drawn.
        return st === 'error' || (st === 'ready' && el.hasAttribute(a));
      },
      [sel, attr],
      { timeout },
    )
    .catch(() => {});
  return card;
}

async function canvasInk(card) {
  return card.locator('canvas').evaluate((c) => {
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
    return ink;
  });
}

async function checkCharts(page, plugin, pairs, label) {
  let drawnOk = true;
  let anyDrawn = false;
  const details = [];
  for (const pair of pairs) {
    const sel = cardSel(plugin, pair);
    const card = await settle(page, sel, 'data-drawn');
    const state = await card.getAttribute('data-state');
    const drawn = await card.getAttribute('data-drawn');
    if (state !== 'ready' || drawn === null) {
      drawnOk = false;
      details.push(`${pair}: state ${state}, drawn ${drawn}`);
      continue;
    }
    if ((await card.locator('canvas').count()) !== 1) {
      drawnOk = false;
      details.push(`${pair}: no canvas`);
      continue;
    }
    if (drawn === 'true') {
      anyDrawn = true;
      const ink = await canvasInk(card);
      if (ink < 500) {
        drawnOk = false;
        details.push(`${pair}: canvas nearly blank (${ink} px)`);
      }
    } else if ((await card.locator('.plot-msg').count()) === 0) {
      drawnOk = false;
      details.push(`${pair}: nothing drawn and no message`);
    }
  }
  check(drawnOk && anyDrawn, `${label}: every card draws its chart (canvas non-blank) or says why not`, details.join('; '));

  // Hovering a drawn chart shows the step.
  const target = pairs.find(() => true);
  const drawnCard = page.locator(`.dash[data-dashboard="${plugin}"] .dash-card[data-drawn="true"]`).first();
  if ((await drawnCard.count()) > 0 && target) {
    await drawnCard.scrollIntoViewIfNeeded();
    const box = await drawnCard.locator('canvas').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.75);
    const tip = await page
      .waitForFunction(
        () => {
          const t = [...document.querySelectorAll('.dash-tip')].find((e) => e.style.display === 'block');
          return t ? t.textContent : '';
        },
        null,
        { timeout: 5000 },
      )
      .then((h) => h.jsonValue())
      .catch(() => '');
    const wants = plugin === 'histograms' ? /Step \S+[\s\S]*Count/ : /Step \S+[\s\S]*median|Step \S+[\s\S]*50%/;
    check(wants.test(tip), `${label}: hovering a chart shows the step and values`, JSON.stringify(tip.slice(0, 200)));
    await page.mouse.move(2, 2);
  }
}

async function checkHistogramModes(page, pairs, label) {
  const card = page.locator(`.dash[data-dashboard="histograms"] .dash-card[data-drawn="true"]`).first();
  if ((await card.count()) === 0) return;
  await card.scrollIntoViewIfNeeded();
  const snap = () => card.locator('canvas').evaluate((c) => c.toDataURL());
  const before = await snap();
  await page.click('.dash[data-dashboard="histograms"] button[data-mode="overlay"]');
  await page.waitForTimeout(200);
  const overlay = await snap();
  check(before !== overlay, `${label}: overlay mode redraws the chart`);
  await page.click('.dash[data-dashboard="histograms"] button[data-mode="offset"]');
  await page.waitForTimeout(200);
  check((await snap()) === before, `${label}: back to offset mode draws the same picture`);
}

async function setRange(locator, value) {
  await locator.evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function imageLoaded(page, sel) {
  return page
    .waitForFunction(
      (s) => {
        const img = document.querySelector(`${s} img`);
        return img && img.complete && img.naturalWidth > 0 ? img.getAttribute('src') : null;
      },
      sel,
      { timeout: 10000 },
    )
    .then((h) => h.jsonValue())
    .catch(() => null);
}

async function checkImages(page, pairs, label, listing) {
  let allLoaded = true;
  const details = [];
  for (const pair of pairs) {
    const sel = cardSel('images', pair);
    await settle(page, sel);
    const src = await imageLoaded(page, sel);
    if (!src) {
      allLoaded = false;
      details.push(pair);
    }
  }
  check(allLoaded, `${label}: every image card shows a loaded image (naturalWidth > 0)`, details.join('; '));

  // Moving the step slider changes the image.
  const multi = page.locator('.dash[data-dashboard="images"] .dash-card').filter({
    has: page.locator('[data-testid="step-slider"]'),
  });
  if ((await multi.count()) > 0) {
    const card = multi.first();
    await card.scrollIntoViewIfNeeded();
    const sel = cardSel('images', `${await card.getAttribute('data-card-run')}\t${await card.getAttribute('data-card-tag')}`);
    const before = await card.locator('img').getAttribute('src');
    const stepBefore = await card.locator('[data-testid="step-value"]').first().textContent();
    await setRange(card.locator('[data-testid="step-slider"]'), 0);
    const after = await imageLoaded(page, sel);
    const stepAfter = await card.locator('[data-testid="step-value"]').first().textContent();
    check(after && after !== before, `${label}: moving the step slider changes the image`, `${before} -> ${after}`);
    check(stepAfter !== stepBefore, `${label}: the step label follows the slider`, `${stepBefore} -> ${stepAfter}`);
  }

  // Batched images: the sample slider picks another image.
  const batched = pairs.find((p) => {
    const [run, tag] = p.split('\t');
    return (listing[run]?.[tag]?.samples ?? 1) > 1;
  });
  if (batched) {
    const sel = cardSel('images', batched);
    const card = page.locator(sel);
    await card.scrollIntoViewIfNeeded();
    const before = await card.locator('img').getAttribute('src');
    await setRange(card.locator('[data-testid="sample-slider"]'), 1);
    await page.waitForFunction(
      ([s, b]) => document.querySelector(`${s} img`)?.getAttribute('src') !== b,
      [sel, before],
      { timeout: 10000 },
    ).catch(() => {});
    const after = await imageLoaded(page, sel);
    check(after && after !== before, `${label}: the sample slider shows another image of the batch`);
  }

  // Brightness applies a CSS filter; actual size shows natural pixels.
  const first = page.locator(cardSel('images', pairs[0]));
  await first.scrollIntoViewIfNeeded();
  await setRange(page.locator('.dash[data-dashboard="images"] [data-testid="brightness"]'), 1.5);
  const filter = await first.locator('img').evaluate((img) => getComputedStyle(img).filter);
  check(/brightness\(1\.5\)/.test(filter), `${label}: brightness control filters the images`, filter);
  await setRange(page.locator('.dash[data-dashboard="images"] [data-testid="brightness"]'), 1);
  await page.locator('.dash[data-dashboard="images"] [data-testid="actual-size"]').check();
  const sizes = await first.locator('img').evaluate((img) => [img.clientWidth, img.naturalWidth]);
  check(sizes[0] === sizes[1], `${label}: actual size shows the image at its natural width`, JSON.stringify(sizes));
  await page.locator('.dash[data-dashboard="images"] [data-testid="actual-size"]').uncheck();
}

async function checkAudio(page, pairs, label) {
  let ok = true;
  const details = [];
  for (const pair of pairs) {
    const sel = cardSel('audio', pair);
    await settle(page, sel);
    const src = await page.locator(`${sel} audio`).getAttribute('src').catch(() => null);
    if (!src) {
      ok = false;
      details.push(`${pair}: no audio element with a src`);
      continue;
    }
    const status = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return `${r.status} ${r.headers.get('content-type')}`;
    }, src);
    if (!/^200 audio\//.test(status)) {
      ok = false;
      details.push(`${pair}: ${status}`);
    }
  }
  check(ok, `${label}: every audio card has a player whose clip loads`, details.join('; '));
  const multi = page.locator('.dash[data-dashboard="audio"] .dash-card').filter({
    has: page.locator('[data-testid="step-slider"]'),
  });
  if ((await multi.count()) > 0) {
    const card = multi.first();
    const before = await card.locator('audio').getAttribute('src');
    await setRange(card.locator('[data-testid="step-slider"]'), 0);
    await page.waitForTimeout(100);
    const after = await card.locator('audio').getAttribute('src');
    check(after && after !== before, `${label}: moving the step slider changes the clip`);
  }
}

async function checkText(page, pairs, label) {
  let ok = true;
  let tables = 0;
  const details = [];
  for (const pair of pairs) {
    const sel = cardSel('text', pair);
    await settle(page, sel);
    const info = await page
      .locator(`${sel} .dash-text`)
      .evaluate((el) => ({
        html: el.innerHTML,
        text: el.textContent.trim(),
        tables: el.querySelectorAll('table').length,
        blocks: el.querySelectorAll('p, table, h1, h2, h3, h4, pre, ul, ol').length,
      }))
      .catch(() => null);
    if (!info || !info.text || info.blocks === 0) {
      ok = false;
      details.push(`${pair}: no rendered text`);
      continue;
    }
    tables += info.tables;
  }
  check(ok, `${label}: every text card shows rendered Markdown`, details.join('; '));
  check(tables > 0, `${label}: tables are rendered as HTML tables`);
  const scripts = await page.locator('.dash[data-dashboard="text"] .dash-text script').count();
  check(scripts === 0, `${label}: no <script> inside rendered text`);
  const multi = page.locator('.dash[data-dashboard="text"] .dash-card').filter({
    has: page.locator('[data-testid="step-slider"]'),
  });
  if ((await multi.count()) > 0) {
    const card = multi.first();
    await card.scrollIntoViewIfNeeded();
    const before = await card.locator('.dash-text').getAttribute('data-step');
    await setRange(card.locator('[data-testid="step-slider"]'), 0);
    await page.waitForTimeout(100);
    const after = await card.locator('.dash-text').getAttribute('data-step');
    check(after !== before, `${label}: moving the step slider shows another step`, `${before} -> ${after}`);
  }
}

async function runCorpus(name) {
  const server = await startServer(corpus(name));
  const base = server.url;
  let b = null;
  try {
    b = await launch();
    const { page, consoleErrors } = b;
    const plugins = await getJson(base, 'data/plugins_listing');
    const resp = await page.goto(base, { waitUntil: 'load' });
    check(resp && resp.ok(), `${name}: the page loads`);
    for (const plugin of DASHBOARDS) {
      const entry = plugins[plugin];
      if (!entry || !entry.enabled) continue;
      const label = `${name}/${plugin}`;
      const listing = await getJson(base, `data/plugin/${plugin}/tags`);
      const pairs = pairsOf(listing);
      await openTab(page, entry.tab_name);
      const root = `.dash[data-dashboard="${plugin}"]`;
      await page.waitForFunction(
        ([r, n]) => document.querySelectorAll(`${r} .dash-card`).length >= n,
        [root, pairs.length],
        { timeout: 20000 },
      ).catch(() => {});
      const shown = (
        await page.$$eval(`${root} .dash-card`, (els) =>
          els.map((e) => `${e.getAttribute('data-card-run')}\t${e.getAttribute('data-card-tag')}`),
        )
      ).sort();
      check(
        JSON.stringify(shown) === JSON.stringify(pairs),
        `${label}: one card per run and tag (${pairs.length})`,
        `shown ${JSON.stringify(shown)}, want ${JSON.stringify(pairs)}`,
      );
      // Cards are grouped by tag prefix.
      const groups = await page.$$eval(`${root} section.group`, (els) => els.map((e) => e.getAttribute('data-group')));
      const wantGroups = [...new Set(pairs.map((p) => p.split('\t')[1].split('/')[0]))].sort();
      check(JSON.stringify([...groups].sort()) === JSON.stringify(wantGroups), `${label}: cards grouped by tag prefix`, JSON.stringify(groups));
      if (pairs.length === 0) continue;

      if (plugin === 'histograms' || plugin === 'distributions') await checkCharts(page, plugin, pairs, label);
      if (plugin === 'histograms') await checkHistogramModes(page, pairs, label);
      if (plugin === 'images') await checkImages(page, pairs, label, listing);
      if (plugin === 'audio') await checkAudio(page, pairs, label);
      if (plugin === 'text') await checkText(page, pairs, label);

      // The tag filter narrows the cards.
      const firstTag = pairs[0].split('\t')[1];
      const filterRe = '^' + firstTag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
      await page.fill(`${root} [data-testid="dash-tag-filter"]`, filterRe);
      const filtered = await page.$$eval(`${root} .dash-card`, (els) => els.map((e) => e.getAttribute('data-card-tag')));
      const want = pairs.filter((p) => p.split('\t')[1] === firstTag).length;
      check(
        filtered.length === want && filtered.every((t) => t === firstTag),
        `${label}: the tag filter narrows the cards`,
        JSON.stringify(filtered),
      );
      await page.fill(`${root} [data-testid="dash-tag-filter"]`, '');
      await page.locator(`${root} [data-testid="dash-tag-filter"]`).blur();

      await page.locator(`${root} .groups`).evaluate((el) => el.scrollTo(0, 0));
      await page.mouse.move(2, 2);
      await page.waitForTimeout(150);
      await screenshot(page, `${plugin}_${name}.png`);
      if (name === 'tb-native') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await page.waitForTimeout(250);
        await screenshot(page, `${plugin}_${name}_dark.png`);
        await page.emulateMedia({ colorScheme: 'light' });
        await page.waitForTimeout(100);
      }
    }
    check(consoleErrors.length === 0, `${name}: no console errors`, consoleErrors.join(' | '));
  } finally {
    if (b) await b.close();
    await stopServer(server);
  }
}

await run(async () => {
  for (const name of CORPORA) {
    try {
      await runCorpus(name);
    } catch (e) {
      check(false, `${name}: test ran to completion`, e && e.stack ? e.stack : String(e));
    }
  }
});
