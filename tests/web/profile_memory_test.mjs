// Browser test of the Profile dashboard's Memory and Module views: the real
// server on a small Kineto trace this test writes (operators, nn.Module
// python_function events and [memory] events of one GPU), and, when
// TBOARD_EXTRA_CORPORA holds the Kineto traces, on a BERT run recorded with
// with_modules and profile_memory. Checks that the statistics and events
// tables show the rows the API answers, that a drag across the memory
// curve asks both tables for that time range (and shows what the API
// answers for it), and that the Module tree table opens a module's
// children.
//
// Environment: TB_BINARY, TB_SOURCE_DIR, TB_BUILD_DIR (see lib.mjs),
// optional TBOARD_EXTRA_CORPORA.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, getJson, openProfile, profileExtraLogdir, run, screenshot, withProfileServer } from './lib.mjs';

const ROUTE = 'data/plugin/pytorch_profiler/';

/** A small trace: one step on thread 1 with two modules (a Linear and a
 * ReLU inside a Net), their operators, and GPU allocations and frees. */
function syntheticTrace() {
  const ev = [];
  const op = (name, ts, dur, ext, cat = 'cpu_op') =>
    ev.push({ ph: 'X', cat, name, pid: 1, tid: 1, ts, dur, args: { 'External id': ext } });
  const py = (name, ts, dur, id, parent, moduleId) =>
    ev.push({
      ph: 'X', cat: 'python_function', name, pid: 1, tid: 1, ts, dur,
      args: moduleId === undefined
        ? { 'Python id': id, 'Python parent id': parent, 'Python thread': 0 }
        : { 'Python id': id, 'Python parent id': parent, 'Python module id': moduleId, 'Python thread': 0 },
    });
  let total = 0;
  const mem = (ts, addr, bytes) => {
    total += bytes;
    ev.push({
      ph: 'i', s: 't', cat: 'cpu_instant_event', name: '[memory]', pid: 1, tid: 1, ts,
      args: { 'Total Reserved': 8 << 20, 'Total Allocated': total, Bytes: bytes, Addr: addr, 'Device Id': 0, 'Device Type': 1 },
    });
  };
  op('ProfilerStep#1', 1000, 9000, 1, 'user_annotation');
  py('train.py(10): <module>', 1050, 8900, 1, 0);
  py('nn.Module: Net_0', 1100, 8000, 2, 1, 100);
  py('nn.Module: Linear_0', 1200, 3000, 3, 2, 101);
  py('torch/nn/functional.py(1): linear', 1250, 2800, 4, 3);
  py('nn.Module: ReLU_0', 4500, 1500, 5, 2, 102);
  py('torch/nn/functional.py(2): relu', 4550, 1400, 6, 5);
  op('aten::linear', 1300, 2500, 10);
  op('aten::addmm', 1400, 2000, 11);
  op('aten::empty', 1450, 50, 12);
  op('aten::relu', 4600, 1200, 13);
  op('aten::empty', 4650, 40, 14);
  op('aten::add', 6500, 800, 15);
  for (let i = 0; i < 6; i++) mem(1460 + i, 0x1000 + i * 0x100, 4096 * (i + 1));
  mem(3000, 0x1000, -4096);
  mem(4660, 0x2000, 65536);
  mem(4700, 0x1100, -8192);
  mem(6600, 0x3000, 1 << 20);
  mem(7000, 0x2000, -65536);
  mem(9500, 0x3000, -(1 << 20));
  return { schemaVersion: 1, deviceProperties: [], traceEvents: ev };
}

function waitRows(page, testid, n, timeout = 60000) {
  return page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-rows') === String(want),
    [testid, n],
    { timeout },
  );
}

/** The Memory view of run/worker/span: tables as the API answers, then a
 * drag across the chart and the ranged tables. */
async function memory(page, base, runName, q, shot) {
  const curve = await getJson(base, `${ROUTE}memory_curve?${q}`);
  const stats = await getJson(base, `${ROUTE}memory?${q}`);
  const events = await getJson(base, `${ROUTE}memory_events?${q}`);
  const dev = curve.metadata.default_device;
  await openProfile(page, base, runName);
  await page.waitForSelector('[data-testid="profile-memory-chart"] .u-over', { timeout: 60000 });
  await waitRows(page, 'profile-memory-stats', (stats.rows[dev] ?? []).length);
  await waitRows(page, 'profile-memory-events', (events.rows[dev] ?? []).length);
  check(true, `${runName}: the memory tables show the API's rows for ${dev}`);
  const peak = await page.locator('[data-testid="profile-memory-peak"]').textContent();
  check(peak === curve.metadata.peaks[dev], `${runName}: the peak is the API's`, peak);
  const over = page.locator('[data-testid="profile-memory-chart"] .u-over');
  await page.locator('[data-testid="profile-memory"]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(page, `${shot}.png`);

  const box = await over.boundingBox();
  const asked = page.waitForResponse((r) => r.url().includes('memory_events?') && r.url().includes('start_ts='), {
    timeout: 30000,
  });
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  const url = new URL((await asked).url());
  const start = Number(url.searchParams.get('start_ts'));
  const end = Number(url.searchParams.get('end_ts'));
  const first = curve.metadata.first_ts;
  const span = curve.rows[dev].at(-1)[0] / curve.metadata.time_factor;
  check(start > first && end > start && end < first + span * 1.01, `${runName}: the drag asks for a range inside the trace`, `${start}..${end}`);
  const ranged = `${q}&start_ts=${start}&end_ts=${end}`;
  const rStats = await getJson(base, `${ROUTE}memory?${ranged}`);
  const rEvents = await getJson(base, `${ROUTE}memory_events?${ranged}`);
  await waitRows(page, 'profile-memory-stats', (rStats.rows[dev] ?? []).length);
  await waitRows(page, 'profile-memory-events', (rEvents.rows[dev] ?? []).length);
  const range = await page.locator('[data-testid="profile-memory-range"]').textContent();
  check(range.startsWith('Selected'), `${runName}: the selected range is shown and the tables follow it`, range);
  await screenshot(page, `${shot}-range.png`);
  await page.locator('[data-testid="profile-memory-clear"]').click();
  await waitRows(page, 'profile-memory-events', (events.rows[dev] ?? []).length);
  check(true, `${runName}: "Whole trace" brings back every event`);
}

async function modules(page, base, q, shot) {
  const answer = await getJson(base, `${ROUTE}module?${q}`);
  const section = page.locator('[data-testid="profile-modules"]');
  await section.waitFor({ timeout: 60000 });
  const roots = Number(await section.getAttribute('data-roots'));
  check(roots === answer.data.length, 'the Module view has the API\'s top-level modules', `${roots}`);
  const rows = section.locator('[data-testid="profile-module-row"]');
  const before = await rows.count();
  const firstRoot = answer.data[0];
  const name = (await rows.first().locator('td').first().textContent()).trim();
  check(name.endsWith(firstRoot.name), 'the first module is the API\'s', name);
  // the first root starts open: its children are listed under it
  check(before === answer.data.length + firstRoot.children.length, 'the first module shows its children', `${before}`);
  const toggles = section.locator('[data-testid="profile-module-toggle"][aria-expanded="false"]');
  if ((await toggles.count()) > 0) {
    await toggles.first().click();
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="profile-module-row"]').length > n,
      before,
      { timeout: 30000 },
    );
    check(true, 'expanding a module lists the modules it calls');
  }
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, `${shot}.png`);
}

run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tboard-profmem-'));
  try {
    mkdirSync(join(dir, 'synthetic'));
    writeFileSync(join(dir, 'synthetic', 'worker0.pt.trace.json'), JSON.stringify(syntheticTrace()));
    await withProfileServer(dir, async ({ base, page }) => {
      const q = 'run=synthetic&worker=worker0&span=default';
      await memory(page, base, 'synthetic', q, 'profile-memory');
      await modules(page, base, q, 'profile-modules');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const logdir = profileExtraLogdir('the Memory and Module views of a real Kineto trace');
  if (!logdir) return;
  await withProfileServer(logdir, async ({ base, page }) => {
    const q = 'run=tracelens_h100_bert_small&worker=gaunernst_bert-small-uncased__1016001&span=default';
    await memory(page, base, 'tracelens_h100_bert_small', q, 'profile-memory-bert');
    await modules(page, base, q, 'profile-modules-bert');
  });
});
