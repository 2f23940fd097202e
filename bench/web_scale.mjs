// web_scale: the scalar UI at 1000 runs, in headless Chromium.
//
//     node bench/web_scale.mjs BUILD_DIR [runs=1000] [tags=50] [steps=200] [live_seconds=60]
//     node bench/web_scale.mjs BUILD_DIR filter [runs=10000] [tags=2] [steps=20]
//     node bench/web_scale.mjs BUILD_DIR tags [tags=12345] [runs=2] [steps=5] [groups=1235]
//     node bench/web_scale.mjs BUILD_DIR first [runs=1000] [tags=50] [steps=200] [loads=9]
//
// The second form measures, on many runs, the first chart (one load, with
// the bytes of scalar answers before it) and typing a run regex: next
// frame and longest task after each key (median, p95). The third, on many
// tags in many groups (gen_scalars' groups): time from navigation to the
// tag list (the tag count and the first group shown, median of 5) and the
// next frame and longest task after each key typed in the tag filter.
// The fourth measures the first chart alone, at RUNS and at 10 runs, one
// load of each in turn (median of `loads`), with the median time at which
// each step before it ended (`stepsMs`: the app's `tb:` performance marks
// and the resource timing of the answers). With TB_WEBSCALE_DATA set it
// keeps its log directories there and uses them again in the next run.
// Every first chart figure comes with those steps.
//
// With TB_BASE_BINARY set to another build's tboard (the baseline), every
// figure is measured for both, one build after the other in the same run,
// and printed side by side with this build's ratio to the baseline.
//
// Writes two log directories with gen_scalars (RUNS and 10 runs, same tags
// and steps) and serves each with tboard. Measures, on the same machine in
// the same run:
//  1. first chart drawn after navigation, RUNS runs vs 10 runs (median of 5);
//  2. next frame after ticking a run, moving the smoothing, typing a run
//     regex (the time from the input event to the first task after the next
//     frame), and the longest task in the second after each input;
//  3. with run_0000 writing one point of g0/scalar_00 every 100 ms
//     (live_writer), for live_seconds: bytes of tboard's scalars route per
//     live update of the moving card, bytes fetched for the visible cards
//     whose runs did not move, and the main thread's busy share (Chrome's
//     TaskDuration over wall time).
// Prints the figures as JSON. Paths only under the system's temp dir.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const buildDir = resolve(process.argv[2] || 'build');
const FILTER_ONLY = process.argv[3] === 'filter';
const FIRST_ONLY = process.argv[3] === 'first';
const TAGS_ONLY = process.argv[3] === 'tags';
const args = process.argv.slice(FILTER_ONLY || TAGS_ONLY || FIRST_ONLY ? 4 : 3);
const RUNS = TAGS_ONLY ? Number(args[1] || 2) : Number(args[0] || (FILTER_ONLY ? 10000 : 1000));
const TAGS = TAGS_ONLY ? Number(args[0] || 12345) : Number(args[1] || (FILTER_ONLY ? 2 : 50));
const STEPS = Number(args[2] || (FILTER_ONLY ? 20 : TAGS_ONLY ? 5 : 200));
const LIVE_S = Number(args[3] || 60);
const LOADS = Number(args[3] || 9);
const GROUPS = TAGS_ONLY ? Number(args[3] || Math.ceil(TAGS / 10)) : 4;
const BASE_BINARY = process.env.TB_BASE_BINARY ? resolve(process.env.TB_BASE_BINARY) : '';
process.env.TB_BINARY ||= join(buildDir, 'tboard');
process.env.TB_BUILD_DIR ||= buildDir;
const { launch, startServer, stopServer } = await import('../tests/web/lib.mjs');

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { n: s.length, median: r1(q(0.5)), p95: r1(q(0.95)), max: r1(s[s.length - 1]) };
};
const r1 = (v) => Math.round(v * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LIVE_TAG = 'g0/scalar_00';

/** One load: navigation to the first chart of `runs` lines, the scalar bytes before it, the steps. */
async function firstLoad(page, base, runs) {
  await page.goto('about:blank');
  await sleep(1500);
  await page.goto(base + '#', { waitUntil: 'commit' });
  const t = await page.waitForFunction(
    (n) => (document.querySelector(`.card[data-series-count="${n}"] canvas`) ? performance.now() : 0),
    runs,
    { polling: 'raf', timeout: 300000 },
  );
  const time = await t.jsonValue();
  // Bytes (as sent) of the scalar answers that arrived before the first chart.
  const bytes = await page.evaluate(
    (t) =>
      performance
        .getEntriesByType('resource')
        .filter((e) => /data\/(tboard\/scalars|plugin\/timeseries\/timeSeries)/.test(e.name) && e.responseEnd <= t)
        .reduce((n, e) => n + e.encodedBodySize, 0),
    time,
  );
  return { time, bytes, steps: await page.evaluate(firstSteps) };
}

/** Medians of loads: time, bytes, and each step. */
function firstSummary(loads) {
  const stepsMs = {};
  for (const k of Object.keys(loads[0].steps)) stepsMs[k] = stats(loads.map((l) => l.steps[k] ?? NaN)).median;
  return { ...stats(loads.map((l) => l.time)), scalarBytesBeforeChart: stats(loads.map((l) => l.bytes)).median, stepsMs };
}

async function firstChart(page, base, runs, loads = 5) {
  const out = [];
  for (let i = 0; i < loads; i++) out.push(await firstLoad(page, base, runs));
  return firstSummary(out);
}

/** The first chart at RUNS and at 10 runs, loads taken in turn, so both see the same machine. */
async function firstPair(page, servers, loads) {
  const many = [];
  const few = [];
  for (let i = 0; i < loads; i++) {
    many.push(await firstLoad(page, servers[RUNS].url, RUNS));
    few.push(await firstLoad(page, servers[10].url, 10));
  }
  const a = firstSummary(many);
  const b = firstSummary(few);
  return { [RUNS]: a, 10: b, ratio: r1((a.median / b.median) * 100) / 100 };
}

/**
 * In the page: when each step towards the first chart ended, in ms after
 * navigation (the app's `tb:` marks, and the network's resource timing of
 * the answers they wait for).
 */
function firstSteps() {
  const mark = (n) => performance.getEntriesByName(n, 'mark')[0]?.startTime;
  const res = (re) => performance.getEntriesByType('resource').filter((e) => re.test(e.name));
  const r1 = (v) => (v === undefined ? undefined : Math.round(v * 10) / 10);
  const scalars = res(/data\/tboard\/scalars/);
  return {
    script: r1(res(/app\.js/)[0]?.responseEnd),
    runsAnswered: r1(res(/data\/runs$/)[0]?.responseEnd),
    runsParsed: r1(mark('tb:runs')),
    tagsAsked: r1(res(/timeseries\/tags|tboard\/tags/)[0]?.startTime),
    tagsAnswered: r1(res(/timeseries\/tags|tboard\/tags/)[0]?.responseEnd),
    tagsParsed: r1(mark('tb:tags')),
    cardAsked: r1(mark('tb:card-ask')),
    scalarsSent: r1(mark('tb:scalars-ask')),
    scalarsAnswered: r1(scalars.length ? Math.min(...scalars.map((e) => e.responseEnd)) : undefined),
    scalarsParsed: r1(mark('tb:scalars-parsed')),
    drawStarted: r1(mark('tb:card-draw')),
    drawn: r1(mark('tb:card-drawn')),
  };
}

/** Navigation to the tag list shown (tag count and first group), median of 5. */
async function tagList(page, base) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    await page.goto('about:blank');
    await sleep(1500);
    await page.goto(base + '#', { waitUntil: 'commit' });
    const t = await page.waitForFunction(
      (n) => {
        const count = document.querySelector('[data-testid=tag-count]');
        return count && count.textContent === `${n} tags` && document.querySelector('.group .group-head') ? performance.now() : 0;
      },
      TAGS,
      { polling: 'raf', timeout: 300000 },
    );
    times.push(await t.jsonValue());
  }
  return stats(times);
}

/**
 * Types tag regexes into the tag filter at about 6 keys a second; `shown`
 * gets, for each regex, the time from its last key to the tag count naming
 * what it matches (the cards having followed).
 */
async function typeTagFilter(page, take, shown) {
  const filter = page.locator('[data-testid=tag-filter]');
  const names = Array.from({ length: TAGS }, (_, t) => `g${t % GROUPS}/scalar_${String(t).padStart(2, '0')}`);
  for (let i = 0; i < 4; i++) {
    await filter.fill('');
    await sleep(1000);
    const word = 'alar_' + (i + 1) + '2';
    for (let k = 0; k < word.length; k++) {
      await filter.press(word[k]);
      if (k < word.length - 1) {
        await take('key', 150);
        continue;
      }
      const want = `${names.filter((n) => n.includes(word)).length} of ${TAGS} tags`;
      const t = await page.waitForFunction(
        (w) => (document.querySelector('[data-testid=tag-count]')?.textContent === w ? performance.now() : 0),
        want,
        { polling: 'raf', timeout: 60000 },
      );
      const end = await t.jsonValue();
      const t0 = await page.evaluate(() => window.__lat.at(-1)?.t0 ?? 0);
      shown.push(end - t0);
      await take('key', 150);
    }
  }
  await filter.fill('');
}

// In the page: time from each input event to the first task after the next
// frame, and long tasks.
function instrument() {
  window.__lat = [];
  window.__long = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__long.push({ start: e.startTime, dur: e.duration });
  }).observe({ type: 'longtask', buffered: false });
  for (const type of ['click', 'input']) {
    document.addEventListener(
      type,
      () => {
        const t0 = performance.now();
        requestAnimationFrame(() => setTimeout(() => window.__lat.push({ type, t0, ms: performance.now() - t0 })));
      },
      true,
    );
  }
}

// Collects, after each input, its next-frame latency and the longest task
// that followed it into out[key].
function taker(page, out) {
  return async (key, wait = 1000) => {
    await sleep(wait);
    const { lat, long } = await page.evaluate(() => {
      const r = { lat: window.__lat, long: window.__long };
      window.__lat = [];
      window.__long = [];
      return r;
    });
    // One input may fire both click and input: the first one counts.
    for (const l of lat.slice(0, 1)) out[key].push({ ms: l.ms, longest: Math.max(0, ...long.filter((t) => t.start >= l.t0 - 1).map((t) => t.dur)) });
  };
}

async function interactions(page) {
  await page.evaluate(instrument);
  const out = { tick: [], smoothing: [], regex: [] };
  const take = taker(page, out);
  for (let i = 0; i < 7; i++) {
    await page.locator('.run-row input[type=checkbox]').nth(3 + i).click();
    await take('tick');
  }
  for (let i = 0; i < 7; i++) {
    await page.$eval(
      '[data-testid=smoothing]',
      (el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      },
      0.5 + i * 0.05,
    );
    await take('smoothing');
  }
  await typeRegex(page, take);
  return { tick: summary(out.tick), smoothing: summary(out.smoothing), regex: summary(out.regex) };
}

const summary = (xs) => ({ nextFrameMs: stats(xs.map((x) => x.ms)), longestTaskMs: stats(xs.map((x) => x.longest)) });

/** Types run regexes into the run filter at about 6 keys a second. */
async function typeRegex(page, take) {
  const filter = page.locator('[data-testid=run-filter]');
  for (let i = 0; i < 4; i++) {
    await filter.fill('');
    await sleep(1000);
    for (const ch of 'run_0' + i) {
      await filter.press(ch);
      await take('regex', 150);
    }
  }
  await filter.fill('');
}

let liveStart = STEPS;

async function live(page, dir, base) {
  await page.goto(base + '#', { waitUntil: 'load' });
  await page.waitForSelector(`.card[data-series-count="${RUNS}"] canvas`, { timeout: 120000 });
  await sleep(5000);
  const visible = await page.$$eval('.card[data-kind=scalar]', (els) =>
    els.filter((e) => {
      const r = e.getBoundingClientRect();
      return r.bottom > 0 && r.top < innerHeight;
    }).map((e) => e.getAttribute('data-tag')),
  );
  const reqs = [];
  const onResp = async (resp) => {
    const url = resp.url();
    if (!/data\/(tboard\/scalars|plugin\/timeseries\/timeSeries)/.test(url)) return;
    const body = resp.request().postData() ?? '';
    const m = body.match(/"tag":"((?:[^"\\]|\\.)*)"/);
    const len = (await resp.body().catch(() => Buffer.alloc(0))).length;
    reqs.push({ tag: m ? JSON.parse(`"${m[1]}"`) : '?', bytes: len });
  };
  page.on('response', onResp);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration').value;
  };
  // Each measured build's live points come after the previous build's.
  const w = spawn(join(buildDir, 'live_writer'), [join(dir, 'run_0000'), String(liveStart), '1', '100', String(LIVE_S)], {
    stdio: 'ignore',
  });
  liveStart += LIVE_S * 10 + 100;
  const task0 = await metric();
  const wall0 = Date.now();
  await new Promise((r) => w.on('exit', r));
  const busy = (await metric()) - task0;
  const wall = (Date.now() - wall0) / 1000;
  await sleep(500);
  page.off('response', onResp);
  const moving = reqs.filter((r) => r.tag === LIVE_TAG);
  const still = reqs.filter((r) => r.tag !== LIVE_TAG && visible.includes(r.tag));
  const sizes = moving.map((r) => r.bytes);
  return {
    seconds: r1(wall),
    visibleCards: visible.length,
    liveCardUpdates: moving.length,
    bytesPerLiveUpdate: sizes.length ? stats(sizes) : null,
    bytesPerMinuteStillCards: r1((still.reduce((n, r) => n + r.bytes, 0) * 60) / wall),
    mainThreadBusyPercent: r1((busy / wall) * 100),
  };
}

/** Every figure of the chosen form for the tboard at `binary`. */
async function measure(binary, pages) {
  const out = {};
  const servers = {};
  const saved = process.env.TB_BINARY;
  process.env.TB_BINARY = binary;
  const b = await launch();
  try {
    for (const n of Object.keys(pages)) {
      // The first load is done before serving, so no load measures it.
      servers[n] = await startServer(pages[n], ['--reload_interval', '1', '--reload_task', 'blocking']);
      await fetch(servers[n].url + 'data/plugin/timeseries/tags');
      await fetch(servers[n].url + 'data/tboard/tags'); // 404 on a build without it
    }
    if (TAGS_ONLY) {
      out.tagListMs = await tagList(b.page, servers[RUNS].url);
      await sleep(3000);
      await b.page.evaluate(instrument);
      const typed = { key: [] };
      const shown = [];
      await typeTagFilter(b.page, taker(b.page, typed), shown);
      out.tagFilter = { ...summary(typed.key), listShownAfterLastKeyMs: stats(shown) };
    } else if (FIRST_ONLY) {
      out.firstChartMs = await firstPair(b.page, servers, LOADS);
    } else if (FILTER_ONLY) {
      // One load: at 10,000 runs a slow build takes minutes.
      out.firstChartMs = await firstChart(b.page, servers[RUNS].url, RUNS, 1);
      await sleep(3000);
      await b.page.evaluate(instrument);
      const typed = { regex: [] };
      await typeRegex(b.page, taker(b.page, typed));
      out.regex = summary(typed.regex);
    } else {
      const many = await firstChart(b.page, servers[RUNS].url, RUNS);
      const few = await firstChart(b.page, servers[10].url, 10);
      out.firstChartMs = { [RUNS]: many, 10: few, ratio: r1((many.median / few.median) * 100) / 100 };
      out.interactions = await interactions(b.page);
      out.live = await live(b.page, pages[RUNS], servers[RUNS].url);
    }
    out.loadAverage = loadavg()[0];
  } finally {
    await b.close();
    for (const s of Object.values(servers)) await stopServer(s);
    process.env.TB_BINARY = saved;
  }
  return out;
}

/** This build's figure over the baseline's, for every number both have. */
function ratios(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return b ? Math.round((a / b) * 1000) / 1000 : null;
  if (!a || !b || typeof a !== 'object') return undefined;
  const r = {};
  for (const k of Object.keys(a)) {
    if (k === 'n' || k === 'loadAverage') continue;
    const v = ratios(a[k], b[k]);
    if (v !== undefined) r[k] = v;
  }
  return r;
}

const out = { runs: RUNS, tags: TAGS, steps: STEPS };
if (TAGS_ONLY) out.groups = GROUPS;
const dirs = [];
try {
  const pages = {};
  for (const n of FILTER_ONLY || TAGS_ONLY ? [RUNS] : [RUNS, 10]) {
    // The first form may keep its log directories between runs.
    const kept = FIRST_ONLY && process.env.TB_WEBSCALE_DATA ? join(resolve(process.env.TB_WEBSCALE_DATA), `${n}x${TAGS}x${STEPS}`) : '';
    if (kept && existsSync(kept)) {
      pages[n] = kept;
      continue;
    }
    const dir = kept || mkdtempSync(join(tmpdir(), 'tboard-webscale-'));
    if (kept) mkdirSync(kept, { recursive: true });
    else dirs.push(dir);
    // Run names sort as numbers at any count: run_0000 ...
    execFileSync(join(buildDir, 'gen_scalars'), [dir, String(n), String(TAGS), String(STEPS), '0', String(GROUPS)], { stdio: 'ignore' });
    for (const e of readdirSync(dir)) {
      const m = e.match(/^run_(\d+)$/);
      if (m) renameSync(join(dir, e), join(dir, 'run_' + m[1].padStart(4, '0')));
    }
    pages[n] = dir;
  }
  if (BASE_BINARY) {
    out.this = await measure(process.env.TB_BINARY, pages);
    out.base = await measure(BASE_BINARY, pages);
    out.ratioToBase = ratios(out.this, out.base);
  } else {
    Object.assign(out, await measure(process.env.TB_BINARY, pages));
  }
  console.log(JSON.stringify(out, null, 2));
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
