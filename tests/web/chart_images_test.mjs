// Browser test of chart images for every chart card: on the demo log
// directory (written by the build's demo program with every summary kind),
// each card's image menu saves an SVG and a PNG. The SVG must parse, be
// vector (paths and text, no embedded bitmap), carry a series path per
// line the card draws, tick and axis labels and a legend; the PNG must
// decode at the chosen size with ink in the plot area, light and dark.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, check, imageFacts, launch, run, shotDir, startServer, stopServer, waitAttr } from './lib.mjs';

const W = 720;
const H = 450;

/** Saves the download the click on `sel` starts; its path. */
async function download(page, sel, path) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click(sel)]);
  await d.saveAs(path);
  return path;
}

/** The value of `sel`'s attribute once it has one (or null after the wait). */
async function attrOf(page, sel, attr) {
  await waitAttr(page, sel, attr, '(v) => v !== null', 30000).catch(() => null);
  // A card's count grows while its runs' answers arrive (slowly under
  // ASan): take it once it has held for a second.
  let v = await page.getAttribute(sel, attr).catch(() => null);
  for (let i = 0; i < 30; i++) {
    await page.waitForTimeout(1000);
    const again = await page.getAttribute(sel, attr).catch(() => null);
    if (again === v) break;
    v = again;
  }
  return v;
}

/** What an SVG holds, parsed in the page with DOMParser. */
function svgFacts(page, text) {
  return page.evaluate((src) => {
    const doc = new DOMParser().parseFromString(src, 'image/svg+xml');
    const root = doc.documentElement;
    const q = (s) => [...doc.querySelectorAll(s)];
    return {
      ok: root.nodeName === 'svg' && !doc.querySelector('parsererror'),
      width: Number(root.getAttribute('width')),
      height: Number(root.getAttribute('height')),
      bitmaps: q('image, foreignObject').length,
      series: q('path.line').filter((p) => (p.getAttribute('d') || '').length > 8).length,
      areas: q('path.area').length,
      dots: q('g.dots circle').length,
      panels: q('g.panel').length,
      ticks: q('text.tick').filter((t) => t.textContent.trim() !== '').length,
      axisLabels: q('text.axis-label').map((t) => t.textContent),
      legend: q('g.legend-entry').length,
      title: doc.querySelector('text.title')?.textContent ?? '',
      background: root.querySelector('rect')?.getAttribute('fill') ?? '',
    };
  }, text);
}

let saved = 0;

/**
 * Opens the image menu in `scope`, saves an SVG and a PNG at W x H, one
 * light and the other dark (alternating from card to card); checks them
 * against `want` (series: the count of named lines; axisLabels: names that
 * must appear; extra: a further check of the SVG's facts). Returns the
 * SVG's facts.
 */
async function saveAndCheck(page, dir, scope, label, want) {
  const [svgTheme, pngTheme] = saved++ % 2 ? ['dark', 'light'] : ['light', 'dark'];
  const btn = `${scope} [data-testid="chart-image"]`;
  await page.locator(btn).first().scrollIntoViewIfNeeded();
  await page.click(btn);
  const menu = `${scope} .image-menu`;
  await page.fill(`${menu} [data-testid="image-width"]`, String(W));
  await page.fill(`${menu} [data-testid="image-height"]`, String(H));
  await page.selectOption(`${menu} [data-testid="image-theme"]`, svgTheme);
  const svgPath = await download(page, `${menu} [data-testid="download-svg"]`, join(dir, `${label}.svg`));
  const svg = await svgFacts(page, readFileSync(svgPath, 'utf8'));
  const seriesOk = svg.series === want.series;
  const labelsOk = (want.axisLabels ?? []).every((l) => svg.axisLabels.some((a) => a.startsWith(l)));
  check(
    svg.ok && svg.width === W && svg.height === H && svg.bitmaps === 0 && (svg.background === '#ffffff') === (svgTheme === 'light'),
    `${label}: the ${svgTheme} SVG parses, is ${W} x ${H} and vector`,
    JSON.stringify(svg),
  );
  check(
    seriesOk && svg.ticks >= (want.ticks ?? 4) && labelsOk && svg.legend >= (want.legend ?? 1) && (want.extra ? want.extra(svg) : true),
    `${label}: the SVG holds the card's series, tick and axis labels and legend`,
    `${JSON.stringify(svg)} want ${JSON.stringify({ ...want, extra: undefined })}`,
  );
  await page.selectOption(`${menu} [data-testid="image-theme"]`, pngTheme);
  const pngPath = await download(page, `${menu} [data-testid="download-png"]`, join(dir, `${label}-${pngTheme}.png`));
  const png = await imageFacts(page, pngPath, 'image/png');
  check(
    png.width === W && png.height === H && png.ink > 300 && png.corner.every((c) => c < 60) === (pngTheme === 'dark'),
    `${label}: the ${pngTheme} PNG is ${W} x ${H} with a ${pngTheme} background and ink in the plot`,
    JSON.stringify(png),
  );
  if (want.shot) copyFileSync(pngPath, join(shotDir, `chart-image-${label}-${pngTheme}.png`));
  await page.click(btn); // closes the menu
  return svg;
}

async function open(page, base, dash) {
  await page.goto(`${base}#dash=${dash}`, { waitUntil: 'load' });
  await page.waitForSelector(`.main[data-dashboard="${dash}"], .dash[data-dashboard="${dash}"]`, { timeout: 30000 });
}

await run(async () => {
  const demo = join(buildDir, 'demo');
  if (!existsSync(demo)) throw new Error(`${demo} is missing: build the demo target`);
  const tmp = mkdtempSync(join(tmpdir(), 'tboard-images-'));
  const logdir = join(tmp, 'logdir');
  execFileSync(demo, [logdir], { stdio: 'ignore' });
  mkdirSync(shotDir, { recursive: true });
  let server = null;
  const b = await launch({ viewport: { width: 1400, height: 1000 } });
  const { page } = b;
  try {
    server = await startServer(logdir);
    const base = server.url;

    // Histograms dashboard, offset then overlay: a curve per step.
    await open(page, base, 'histograms');
    const hist = '.dash[data-dashboard="histograms"] .dash-card[data-drawn="true"]';
    const steps = Number(await attrOf(page, hist, 'data-steps'));
    await saveAndCheck(page, tmp, hist, 'histogram-offset', { series: steps, axisLabels: ['Value', 'Step'], shot: true, extra: (s) => s.areas === steps });
    await page.click('[data-mode="overlay"]');
    await saveAndCheck(page, tmp, hist, 'histogram-overlay', { series: steps, axisLabels: ['Value', 'Count'] });
    await page.click('[data-mode="offset"]');

    // Distributions: four bands and the median.
    await open(page, base, 'distributions');
    const dist = '.dash[data-dashboard="distributions"] .dash-card[data-drawn="true"]';
    await attrOf(page, dist, 'data-steps');
    await saveAndCheck(page, tmp, dist, 'distribution', { series: 1, axisLabels: ['Step'], shot: true, extra: (s) => s.areas === 4 });

    // Time Series histogram card.
    await open(page, base, 'timeseries');
    const tsHist = '.card[data-kind="histogram"][data-steps]';
    await page.locator('.card[data-kind="histogram"]').first().scrollIntoViewIfNeeded();
    const tsSteps = Number(await attrOf(page, tsHist, 'data-steps'));
    await saveAndCheck(page, tmp, tsHist, 'timeseries-histogram', { series: tsSteps, axisLabels: ['Value'] });

    // PR curves: a line per run.
    await open(page, base, 'pr_curves');
    const pr = '.pr-card[data-lines]';
    const prLines = Number(await attrOf(page, pr, 'data-lines'));
    await saveAndCheck(page, tmp, pr, 'pr-curve', { series: prLines, axisLabels: ['Recall', 'Precision'], legend: prLines, shot: true });

    // Custom scalars: a multiline chart and a margin chart.
    await open(page, base, 'custom_scalars');
    const multi = '.cs-card[data-cs-kind="multiline"][data-lines]:not([data-lines="0"])';
    const multiLines = Number(await attrOf(page, multi, 'data-lines'));
    await saveAndCheck(page, tmp, multi, 'custom-multiline', { series: multiLines, axisLabels: ['Step'], legend: multiLines });
    const margin = '.cs-card[data-cs-kind="margin"][data-lines]:not([data-lines="0"])';
    const marginLines = Number(await attrOf(page, margin, 'data-lines'));
    await saveAndCheck(page, tmp, margin, 'custom-margin', {
      series: marginLines,
      axisLabels: ['Step'],
      legend: marginLines,
      shot: true,
      extra: (s) => s.areas === marginLines,
    });

    // HParams: a metric chart of the clicked group, parallel coordinates, scatter matrix.
    await open(page, base, 'hparams');
    await page.click('button[data-view="table"]');
    await page.locator('[data-testid="hp-table"] tbody tr').first().click();
    const metric = '.hp-metric-card[data-lines]:not([data-lines="0"])';
    const metricLines = Number(await attrOf(page, metric, 'data-lines'));
    await saveAndCheck(page, tmp, metric, 'hparams-metric', { series: metricLines, axisLabels: ['Step'] });
    await page.click('button[data-view="parallel"]');
    const rows = Number(await attrOf(page, '[data-testid="hp-parallel"]', 'data-rows'));
    await saveAndCheck(page, tmp, '.main[data-dashboard="hparams"] .controls', 'hparams-parallel', { series: rows, legend: rows, shot: true });
    await page.click('button[data-view="scatter"]');
    const cells = Number(await attrOf(page, '[data-testid="hp-scatter"]', 'data-cells'));
    const points = Number(await page.getAttribute('[data-testid="hp-scatter"]', 'data-points'));
    const drawnDots = await page.$$eval('[data-testid="hp-scatter"] canvas.sm-cell', (els) => els.reduce((n, e) => n + Number(e.dataset.points), 0));
    await saveAndCheck(page, tmp, '.main[data-dashboard="hparams"] .controls', 'hparams-scatter', {
      series: 0,
      legend: points,
      shot: true,
      extra: (s) => s.panels === cells && s.dots === drawnDots && drawnDots > 0,
    });
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.slice(0, 3).join(' | '));
  } finally {
    await b.close();
    await stopServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
});
