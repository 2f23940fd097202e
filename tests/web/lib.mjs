// Helpers shared by the browser tests: start the real server on a log
// directory, launch headless Chromium, count checks, collect console errors.
//
// Environment: TB_BINARY (the tboard executable), TB_SOURCE_DIR (source
// tree), TB_BUILD_DIR (screenshots go to TB_BUILD_DIR/screenshots).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.TB_SOURCE_DIR || resolve(here, '../..');
export const buildDir = process.env.TB_BUILD_DIR || join(sourceDir, 'build');
export const shotDir = join(buildDir, 'screenshots');
const require = createRequire(join(sourceDir, 'web/package.json'));
const { chromium } = require('playwright-core');

/** Fills logdir with the runs of every dashboard that gen_ui ($TB_GEN_UI) writes. */
export function genUi(logdir) {
  const gen = process.env.TB_GEN_UI;
  if (!gen) throw new Error('TB_GEN_UI is not set');
  execFileSync(gen, [logdir]);
}

/** The corpora live in tests/corpora. */
export function corpus(name) {
  return resolve(sourceDir, 'tests/corpora', name, 'logdir');
}

let passed = 0;
let failed = 0;
export function check(ok, what, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   - ${what}`);
  } else {
    failed++;
    console.log(`FAIL - ${what}${detail ? ': ' + detail : ''}`);
  }
  return ok;
}

/**
 * Starts tboard; resolves to {proc, url, output} once it serves. `output` is
 * what it has printed so far, both streams, and keeps growing: a line it
 * wrote to stderr before the address on stdout may arrive after it
 * (serverSaid waits for one).
 */
export function startServer(logdir, extraArgs = []) {
  const binary = process.env.TB_BINARY;
  if (!binary) throw new Error('TB_BINARY is not set');
  const proc = spawn(
    binary,
    ['--logdir', logdir, '--port', '0', '--reload_interval', '0', '--reload_task', 'blocking', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolveUrl, reject) => {
    let out = '';
    let served = false;
    const timer = setTimeout(() => reject(new Error(`server did not announce its port:\n${out}`)), 120000);
    const onData = (chunk) => {
      out += chunk.toString();
      const m = !served && out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        served = true;
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolveUrl({
          proc,
          url: `http://127.0.0.1:${m[1]}/`,
          get output() {
            return out;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => {
      if (!/info:/.test(String(c))) process.stderr.write(c);
      onData(c);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}):\n${out}`));
    });
  });
}

/** Whether the server has printed `text`, waiting up to `timeout` ms for it. */
export async function serverSaid(server, text, timeout = 5000) {
  for (const t0 = Date.now(); !server.output.includes(text); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() - t0 > timeout) return false;
  return true;
}

export async function stopServer(server) {
  if (!server) return;
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

export async function getJson(base, path) {
  const r = await fetch(base + path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

/**
 * The UI asks for tboard's own scalars route, tag listing and push
 * channel first and falls back to upstream's routes on a 404: that answer
 * is expected from servers without them.
 */
function tboardProbe(url, status) {
  return status === 404 && /\/data\/tboard\/(scalars|tags|events)$/.test(url);
}

/**
 * A fresh browser profile. `prefs` seeds the UI's localStorage preferences
 * (e.g. {refreshSec: 0}) before the first page load. `webgl`: WebGL through
 * SwiftShader (software), for the three.js views.
 */
export async function launch({ colorScheme = 'light', viewport = { width: 1400, height: 900 }, webgl = false } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tboard-web-'));
  const gl = webgl
    ? ['--use-angle=swiftshader', '--use-gl=angle', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']
    : ['--disable-gpu'];
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      ...gl,
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
    colorScheme,
    acceptDownloads: true,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors = [];
  const failedUrls = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (tboardProbe(msg.location()?.url ?? '', /404/.test(msg.text()) ? 404 : 0)) return;
    consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  page.on('response', (r) => {
    if (r.status() >= 400 && !tboardProbe(r.url(), r.status())) failedUrls.push(r.url());
  });
  return {
    browser,
    page,
    consoleErrors,
    failedUrls,
    async close() {
      await browser.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(shotDir, { recursive: true });
  const path = join(shotDir, name);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}

/** Gives the page window.tbPixelsOf(src, w, h): the RGBA bytes of an image
 * or canvas drawn at (0, 0) on a new w x h 2D canvas. */
function definePixelsOf(page) {
  return page.evaluate(() => {
    window.tbPixelsOf = (src, w, h) => {
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      const ctx = c.getContext('2d');
      ctx.drawImage(src, 0, 0);
      return ctx.getImageData(0, 0, w, h).data;
    };
  });
}

/** Drawn pixels of a WebGL canvas: how many are not transparent, and a checksum. */
export async function canvasPixels(page, selector) {
  await definePixelsOf(page);
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    if (!c || !c.width || !c.height) return { drawn: 0, sum: 0 };
    const d = window.tbPixelsOf(c, c.width, c.height);
    let drawn = 0;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0) drawn++;
      sum = (sum * 31 + d[i] * 7 + d[i + 1] * 13 + d[i + 2] * 17 + d[i + 3]) % 1000000007;
    }
    return { drawn, sum };
  }, selector);
}

/** Pixels of the canvas once they differ from `before` (a redraw may land a
 * few frames after the state change), or the last reading after `timeout`. */
export async function canvasPixelsChanged(page, selector, before, timeout = 10000) {
  const end = Date.now() + timeout;
  let now = await canvasPixels(page, selector);
  while (now.sum === before.sum && Date.now() < end) {
    await page.waitForTimeout(100);
    now = await canvasPixels(page, selector);
  }
  return now;
}

/** Waits until attribute `attr` of `selector` satisfies `pred` (source of a
 * function of the value; by default: present). */
export function waitAttr(page, selector, attr, pred = '(v) => v !== null', timeout = 60000) {
  return page.waitForFunction(
    ([s, a, p]) => {
      const el = document.querySelector(s);
      if (!el) return false;
      // eslint-disable-next-line no-new-func
      return new Function('return ' + p)()(el.getAttribute(a));
    },
    [selector, attr, pred],
    { timeout },
  );
}

/** Waits two animation frames, so what was set has been drawn. */
export function settle(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export const cardSel = (tag, kind = 'scalar') =>
  `.card[data-kind="${kind}"][data-tag="${tag.replace(/["\\]/g, '\\$&')}"]`;

/** Runs `body`, reports an exception as a failed check, exits 0 or 1. */
export async function run(body) {
  try {
    await body();
  } catch (e) {
    check(false, 'test ran to completion', e && e.stack ? e.stack : String(e));
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed !== 0 ? 1 : 0);
}

/**
 * An image file decoded in the page: its size, distinct colours (sampled),
 * the top-left pixel (the background) and how many pixels of the middle
 * region (15-95% across, 15-60% down: inside a chart image's plot area)
 * differ from that background.
 */
export async function imageFacts(page, path, type) {
  const b64 = readFileSync(path).toString('base64');
  await definePixelsOf(page);
  return page.evaluate(
    async ([data, t]) => {
      const img = new Image();
      img.src = `data:${t};base64,${data}`;
      await img.decode();
      const width = img.naturalWidth;
      const height = img.naturalHeight;
      const d = window.tbPixelsOf(img, width, height);
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4 * 7) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      const bg = [d[0], d[1], d[2]];
      let ink = 0;
      for (let y = Math.floor(height * 0.15); y < height * 0.6; y++) {
        for (let x = Math.floor(width * 0.15); x < width * 0.95; x++) {
          const i = (y * width + x) * 4;
          if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 40) ink++;
        }
      }
      return { width, height, colours: colours.size, corner: bg, ink };
    },
    [b64, type],
  );
}

// ---- the Profile dashboard's tests -----------------------------------------

/**
 * The profile corpus's Kineto traces in $TBOARD_EXTRA_CORPORA (other
 * projects' files, not in the repository), or null after saying that
 * `what` did not run without them.
 */
export function profileExtraLogdir(what) {
  const extra = process.env.TBOARD_EXTRA_CORPORA;
  const logdir = extra ? join(extra, 'profile', 'logdir') : '';
  if (logdir && existsSync(logdir)) return logdir;
  console.log(`did not run: ${what} need traces from $TBOARD_EXTRA_CORPORA`);
  return null;
}

/**
 * Serves logdir with the real server, opens a fresh browser and runs
 * body({base, page}); then checks that the page logged no console error
 * (a route that answers 501, not built yet, is logged by the browser too:
 * expected) and closes both.
 */
export async function withProfileServer(logdir, body) {
  const server = await startServer(logdir);
  let b;
  try {
    b = await launch();
    await body({ base: server.url, page: b.page });
    const errors = b.consoleErrors.filter((e) => !e.includes('status of 501'));
    check(errors.length === 0, 'no console errors', errors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
  }
}

/** Opens the Profile dashboard of the server at base; selects run runName when given. */
export async function openProfile(page, base, runName) {
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForSelector('[role="tab"]', { timeout: 60000 });
  await page.locator('[role="tab"]').filter({ hasText: /pytorch_profiler/ }).first().click();
  await page.waitForSelector('[data-testid="profile-run"]', { timeout: 30000 });
  if (runName) await page.selectOption('[data-testid="profile-run"]', runName);
}
