// Browser test of static snapshots: `tboard snapshot` writes one HTML file
// for the demo log directory (written by the build's demo program with
// every summary kind); headless Chromium opens it from file:// with every
// other request aborted, and each dashboard of the snapshot must draw what
// the server would show. Then the Share button of a live server downloads
// the same kind of file for the runs ticked, which must open the same way.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, cardSel, check, getJson, imageFacts, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const esc = (s) => s.replace(/["\\]/g, '\\$&');

/** Opaque pixels of a canvas. */
function ink(locator) {
  return locator.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
}

/** Aborts every request that is not for a file:// URL; returns the list of those aborted. */
async function blockNetwork(browser) {
  const blocked = [];
  await browser.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return blocked;
}

async function open(page, file, dash) {
  await page.goto(`file://${file}#dash=${dash}`, { waitUntil: 'load' });
  await page.waitForSelector(`.main[data-dashboard="${dash}"], .dash[data-dashboard="${dash}"]`, { timeout: 30000 });
}

/**
 * Waits until the scalar card of `tag` drew `want` lines or failed; its
 * line count then (or the last one seen).
 */
async function scalarLines(page, tag, want) {
  const sel = cardSel(tag);
  await page.locator(sel).scrollIntoViewIfNeeded();
  const ok = await page
    .waitForFunction(
      ([s, n]) => {
        const el = document.querySelector(s);
        return el && (el.getAttribute('data-state') === 'error' || el.getAttribute('data-series-count') === n);
      },
      [sel, String(want)],
      { timeout: 30000 },
    )
    .catch(() => null);
  return ok && page.locator(sel).getAttribute('data-series-count');
}

async function checkScalars(page, file, dash, tags, label) {
  await open(page, file, dash);
  let ok = 0;
  const bad = [];
  for (const [tag, runs] of tags) {
    const n = await scalarLines(page, tag, runs.length);
    const canvas = page.locator(`${cardSel(tag)} canvas`).first();
    if (n === String(runs.length) && (await ink(canvas)) > 500) ok++;
    else bad.push(`${tag}: ${n} lines, want ${runs.length}`);
  }
  check(ok === tags.size && ok > 0, `${label}: ${dash} draws every scalar card with a line per run`, bad.join('; '));
  await screenshot(page, `snapshot-${label}-${dash}.png`);
}

async function checkStepCharts(page, file, dash, pairs, label) {
  await open(page, file, dash);
  let ok = 0;
  const bad = [];
  for (const [run, tag] of pairs) {
    const sel = `.dash[data-dashboard="${dash}"] .dash-card[data-card-run="${esc(run)}"][data-card-tag="${esc(tag)}"]`;
    await page.locator(sel).scrollIntoViewIfNeeded();
    const drawn = await page
      .waitForFunction((s) => document.querySelector(s)?.getAttribute('data-drawn'), sel, { timeout: 30000 })
      .then((h) => h.jsonValue())
      .catch(() => null);
    if (drawn === 'true' && (await ink(page.locator(`${sel} canvas`))) > 500) ok++;
    else bad.push(`${run}/${tag}: drawn ${drawn}`);
  }
  check(ok === pairs.length && ok > 0, `${label}: ${dash} draws a chart per run and tag`, bad.join('; '));
  await screenshot(page, `snapshot-${label}-${dash}.png`);
}

function runTagPairs(listing) {
  const out = [];
  for (const [r, tags] of Object.entries(listing)) for (const t of Array.isArray(tags) ? tags : Object.keys(tags)) out.push([r, t]);
  return out;
}

/** Saves the download the click on `sel` starts; its path. */
async function download(page, sel, path) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click(sel)]);
  await d.saveAs(path);
  return path;
}

/** A scalar card saved as SVG (light) and PNG (dark) at a chosen size. */
async function checkImages(page, dir, [tag, runs]) {
  const card = cardSel(tag);
  await page.locator(card).scrollIntoViewIfNeeded();
  await page.click(`${card} [data-testid="chart-image"]`);
  await page.fill(`${card} [data-testid="image-width"]`, '640');
  await page.fill(`${card} [data-testid="image-height"]`, '420');
  await page.selectOption(`${card} [data-testid="image-theme"]`, 'light');
  const svgPath = await download(page, `${card} [data-testid="download-svg"]`, join(dir, 'chart.svg'));
  const svg = readFileSync(svgPath, 'utf8');
  check(/<svg[^>]+width="640"[^>]+height="420"/.test(svg), 'the SVG has the chosen size', svg.slice(0, 120));
  const legend = [...svg.matchAll(/<g class="legend-entry">.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  check(
    runs.every((r) => legend.some((l) => l === r || (l.endsWith('…') && r.startsWith(l.slice(0, -1))))),
    'the SVG legend names every run of the chart',
    JSON.stringify(legend),
  );
  const paths = [...svg.matchAll(/<path class="line" data-series="[^"]*" d="M[^"]{20,}"/g)].length;
  check(paths === runs.length, 'the SVG draws a line per run', `${paths} lines, ${runs.length} runs`);
  check(svg.includes(`>${tag}</text>`) && /fill="#ffffff"/.test(svg), 'the SVG carries the title on a light background');
  const svgStats = await imageFacts(page, svgPath, 'image/svg+xml');
  check(svgStats.width === 640 && svgStats.colours > 8, 'the SVG renders, not blank', JSON.stringify(svgStats));

  await page.selectOption(`${card} [data-testid="image-theme"]`, 'dark');
  const pngPath = await download(page, `${card} [data-testid="download-png"]`, join(dir, 'chart.png'));
  const png = readFileSync(pngPath);
  check(png.subarray(1, 4).toString() === 'PNG' && png.readUInt32BE(16) === 640 && png.readUInt32BE(20) === 420, 'the PNG is 640 x 420', `${png.readUInt32BE(16)} x ${png.readUInt32BE(20)}`);
  const st = await imageFacts(page, pngPath, 'image/png');
  check(st.colours > 8 && st.corner.every((c) => c < 60), 'the PNG is drawn, on a dark background', JSON.stringify(st));
  await page.keyboard.press('Escape');
  await page.mouse.click(5, 5);
}

/** Every dashboard of a snapshot file, against the listings of the live server `base`. */
async function checkSnapshot(browser, page, file, base, label, runs, tmpDir) {
  const blocked = await blockNetwork(browser);
  const keep = (listing) => Object.fromEntries(Object.entries(listing).filter(([r]) => runs.includes(r)));
  const scalarTags = new Map();
  for (const [r, tags] of Object.entries(keep(await getJson(base, 'data/plugin/scalars/tags')))) {
    for (const t of Object.keys(tags)) scalarTags.set(t, [...(scalarTags.get(t) ?? []), r]);
  }
  await checkScalars(page, file, 'timeseries', scalarTags, label);
  const histCards = await page.locator('.card[data-kind="histogram"]').count();
  const imageCards = await page.locator('.card[data-kind="image"]').count();
  check(histCards > 0 && imageCards > 0, `${label}: Time Series has histogram and image cards`, `${histCards} histogram, ${imageCards} image cards`);
  await page.locator('.card[data-kind="image"] img').first().scrollIntoViewIfNeeded();
  const imgOk = await page
    .waitForFunction(() => {
      const img = document.querySelector('.card[data-kind="image"] img');
      return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : null;
    }, null, { timeout: 30000 })
    .then(() => true)
    .catch(() => false);
  check(imgOk, `${label}: Time Series image cards show their image`);
  if (label === 'cli') await checkImages(page, tmpDir, [...scalarTags][0]);
  await checkScalars(page, file, 'scalars', scalarTags, label);
  await checkStepCharts(page, file, 'histograms', runTagPairs(keep(await getJson(base, 'data/plugin/histograms/tags'))), label);
  await checkStepCharts(page, file, 'distributions', runTagPairs(keep(await getJson(base, 'data/plugin/distributions/tags'))), label);

  await open(page, file, 'images');
  const imgs = await page
    .waitForFunction(() => {
      const all = [...document.querySelectorAll('.dash[data-dashboard="images"] img')];
      return all.length && all.every((i) => i.complete && i.naturalWidth > 0) ? all.length : null;
    }, null, { timeout: 30000 })
    .then((h) => h.jsonValue())
    .catch(() => 0);
  check(imgs > 0, `${label}: the Images dashboard shows its images`, `${imgs} images`);
  await screenshot(page, `snapshot-${label}-images.png`);

  const textPairs = runTagPairs(keep(await getJson(base, 'data/plugin/text/tags')));
  await open(page, file, 'text');
  const texts = await page
    .waitForFunction((n) => {
      const t = [...document.querySelectorAll('.dash[data-dashboard="text"] .dash-text')].filter((e) => e.textContent.trim());
      return t.length >= n ? t.length : null;
    }, textPairs.length, { timeout: 30000 })
    .then((h) => h.jsonValue())
    .catch(() => 0);
  check(textPairs.length > 0 && texts >= textPairs.length, `${label}: the Text dashboard shows every run's text`, `${texts} of ${textPairs.length}`);

  await open(page, file, 'hparams');
  const rows = await page
    .waitForSelector('[data-testid="hp-table"] tbody tr', { timeout: 30000 })
    .then(() => page.locator('[data-testid="hp-table"] tbody tr').count())
    .catch(() => 0);
  check(rows > 0, `${label}: the HParams table has its rows`, `${rows} rows`);
  await page.locator('[data-testid="hp-table"] tbody tr').first().click();
  const metricLines = await page
    .waitForFunction(() => document.querySelector('.hp-metric-card[data-lines]')?.getAttribute('data-lines'), null, { timeout: 30000 })
    .then((h) => h.jsonValue())
    .catch(() => null);
  check(Number(metricLines) > 0, `${label}: a session group's metric chart draws`, `${metricLines} lines`);
  await screenshot(page, `snapshot-${label}-hparams.png`);
  check(blocked.length === 0, `${label}: the snapshot asked the network for nothing`, blocked.slice(0, 5).join(' '));
  await browser.unroute('**/*');
}

await run(async () => {
  const demo = join(buildDir, 'demo');
  if (!existsSync(demo)) throw new Error(`${demo} is missing: build the demo target`);
  const tmp = mkdtempSync(join(tmpdir(), 'tboard-snapshot-'));
  const logdir = join(tmp, 'logdir');
  execFileSync(demo, [logdir], { stdio: 'ignore' });
  const file = join(tmp, 'report.html');
  execFileSync(process.env.TB_BINARY, ['snapshot', '--logdir', logdir, '-o', file], { stdio: 'inherit' });
  const size = statSync(file).size;
  check(size > 10000 && size < 20 << 20, 'tboard snapshot writes one HTML file', `${size} bytes`);
  check(!/<script[^>]+src=|<link[^>]+href="app/.test(readFileSync(file, 'utf8')), 'the file loads no script or stylesheet from elsewhere');

  let server = null;
  const b = await launch({ viewport: { width: 1400, height: 1000 } });
  try {
    server = await startServer(logdir);
    const base = server.url;
    const runs = await getJson(base, 'data/runs');
    await checkSnapshot(b.browser, b.page, file, base, 'cli', runs, tmp);

    // The Share button: untick one run, download, open the file.
    const { page } = b;
    await page.goto(`${base}#dash=timeseries`, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="share"]', { timeout: 30000 });
    const dropped = runs.find((r) => r.startsWith('lr_')) ?? runs[runs.length - 1];
    await page.locator(`.run-row[data-run="${esc(dropped)}"] input[type="checkbox"]`).uncheck();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('[data-testid="share"]')]);
    const shared = join(tmp, 'shared.html');
    await download.saveAs(shared);
    check(download.suggestedFilename() === 'tboard-snapshot.html', 'Share downloads tboard-snapshot.html', download.suggestedFilename());
    const kept = runs.filter((r) => r !== dropped);
    await checkSnapshot(b.browser, page, shared, base, 'share', kept, tmp);
    await open(page, shared, 'timeseries');
    await settle(page);
    const listed = await page.$$eval('.run-row[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
    check(!listed.includes(dropped) && listed.length === kept.length, 'the shared file lists only the runs that were ticked', JSON.stringify(listed));
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.slice(0, 3).join(' | '));
  } finally {
    await b.close();
    await stopServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
});
