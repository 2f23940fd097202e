// Speed of the UI, measured in headless Chromium:
//  1. time to the first drawn chart for a log directory of 100 runs x 50
//     tags (written with gen_scalars);
//  2. frame times while a chart of 100,000 points is zoomed and panned
//     programmatically;
//  3. 5,000 lines put into one chart: drawn in bulk, and hovering one
//     highlights it, dims the others and lists it first in the tooltip.
// Figures are printed and written to TB_BUILD_DIR/web_perf.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, check, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const RUNS = 100;
const TAGS = 50;
const STEPS = Number(process.env.TB_PERF_STEPS || 200);
const POINTS = 100000;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};
const r1 = (v) => Math.round(v * 10) / 10;

// Timings are measured and reported (build/web_perf.json, and the figures
// go into docs/PERFORMANCE.md), never judged: on a shared machine a pass or
// fail by the clock says more about the neighbours than about the UI. What
// the test does assert is that the views work at this size.
function judge(ok, what, detail) {
  console.log(`${ok ? 'figure' : 'figure (over target)'} - ${what}: ${detail} (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
}

await run(async () => {
  const gen = process.env.TB_GEN_SCALARS || join(buildDir, 'gen_scalars');
  const dir = mkdtempSync(join(tmpdir(), 'tboard-perf-'));
  let server = null;
  let b = null;
  const out = { runs: RUNS, tags: TAGS, steps: STEPS };
  try {
    execFileSync(gen, [dir, String(RUNS), String(TAGS), String(STEPS)], { stdio: 'ignore' });
    server = await startServer(dir);
    const base = server.url;
    // Let the server finish loading before timing the page.
    await fetch(base + 'data/plugin/timeseries/tags');

    b = await launch();
    const { page } = b;
    const times = [];
    for (let i = 0; i < 5; i++) {
      // Start each load on a quiet server: leave a blank page, let the
      // previous page's requests finish.
      await page.goto('about:blank');
      await new Promise((r) => setTimeout(r, 1500));
      await page.goto(base + '#', { waitUntil: 'commit' });
      const t = await page.waitForFunction(
        () => (document.querySelector('.card[data-series-count]:not([data-series-count="0"]) canvas') ? performance.now() : 0),
        null,
        { polling: 'raf', timeout: 30000 },
      );
      times.push(await t.jsonValue());
    }
    // The card that drew first (cards are answered in any order).
    const lines = await page.$eval('.card[data-series-count]:not([data-series-count="0"])', (e) =>
      Number(e.getAttribute('data-series-count')),
    );
    check(lines === RUNS, 'the first chart draws a line per run', String(lines));
    out.firstChartMs = times.map(Math.round);
    const med = stats(times).median;
    out.firstChartMedianMs = Math.round(med);
    out.loadAverage = loadavg()[0];
    console.log(
      `first chart drawn (100 runs x 50 tags): ${times.map(Math.round).join(', ')} ms after navigation ` +
        `(median ${Math.round(med)} ms; load average ${out.loadAverage.toFixed(1)})`,
    );
    judge(med < 1000, 'first chart drawn within 1 s (median of 5 loads)', `${Math.round(med)} ms`);
    const cards = await page.locator('.card[data-kind=scalar]').count();
    out.cardsOnFirstPage = cards;
    await settle(page);
    await screenshot(page, 'perf-100-runs.png');

    // 100,000 points: put them into the first chart, then zoom and pan.
    await page.evaluate(() => localStorage.setItem('tboard.prefs', JSON.stringify({ refreshSec: 0 })));
    await page.goto(base + '#runs=run_00$', { waitUntil: 'load' });
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.card[data-series-count="1"] canvas', { timeout: 30000 });
    const result = await page.evaluate(async (n) => {
      const plot = document.querySelector('.card[data-series-count="1"] .plot');
      const chart = plot.tbChart;
      const x = new Float64Array(n);
      const y = new Float64Array(n);
      let v = 0;
      let seed = 1;
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        v += seed / 2147483648 - 0.5;
        x[i] = i;
        y[i] = v;
      }
      const t0 = performance.now();
      chart.update(
        [{ run: 'big', color: '#1f77b4', x, raw: y, smoothed: y, step: x, wallTime: x, start: 0 }],
        { xAxis: 'step', logY: false, showRaw: false, ignoreOutliers: false, tooltipSort: 'nearest', theme: { text: '#555', grid: '#eee' } },
      );
      await new Promise((r) => requestAnimationFrame(r));
      const firstDraw = performance.now() - t0;
      const frames = [];
      const work = [];
      let last = performance.now();
      const FRAMES = 180;
      for (let f = 0; f < FRAMES; f++) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        frames.push(now - last);
        last = now;
        // First half zooms in towards the middle; second half pans right.
        let lo;
        let hi;
        if (f < FRAMES / 2) {
          const k = f / (FRAMES / 2);
          const half = (n / 2) * (1 - 0.95 * k);
          lo = n / 2 - half;
          hi = n / 2 + half;
        } else {
          const k = (f - FRAMES / 2) / (FRAMES / 2);
          const half = (n / 2) * 0.05;
          lo = n / 2 - half + k * n * 0.4;
          hi = lo + 2 * half;
        }
        const w0 = performance.now();
        chart.setXRange(lo, hi);
        await Promise.resolve();
        work.push(performance.now() - w0);
      }
      // A full-range redraw (zoom reset).
      const w0 = performance.now();
      chart.setXRange(0, n - 1);
      await Promise.resolve();
      const fullDraw = performance.now() - w0;
      return { firstDraw, frames: frames.slice(1), work, fullDraw };
    }, POINTS);
    const fs = stats(result.frames);
    const ws = stats(result.work);
    out.points = POINTS;
    out.firstDrawMs = r1(result.firstDraw);
    out.fullRedrawMs = r1(result.fullDraw);
    out.frameMs = { median: r1(fs.median), p95: r1(fs.p95), max: r1(fs.max) };
    out.redrawMs = { median: r1(ws.median), p95: r1(ws.p95), max: r1(ws.max) };
    console.log(
      `100k points: first draw ${out.firstDrawMs} ms; zoom/pan frame interval median ${out.frameMs.median} ms, ` +
        `p95 ${out.frameMs.p95} ms, max ${out.frameMs.max} ms; redraw per frame median ${out.redrawMs.median} ms, ` +
        `p95 ${out.redrawMs.p95} ms; full-range redraw ${out.fullRedrawMs} ms`,
    );
    judge(ws.p95 < 16, 'zooming and panning 100k points redraws within a 60 Hz frame (p95)', `${r1(ws.p95)} ms`);
    judge(fs.median < 34, 'frames keep coming while zooming and panning (median interval)', `${r1(fs.median)} ms`);
    await screenshot(page, 'perf-100k-points.png');

    // 5,000 lines in the same card: drawn in bulk (hairlines, one path per
    // colour); hovering one still highlights it and lists it first.
    const LINES = 5000;
    const many = await page.evaluate(async (n) => {
      const plot = document.querySelector('.card[data-series-count="1"] .plot');
      const chart = plot.tbChart;
      const lines = [];
      let seed = 7;
      for (let l = 0; l < n; l++) {
        const x = new Float64Array(25);
        const y = new Float64Array(25);
        for (let i = 0; i < 25; i++) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          x[i] = i * 8;
          y[i] = l / n + (seed / 2147483648) * 0.01;
        }
        lines.push({ run: `line_${l}`, color: ['#1f77b4', '#ff7f0e', '#2ca02c'][l % 3], x, raw: y, smoothed: y, step: x, wallTime: x, start: 0 });
      }
      const t0 = performance.now();
      chart.update(lines, { xAxis: 'step', logY: false, showRaw: false, ignoreOutliers: false, tooltipSort: 'nearest', theme: { text: '#555', grid: '#eee' } });
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
      const draw = performance.now() - t0;
      const line = lines[Math.floor(n / 2)];
      const r = chart.u.over.getBoundingClientRect();
      return { draw, bulk: chart.bulkDrawn, run: line.run, x: r.left + chart.u.valToPos(line.x[12], 'x'), y: r.top + chart.u.valToPos(line.smoothed[12], 'y') };
    }, LINES);
    await page.mouse.move(many.x, many.y);
    const hoverMs = await page.evaluate(() => new Promise((r) => { const t0 = performance.now(); requestAnimationFrame(() => setTimeout(() => r(performance.now() - t0))); }));
    const lit = await page.$eval('.card[data-series-count="1"] .plot', (el) => ({ run: el.tbChart.highlighted, alpha: el.tbChart.seriesAlpha() }));
    const firstRow = await page.$eval('.tb-tooltip tbody tr td.run', (e) => e.textContent);
    out.manyLines = { lines: LINES, drawMs: r1(many.draw) };
    console.log(`${LINES} lines in one card: drawn in ${r1(many.draw)} ms (bulk: ${many.bulk})`);
    check(many.bulk, `${LINES} lines are drawn in bulk`);
    check(lit.run !== null && firstRow === lit.run, 'hovering among 5,000 lines highlights one and lists it first', `${lit.run} / ${firstRow}`);
    check(lit.alpha.filter((a) => a < 0.5).length === LINES - 1, 'the other 4,999 lines are dimmed');
    judge(many.draw < 500, `${LINES} lines drawn within 0.5 s`, `${r1(many.draw)} ms; hover frame ${r1(hoverMs)} ms`);
    await page.mouse.move(5, 5);
    writeFileSync(join(buildDir, 'web_perf.json'), JSON.stringify(out, null, 2) + '\n');
    const errors = b.consoleErrors;
    check(errors.length === 0, 'no console errors', errors.join(' | '));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
