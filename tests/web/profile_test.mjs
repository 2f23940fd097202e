// Browser test of the Profile dashboard: the real server on the in-repo
// profile corpus (legacy traces: listed, no views), and, when
// TBOARD_EXTRA_CORPORA holds the Kineto traces, a GPU run whose Kernel table
// must show the rows the API answers, a BERT run's Operator view (its
// table, grouping by input shape, search, sorting, call stacks) and a CPU
// run's Overview (a bar per step, recommendations).
//
// Environment: TB_BINARY, TB_SOURCE_DIR, TB_BUILD_DIR (see lib.mjs),
// optional TBOARD_EXTRA_CORPORA.
import { check, corpus, getJson, openProfile, profileExtraLogdir, run, screenshot, withProfileServer } from './lib.mjs';

async function legacy() {
  await withProfileServer(corpus('profile'), async ({ base, page }) => {
    const runs = (await getJson(base, 'data/plugin/pytorch_profiler/runs')).runs;
    await openProfile(page, base);
    const options = await page.locator('[data-testid="profile-run"] option').allTextContents();
    check(JSON.stringify(options) === JSON.stringify(runs), 'the run list is the API\'s', `${options} vs ${runs}`);
    await page.selectOption('[data-testid="profile-run"]', 'damaged');
    await page.waitForSelector('[data-testid="profile-no-views"]', { timeout: 15000 });
    check(true, 'a run of legacy and truncated traces says it has no views');
    await screenshot(page, 'profile-legacy.png');
  });
}

async function kineto(logdir) {
  await withProfileServer(logdir, async ({ base, page }) => {
    const q = 'run=hta_triton_a100&worker=triton_example&span=default';
    const table = await getJson(base, `data/plugin/pytorch_profiler/kernel/table?${q}&group_by=Kernel`);
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
  });
}

async function operators(logdir) {
  await withProfileServer(logdir, async ({ base, page }) => {
    const q = 'run=tracelens_h100_bert_small&worker=gaunernst_bert-small-uncased__1016001&span=default';
    const byName = await getJson(base, `data/plugin/pytorch_profiler/operation/table?${q}&group_by=Operation`);
    const byShape = await getJson(
      base,
      `data/plugin/pytorch_profiler/operation/table?${q}&group_by=OperationAndInputShape`,
    );
    await openProfile(page, base);
    await page.selectOption('[data-testid="profile-run"]', 'tracelens_h100_bert_small');
    const ops = page.locator('[data-testid="profile-operators"]');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-operators"]')?.getAttribute('data-rows') === String(n),
      byName.data.length,
      { timeout: 60000 },
    );
    const first = await ops.locator('tbody tr').first().locator('td').first().textContent();
    check(first === byName.data[0].name, 'the Operator table starts with the API\'s first operator', first);
    const bars = await page.locator('[data-testid="profile-top-ops"] .profile-bar').count();
    check(bars > 0 && bars <= 10, 'the top operators are drawn as bars', `${bars}`);
    await screenshot(page, 'profile-operators.png');

    await page.selectOption('[data-testid="profile-op-group"]', 'OperationAndInputShape');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-operators"]')?.getAttribute('data-rows') === String(n),
      byShape.data.length,
      { timeout: 30000 },
    );
    check(true, 'grouped by input shape, the table has the API\'s rows');

    const name = byName.data[0].name;
    await page.fill('[data-testid="profile-op-search"]', name);
    const want = byShape.data.filter((r) => r.name.toLowerCase().includes(name.toLowerCase())).length;
    const got = Number(await ops.getAttribute('data-rows'));
    check(got === want, 'the search keeps the operators whose name matches', `${got} vs ${want}`);
    await page.fill('[data-testid="profile-op-search"]', '');

    await page.locator('th[data-sort="calls"]').click();
    const calls = await ops.locator('tbody tr').first().locator('td').nth(2).textContent();
    const most = Math.max(...byShape.data.map((r) => r.calls));
    check(Number(calls) === most, 'sorting by calls puts the most called first', `${calls} vs ${most}`);

    const withStack = byShape.data.some((r) => r.has_call_stack);
    if (withStack) {
      await page.locator('[data-testid="profile-op-stack"]').first().click();
      await page.waitForSelector('[data-testid="profile-stacks"] li', { timeout: 30000 });
      check(true, 'an operator\'s call stacks open under its row');
      await screenshot(page, 'profile-operator-stacks.png');
    }
    await page.waitForSelector('[data-testid="profile-gpu-summary"]', { timeout: 30000 });
    check(true, 'a GPU trace\'s Overview shows its GPU summary');

    const cpu = 'run=hta_cpu_only_gloo&worker=rank-34.Jul_15_10_52_41&span=1';
    const overview = await getJson(base, `data/plugin/pytorch_profiler/overview?${cpu}`);
    await page.selectOption('[data-testid="profile-run"]', 'hta_cpu_only_gloo');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="profile-overview"]')?.getAttribute('data-steps') === String(n),
      overview.steps.rows.length,
      { timeout: 60000 },
    );
    const stepBars = await page.locator('[data-testid="profile-step-chart"] .profile-step').count();
    check(stepBars === overview.steps.rows.length, 'the Overview draws one bar per step', `${stepBars}`);
    const rec = await page.locator('[data-testid="profile-recommendations"] li').first().textContent();
    check(rec && rec.includes('communication'), 'the recommendations are shown', rec);
    await screenshot(page, 'profile-overview.png');
  });
}

run(async () => {
  await legacy();
  const logdir = profileExtraLogdir('the Kernel table and Operator view checks');
  if (logdir) {
    await kineto(logdir);
    await operators(logdir);
  }
});
