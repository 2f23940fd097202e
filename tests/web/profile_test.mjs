// Browser test of the Profile dashboard: the real server on the in-repo
// profile corpus (legacy traces: listed, no views), and, when
// TBOARD_EXTRA_CORPORA holds the Kineto traces, a GPU run whose Kernel table
// must show the rows the API answers.
//
// Environment: TB_BINARY, TB_SOURCE_DIR, TB_BUILD_DIR (see lib.mjs),
// optional TBOARD_EXTRA_CORPORA.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { check, corpus, getJson, launch, run, screenshot, startServer, stopServer } from './lib.mjs';

async function openProfile(page, base) {
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForSelector('[role="tab"]', { timeout: 60000 });
  const tab = page.locator('[role="tab"]').filter({ hasText: /pytorch_profiler/ });
  await tab.first().click();
  await page.waitForSelector('[data-testid="profile-run"]', { timeout: 30000 });
}

async function legacy() {
  const server = await startServer(corpus('profile'));
  let b;
  try {
    const base = server.url;
    const runs = (await getJson(base, 'data/plugin/pytorch_profiler/runs')).runs;
    b = await launch();
    const { page } = b;
    await openProfile(page, base);
    const options = await page.locator('[data-testid="profile-run"] option').allTextContents();
    check(JSON.stringify(options) === JSON.stringify(runs), 'the run list is the API\'s', `${options} vs ${runs}`);
    await page.selectOption('[data-testid="profile-run"]', 'damaged');
    await page.waitForSelector('[data-testid="profile-no-views"]', { timeout: 15000 });
    check(true, 'a run of legacy and truncated traces says it has no views');
    await screenshot(page, 'profile-legacy.png');
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
  }
}

async function kineto(logdir) {
  const server = await startServer(logdir);
  let b;
  try {
    const base = server.url;
    const q = 'run=hta_triton_a100&worker=triton_example&span=default';
    const table = await getJson(base, `data/plugin/pytorch_profiler/kernel/table?${q}&group_by=Kernel`);
    b = await launch();
    const { page } = b;
    await openProfile(page, base);
    await page.selectOption('[data-testid="profile-run"]', 'hta_triton_a100');
    const kernels = page.locator('[data-testid="profile-kernels"]');
    await kernels.waitFor({ timeout: 30000 });
    const rows = await kernels.locator('tbody tr').count();
    check(rows === table.data.rows.length, 'the Kernel table has the API\'s rows', `${rows}`);
    const first = await kernels.locator('tbody tr').first().locator('td').first().textContent();
    check(first === table.data.rows[0][0], 'the first kernel is the API\'s', first);
    const href = await page.locator('[data-testid="profile-trace"]').getAttribute('href');
    check(href && href.includes('trace?') && href.includes('worker=triton_example'), 'the trace link names the profile', href);
    await screenshot(page, 'profile-kernels.png');
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
  }
}

run(async () => {
  await legacy();
  const extra = process.env.TBOARD_EXTRA_CORPORA;
  const logdir = extra ? join(extra, 'profile', 'logdir') : '';
  if (logdir && existsSync(logdir)) await kineto(logdir);
  else console.log('did not run: the Kernel table check needs traces from $TBOARD_EXTRA_CORPORA');
});
