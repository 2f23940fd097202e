// Browser test of the scalars page: starts the real server on the torch
// corpus, opens the UI in headless Chromium and checks what a person sees.
//
// Environment: TB_BINARY (the tboard executable), TB_SOURCE_DIR (source
// tree), TB_BUILD_DIR (screenshots go to TB_BUILD_DIR/screenshots).
// TB_URL, if set, points the test at an already running server instead.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.TB_SOURCE_DIR || resolve(here, '../..');
const buildDir = process.env.TB_BUILD_DIR || join(sourceDir, 'build');
const require = createRequire(join(sourceDir, 'web/package.json'));
const { chromium } = require('playwright-core');

let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   - ${what}`);
  } else {
    failed++;
    console.log(`FAIL - ${what}${detail ? ': ' + detail : ''}`);
  }
}

function startServer() {
  const binary = process.env.TB_BINARY;
  if (!binary) throw new Error('TB_BINARY is not set');
  const logdir = resolve(sourceDir, '../shared/corpora/torch/logdir');
  const proc = spawn(
    binary,
    ['--logdir', logdir, '--port', '0', '--reload_interval', '0', '--reload_task', 'blocking'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not announce its port:\n${out}`)), 60000);
    const onData = (chunk) => {
      out += chunk.toString();
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.stdout.resume();
        proc.removeAllListeners('exit');
        resolveUrl({ proc, url: `http://127.0.0.1:${m[1]}/` });
      }
    };
    proc.stdout.on('data', onData);
    // The address is announced on stdout; accept it on stderr as well.
    proc.stderr.on('data', (c) => {
      process.stderr.write(c);
      onData(c);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}):\n${out}`));
    });
  });
}

async function getJson(base, path) {
  const r = await fetch(base + path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function main() {
  let server = null;
  let browser = null;
  const userDataDir = mkdtempSync(join(tmpdir(), 'tboard-web-'));
  try {
    let base = process.env.TB_URL;
    if (!base) {
      server = await startServer();
      base = server.url;
    }
    if (!base.endsWith('/')) base += '/';

    // What the API says, to compare the page against.
    const runs = await getJson(base, 'data/runs');
    const tagsResp = await getJson(base, 'data/plugin/timeseries/tags');
    const runTagInfo = tagsResp.scalars.runTagInfo;
    const tagRuns = new Map();
    for (const [run, tags] of Object.entries(runTagInfo)) {
      for (const t of tags) {
        if (!tagRuns.has(t)) tagRuns.set(t, []);
        tagRuns.get(t).push(run);
      }
    }
    const allTags = [...tagRuns.keys()].sort();
    check(allTags.length > 0, 'the corpus has scalar tags', String(allTags.length));

    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const consoleErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));

    const resp = await page.goto(base, { waitUntil: 'load' });
    check(resp && resp.ok(), 'the page loads', resp ? String(resp.status()) : 'no response');

    // Every scalar tag has a card.
    await page.waitForFunction((n) => document.querySelectorAll('.card[data-tag]').length >= n, allTags.length, {
      timeout: 20000,
    });
    const cardTags = await page.$$eval('.card[data-tag]', (els) => els.map((e) => e.getAttribute('data-tag')));
    const missing = allTags.filter((t) => !cardTags.includes(t));
    const extra = cardTags.filter((t) => !tagRuns.has(t));
    check(missing.length === 0, 'every scalar tag has a card', `missing ${JSON.stringify(missing)}`);
    check(extra.length === 0, 'no card for an unknown tag', JSON.stringify(extra));

    // The runs sidebar lists every run.
    const rowRuns = await page.$$eval('[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
    check(JSON.stringify(rowRuns) === JSON.stringify(runs), 'the sidebar lists every run in order', JSON.stringify(rowRuns));

    // Each card draws one line per run that has the tag (cards render lazily:
    // scroll each into view first).
    const cardSel = (tag) => `.card[data-tag="${tag.replace(/["\\]/g, '\\$&')}"]`;
    async function seriesCount(tag) {
      const card = page.locator(cardSel(tag));
      await card.scrollIntoViewIfNeeded();
      await page.waitForFunction(
        (sel) => {
          const el = document.querySelector(sel);
          return el && el.hasAttribute('data-series-count');
        },
        cardSel(tag),
        { timeout: 15000 },
      );
      return Number(await card.getAttribute('data-series-count'));
    }
    async function waitCount(tag, want) {
      await page.locator(cardSel(tag)).scrollIntoViewIfNeeded();
      try {
        await page.waitForFunction(
          ([sel, n]) => document.querySelector(sel)?.getAttribute('data-series-count') === String(n),
          [cardSel(tag), want],
          { timeout: 10000 },
        );
      } catch {
        /* reported by the caller */
      }
      return Number(await page.locator(cardSel(tag)).getAttribute('data-series-count'));
    }
    let allRight = true;
    for (const tag of allTags) {
      const want = tagRuns.get(tag).length;
      const got = await seriesCount(tag);
      if (got !== want) {
        allRight = false;
        check(false, `card "${tag}" draws one line per run`, `drew ${got}, want ${want}`);
      }
      const hasCanvas = await page.locator(`${cardSel(tag)} canvas`).count();
      if (hasCanvas !== 1) {
        allRight = false;
        check(false, `card "${tag}" has a chart canvas`);
      }
    }
    check(allRight, `all ${allTags.length} cards draw one line per run that has the tag`);

    // The run filter hides runs, in the list and in the charts.
    const target = 'eval';
    const filterRe = '^' + target + '$';
    await page.fill('[data-testid="run-filter"]', filterRe);
    const shownRows = await page.$$eval('[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
    check(JSON.stringify(shownRows) === JSON.stringify([target]), 'run filter narrows the run list', JSON.stringify(shownRows));
    let filterOk = true;
    for (const tag of allTags) {
      const want = tagRuns.get(tag).includes(target) ? 1 : 0;
      const got = await waitCount(tag, want);
      if (got !== want) {
        filterOk = false;
        check(false, `with the run filter, card "${tag}"`, `drew ${got}, want ${want}`);
      }
    }
    check(filterOk, 'run filter hides the other runs in every chart');
    await page.fill('[data-testid="run-filter"]', '');
    const lossWant = tagRuns.get('loss')?.length ?? 0;
    check((await waitCount('loss', lossWant)) === lossWant, 'clearing the run filter brings the runs back');

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
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    };
    const initialSmoothing = await page.$eval('[data-testid="smoothing"]', (el) => Number(el.value));
    check(initialSmoothing === 0.6, 'smoothing defaults to 0.6', String(initialSmoothing));
    const before = await snapshot();
    await setSmoothing(0.95);
    const after = await snapshot();
    check(before !== after, 'changing smoothing changes the drawn path');
    await setSmoothing(0.6);
    const back = await snapshot();
    check(back === before, 'setting smoothing back redraws the same picture');

    // The tooltip shows the nearest points.
    const plot = lossCard.locator('.u-over');
    const box = await plot.boundingBox();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    const tipRows = await page
      .waitForFunction(() => {
        const t = document.querySelector('.tb-tooltip');
        return t && t.style.display !== 'none' ? t.querySelectorAll('tbody tr').length : 0;
      }, null, { timeout: 5000 })
      .then((h) => h.jsonValue())
      .catch(() => 0);
    check(tipRows === lossWant, 'hovering a chart shows a tooltip row per run', `${tipRows} rows`);

    await page.evaluate(() => document.querySelector('.groups')?.scrollTo(0, 0));
    await page.mouse.move(10, 10);
    await page.locator(cardSel('accuracy')).scrollIntoViewIfNeeded();
    const accBox = await page.locator(`${cardSel('accuracy')} .u-over`).boundingBox();
    if (accBox) await page.mouse.move(accBox.x + accBox.width * 0.7, accBox.y + accBox.height * 0.4);
    await page.waitForTimeout(300);
    const shotDir = join(buildDir, 'screenshots');
    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'scalars.png') });
    console.log(`screenshot: ${join(shotDir, 'scalars.png')}`);

    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join(' | '));
  } catch (e) {
    check(false, 'test ran to completion', e && e.stack ? e.stack : String(e));
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          server.proc.kill('SIGKILL');
          r();
        }, 5000);
        server.proc.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
