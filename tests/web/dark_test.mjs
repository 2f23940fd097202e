// Browser test of the dark theme at 1440 px: every dashboard the server
// lists for a log directory holding gen_ui's runs and the torch,
// tensorboardX, TensorFlow and profile corpora (linked in), opened in
// headless Chromium with a dark colour scheme, screenshotted to
// build/screenshots/dark-<dashboard>-1440.png and checked for legibility:
// the contrast of every visible text against the background it is drawn
// on, from the computed styles (colours and opacities of the element and
// its ancestors), is at least 3:1 (WCAG's floor for large text and UI
// components), and the share at 4.5:1 or more (WCAG AA for body text) is
// reported.
//
// Environment: as lib.mjs; TB_GEN_UI (the gen_ui executable).
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, corpus, genUi, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

/** Resolves once no request of the page has been open for `quietMs`. */
async function networkQuiet(page, quietMs = 1000, timeout = 60000) {
  let open = 0;
  let last = Date.now();
  const up = () => (open++, (last = Date.now()));
  const down = () => (open--, (last = Date.now()));
  page.on('request', up);
  page.on('requestfinished', down);
  page.on('requestfailed', down);
  const end = Date.now() + timeout;
  try {
    while (Date.now() < end && (open > 0 || Date.now() - last < quietMs)) await page.waitForTimeout(100);
  } finally {
    page.off('request', up);
    page.off('requestfinished', down);
    page.off('requestfailed', down);
  }
}

/** Contrast of every visible text element against its effective background. */
function contrasts(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, bottom) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    const lum = (c) => {
      const f = (v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    // The background an element is drawn on: its own and its ancestors'
    // background colours, composited from the page's down.
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let bg = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
      return bg;
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('svg, canvas, option, [disabled], [aria-hidden="true"]')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 1 || r.height < 1 || r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) continue;
      const st = getComputedStyle(el);
      if (st.visibility !== 'visible') continue;
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      if (opacity < 0.05) continue;
      const bg = background(el);
      const fg = parse(st.color);
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      const l1 = lum(text);
      const l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      out.push({ text: el.textContent.trim().slice(0, 40), cls: el.className && String(el.className).slice(0, 40), ratio: Math.round(ratio * 100) / 100, dark: l2 < 0.2 });
    }
    return out;
  });
}

run(async () => {
  const logdir = mkdtempSync(join(tmpdir(), 'tboard-dark-'));
  let server = null;
  let b = null;
  try {
    genUi(logdir);
    for (const [name, c] of [['torch', 'torch'], ['tbx', 'tensorboardx'], ['native', 'tb-native'], ['profile', 'profile']])
      symlinkSync(corpus(c), join(logdir, name));
    server = await startServer(logdir);
    const listing = await getJson(server.url, 'data/plugins_listing');
    const ids = Object.entries(listing)
      .filter(([, e]) => e.enabled)
      .map(([id]) => id);
    check(ids.length >= 10, `the server lists ${ids.length} dashboards with data`, ids.join(', '));

    b = await launch({ colorScheme: 'dark', viewport: { width: 1440, height: 900 } });
    const { page, consoleErrors } = b;
    for (const id of ids) {
      await page.goto(server.url + `#dash=${id}`, { waitUntil: 'load' });
      await page.waitForSelector('.main', { timeout: 60000 });
      await networkQuiet(page);
      await settle(page);
      const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await screenshot(page, `dark-${id}-1440.png`);
      const c = await contrasts(page);
      const low = c.filter((x) => x.ratio < 3);
      const aa = c.filter((x) => x.ratio >= 4.5).length;
      check(c.length > 5 && c.every((x) => x.dark || x.ratio >= 4.5), `${id}: dark theme (body ${darkBg}), ${c.length} texts`, JSON.stringify(c.filter((x) => !x.dark).slice(0, 5)));
      check(low.length === 0, `${id}: every text at 3:1 or more; ${aa} of ${c.length} at 4.5:1 or more, lowest ${Math.min(...c.map((x) => x.ratio))}`, JSON.stringify(low.slice(0, 8)));
    }
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(logdir, { recursive: true, force: true });
  }
});
