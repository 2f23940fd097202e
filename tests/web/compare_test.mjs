// Browser test of comparing runs: the run query box (URL round trip,
// sorting by its columns, errors with a caret), group mode (bands checked
// against numbers computed here from the generator's formulas, not from the
// server), expanding a group, the data table, the x axis by another tag,
// brushing in HParams' parallel coordinates and the scatter matrix. The log
// directory is a sweep written by gen_sweep (libtboard): 4 learning rates x
// 3 batch sizes x 5 seeds, runs lr<LR>_bs<BS>/seed<S>.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, check, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const LRS = [0.1, 0.03, 0.01, 0.003];
const BSS = [16, 32, 64];
const SEEDS = 5;
const lastStep = (seed) => (seed === 4 ? 70 : 100);
// gen_sweep's formulas, stored as float32.
const acc = (lr, bs, seed, st) => Math.fround(0.9 - 0.5 * Math.exp(-0.3 * lr * st) - (0.001 * bs) / 16 + 0.01 * seed);
const groupName = (lr, bs) => `lr${lr}_bs${bs}`;

/** The expected group line at `step`: mean, sample std, min, max, n. */
function expected(lr, bs, step) {
  const vs = [];
  for (let s = 0; s < SEEDS; s++) if (step <= lastStep(s)) vs.push(acc(lr, bs, s, step));
  const n = vs.length;
  const mean = vs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...vs), max: Math.max(...vs), n };
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 + 1e-6 * Math.abs(b);

/** The lines a card's chart drew: name, x, step, center, lo, hi, n. */
function drawnLines(page, sel) {
  return page.evaluate((s) => {
    const chart = document.querySelector(`${s} .plot`)?.tbChart;
    return (chart?.drawnLines ?? []).map((l) => ({
      run: l.run,
      x: [...l.x],
      step: [...l.step],
      center: [...l.smoothed],
      lo: l.lo ? [...l.lo] : null,
      hi: l.hi ? [...l.hi] : null,
      n: l.n ? [...l.n] : null,
    }));
  }, sel);
}

async function waitCard(page, sel, attr, value, timeout = 60000) {
  await page.waitForFunction(
    ([s, a, v]) => {
      const el = document.querySelector(s);
      return el && el.getAttribute('data-state') === 'ready' && el.getAttribute(a) === v;
    },
    [sel, attr, value],
    { timeout },
  );
}

function checkBands(lines, band, label) {
  let bad = '';
  let points = 0;
  for (const lr of LRS)
    for (const bs of BSS) {
      const l = lines.find((x) => x.run === groupName(lr, bs));
      if (!l) {
        bad ||= `no line for ${groupName(lr, bs)}`;
        continue;
      }
      for (let i = 0; i < l.step.length; i++) {
        const e = expected(lr, bs, l.step[i]);
        const lo = band === 'std' ? e.mean - e.std : e.min;
        const hi = band === 'std' ? e.mean + e.std : e.max;
        points++;
        if (!close(l.center[i], e.mean) || !close(l.lo[i], lo) || !close(l.hi[i], hi) || l.n[i] !== e.n)
          bad ||= `${l.run} step ${l.step[i]}: drew ${l.center[i]} [${l.lo[i]}, ${l.hi[i]}] n=${l.n[i]}, expected ${e.mean} [${lo}, ${hi}] n=${e.n}`;
      }
      if (l.step.length !== 11) bad ||= `${l.run}: ${l.step.length} steps, expected 11`;
    }
  check(!bad && points === 12 * 11, `${label}: 12 group lines, every center and band as computed from the generator`, bad);
}

await run(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tboard-compare-'));
  let server = null;
  let b = null;
  try {
    const logdir = join(tmp, 'sweep');
    execFileSync(join(buildDir, 'gen_sweep'), [logdir]);
    server = await startServer(logdir);
    b = await launch({ viewport: { width: 1500, height: 1000 } });
    const { page } = b;
    await b.browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
    const base = server.url;
    const card = (tag, kind = 'scalar') => `.card[data-kind="${kind}"][data-tag="${tag}"]`;

    // --- the run query
    await page.goto(`${base}#tags=${encodeURIComponent('^val/acc$')}`, { waitUntil: 'load' });
    await waitCard(page, card('val/acc'), 'data-series-count', '60');
    const q = 'hp.lr >= 0.03 and hp.bs = 16';
    await page.fill('[data-testid="run-query"]', q);
    await page.waitForFunction(() => document.querySelector('[data-testid="query-count"]')?.textContent?.startsWith('10 runs match'), null, {
      timeout: 30000,
    });
    check(true, 'query: 10 runs match hp.lr >= 0.03 and hp.bs = 16');
    await waitCard(page, card('val/acc'), 'data-series-count', '10');
    check(true, 'query: the val/acc card draws the 10 matching runs');
    const rows = await page.locator('.run-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-run')));
    const want = ['lr0.03_bs16', 'lr0.1_bs16'].flatMap((g) => [0, 1, 2, 3, 4].map((s) => `${g}/seed${s}`));
    check(
      rows.length === 10 && want.every((r) => rows.includes(r)),
      'query: the runs list holds exactly the matching runs',
      rows.join(' '),
    );
    const cols = await page.locator('[data-testid="runs-head"] .query-col').evaluateAll((els) => els.map((e) => e.getAttribute('data-col')));
    check(cols.join(',') === 'hp.lr,hp.bs', 'query: the runs list shows the columns the query names', cols.join(','));
    const hash = await page.evaluate(() => location.hash);
    check(new URLSearchParams(hash.slice(1)).get('q') === q, 'query: kept in the URL', hash);
    await page.reload({ waitUntil: 'load' });
    await waitCard(page, card('val/acc'), 'data-series-count', '10');
    const boxValue = await page.inputValue('[data-testid="run-query"]');
    check(boxValue === q, 'query: a reload restores the query from the URL and its runs', boxValue);

    // Sorting by a column of the query: by hp.lr, ascending then descending.
    await page.click('[data-testid="runs-head"] .query-col[data-col="hp.lr"]');
    const lrOf = () =>
      page.locator('.run-row').evaluateAll((els) =>
        els
          .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
          .map((e) => Number(e.querySelector('.query-val[data-col="hp.lr"]')?.textContent)),
      );
    const asc = await lrOf();
    await page.click('[data-testid="runs-head"] .query-col[data-col="hp.lr"]');
    const desc = await lrOf();
    check(
      asc[0] === 0.03 && asc[9] === 0.1 && desc[0] === 0.1 && desc[9] === 0.03,
      'query: clicking a column sorts the runs by it, then in reverse',
      `${asc} / ${desc}`,
    );

    // A query with a sort and a limit.
    await page.fill('[data-testid="run-query"]', 'sort by last(val/acc) desc limit 3');
    await page.waitForFunction(() => document.querySelector('[data-testid="query-count"]')?.textContent?.includes('first 3 kept'), null, {
      timeout: 30000,
    });
    const top = await page.locator('.run-row').evaluateAll((els) =>
      els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((e) => e.getAttribute('data-run')),
    );
    const finals = [];
    for (const lr of LRS) for (const bs of BSS) for (let s = 0; s < SEEDS; s++) finals.push([`${groupName(lr, bs)}/seed${s}`, acc(lr, bs, s, lastStep(s))]);
    finals.sort((a, b) => b[1] - a[1]);
    check(top.join(' ') === finals.slice(0, 3).map((f) => f[0]).join(' '), 'query: sort by last(val/acc) desc limit 3 lists the 3 best runs in order', top.join(' '));

    // A bad query: the message and a caret under the column.
    const bad = 'hp.lr > 0.1 and (last(val/acc) > 0.5';
    await page.fill('[data-testid="run-query"]', bad);
    const errSel = '[data-testid="query-error"]';
    await page.waitForSelector(errSel, { timeout: 30000 });
    const err = await page.evaluate((s) => {
      const el = document.querySelector(s);
      return { col: el.getAttribute('data-column'), caret: el.querySelector('pre')?.textContent ?? '', text: el.textContent };
    }, errSel);
    const caretLine = err.caret.split('\n')[1] ?? '';
    check(
      err.col === '37' && caretLine === ' '.repeat(36) + '^' && /expected '\)'/.test(err.text),
      'query: a bad query shows the message and a caret at column 37',
      JSON.stringify(err),
    );
    await screenshot(page, 'compare-query-error.png');
    await page.fill('[data-testid="run-query"]', '');
    await waitCard(page, card('val/acc'), 'data-series-count', '60');

    // --- groups: regex over the run name, mean ± std
    await page.selectOption('[data-testid="group-mode"]', 'regex');
    await page.fill('[data-testid="group-arg"]', '(.*)/seed\\d+');
    const gsel = card('val/acc', 'scalar-groups');
    await waitCard(page, gsel, 'data-series-count', '12');
    checkBands(await drawnLines(page, gsel), 'std', 'groups by (.*)/seed\\d+, mean ± std');
    const h2 = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(h2.get('gby') === 'regex:(.*)/seed\\d+', 'groups: the grouping is kept in the URL', h2.get('gby'));
    const chips = await page.locator(`${gsel} .group-chip`).count();
    const title = await page.getAttribute(`${gsel} .group-chip[data-group="lr0.1_bs16"]`, 'title');
    check(chips === 12 && title.startsWith('5 runs:\nlr0.1_bs16/seed0\n'), 'groups: the legend lists each group with its runs', `${chips} chips, ${title}`);
    await screenshot(page, 'compare-groups.png');

    // Band colours are stable: a group's colour follows its key.
    const answer = await page.evaluate(async (u) => (await fetch(u + 'data/tboard/groups?tag=val/acc&by=' + encodeURIComponent('regex:(.*)/seed\\d+'))).json(), base);
    const keyOf = new Map(answer.groups.map((g) => [g.name, g.key]));
    const colors = await page.evaluate((s) => {
      const chart = document.querySelector(`${s} .plot`).tbChart;
      return chart.drawnLines.map((l) => [l.run, l.color]);
    }, gsel);
    const palette = await page.evaluate((s) => {
      const chart = document.querySelector(`${s} .plot`).tbChart;
      return chart.drawnLines.length;
    }, gsel);
    const sameKeySameColor = colors.every(([n1, c1]) => colors.every(([n2, c2]) => keyOf.get(n1) % 20 !== keyOf.get(n2) % 20 || c1 === c2));
    check(palette === 12 && sameKeySameColor, 'groups: a group is coloured by its name hash');

    // Expanding a group draws its runs instead; clicking again folds it.
    await page.click(`${gsel} .group-chip[data-group="lr0.1_bs16"]`);
    await waitCard(page, gsel, 'data-series-count', '16', 60000);
    const expandedLines = (await drawnLines(page, gsel)).map((l) => l.run);
    check(
      [0, 1, 2, 3, 4].every((s) => expandedLines.includes(`lr0.1_bs16/seed${s}`)) && !expandedLines.includes('lr0.1_bs16'),
      'groups: clicking a group draws its five runs in place of the band',
    );
    await page.click(`${gsel} .group-chip[data-group="lr0.1_bs16"]`);
    await waitCard(page, gsel, 'data-series-count', '12');

    // min-max band and the median.
    await page.selectOption('[data-testid="group-band"]', 'minmax');
    await page.waitForFunction(
      (s) => {
        const l = document.querySelector(`${s} .plot`)?.tbChart?.drawnLines?.[0];
        return l && l.lo && l.hi && l.n && new URLSearchParams(location.hash.slice(1)).get('band') === 'minmax' && l.lo[5] > 0;
      },
      gsel,
      { timeout: 30000 },
    );
    await page.waitForTimeout(500);
    await waitCard(page, gsel, 'data-series-count', '12');
    checkBands(await drawnLines(page, gsel), 'minmax', 'groups, min–max band');

    // --- the data table under the group card, pinned at a step.
    await page.click(`${gsel} [data-testid="table-toggle"]`);
    const plot = page.locator(`${gsel} .plot .u-over`);
    const box = await plot.boundingBox();
    const xAt50 = await page.evaluate((s) => {
      const u = document.querySelector(`${s} .plot`).tbChart;
      const [a, b] = u.xRange();
      return (50 - a) / (b - a);
    }, gsel);
    await page.mouse.click(box.x + box.width * xAt50 + 1, box.y + box.height / 2);
    await page.waitForSelector(`${gsel} [data-testid="data-table"][data-pinned="true"] tbody tr`, { timeout: 20000 });
    const table = await page.evaluate((s) => {
      const rows = [...document.querySelectorAll(`${s} [data-testid="data-table"] tbody tr`)];
      return rows.map((r) => [r.getAttribute('data-row'), ...[...r.querySelectorAll('td.num')].map((td) => Number(td.getAttribute('data-value')))]);
    }, gsel);
    const row = table.find((r) => r[0] === 'lr0.03_bs32');
    const e50 = expected(0.03, 32, 50);
    check(
      table.length === 12 && row && row[1] === 50 && close(row[2], e50.mean) && close(row[3], e50.min) && close(row[4], e50.max) && row[5] === 5,
      'data table: a click pins step 50; each group has its center, band and n there',
      JSON.stringify(row),
    );
    // Sort by the center, descending: the first row has the largest.
    await page.click(`${gsel} [data-testid="data-table"] th[data-col="Center"]`);
    await page.click(`${gsel} [data-testid="data-table"] th[data-col="Center"]`);
    const centers = await page.evaluate((s) =>
      [...document.querySelectorAll(`${s} [data-testid="data-table"] tbody tr`)].map((r) => Number(r.querySelectorAll('td.num')[1].getAttribute('data-value'))),
    gsel);
    check(centers.every((v, i) => i === 0 || centers[i - 1] >= v), 'data table: sorts by a column, descending', centers.join(' '));
    await page.click(`${gsel} [data-testid="table-copy"]`);
    await page.waitForFunction((s) => document.querySelector(`${s} [data-testid="table-copy"]`)?.textContent === 'Copied', gsel, { timeout: 10000 });
    const csv = await page.evaluate(() => navigator.clipboard.readText());
    const csvRows = csv.trim().split('\n');
    check(
      csvRows[0] === 'group,step,center,low,high,n' && csvRows.length === 13 && csvRows.some((l) => l.startsWith('lr0.03_bs32,50,')),
      'data table: copies as CSV with a header row',
      csvRows.slice(0, 2).join(' | '),
    );
    await screenshot(page, 'compare-groups-table.png');

    // --- the x axis by another tag: val/acc against tokens_seen.
    await page.selectOption('[data-testid="group-mode"]', '');
    await waitCard(page, card('val/acc'), 'data-series-count', '60');
    await page.selectOption('[data-testid="x-tag"]', 'tokens_seen');
    await page.waitForFunction(
      (s) => {
        const l = document.querySelector(`${s} .plot`)?.tbChart?.drawnLines?.find((x) => x.run === 'lr0.01_bs64/seed4');
        return l && l.x[3] === 128 * 64 * 30;
      },
      card('val/acc'),
      { timeout: 30000 },
    );
    const xl = (await drawnLines(page, card('val/acc'))).find((l) => l.run === 'lr0.01_bs64/seed4');
    check(
      xl.x.length === 8 && xl.x.every((x, i) => x === 128 * 64 * xl.step[i]),
      'x axis by tag: each point of val/acc sits at the run’s tokens_seen of the same step',
    );
    await page.check('[data-testid="log-x"]');
    await page.waitForFunction((s) => document.querySelector(`${s} .plot`)?.tbChart?.xLabels().some((t) => t !== ''), card('val/acc'), {
      timeout: 20000,
    });
    const xr = await page.evaluate((s) => document.querySelector(`${s} .plot`).tbChart.xRange(), card('val/acc'));
    const distr = await page.evaluate((s) => document.querySelector(`${s} .u-over`) && document.querySelector(`${s} .plot`).tbChart.xLog(), card('val/acc'));
    check(
      distr && xr[0] > 0 && xr[0] < 128 * 16 * 10 && xr[1] > 128 * 64 * 100,
      'log x: a log axis over the positive tokens_seen (step 0 is left out)',
      JSON.stringify(xr),
    );
    await screenshot(page, 'compare-x-by-tag.png');
    // The grouped card follows the x tag too (the group's mean tokens_seen).
    await page.selectOption('[data-testid="group-mode"]', 'hp');
    await page.fill('[data-testid="group-arg"]', 'bs');
    await waitCard(page, card('val/acc', 'scalar-groups'), 'data-series-count', '3');
    const byBs = await drawnLines(page, card('val/acc', 'scalar-groups'));
    const g32 = byBs.find((l) => l.run === 'bs=32.0');
    check(!!g32 && g32.x.every((x, i) => x === 128 * 32 * g32.step[i]), 'groups by hp:bs against tokens_seen', byBs.map((l) => l.run).join(', '));
    await page.uncheck('[data-testid="log-x"]');
    await page.selectOption('[data-testid="x-tag"]', '');
    await page.selectOption('[data-testid="group-mode"]', '');

    // Smoothing by a trailing or centred moving average: at 0.6 the window
    // is (1 + 0.6) / (1 - 0.6) = 4 points.
    await waitCard(page, card('val/acc'), 'data-series-count', '60');
    const raw = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((st) => acc(0.01, 64, 2, st));
    const mean = (a, b) => {
      const xs = raw.slice(Math.max(0, a), Math.min(raw.length, b + 1));
      return xs.reduce((x, y) => x + y, 0) / xs.length;
    };
    for (const [mode, before, after] of [
      ['trailing', 3, 0],
      ['centred', 1, 2],
    ]) {
      await page.selectOption('[data-testid="smooth-mode"]', mode);
      await page.waitForFunction((m) => new URLSearchParams(location.hash.slice(1)).get('smode') === m, mode);
      await settle(page);
      await page.waitForTimeout(300);
      const l = (await drawnLines(page, card('val/acc'))).find((x) => x.run === 'lr0.01_bs64/seed2');
      const want = raw.map((_, i) => mean(i - before, i + after));
      check(
        l && l.center.length === 11 && l.center.every((v, i) => close(v, want[i])),
        `smoothing: a ${mode} moving average of 4 points`,
        l ? `${l.center.slice(0, 4)} vs ${want.slice(0, 4)}` : 'no line',
      );
    }
    await page.selectOption('[data-testid="smooth-mode"]', 'ema');

    // --- HParams: brushing on parallel coordinates, the scatter matrix.
    await page.goto(`${base}#dash=hparams&hpview=parallel`, { waitUntil: 'load' });
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="hp-parallel"]');
        return el?.getAttribute('data-rows') === '60' && (el.querySelector('canvas')?.width ?? 0) > 0;
      },
      null,
      { timeout: 60000 },
    );
    const geo = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="hp-parallel"]');
      const pc = el.tbParallel;
      const labels = [...pc.axes].map((a) => a.label);
      const i = labels.indexOf('lr');
      return { i, g: pc.axisGeometry(i), log: pc.isLog(i) };
    });
    check(geo.i >= 0 && geo.log, 'parallel coordinates: lr (0.003 to 0.1) is on a log axis', JSON.stringify(geo));
    const pbox = await page.locator('[data-testid="hp-parallel"] canvas').boundingBox();
    const gx = pbox.x + geo.g.x;
    // From the top (0.1) down to a third of the axis: keeps 0.1 and 0.03.
    const y0 = pbox.y + geo.g.top - 2;
    const y1 = pbox.y + geo.g.top + (geo.g.bottom - geo.g.top) * 0.45;
    await page.mouse.move(gx, y0 - 4);
    await page.mouse.down();
    await page.mouse.move(gx, (y0 + y1) / 2, { steps: 4 });
    await page.mouse.move(gx, y1, { steps: 4 });
    await page.mouse.up();
    await page
      .waitForFunction(() => document.querySelector('[data-testid="hp-parallel"]')?.getAttribute('data-rows') === '30', null, {
        timeout: 30000,
      })
      .catch(async (e) => {
        await screenshot(page, 'compare-hparams-brush-failed.png');
        const st = await page.evaluate(() => [location.hash, document.querySelector('[data-testid="hp-parallel"]')?.getAttribute('data-rows')]);
        throw new Error(`brush: ${JSON.stringify(st)} ${e}`);
      });
    const brush = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).getAll('brush');
    check(brush.length === 1 && brush[0].startsWith('hp.lr:'), 'brushing: the lr axis brush is in the URL', brush.join(' '));
    await page.waitForFunction(() => document.querySelector('[data-testid="query-count"]')?.textContent?.startsWith('30 runs match'), null, {
      timeout: 30000,
    });
    check(true, 'brushing: lr in the top of its axis keeps the 30 runs of lr 0.1 and 0.03, in HParams and in the runs list');
    await screenshot(page, 'compare-hparams-brush.png');
    // A second brush combines with the first: final_acc in its upper half.
    const geo2 = await page.evaluate(() => {
      const pc = document.querySelector('[data-testid="hp-parallel"]').tbParallel;
      const i = pc.axes.findIndex((a) => a.label.includes('final_acc'));
      return { i, g: pc.axisGeometry(i) };
    });
    const mx = pbox.x + geo2.g.x;
    const mid = pbox.y + (geo2.g.top + geo2.g.bottom) / 2;
    await page.mouse.move(mx, pbox.y + geo2.g.top);
    await page.mouse.down();
    await page.mouse.move(mx, mid, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).getAll('brush').length === 2, null, { timeout: 20000 });
    const brushes = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).getAll('brush');
    const m = /:([^:]*):([^:]*)$/.exec(brushes.find((x) => x.startsWith('last(')));
    const lrb = /:([^:]*):([^:]*)$/.exec(brushes.find((x) => x.startsWith('hp.lr')));
    let both = 0;
    for (const lr of LRS)
      for (const bs of BSS)
        for (let s = 0; s < SEEDS; s++) {
          const f = acc(lr, bs, s, lastStep(s));
          if (lr >= Number(lrb[1]) && lr <= Number(lrb[2]) && f >= Number(m[1]) && f <= Number(m[2])) both++;
        }
    await page.waitForFunction((n) => document.querySelector('[data-testid="hp-parallel"]')?.getAttribute('data-rows') === String(n), both, {
      timeout: 30000,
    });
    check(both > 0 && both < 30, `brushing: two brushes combine (${both} runs pass both)`);

    await page.click('[data-view="scatter"]');
    await page.waitForSelector('[data-testid="hp-scatter"] canvas.sm-cell', { timeout: 20000 });
    const sm = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="hp-scatter"]');
      return {
        cells: el.getAttribute('data-cells'),
        canvases: [...el.querySelectorAll('canvas.sm-cell')].map((c) => [c.dataset.x, c.dataset.y, c.dataset.points]),
      };
    });
    const hpNames = sm.canvases.map((c) => c[0]).sort().join(',');
    check(
      sm.cells === '4' && sm.canvases.length === 4 && hpNames === 'bs,lr,opt,seed' && sm.canvases.every((c) => c[1].includes('final_acc') && c[2] === String(both)),
      'scatter matrix: one chart per hparam against the metric, a point per brushed run',
      JSON.stringify(sm),
    );
    await screenshot(page, 'compare-hparams-scatter.png');
    await page.click('[data-testid="clear-brushes"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="hp-scatter"]')?.getAttribute('data-points') === '60', null, {
      timeout: 30000,
    });
    check(true, 'brushing: clearing the brushes brings every run back');

    // Checkbox filters for a categorical hparam, colour by a metric.
    await page.click('[data-view="table"]');
    await page.click('.hp-filter[data-filter="opt"] input[type="checkbox"][data-value="sgd"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="hp-count"]')?.textContent === '40 of 60 session groups', null, {
      timeout: 20000,
    });
    check(true, 'HParams: unticking opt = sgd leaves the 40 adam runs');
    await page.selectOption('[data-testid="hp-color-by"]', { label: 'by hparam/final_acc' });
    const rowColors = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="hp-table"] tbody tr')].map((r) => r.style.getPropertyValue('--row-color')),
    );
    check(
      rowColors.length === 40 && rowColors.every((c) => c.startsWith('hsl(')) && new Set(rowColors).size > 10,
      'HParams: colour by a metric gives each row a colour from its value',
      rowColors.slice(0, 3).join(' '),
    );
    await screenshot(page, 'compare-hparams-color.png');
    // The bad query's 400 is the one failed request expected.
    const failed = b.failedUrls.filter((u) => !/\/data\/tboard\/runs\/query$/.test(u));
    const errors = b.consoleErrors.filter((m) => !/status of 400/.test(m));
    check(failed.length === 0 && errors.length === 0, 'no console errors, no failed request but the bad query', [...failed, ...errors].slice(0, 3).join(' | '));
  } finally {
    await b?.close();
    await stopServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
});
