// Browser test of the PR curves, custom scalars and hparams dashboards:
// starts the real server on the corpora, opens each dashboard in
// headless Chromium and checks what a person sees against the API.
import { check, corpus, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

const CORPORA = [
  { name: 'torch', scheme: 'light' },
  { name: 'tb-native', scheme: 'dark' },
  { name: 'tensorboardx', scheme: 'light' },
];

const esc = (s) => s.replace(/["\\]/g, '\\$&');

async function postJson(base, path, body) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function openDashboard(page, base, plugin) {
  await page.goto(`${base}#dash=${plugin}`, { waitUntil: 'load' });
  await page.waitForSelector(`.main[data-dashboard="${plugin}"]`, { timeout: 20000 });
}

async function ink(locator) {
  return locator.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
}

/** Waits until the element's attribute is present; returns its value or null. */
async function waitAttr(page, sel, attr, timeout = 20000) {
  return page
    .waitForFunction(
      ([s, a]) => {
        const el = document.querySelector(s);
        if (!el) return null;
        if (el.getAttribute('data-state') === 'error') return 'error';
        return el.getAttribute(a);
      },
      [sel, attr],
      { timeout },
    )
    .then((h) => h.jsonValue())
    .catch(() => null);
}

async function checkPr(page, base, name) {
  const listing = await getJson(base, 'data/plugin/pr_curves/tags');
  const byTag = new Map();
  for (const [r, tags] of Object.entries(listing)) {
    for (const t of Object.keys(tags)) {
      if (!byTag.has(t)) byTag.set(t, []);
      byTag.get(t).push(r);
    }
  }
  await openDashboard(page, base, 'pr_curves');
  if (byTag.size === 0) {
    await page.waitForSelector('.empty-state', { timeout: 10000 });
    check(true, `${name}: PR curves says there is no data`);
    return;
  }
  await page.waitForSelector('.pr-card', { timeout: 20000 });
  const cards = await page.locator('.pr-card').count();
  check(cards === byTag.size, `${name}: a PR chart per tag`, `${cards} charts, ${byTag.size} tags`);
  let linesOk = true;
  const details = [];
  for (const [tag, runs] of byTag) {
    const sel = `.pr-card[data-pr-tag="${esc(tag)}"]`;
    await page.locator(sel).scrollIntoViewIfNeeded();
    const lines = await waitAttr(page, sel, 'data-lines');
    const sliders = await page.locator(`${sel} .pr-slider-row`).count();
    if (lines !== String(runs.length) || sliders !== runs.length) {
      linesOk = false;
      details.push(`${tag}: ${lines} lines, ${sliders} slider rows, ${runs.length} runs`);
    } else if ((await ink(page.locator(`${sel} canvas`).first())) < 500) {
      linesOk = false;
      details.push(`${tag}: blank canvas`);
    }
  }
  check(linesOk, `${name}: each PR chart draws a line per run with a step slider per run`, details.join('; '));

  // The step slider picks another stored step and the curve changes.
  const [tag, runs] = [...byTag][0];
  const data = await getJson(base, `data/plugin/pr_curves/pr_curves?run=${encodeURIComponent(runs[0])}&tag=${encodeURIComponent(tag)}`);
  const entries = data[runs[0]];
  const sel = `.pr-card[data-pr-tag="${esc(tag)}"]`;
  const row = page.locator(`${sel} .pr-slider-row`).first();
  if (entries.length > 1) {
    const canvas = page.locator(`${sel} canvas`).first();
    const before = await canvas.evaluate((c) => c.toDataURL());
    const stepBefore = await row.locator('[data-testid="step-value"]').textContent();
    await row.locator('[data-testid="pr-step-slider"]').evaluate((el) => {
      el.value = '0';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await settle(page);
    await page.waitForTimeout(100);
    const stepAfter = await row.locator('[data-testid="step-value"]').textContent();
    const after = await canvas.evaluate((c) => c.toDataURL());
    check(
      stepBefore === String(entries[entries.length - 1].step) && stepAfter === String(entries[0].step),
      `${name}: the step slider shows the newest step, then the chosen one`,
      `${stepBefore} -> ${stepAfter}`,
    );
    check(before !== after, `${name}: moving the step slider redraws the curve`);
  }
  // Hover shows threshold, precision, recall and the counts.
  const canvas = page.locator(`${sel} .u-over`).first();
  const box = await canvas.boundingBox();
  const e = entries[0];
  const mid = Math.floor(e.recall.length / 2);
  let tip = '';
  for (const [fx, fy] of [
    [e.recall[mid], e.precision[mid]],
    [0.5, 0.5],
  ]) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * (1 - fy / 1.02));
    tip = await page
      .waitForFunction(() => {
        const t = [...document.querySelectorAll('.pr-tip')].find((x) => x.style.display === 'block');
        return t ? t.textContent : '';
      }, null, { timeout: 3000 })
      .then((h) => h.jsonValue())
      .catch(() => '');
    if (tip) break;
  }
  check(/Threshold[\s\S]*Precision[\s\S]*Recall[\s\S]*TP[\s\S]*FP[\s\S]*TN[\s\S]*FN/.test(tip), `${name}: hovering a PR curve shows threshold, precision, recall and counts`, tip.slice(0, 120));
  await screenshot(page, `prcurves-customscalars-hparams-pr-${name}.png`);
  await page.mouse.move(2, 2);
}

async function checkCustomScalars(page, base, name, runs) {
  const layout = await getJson(base, 'data/plugin/custom_scalars/layout');
  await openDashboard(page, base, 'custom_scalars');
  const cats = layout.category ?? [];
  if (cats.length === 0) {
    const msg = await page.waitForSelector('[data-testid="cs-no-layout"]', { timeout: 10000 }).then(() => true).catch(() => false);
    check(msg, `${name}: custom scalars says there is no layout`);
    return;
  }
  await page.waitForSelector('.cs-category', { timeout: 20000 });
  const titles = await page.$$eval('.cs-category', (els) => els.map((e) => e.getAttribute('data-category')));
  check(JSON.stringify(titles) === JSON.stringify(cats.map((c) => c.title)), `${name}: a section per layout category`, JSON.stringify(titles));
  const collapsed = await page.$$eval('.cs-category', (els) => els.map((e) => e.getAttribute('data-collapsed') === 'true'));
  check(
    JSON.stringify(collapsed) === JSON.stringify(cats.map((c) => !!c.closed)),
    `${name}: closed categories start collapsed`,
    JSON.stringify(collapsed),
  );
  // Open the closed ones.
  for (let i = 0; i < cats.length; i++) {
    if (cats[i].closed) await page.locator('.cs-category').nth(i).locator('.group-head').click();
  }
  let chartsOk = true;
  let drawOk = true;
  const details = [];
  for (let i = 0; i < cats.length; i++) {
    const section = page.locator('.cs-category').nth(i);
    const n = await section.locator('.cs-card').count();
    if (n !== cats[i].chart.length) {
      chartsOk = false;
      details.push(`${cats[i].title}: ${n} charts, layout has ${cats[i].chart.length}`);
    }
    for (let k = 0; k < Math.min(n, cats[i].chart.length); k++) {
      const chart = cats[i].chart[k];
      const card = section.locator('.cs-card').nth(k);
      await card.scrollIntoViewIfNeeded();
      const sel = `.cs-category:nth-of-type(${i + 1}) .cs-card:nth-of-type(${k + 1})`;
      const lines = await card
        .evaluate((el) => new Promise((r) => {
          const t0 = performance.now();
          const poll = () => {
            const v = el.getAttribute('data-lines');
            if (v !== null || el.getAttribute('data-state') === 'error') return r(v);
            if (performance.now() - t0 > 20000) return r(null);
            setTimeout(poll, 50);
          };
          poll();
        }));
      void sel;
      let want = 0;
      if (chart.multiline) {
        const seen = new Set();
        for (const r of runs) {
          for (const re of chart.multiline.tag) {
            const q = new URLSearchParams({ run: r, tag: re });
            const d = await getJson(base, `data/plugin/custom_scalars/scalars?${q}`);
            for (const t of Object.keys(d.tag_to_events)) if (d.tag_to_events[t].length) seen.add(`${r}\t${t}`);
          }
        }
        want = seen.size;
      } else {
        for (const r of runs) {
          for (const s of chart.margin.series) {
            const q = new URLSearchParams({ run: r, tag: s.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$' });
            const d = await getJson(base, `data/plugin/custom_scalars/scalars?${q}`);
            if ((d.tag_to_events[s.value] ?? []).length) want++;
          }
        }
      }
      if (lines !== String(want)) {
        drawOk = false;
        details.push(`${chart.title}: ${lines} lines, expected ${want}`);
      } else if (want > 0 && (await ink(card.locator('canvas').first())) < 500) {
        drawOk = false;
        details.push(`${chart.title}: blank canvas`);
      } else if (want === 0 && (await card.locator('.plot-msg').count()) === 0) {
        drawOk = false;
        details.push(`${chart.title}: no lines and no message`);
      }
    }
  }
  check(chartsOk, `${name}: a chart per chart definition`, details.join('; '));
  check(drawOk, `${name}: each custom chart draws a line per matched (run, tag)`, details.join('; '));
  // Collapsing a category hides its charts.
  await page.locator('.cs-category').first().locator('.group-head').click();
  const hidden = await page.locator('.cs-category').first().locator('.cs-card').count();
  check(hidden === 0, `${name}: clicking a category header collapses it`);
  await page.locator('.cs-category').first().locator('.group-head').click();
  await page.locator('.cs-category').first().scrollIntoViewIfNeeded();
  await settle(page);
  await page.waitForTimeout(200);
  await screenshot(page, `prcurves-customscalars-hparams-custom-${name}.png`);
}

async function checkHparams(page, base, name) {
  const exp = await postJson(base, 'data/plugin/hparams/experiment', { experimentName: '', includeMetrics: true });
  const hps = exp.hparamInfos ?? [];
  const metrics = exp.metricInfos ?? [];
  const groups = await postJson(base, 'data/plugin/hparams/session_groups', {
    experimentName: '',
    allowedStatuses: ['STATUS_FAILURE', 'STATUS_RUNNING', 'STATUS_SUCCESS', 'STATUS_UNKNOWN'],
    colParams: [...hps.map((h) => ({ hparam: h.name, includeInResult: true })), ...metrics.map((m) => ({ metric: m.name, includeInResult: true }))],
    startIndex: 0,
    sliceSize: 1000000,
    includeMetrics: true,
  });
  const sg = groups.sessionGroups ?? [];
  await openDashboard(page, base, 'hparams');
  if (sg.length === 0) {
    await page.waitForSelector('.empty-state h3', { timeout: 10000 });
    check(true, `${name}: hparams says there is no data`);
    return;
  }
  await page.waitForSelector('[data-testid="hp-table"] tbody tr', { timeout: 20000 });
  const rowNames = () => page.$$eval('[data-testid="hp-table"] tbody tr', (els) => els.map((e) => e.getAttribute('data-group')));
  const names = await rowNames();
  check(
    JSON.stringify([...names].sort()) === JSON.stringify(sg.map((g) => g.name).sort()),
    `${name}: a table row per session group`,
    `${names.length} rows, ${sg.length} groups`,
  );
  const heads = await page.$$eval('[data-testid="hp-table"] thead th', (els) => els.length);
  check(heads === 1 + hps.length + metrics.length, `${name}: a column per hparam and per metric`, `${heads} columns`);
  const colored = await page.$$eval('[data-testid="hp-table"] tbody tr', (els) =>
    els.every((e) => getComputedStyle(e.querySelector('.tb-swatch')).backgroundColor !== 'rgba(0, 0, 0, 0)' && e.style.getPropertyValue('--row-color')),
  );
  check(colored, `${name}: rows are coloured by run`);

  // Sorting by a numeric column (click: ascending, again: descending).
  const num = hps.find((h) => h.type === 'DATA_TYPE_FLOAT64') ?? hps[0];
  const valueOf = (g) => g.hparams[num.name];
  const sorted = [...sg].sort((a, b) => (valueOf(a) < valueOf(b) ? -1 : valueOf(a) > valueOf(b) ? 1 : 0));
  const head = page.locator(`[data-testid="hp-table"] thead th[data-col="${esc(num.displayName || num.name)}"]`);
  await head.click();
  const asc = await rowNames();
  const vals = (list) => list.map((n) => valueOf(sg.find((g) => g.name === n)));
  const ascVals = vals(asc);
  check(
    JSON.stringify(ascVals) === JSON.stringify(sorted.map(valueOf)),
    `${name}: clicking the "${num.name}" header sorts rows ascending`,
    JSON.stringify(ascVals),
  );
  await head.click();
  const descVals = vals(await rowNames());
  check(
    JSON.stringify(descVals) === JSON.stringify([...sorted.map(valueOf)].reverse()),
    `${name}: clicking it again sorts descending`,
    JSON.stringify(descVals),
  );
  check(JSON.stringify(asc) !== JSON.stringify(await rowNames()) || new Set(ascVals).size === 1, `${name}: sorting reorders the rows`);

  // A text filter on a string hparam hides the rows not containing it.
  const strH = hps.find((h) => h.type === 'DATA_TYPE_STRING');
  if (strH) {
    const v = String(sg[0].hparams[strH.name]);
    const want = sg.filter((g) => String(g.hparams[strH.name] ?? '').toLowerCase().includes(v.toLowerCase())).length;
    await page.locator(`.hp-filter[data-filter="${esc(strH.displayName || strH.name)}"] [data-testid="hp-text"]`).fill(v);
    const n = (await rowNames()).length;
    check(n === want && n <= sg.length, `${name}: filtering "${strH.name}" by "${v}" leaves the matching rows`, `${n} rows, want ${want}`);
    await page.locator(`.hp-filter[data-filter="${esc(strH.displayName || strH.name)}"] [data-testid="hp-text"]`).fill('');
  }
  // A min/max filter on the numeric column.
  const values = sg.map(valueOf).filter((x) => typeof x === 'number');
  const max = Math.min(...values);
  await page.locator(`.hp-filter[data-filter="${esc(num.displayName || num.name)}"] [data-testid="hp-max"]`).fill(String(max));
  const n = (await rowNames()).length;
  const wantN = sg.filter((g) => typeof valueOf(g) !== 'number' || valueOf(g) <= max).length;
  check(n === wantN && n < sg.length, `${name}: a max filter on "${num.name}" hides rows`, `${n} rows, want ${wantN}`);
  await page.locator(`.hp-filter[data-filter="${esc(num.displayName || num.name)}"] [data-testid="hp-max"]`).fill('');
  check((await rowNames()).length === sg.length, `${name}: clearing the filter shows every row again`);

  // Clicking a row shows its metric curves.
  if (metrics.length) {
    await page.locator('[data-testid="hp-table"] tbody tr').first().click();
    await page.waitForSelector('[data-testid="hp-detail"]', { timeout: 10000 });
    const cardsN = await page.locator('.hp-metric-card').count();
    check(cardsN === metrics.length, `${name}: the selected group shows a chart per metric`, `${cardsN} charts`);
    let drawn = 0;
    for (let i = 0; i < cardsN; i++) {
      const card = page.locator('.hp-metric-card').nth(i);
      const l = await card
        .evaluate((el) => new Promise((r) => {
          const t0 = performance.now();
          const poll = () => {
            // "Loading…" is not an answer: wait for lines or a final message.
            const msg = el.querySelector('.plot-msg');
            const final = msg && !/Loading/.test(msg.textContent || '');
            if (el.getAttribute('data-lines') !== null || final) return r(el.getAttribute('data-lines'));
            if (performance.now() - t0 > 15000) return r(null);
            setTimeout(poll, 50);
          };
          poll();
        }));
      if (Number(l) > 0 && (await ink(card.locator('canvas').first())) > 200) drawn++;
    }
    check(drawn > 0, `${name}: the metric curves of the clicked group are drawn`, `${drawn} of ${cardsN}`);
  }
  await settle(page);
  await screenshot(page, `prcurves-customscalars-hparams-hparams-table-${name}.png`);

  // Parallel coordinates.
  await page.click('button[data-view="parallel"]');
  const pc = page.locator('[data-testid="hp-parallel"] canvas');
  await pc.waitFor({ timeout: 10000 });
  await settle(page);
  const px = await ink(pc);
  check(px > 2000, `${name}: the parallel-coordinates canvas is drawn`, `${px} px`);
  const shownRows = await page.getAttribute('[data-testid="hp-parallel"]', 'data-rows');
  check(shownRows === String(sg.length), `${name}: a polyline per session group`, shownRows);
  await screenshot(page, `prcurves-customscalars-hparams-hparams-parallel-${name}.png`);
  await page.click('button[data-view="table"]');
}

await run(async () => {
  for (const { name, scheme } of CORPORA) {
    let server = null;
    let b = null;
    try {
      server = await startServer(corpus(name));
      const base = server.url;
      const runs = await getJson(base, 'data/runs');
      b = await launch({ colorScheme: scheme });
      const { page } = b;
      await checkPr(page, base, name);
      await checkCustomScalars(page, base, name, runs);
      await checkHparams(page, base, name);
      const errors = b.consoleErrors;
      check(errors.length === 0, `${name}: no console errors`, errors.join(' | '));
      check(b.failedUrls.length === 0, `${name}: no failed requests`, b.failedUrls.join(' | '));
    } finally {
      if (b) await b.close();
      await stopServer(server);
    }
  }
  // A log directory without a layout.
  let server = null;
  let b = null;
  try {
    server = await startServer(corpus('edge-cases'));
    b = await launch();
    await checkCustomScalars(b.page, server.url, 'edge-cases', await getJson(server.url, 'data/runs'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
  }
});
