// Browser test of the Profile dashboard's GPU Overview, Distributed view
// and Diff view on the Kineto traces of $TBOARD_EXTRA_CORPORA (other
// projects' files, not in the repository): a GPU run's Overview shows its
// GPU summary and the step time of both its profiling cycles; a two-rank NCCL run's Distributed view draws a bar per
// worker and the collectives' tables the API answers; the ResNet-50 run's
// two profiling cycles are compared, drilled into, and the operator diff
// is sorted. Screenshots go to build/screenshots.
//
// Environment: TB_BINARY, TB_SOURCE_DIR, TB_BUILD_DIR (see lib.mjs),
// optional TBOARD_EXTRA_CORPORA.
import { check, getJson, openProfile, profileExtraLogdir, run, screenshot, withProfileServer } from './lib.mjs';

const API = 'data/plugin/pytorch_profiler/';

async function views(logdir) {
  await withProfileServer(logdir, async ({ base, page }) => {

    // the Overview of a GPU trace, with its GPU summary
    const q = 'run=resnet50_num_workers_0&worker=worker0&span=1';
    const overview = await getJson(base, `${API}overview?${q}`);
    await openProfile(page, base, 'resnet50_num_workers_0');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-overview"]')?.getAttribute('data-steps') === String(n),
      overview.steps.rows.length,
      { timeout: 60000 },
    );
    const gpuRows = await page.locator('[data-testid="profile-gpu-summary"] tr').count();
    check(gpuRows === overview.gpu_metrics.data.length, 'the Overview shows the GPU summary', `${gpuRows}`);
    const util = await page.locator('[data-testid="profile-gpu-summary"]').textContent();
    check(util.includes('GPU Utilization') && util.includes('Tesla V100'), 'with utilisation and the device', util);
    await page.locator('[data-testid="profile-gpu-summary"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'profile-gpu-overview.png');

    // the step time of both profiling cycles in one chart
    const other = await getJson(base, `${API}overview?run=resnet50_num_workers_0&worker=worker0&span=2`);
    const want = overview.steps.rows.length + other.steps.rows.length;
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-span-steps"]')?.getAttribute('data-bars') === String(n),
      want,
      { timeout: 60000 },
    );
    check(true, 'the steps of every span are drawn in one chart', `${want}`);
    await page.locator('[data-testid="profile-span-steps"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'profile-span-steps.png');

    // the Diff view: span 1 against span 2 of the same run (the default)
    await page.locator('[data-testid="profile-diff-go"]').click();
    const dq = `${q}&exp_run=resnet50_num_workers_0&exp_worker=worker0&exp_span=2`;
    const top = await getJson(base, `${API}diffnode?${dq}&path=0`);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-diff-children"]')?.getAttribute('data-rows') === String(n),
      top.children.length,
      { timeout: 90000 },
    );
    check(true, 'the Diff view lists the top level\'s nodes', `${top.children.length}`);
    const opRows = await page.locator('[data-testid="profile-diff-ops"]').getAttribute('data-rows');
    const names = new Set([...top.left.aggs, ...top.right.aggs].map((a) => a.name));
    check(Number(opRows) === names.size, 'the operator diff has one row per operator of either side', opRows);
    await page.locator('[data-testid="profile-diff-ops"] th[data-sort="r:calls"]').click();
    const firstCalls = await page.locator('[data-testid="profile-diff-ops"] tbody tr').first().locator('td').nth(2).textContent();
    const most = Math.max(...top.right.aggs.map((a) => a.calls));
    check(Number(firstCalls) === most, 'sorting by the compared calls puts the most called first', `${firstCalls} vs ${most}`);
    await screenshot(page, 'profile-diff.png');
    const child = top.children.findIndex((c) => c.left.name !== 'Blank' && c.right.name !== 'Blank');
    await page.locator(`[data-testid="profile-diff-children"] tr[data-path="0-${child}"]`).click();
    await page.waitForSelector(`[data-testid="profile-diff-node"][data-path="0-${child}"]`, { timeout: 60000 });
    check(true, 'a node of the diff opens', `0-${child}`);
    await screenshot(page, 'profile-diff-node.png');

    // the Distributed view of two NCCL ranks
    const dist = 'run=hta_sampled_2_of_128_ranks&worker=All&span=default';
    const overlap = await getJson(base, `${API}distributed/overlap?${dist}`);
    const ops = await getJson(base, `${API}distributed/commops?${dist}`);
    await page.selectOption('[data-testid="profile-run"]', 'hta_sampled_2_of_128_ranks');
    await page.waitForSelector('[data-testid="profile-distributed"]', { timeout: 60000 });
    const bars = await page.locator('[data-testid="profile-dist-overlap"] .profile-step').count();
    check(bars === Object.keys(overlap.data.all).length, 'the Distributed view draws a bar per worker', `${bars}`);
    const waits = await page.locator('[data-testid="profile-dist-wait"] .profile-step').count();
    check(waits === bars, 'and the wait time per worker', `${waits}`);
    const tables = await page.locator('[data-testid="profile-dist-commops"]').count();
    check(tables === Object.keys(ops.data).length, 'a collectives table per worker', `${tables}`);
    const op = await page.locator('[data-testid="profile-dist-commops"] tbody td').first().textContent();
    check(op === ops.data['rank-0'].rows[0][0], 'naming the API\'s collectives', op);
    const step = Object.keys(overlap.data).find((k) => k !== 'all');
    await page.selectOption('[data-testid="profile-dist-step"]', step);
    const title = await page.locator('[data-testid="profile-dist-overlap"] .profile-step-bar span').first().getAttribute('title');
    check(title === `Computation: ${overlap.data[step]['rank-0'][0]} us`, 'one step\'s split is shown', title);
    await page.locator('[data-testid="profile-distributed"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'profile-distributed.png');
  });
}

run(async () => {
  const logdir = profileExtraLogdir('the GPU Overview, Distributed and Diff checks');
  if (logdir) await views(logdir);
});
