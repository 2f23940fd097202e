// profile_trace_bench: the Profile dashboard's Trace view (canvas timeline)
// on a trace of over a million events, in headless Chromium.
//
//     node bench/profile_trace_bench.mjs BUILD_DIR SOURCE_TRACE [target_mb=345] [repeats=3]
//
// 1. builds a large Kineto trace with BUILD_DIR/profile_bench (repeats=0:
//    build only) by repeating SOURCE_TRACE's events, each copy shifted in
//    time, in a fresh directory under the system's temp dir (deleted at
//    the end);
// 2. serves it with BUILD_DIR/tboard, opens the Profile dashboard and, per
//    repeat, clicks "Show the timeline" and times the first drawn frame
//    (the worker's first model: fetch, stream parse, lanes, first draw) and
//    the whole trace drawn (its last model), beside, in the same page, the
//    floor of fetching the same route and reading its body without parsing
//    it; while it loads, how responsive the page stays: the longest task
//    on the page's main thread (Long Tasks API) and the longest interval
//    between animation frames; each repeat also reads the trace on the
//    page's own thread (`?trace_reader=page`, the baseline: no worker,
//    drawn once read), alternating with the worker;
// 3. frame times while zooming and panning with the keys held (W, D, S, A)
//    from the whole trace, and while dragging: per phase the time to draw a
//    frame and the interval between animation frames (median, p95), against
//    the 16.7 ms budget of 60 fps.
// Prints the figures as JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const buildDir = resolve(process.argv[2] || 'build');
const source = process.argv[3];
const TARGET_MB = Number(process.argv[4] || 345);
const REPEATS = Number(process.argv[5] || 3);
if (!source) {
  console.error('usage: node bench/profile_trace_bench.mjs BUILD_DIR SOURCE_TRACE [target_mb=345] [repeats=3]');
  process.exit(2);
}
process.env.TB_BINARY ||= join(buildDir, 'tboard');
process.env.TB_BUILD_DIR ||= buildDir;
const { launch, startServer, stopServer } = await import('../tests/web/lib.mjs');

const r1 = (v) => Math.round(v * 10) / 10;
const r2 = (v) => Math.round(v * 100) / 100;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { n: s.length, median: r1(q(0.5)), p95: r1(q(0.95)), max: r1(s[s.length - 1]) };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CANVAS = '[data-testid="profile-trace-canvas"]';

function countEvents(path) {
  const buf = readFileSync(path);
  const needle = Buffer.from('"ph"');
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 4)) n++;
  return n;
}

async function openDashboard(page, base) {
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForSelector('[role="tab"]', { timeout: 60000 });
  await page.locator('[role="tab"]').filter({ hasText: /pytorch_profiler/ }).first().click();
  // the run's first request parses the trace on the server: not timed here
  await page.waitForSelector('[data-testid="profile-trace-open"]', { timeout: 600000 });
}

/** From the click: milliseconds to the first drawn frame and to the whole
 * trace drawn; the longest main-thread task and animation frame interval
 * in between. */
async function firstDraw(page) {
  await page.evaluate(() => {
    window.__tasks = [];
    window.__gaps = [];
    window.__loading = true;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (window.__loading) window.__tasks.push(e.duration);
    }).observe({ entryTypes: ['longtask'] });
    let last = 0;
    const loop = (now) => {
      if (last) window.__gaps.push(now - last);
      last = now;
      if (window.__loading) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    window.__t0 = performance.now();
    document.querySelector('[data-testid="profile-trace-open"]').click();
  });
  const first = await page.waitForFunction(
    (s) => (document.querySelector(s)?.getAttribute('data-state') === 'drawn' ? performance.now() - window.__t0 : 0),
    CANVAS,
    { polling: 'raf', timeout: 600000 },
  );
  const whole = await page.waitForFunction(
    (s) => (document.querySelector(s)?.getAttribute('data-complete') === '1' ? performance.now() - window.__t0 : 0),
    CANVAS,
    { polling: 'raf', timeout: 600000 },
  );
  const busy = await page.evaluate(() => {
    window.__loading = false;
    return { longestTask: Math.max(0, ...window.__tasks), tasks: window.__tasks.length, longestGap: Math.max(0, ...window.__gaps) };
  });
  return { first: await first.jsonValue(), whole: await whole.jsonValue(), ...busy };
}

/** Milliseconds to fetch the timeline route and read its body, unparsed. */
function fetchFloor(page, path) {
  return page.evaluate(async (p) => {
    const t0 = performance.now();
    const r = await fetch(p, { cache: 'no-store' });
    const reader = r.body.getReader();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    return performance.now() - t0;
  }, path);
}

/** Frame intervals and draw times while `act` runs. */
async function frames(page, act) {
  await page.evaluate((s) => {
    window.__frames = [];
    window.__draws0 = document.querySelector(s).traceStats.draws.length;
    window.__going = true;
    let last = 0;
    const loop = (now) => {
      if (last) window.__frames.push(now - last);
      last = now;
      if (window.__going) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }, CANVAS);
  await act();
  return page.evaluate((s) => {
    window.__going = false;
    const draws = document.querySelector(s).traceStats.draws.slice(window.__draws0);
    return { frames: window.__frames, draws, range: document.querySelector(s).getAttribute('data-range') };
  }, CANVAS);
}

async function hold(page, key, ms) {
  await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  await page.keyboard.up(key);
}

const work = mkdtempSync(join(tmpdir(), 'tboard-trace-bench-'));
let server;
let b;
try {
  execFileSync(join(buildDir, 'profile_bench'), [source, work, String(TARGET_MB), '0'], { stdio: 'inherit' });
  const file = join(work, 'big', 'worker0.pt.trace.json');
  const bytes = statSync(file).size;
  const events = countEvents(file);
  server = await startServer(work);
  b = await launch({ viewport: { width: 1400, height: 900 } });
  const { page } = b;
  const runs = { worker: [], page: [] };
  const floor = [];
  let complete = 0;
  for (let r = 0; r < REPEATS; r++) {
    for (const mode of ['page', 'worker']) {
      await openDashboard(page, mode === 'page' ? `${server.url}?trace_reader=page` : server.url);
      if (mode === 'worker') {
        const path = await page.evaluate(() => {
          const a = document.querySelector('[data-testid="profile-trace"]');
          return a.getAttribute('href').replace('/trace?', '/timeline?');
        });
        floor.push(await fetchFloor(page, path));
      }
      const t = await firstDraw(page);
      runs[mode].push(t);
      complete = Number(await page.getAttribute(CANVAS, 'data-events'));
      console.error(
        `repeat ${r + 1}, read in the ${mode === 'page' ? "page's thread" : 'worker'}: first draw ${r1(t.first)} ms, ` +
          `whole trace ${r1(t.whole)} ms, longest main-thread task ${r1(t.longestTask)} ms (${t.tasks} over 50 ms), ` +
          `longest frame interval ${r1(t.longestGap)} ms`,
      );
    }
    console.error(`repeat ${r + 1}: fetch floor ${r1(floor[r])} ms`);
  }
  const loadFigures = (list) => ({
    first_draw_ms: { median: r1(median(list.map((t) => t.first))), runs: list.map((t) => r1(t.first)) },
    whole_trace_drawn_ms: { median: r1(median(list.map((t) => t.whole))), runs: list.map((t) => r1(t.whole)) },
    longest_main_thread_task_ms: { median: r1(median(list.map((t) => t.longestTask))), runs: list.map((t) => r1(t.longestTask)) },
    longest_frame_interval_ms: { median: r1(median(list.map((t) => t.longestGap))), runs: list.map((t) => r1(t.longestGap)) },
  });
  const worker = loadFigures(runs.worker);
  const onPage = loadFigures(runs.page);
  await page.focus(CANVAS);
  const box = await page.locator(CANVAS).boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  const phases = {};
  const zoomIn = await frames(page, () => hold(page, 'w', 3000));
  phases['W held 3 s (zoom in from the whole trace)'] = zoomIn;
  phases['D held 2 s (pan)'] = await frames(page, () => hold(page, 'd', 2000));
  phases['S held 3 s (zoom out)'] = await frames(page, () => hold(page, 's', 3000));
  await page.click('[data-testid="profile-trace-reset"]');
  await page.focus(CANVAS);
  phases['A held 2 s (pan, whole trace)'] = await frames(page, () => hold(page, 'a', 2000));
  phases['drag 60 steps (whole trace)'] = await frames(page, async () => {
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 60; i++) await page.mouse.move(box.x + box.width * (0.8 - i * 0.005), box.y + box.height / 2);
    await page.mouse.up();
  });
  const out = {
    trace: { MB: r1(bytes / 1e6), events, complete_events: complete },
    read_in_worker: worker,
    read_in_page_baseline: onPage,
    worker_over_page: {
      first_draw: r2(worker.first_draw_ms.median / onPage.first_draw_ms.median),
      whole_trace_drawn: r2(worker.whole_trace_drawn_ms.median / onPage.whole_trace_drawn_ms.median),
      longest_main_thread_task: r2(worker.longest_main_thread_task_ms.median / onPage.longest_main_thread_task_ms.median),
    },
    fetch_floor_ms: { median: r1(median(floor)), runs: floor.map(r1) },
    first_draw_over_floor: r1(worker.first_draw_ms.median / median(floor)),
    whole_trace_over_floor: r1(worker.whole_trace_drawn_ms.median / median(floor)),
    frames: Object.fromEntries(
      Object.entries(phases).map(([k, v]) => [
        k,
        { draw_ms: stats(v.draws), frame_interval_ms: stats(v.frames), budget_ms: 16.7 },
      ]),
    ),
    load_average: loadavg().map(r1),
  };
  console.log(JSON.stringify(out, null, 1));
} finally {
  if (b) await b.close();
  await stopServer(server);
  rmSync(work, { recursive: true, force: true });
}
