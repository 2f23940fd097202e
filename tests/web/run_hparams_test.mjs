// Browser test of the hparam columns in the runs list: on gen_ui's log
// directory (three runs hp/trial_N with hparams lr and optimizer), the
// "Columns" picker lists the experiment's hparams, chosen columns show each
// run's values as the hparams API gives them, a header click sorts the runs
// (ascending, descending, off), and the choice survives a reload.
//
// Environment: as lib.mjs; TB_GEN_UI (the gen_ui executable).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, genUi, launch, run, screenshot, startServer, stopServer } from './lib.mjs';

const JSON_TYPE = { 'Content-Type': 'application/json' };

const rowsOf = (page) =>
  page.$$eval('.run-row', (els) =>
    els
      .map((e) => ({
        top: e.getBoundingClientRect().top,
        run: e.getAttribute('data-run'),
        lr: e.querySelector('.run-cell[data-hparam="lr"]')?.textContent ?? null,
        optimizer: e.querySelector('.run-cell[data-hparam="optimizer"]')?.textContent ?? null,
      }))
      .sort((a, b) => a.top - b.top),
  );

run(async () => {
  const logdir = mkdtempSync(join(tmpdir(), 'tboard-run-hparams-'));
  let server = null;
  let b = null;
  try {
    genUi(logdir);
    server = await startServer(logdir);
    // The values the hparams API gives for each run.
    const exp = await (
      await fetch(server.url + 'data/plugin/hparams/experiment', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ experimentName: '' }) })
    ).json();
    const names = exp.hparamInfos.map((h) => h.name).sort();
    const groups = await (
      await fetch(server.url + 'data/plugin/hparams/session_groups', {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({
          experimentName: '',
          startIndex: 0,
          sliceSize: 100,
          allowedStatuses: ['STATUS_UNKNOWN', 'STATUS_SUCCESS', 'STATUS_FAILURE', 'STATUS_RUNNING'],
          colParams: names.map((hparam) => ({ hparam, includeInResult: true })),
        }),
      })
    ).json();
    const want = new Map();
    for (const g of groups.sessionGroups) for (const s of g.sessions) want.set(s.name, g.hparams);

    b = await launch({ viewport: { width: 1280, height: 800 } });
    const { page, consoleErrors } = b;
    await page.goto(server.url, { waitUntil: 'load' });
    await page.getByTestId('run-columns').waitFor({ timeout: 60000 });
    await page.getByTestId('run-columns').click();
    const offered = (await page.$$eval('.run-columns-menu input[data-hparam]', (els) => els.map((e) => e.getAttribute('data-hparam')))).sort();
    check(JSON.stringify(offered) === JSON.stringify(names), `the picker offers the experiment's hparams ${JSON.stringify(names)}`, JSON.stringify(offered));
    await page.check('.run-columns-menu input[data-hparam="lr"]');
    await page.check('.run-columns-menu input[data-hparam="optimizer"]');
    await page.getByTestId('run-columns').click();
    await page.waitForSelector('.run-row .run-cell[data-hparam="lr"]', { state: 'attached', timeout: 60000 });
    let rows = (await rowsOf(page)).filter((r) => want.has(r.run));
    check(rows.length === want.size, `every trial run has a row (${want.size})`, JSON.stringify(rows));
    const fmt = (v) => (typeof v === 'number' ? Number(v.toPrecision(3)) : String(v));
    const match = rows.every((r) => Number(r.lr) === fmt(want.get(r.run).lr) && r.optimizer === fmt(want.get(r.run).optimizer));
    check(match, 'each row shows its run\'s lr and optimizer', JSON.stringify(rows));

    const head = page.locator('[data-testid=run-column-head][data-hparam="lr"]');
    await head.click();
    rows = (await rowsOf(page)).filter((r) => want.has(r.run));
    const lrs = rows.map((r) => Number(r.lr));
    check(lrs.every((v, i) => i === 0 || lrs[i - 1] <= v) && (await head.getAttribute('data-sort')) === 'asc', 'a header click sorts the runs by lr, ascending', JSON.stringify(lrs));
    await screenshot(page, 'ui-run-hparam-columns-1280-light.png');
    await head.click();
    rows = (await rowsOf(page)).filter((r) => want.has(r.run));
    const down = rows.map((r) => Number(r.lr));
    check(down.every((v, i) => i === 0 || down[i - 1] >= v) && (await head.getAttribute('data-sort')) === 'desc', 'a second click sorts descending', JSON.stringify(down));

    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('.run-row .run-cell[data-hparam="optimizer"]', { state: 'attached', timeout: 60000 });
    check((await head.getAttribute('data-sort')) === 'desc', 'the columns and the sort survive a reload');
    await head.click();
    check((await head.getAttribute('data-sort')) === 'none', 'a third click leaves the runs unsorted');

    // A run query with columns of its own and the hparam columns share one
    // header, and one column sorts at a time.
    await head.click();
    await page.fill('[data-testid="run-query"]', 'hp.lr > 0');
    await page.waitForSelector('[data-testid="runs-head"] .query-col[data-col="hp.lr"]', { timeout: 60000 });
    const heads = await page.$$eval('.sidebar .run-columns-head', (els) => els.length);
    const cells = await page.$$eval('[data-testid="runs-head"] button', (els) => els.map((e) => e.getAttribute('data-hparam') ?? e.getAttribute('data-col')));
    check(heads === 1 && JSON.stringify(cells) === JSON.stringify(['lr', 'optimizer', 'hp.lr']), 'a query and hparam columns share one header', `${heads} headers: ${JSON.stringify(cells)}`);
    await page.click('[data-testid="runs-head"] .query-col[data-col="hp.lr"]');
    const hpSort = await head.getAttribute('data-sort');
    const qSort = await page.getAttribute('[data-testid="runs-head"] .query-col[data-col="hp.lr"]', 'aria-sort');
    check(hpSort === 'none' && qSort === 'ascending', 'sorting by a query column drops the hparam sort', `${hpSort} / ${qSort}`);
    await head.click();
    const qAfter = await page.getAttribute('[data-testid="runs-head"] .query-col[data-col="hp.lr"]', 'aria-sort');
    check((await head.getAttribute('data-sort')) === 'asc' && qAfter === 'none', 'sorting by an hparam column drops the query sort', qAfter);
    await screenshot(page, 'ui-run-columns-one-header-1280-light.png');
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(logdir, { recursive: true, force: true });
  }
});
