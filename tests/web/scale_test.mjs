// Browser test of the scalar cards at scale, on a log directory written by
// gen_scalars (40 runs x 48 tags) with one run kept writing by live_writer:
//  - cards off screen fetch nothing; scrolling one into view fetches it;
//  - a point written to disk reaches the visible card of its tag, and with
//    tboard's own routes it comes in a small request naming only that run,
//    while cards of tags that did not move fetch nothing;
//  - hovering a line highlights it and dims the others; the tooltip lists
//    the nearest run first;
//  - runs that appear after the card's first fetch reach the card: two
//    whole runs moved in at once, and a run that starts writing while the
//    page watches.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, cardSel, check, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const RUNS = 40;
const TAGS = 48;
const STEPS = 100;
const LIVE_TAG = 'g0/scalar_00';

const isScalarRequest = (url) => /data\/tboard\/scalars|data\/plugin\/timeseries\/timeSeries/.test(url);

/** The tag a scalar request asks for (either route). */
function requestTag(req) {
  const body = req.postData() ?? '';
  if (req.url().includes('data/tboard/scalars')) return JSON.parse(body).tag;
  const m = body.match(/"tag":"((?:[^"\\]|\\.)*)"/);
  return m ? JSON.parse(`"${m[1]}"`) : null;
}

await run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tboard-scale-'));
  let server = null;
  let b = null;
  let writer = null;
  try {
    execFileSync(join(buildDir, 'gen_scalars'), [dir, String(RUNS), String(TAGS), String(STEPS)], { stdio: 'ignore' });
    server = await startServer(dir, ['--reload_interval', '1', '--reload_task', 'auto']);
    const base = server.url;
    // Open the page once every run is listed, so the first fetch of each
    // card sees them all (the server serves while it is still loading).
    for (let t0 = Date.now(); Date.now() - t0 < 60000; await new Promise((r) => setTimeout(r, 200))) {
      const runs = await (await fetch(base + 'data/runs')).json();
      if (runs.length >= RUNS) break;
    }
    await fetch(base + 'data/plugin/timeseries/tags');
    const routes = (await fetch(base + 'data/tboard/scalars?tag=' + encodeURIComponent(LIVE_TAG))).status !== 404;

    b = await launch({ viewport: { width: 1400, height: 900 } });
    const { page } = b;
    await page.goto(base + '#', { waitUntil: 'load' });
    await page.evaluate(() => localStorage.setItem('tboard.prefs', JSON.stringify({ refreshSec: 10, pageSize: 48 })));
    await page.goto('about:blank');
    const requests = [];
    page.on('request', (req) => {
      if (isScalarRequest(req.url())) requests.push({ t: Date.now(), tag: requestTag(req), req });
    });
    await page.goto(base + '#', { waitUntil: 'load' });
    await page.waitForSelector(`${cardSel(LIVE_TAG)}[data-series-count="${RUNS}"] canvas`, { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 1500));

    // 0. The first card asks alone: the others wait for its chart. Timed
    // by the page's own resource timing: the test's request events can
    // arrive out of order on a busy machine.
    const timing = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => /data\/tboard\/scalars|data\/plugin\/timeseries\/timeSeries/.test(e.name))
        .sort((a, b) => a.startTime - b.startTime)
        .slice(0, 2)
        .map((e) => ({ start: e.startTime, end: e.responseEnd })),
    );
    check(
      requests.length > 1 && timing.length === 2 && timing[0].end <= timing[1].start,
      'the first card fetches alone, the others after its answer',
      `${requests.length} requests, first answered at ${timing[0]?.end} ms, second sent at ${timing[1]?.start} ms`,
    );
    const marks = await page.evaluate(() =>
      ['tb:runs', 'tb:tags', 'tb:scalars-ask', 'tb:scalars-parsed', 'tb:card-drawn'].map((n) => performance.getEntriesByName(n, 'mark').length),
    );
    check(marks.every((n) => n === 1), 'each step of the first chart is marked once', JSON.stringify(marks));

    // 1. Only cards on screen (or within the prefetch margin) were asked for.
    const near = await page.$$eval('.card[data-kind=scalar]', (els) =>
      els
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return r.bottom > -300 && r.top < innerHeight + 300;
        })
        .map((e) => e.getAttribute('data-tag')),
    );
    const asked = [...new Set(requests.map((r) => r.tag))];
    const strays = asked.filter((t) => !near.includes(t));
    check(asked.length > 0 && asked.length < TAGS, 'only some tags are fetched at first', `${asked.length} of ${TAGS}`);
    check(strays.length === 0, 'no off-screen card fetches', JSON.stringify(strays));
    // The grid is virtualised: the last card's slot is there, empty.
    const lastTag = await page.$$eval('.card-slot[data-card-id^="s:"]', (els) => els[els.length - 1].getAttribute('data-card-id').slice(2));
    check(!asked.includes(lastTag), 'the last card, far below, was not fetched', lastTag);
    check((await page.locator(cardSel(lastTag)).count()) === 0, 'the last card, far below, is not in the page');
    await page.locator(`.card-slot[data-card-id="s:${lastTag}"]`).scrollIntoViewIfNeeded();
    await page.waitForSelector(`${cardSel(lastTag)}[data-series-count="${RUNS}"] canvas`, { timeout: 30000 });
    check(requests.some((r) => r.tag === lastTag), 'a card scrolled into view fetches its tag');
    await page.locator(`.card-slot[data-card-id="s:${LIVE_TAG}"]`).scrollIntoViewIfNeeded();
    await settle(page);
    await new Promise((r) => setTimeout(r, 1000));

    // 2. Hover: the line under the pointer is highlighted, the others dimmed.
    const sel = `${cardSel(LIVE_TAG)} .plot`;
    const target = await page.$eval(sel, (el) => {
      const c = el.tbChart;
      const u = c.u;
      const line = c.lines[Math.floor(c.lines.length / 2)];
      const i = Math.floor(line.x.length / 2);
      const r = u.over.getBoundingClientRect();
      return { run: line.run, x: r.left + u.valToPos(line.x[i], 'x'), y: r.top + u.valToPos(line.smoothed[i], 'y') };
    });
    await page.mouse.move(target.x, target.y);
    await settle(page);
    const hover = await page.$eval(sel, (el) => ({ run: el.tbChart.highlighted, alpha: el.tbChart.seriesAlpha(), attr: el.dataset.highlight }));
    check(hover.run !== null && hover.attr === hover.run, 'hovering a line highlights a run', JSON.stringify(hover.run));
    const labels = await page.$eval(sel, (el) => el.tbChart.u.series.slice(1).map((s) => s.label));
    const dimmed = hover.alpha.filter((a, k) => labels[k] !== hover.run);
    const lit = hover.alpha.filter((a, k) => labels[k] === hover.run);
    check(dimmed.length > 0 && dimmed.every((a) => a < 0.5), 'the other lines are dimmed', JSON.stringify(dimmed.slice(0, 5)));
    check(lit.length > 0 && lit.every((a) => a === 1), 'the highlighted line is not dimmed', JSON.stringify(lit));
    const firstRow = await page.$eval('.tb-tooltip tbody tr td.run', (e) => e.textContent);
    check(firstRow === hover.run, 'the tooltip lists the nearest run first', `${firstRow} vs ${hover.run}`);
    await screenshot(page, 'scale-hover.png');
    await page.mouse.move(5, 5);
    await settle(page);
    const after = await page.$eval(sel, (el) => el.tbChart.highlighted);
    check(after === null, 'leaving the chart undims the lines', String(after));

    // 3. A live run: run_00 writes LIVE_TAG every 100 ms.
    const before = requests.length;
    const since = Date.now();
    writer = spawn(join(buildDir, 'live_writer'), [join(dir, 'run_00'), String(STEPS), '1', '100', '30'], {
      stdio: 'ignore',
    });
    const lastStep = () =>
      page.$eval(`${cardSel(LIVE_TAG)} .plot`, (el, want) => {
        const line = el.tbChart?.lines?.find((l) => l.run === want);
        return line && line.step.length ? line.step[line.step.length - 1] : -1;
      }, 'run_00');
    let reached = -1;
    for (let i = 0; i < 100 && reached < STEPS + 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      reached = await lastStep();
    }
    check(reached >= STEPS + 5, 'live points reach the visible card', `last step drawn ${reached}`);
    await new Promise((r) => setTimeout(r, 3000));
    writer.kill('SIGTERM');
    const live = requests.slice(before).filter((r) => r.t >= since);
    if (!routes) {
      console.log('did not run: small live requests (the server has no data/tboard/scalars route)');
    } else {
      const sizes = [];
      for (const r of live) {
        const resp = await r.req.response();
        sizes.push(resp ? (await resp.body()).length : 0);
      }
      // A card that scrolled in just before and asks for its first answer
      // late (the other cards wait for the first chart) is not refetching:
      // only the tags already answered before the live phase count.
      const shown = new Set(requests.slice(0, before).map((r) => r.tag));
      const other = live.filter((r) => r.tag !== LIVE_TAG && shown.has(r.tag));
      check(live.length > 0, 'the live card fetched new points', String(live.length));
      check(other.length === 0, 'cards of tags that did not move fetch nothing', JSON.stringify(other.map((r) => r.tag)));
      const bodies = live.filter((r) => r.tag === LIVE_TAG).map((r) => JSON.parse(r.req.postData()));
      check(
        bodies.every((q) => Array.isArray(q.runs) && q.runs.length === 1 && q.runs[0] === 'run_00' && q.after?.run_00 >= STEPS - 1),
        'each live request names only the moved run and asks for points after the last step',
        JSON.stringify(bodies.slice(0, 3)),
      );
      check(Math.max(0, ...sizes) < 2048, 'each live answer is under 2 KB', JSON.stringify(sizes.slice(0, 10)));
    }

    // 4. Runs appearing while the card is on screen: two written elsewhere
    // and moved in whole, one that starts writing now.
    const stage = mkdtempSync(join(tmpdir(), 'tboard-scale-late-'));
    try {
      execFileSync(join(buildDir, 'gen_scalars'), [stage, '2', String(TAGS), String(STEPS)], { stdio: 'ignore' });
      renameSync(join(stage, 'run_00'), join(dir, 'late_0'));
      renameSync(join(stage, 'run_01'), join(dir, 'late_1'));
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
    writer = spawn(join(buildDir, 'live_writer'), [join(dir, 'late_live'), '0', '1', '100', '30'], { stdio: 'ignore' });
    const lateLines = () =>
      page.$eval(`${cardSel(LIVE_TAG)} .plot`, (el) =>
        Object.fromEntries(
          (el.tbChart?.lines ?? []).filter((l) => l.run.startsWith('late')).map((l) => [l.run, l.step.length ? l.step[l.step.length - 1] : -1]),
        ),
      );
    let late = {};
    for (let t0 = Date.now(); Date.now() - t0 < 60000; await new Promise((r) => setTimeout(r, 250))) {
      late = await lateLines();
      if (late.late_0 === STEPS - 1 && late.late_1 === STEPS - 1 && late.late_live >= 20) break;
    }
    check(late.late_0 === STEPS - 1 && late.late_1 === STEPS - 1, 'runs moved in after the first fetch are drawn whole', JSON.stringify(late));
    check(late.late_live >= 20, 'a run that starts writing while watched is drawn and follows its new points', JSON.stringify(late));
    const count = await page.$eval(cardSel(LIVE_TAG), (e) => Number(e.getAttribute('data-series-count')));
    check(count === RUNS + 3, 'the card counts the new runs', String(count));
    writer.kill('SIGTERM');

    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.join(' | '));
  } finally {
    if (writer) writer.kill('SIGTERM');
    if (b) await b.close();
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
