// Browser test of fixed and shared y ranges and of HParams brushes on
// categorical axes and on sub-run metrics. The log directory is gen_sweep's
// Keras-style sweep (4 learning rates x 3 batch sizes x 5 seeds; sessions
// in the runs, epoch_loss in <run>/train and <run>/validation): a y range
// typed for one card draws the lines clipped to it with ticks inside it; a
// linked tag group gives its cards one range and the same tick labels;
// both survive a reload; a brush on the opt (string) and bn (bool) axes
// and one on train/epoch_loss keep exactly the runs the generator's values
// say.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, cardSel, check, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const LRS = [0.1, 0.03, 0.01, 0.003];
const BSS = [16, 32, 64];
const SEEDS = 5;
const lastStep = (seed) => (seed === 4 ? 70 : 100);
// gen_sweep's train epoch_loss at a run's last step, stored as float32.
const finalTrainLoss = (lr, seed) => Math.fround(2 * Math.exp(-0.5 * lr * lastStep(seed)) + 0.01 * seed + 0.1);
const runName = (lr, bs, seed) => `lr${lr}_bs${bs}/seed${seed}`;

/** The y axis of a card's chart as drawn: range and labels. */
function yAxis(page, sel) {
  return page.evaluate((s) => document.querySelector(`${s} .plot`)?.tbChart?.yAxis() ?? null, sel);
}

/** Waits until pred(yAxis of each card) holds. */
async function waitY(page, sels, pred, what, timeout = 60000) {
  try {
    // An expression (not a function) so the predicate's text goes along.
    const axes = `${JSON.stringify(sels)}.map((s) => document.querySelector(s + ' .plot')?.tbChart?.yAxis() ?? null)`;
    await page.waitForFunction(
      `((axes) => axes.every((a) => a && a.labels.some((l) => l !== '')) && (${pred.toString()})(axes))(${axes})`,
      null,
      { timeout },
    );
  } catch (e) {
    const got = await Promise.all(sels.map((s) => yAxis(page, s)));
    throw new Error(`${what}: ${JSON.stringify(got)} ${e}`);
  }
}

/** Non-transparent pixels of a card's plot canvas above the plot area (where a line over the range would go unclipped). */
function pixelsAbovePlot(page, sel) {
  return page.evaluate((s) => {
    const canvas = document.querySelector(`${s} .plot canvas`);
    const ctx = canvas.getContext('2d');
    // The plot area is where uPlot's overlay sits.
    const over = document.querySelector(`${s} .u-over`).getBoundingClientRect();
    const c = canvas.getBoundingClientRect();
    const k = canvas.width / c.width;
    const top = Math.floor((over.top - c.top) * k) - 1;
    const left = Math.ceil((over.left - c.left) * k) + 1;
    const width = Math.floor(over.width * k) - 2;
    if (top <= 0 || width <= 0) return { top, n: -1 };
    const d = ctx.getImageData(left, 0, width, top).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return { top, n };
  }, sel);
}

await run(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tboard-yrange-'));
  let server = null;
  let b = null;
  try {
    const logdir = join(tmp, 'sweep');
    execFileSync(join(buildDir, 'gen_sweep'), [logdir, '4', '3', '5', '1']);
    server = await startServer(logdir);
    b = await launch({ viewport: { width: 1500, height: 1000 } });
    const { page } = b;
    const base = server.url;
    const acc = cardSel('val/acc');
    const loss = cardSel('val/loss');
    const tokens = cardSel('tokens_seen');
    const ready = (sel, n) =>
      page.waitForFunction(
        ([s, v]) => {
          const el = document.querySelector(s);
          return el?.getAttribute('data-state') === 'ready' && el.getAttribute('data-series-count') === v;
        },
        [sel, n],
        { timeout: 60000 },
      );

    // --- a typed range on one card
    await page.goto(`${base}#tags=${encodeURIComponent('^(val/|tokens_seen$)')}`, { waitUntil: 'load' });
    await Promise.all([ready(acc, '60'), ready(loss, '60'), ready(tokens, '60')]);
    await page.click(`${tokens} [data-testid="y-range-toggle"]`);
    await page.fill(`${tokens} [data-testid="y-min"]`, '100000');
    await page.fill(`${tokens} [data-testid="y-max"]`, '500000');
    await page.press(`${tokens} [data-testid="y-max"]`, 'Enter');
    await waitY(page, [tokens], (a) => a[0].min === 100000 && a[0].max === 500000, 'typed range');
    const ty = await yAxis(page, tokens);
    const inside = ty.splits.every((v, i) => ty.labels[i] === '' || (v >= 100000 && v <= 500000));
    check(ty.min === 100000 && ty.max === 500000 && inside, 'typed range: the y axis is 100000 to 500000, every tick inside it', JSON.stringify(ty));
    // tokens_seen reaches 128 * 64 * 100 = 819200: those points are above the range.
    const above = await pixelsAbovePlot(page, tokens);
    check(above.n === 0, 'typed range: nothing is drawn above the plot area, the lines are clipped', JSON.stringify(above));
    let hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(hash.get('yr') === 'tokens_seen:100000:500000', 'typed range: kept in the URL', hash.get('yr'));

    // One bound alone: the other is fitted to the data.
    await page.click(`${acc} [data-testid="y-range-toggle"]`);
    await page.fill(`${acc} [data-testid="y-min"]`, '0.6');
    await page.press(`${acc} [data-testid="y-min"]`, 'Enter');
    await waitY(page, [acc], (a) => a[0].min === 0.6 && a[0].max > 0.9 && a[0].max < 1, 'one bound');
    check(true, 'typed range: a min alone keeps the fitted max');
    await page.click(`${acc} [data-testid="y-range-reset"]`);
    await waitY(page, [acc], (a) => a[0].min < 0.6, 'reset');
    hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(hash.getAll('yr').length === 1, 'typed range: Reset gives the card its fitted range back', hash.getAll('yr').join(' '));

    // --- a shared range over the "val" tag group
    await page.click('.group[data-group="val"] [data-testid="y-link"]');
    await waitY(page, [acc, loss], (a) => a[0].min === a[1].min && a[0].max === a[1].max && a[0].max > 2, 'linked group');
    const [ya, yl] = [await yAxis(page, acc), await yAxis(page, loss)];
    // val/acc spans about 0.39 to 0.95, val/loss about 0.3 to 2.34.
    check(
      ya.labels.join(',') === yl.labels.join(',') && ya.min < 0.4 && ya.max > 2.2,
      'shared range: val/acc and val/loss draw one range (the union) with the same tick labels',
      `${ya.labels} | ${yl.labels}`,
    );
    const ty2 = await yAxis(page, tokens);
    check(ty2.min === 100000 && ty2.max === 500000, 'shared range: a card of another group keeps its own range');
    hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(hash.getAll('ylink').join() === 'val', 'shared range: the link is in the URL', hash.getAll('ylink').join());
    await screenshot(page, 'yrange-typed-and-shared.png');

    // The data table under a linked card still reads the values at a step.
    await page.click(`${loss} [data-testid="table-toggle"]`);
    const box = await page.locator(`${loss} .plot .u-over`).boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector(`${loss} [data-testid="data-table"][data-pinned="true"] tbody tr`, { timeout: 20000 });
    const rows = await page.locator(`${loss} [data-testid="data-table"] tbody tr`).count();
    check(rows === 60, 'shared range: the data table under a linked card lists its 60 runs', String(rows));

    // Grouped cards (mean ± std bands) share the range of their bands.
    await page.selectOption('[data-testid="group-mode"]', 'regex');
    await page.fill('[data-testid="group-arg"]', '(.*)/seed\\d+');
    const gacc = cardSel('val/acc', 'scalar-groups');
    const gloss = cardSel('val/loss', 'scalar-groups');
    await Promise.all([ready(gacc, '12'), ready(gloss, '12')]);
    await waitY(page, [gacc, gloss], (a) => a[0].min === a[1].min && a[0].max === a[1].max && a[0].max > 2, 'linked groups');
    const [ga, gl] = [await yAxis(page, gacc), await yAxis(page, gloss)];
    check(ga.labels.join(',') === gl.labels.join(','), 'shared range: grouped cards (mean ± std) share one range too', `${ga.labels} | ${gl.labels}`);
    await screenshot(page, 'yrange-shared-groups.png');
    await page.selectOption('[data-testid="group-mode"]', '');

    // --- a reload keeps both
    await page.reload({ waitUntil: 'load' });
    await Promise.all([ready(acc, '60'), ready(loss, '60'), ready(tokens, '60')]);
    await waitY(page, [tokens, acc, loss], (a) => a[0].min === 100000 && a[0].max === 500000 && a[1].max === a[2].max && a[1].min === a[2].min, 'reload');
    const [ra, rl] = [await yAxis(page, acc), await yAxis(page, loss)];
    const minText = await page.inputValue(`${tokens} [data-testid="y-min"]`);
    check(
      ra.labels.join(',') === yl.labels.join(',') && rl.labels.join(',') === yl.labels.join(',') && minText === '100000',
      'reload: the typed range (and its bar) and the shared range come back from the URL',
      `${ra.labels} | ${minText}`,
    );
    await page.click('[data-testid="y-reset-all"]');
    await waitY(page, [tokens, acc, loss], (a) => a[0].max > 500000 && a[1].max < 1.5 && a[2].max > 2, 'reset all');
    check(true, 'Reset y: every card fits its own data again');

    // --- HParams: brushes on categorical axes and a sub-run metric
    await page.goto(`${base}#dash=hparams&hpview=parallel`, { waitUntil: 'load' });
    const pc = '[data-testid="hp-parallel"]';
    const rowsAre = (n) =>
      page.waitForFunction(
        ([s, v]) => {
          const el = document.querySelector(s);
          return el?.getAttribute('data-rows') === String(v) && (el.querySelector('canvas')?.width ?? 0) > 0;
        },
        [pc, n],
        { timeout: 60000 },
      );
    await rowsAre(60);
    // Measured before each use: the runs list widens to show the query's columns.
    const canvasBox = () => page.locator(`${pc} canvas`).boundingBox();
    const axis = (label) =>
      page.evaluate(
        ([s, l]) => {
          const p = document.querySelector(s).tbParallel;
          const i = p.axes.findIndex((a) => a.label === l);
          return { i, g: i < 0 ? null : p.axisGeometry(i), brushable: i >= 0 && !!p.axes[i].brushable };
        },
        [pc, label],
      );
    const clickCategory = async (label, value) => {
      const a = await axis(label);
      const y = await page.evaluate(([s, i, v]) => document.querySelector(s).tbParallel.categoryY(i, v), [pc, a.i, value]);
      const cbox = await canvasBox();
      await page.mouse.click(cbox.x + a.g.x, cbox.y + y);
    };
    await clickCategory('opt', 'sgd');
    await rowsAre(20);
    hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(hash.getAll('cbrush').join() === '["hp.opt","sgd"]', 'categorical brush: a click on sgd keeps the opt = sgd runs (20), in the URL', hash.getAll('cbrush').join());
    await clickCategory('bn', 'true');
    const sgdEven = [];
    for (const lr of LRS) for (let s = 0; s < SEEDS; s += 2) sgdEven.push([lr, s]);
    await rowsAre(sgdEven.length);
    await page.waitForFunction((n) => document.querySelector('[data-testid="query-count"]')?.textContent?.startsWith(`${n} runs match`), sgdEven.length, {
      timeout: 30000,
    });
    check(true, `categorical brush: bn = true combines with it: ${sgdEven.length} runs (bs 64, even seeds) in HParams and the runs list`);

    // A sub-run metric: train/epoch_loss, brushed over its lower half.
    await settle(page);
    const m = await axis('train/epoch_loss');
    const cbox = await canvasBox();
    check(m.i >= 0 && m.brushable, 'sub-run metric: train/epoch_loss is a brushable axis', JSON.stringify(m));
    const mx = cbox.x + m.g.x;
    await page.mouse.move(mx, cbox.y + m.g.bottom + 2);
    await page.mouse.down();
    await page.mouse.move(mx, cbox.y + (m.g.top + m.g.bottom) / 2, { steps: 5 });
    await page.mouse.move(mx, cbox.y + m.g.top + (m.g.bottom - m.g.top) * 0.4, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).getAll('brush').length === 1, null, { timeout: 20000 });
    const br = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('brush');
    const mm = /^(.*):([^:]*):([^:]*)$/.exec(br);
    // The axis spans the values of every session (brushed or not).
    const want = sgdEven
      .filter(([lr, s]) => {
        const v = finalTrainLoss(lr, s);
        return v >= Number(mm[2]) && v <= Number(mm[3]);
      })
      .map(([lr, s]) => runName(lr, 64, s))
      .sort();
    check(mm[1] === "last(epoch_loss, in 'train')" && want.length > 0 && want.length < sgdEven.length, `sub-run metric: the brush is on last(epoch_loss, in 'train'), ${want.length} runs in range`, br);
    await rowsAre(want.length);
    await page.click('[data-view="table"]');
    const shown = (
      await page.locator('[data-testid="hp-table"] tbody tr').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')))
    ).sort();
    check(shown.join() === want.join(), 'sub-run metric brush: the table keeps exactly the runs whose final train loss is in range', shown.join(' '));
    await page.click('[data-view="parallel"]');
    await rowsAre(want.length);
    await screenshot(page, 'yrange-hparams-brushes.png');

    // A reload keeps all three brushes.
    await page.reload({ waitUntil: 'load' });
    await rowsAre(want.length);
    check(true, 'brushes: a reload keeps the categorical and sub-run metric brushes');
    await page.click('[data-testid="clear-brushes"]');
    await rowsAre(60);
    check(true, 'brushes: clearing brings every run back');
    check(b.consoleErrors.length === 0 && b.failedUrls.length === 0, 'no console errors, no failed request', [...b.consoleErrors, ...b.failedUrls].slice(0, 3).join(' | '));
  } finally {
    await b?.close();
    await stopServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
});
