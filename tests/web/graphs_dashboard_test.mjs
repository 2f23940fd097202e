// Browser test of the graphs dashboard: starts the real server on the torch
// and tb-native corpora, opens the Graphs tab in headless Chromium and checks
// the drawing against the GraphDef the API serves: one box per top-level
// scope or node, scopes open on click, node details, search, device stats.
//
// Environment: TB_BINARY (the tboard executable), TB_SOURCE_DIR (source
// tree), TB_BUILD_DIR (screenshots go to TB_BUILD_DIR/screenshots).
import { check, corpus, getJson, launch, run, screenshot, settle, startServer, stopServer } from './lib.mjs';

/** Node names and inputs of a text-format GraphDef (top-level fields only). */
function graphNodes(text) {
  const nodes = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (line === 'node {') cur = { name: '', inputs: [] };
    else if (line === '}' && cur) {
      nodes.push(cur);
      cur = null;
    } else if (cur) {
      const m = /^  (name|input): "(.*)"$/.exec(line);
      if (m && m[1] === 'name') cur.name = m[2];
      else if (m) cur.inputs.push(m[2]);
    }
  }
  return nodes;
}

/** Boxes shown when every scope is collapsed: one per first name component. */
function topLevelBoxes(nodes) {
  const ids = new Set();
  for (const n of nodes) {
    const i = n.name.indexOf('/');
    ids.add(i < 0 ? 'n:' + n.name : 's:' + n.name.slice(0, i));
  }
  return ids;
}

const leafSel = 'svg.graph-svg g.graph-node';

async function leafCount(page) {
  return page.locator(leafSel).count();
}

async function openGraphs(page, base) {
  await page.goto(base + '#dash=graphs', { waitUntil: 'load' });
  await page.waitForSelector('[data-dashboard="graphs"]', { timeout: 30000 });
}

async function testCorpus(name, { colorScheme = 'light', expectStats = false } = {}) {
  const server = await startServer(corpus(name));
  const b = await launch({ colorScheme });
  const { page, consoleErrors } = b;
  const label = `${name} (${colorScheme})`;
  try {
    const base = server.url;
    const info = await getJson(base, 'data/plugin/graphs/info');
    const run0 = Object.keys(info).find((r) => info[r].run_graph);
    check(!!run0, `${label}: graphs/info lists a run with a graph`);
    const resp = await fetch(`${base}data/plugin/graphs/graph?run=${encodeURIComponent(run0)}`);
    const nodes = graphNodes(await resp.text());
    const top = topLevelBoxes(nodes);

    await openGraphs(page, base);
    await page.waitForSelector(leafSel, { timeout: 30000 });
    await settle(page);
    const runValue = await page.locator('[data-testid="graph-run"]').inputValue();
    check(runValue === run0, `${label}: run selector shows ${run0}`, runValue);
    const tagOptions = await page.locator('[data-testid="graph-tag"] option').allTextContents();
    check(tagOptions.length >= 1 && /Default graph/.test(tagOptions[0]), `${label}: graph selector offers the run graph`, tagOptions.join(' | '));

    const n0 = await leafCount(page);
    check(n0 === top.size, `${label}: ${top.size} top-level boxes drawn`, `got ${n0}`);
    const drawnIds = await page.$$eval(leafSel, (els) =>
      els.map((e) => (e.getAttribute('data-kind') === 'scope' ? 's:' : 'n:') + e.getAttribute('data-name')),
    );
    check(drawnIds.every((id) => top.has(id)), `${label}: top-level boxes are the GraphDef's top-level scopes and nodes`, drawnIds.join(', '));
    const edges = await page.locator('svg.graph-svg path.graph-edge').count();
    check(edges > 0, `${label}: edges are drawn`, `got ${edges}`);
    await screenshot(page, `graphs_${name}_${colorScheme}_collapsed.png`);

    // The biggest collapsed scope opens on click and shows its contents.
    const scopes = await page.$$eval(`${leafSel}[data-kind="scope"]`, (els) =>
      els.map((e) => e.getAttribute('data-name')),
    );
    check(scopes.length > 0, `${label}: at least one collapsed scope`);
    const sizes = scopes.map((s) => [s, nodes.filter((n) => n.name.startsWith(s + '/')).length]);
    sizes.sort((a, b) => b[1] - a[1]);
    const scope = sizes[0][0];
    await page.locator(`${leafSel}[data-kind="scope"][data-name="${scope}"]`).click();
    await page.waitForSelector(`g.graph-cluster[data-name="${scope}"]`, { timeout: 10000 });
    await settle(page);
    const n1 = await leafCount(page);
    const children = new Set(
      nodes
        .filter((n) => n.name.startsWith(scope + '/'))
        .map((n) => {
          const rest = n.name.slice(scope.length + 1);
          const i = rest.indexOf('/');
          return i < 0 ? 'n:' + rest : 's:' + rest.slice(0, i);
        }),
    );
    const want = top.size - 1 + children.size;
    check(n1 === want && n1 > n0, `${label}: clicking scope "${scope}" expands it to ${want} boxes`, `got ${n1}`);
    await screenshot(page, `graphs_${name}_${colorScheme}_expanded.png`);

    // Clicking an op shows its details.
    const opNode = page.locator(`${leafSel}[data-kind="op"]`).first();
    const opName = await opNode.getAttribute('data-name');
    await opNode.click();
    await page.waitForSelector(`[data-testid="graph-details"][data-name="${opName}"]`, { timeout: 10000 });
    const details = await page.locator('[data-testid="graph-details"]').textContent();
    const def = nodes.find((n) => n.name === opName);
    check(!!def && details.includes(opName), `${label}: clicking ${opName} shows its name in the side panel`);
    check(/Inputs \(\d+\)/.test(details) && /Outputs \(\d+\)/.test(details) && /Attributes/.test(details), `${label}: details list inputs, outputs, attributes`);
    check(details.includes(`Inputs (${def ? def.inputs.length : -1})`), `${label}: input count of ${opName} matches the GraphDef`);
    const selectedCount = await page.locator(`${leafSel}.selected`).count();
    check(selectedCount === 1, `${label}: the clicked node is highlighted`, `got ${selectedCount}`);

    // Collapse all, then search for a nested node: its scopes open and it is selected.
    await page.locator('[data-testid="graph-expand-none"]').click();
    await settle(page);
    check((await leafCount(page)) === top.size, `${label}: "Collapse all" restores the top-level view`);
    const deep = nodes.map((n) => n.name).filter((n) => n.includes('/')).sort((a, b) => b.split('/').length - a.split('/').length)[0];
    const search = page.locator('[data-testid="graph-search"]');
    await search.fill(deep.slice(deep.lastIndexOf('/') - 3 >= 0 ? Math.max(0, deep.length - 12) : 0));
    await search.fill(deep);
    await search.press('Enter');
    await page.waitForSelector(`[data-testid="graph-details"][data-name="${deep}"]`, { timeout: 10000 });
    const sel = await page.locator(`${leafSel}.selected`).getAttribute('data-name');
    check(sel === deep, `${label}: search finds and selects ${deep}`, `selected ${sel}`);
    await screenshot(page, `graphs_${name}_${colorScheme}_search.png`);

    // Pan and zoom change the view; fit restores it.
    const svg = page.locator('svg.graph-svg');
    const tf0 = await page.locator('svg.graph-svg > g').getAttribute('transform');
    const box = await svg.boundingBox();
    await page.mouse.move(box.x + 40, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + 140, box.y + 100, { steps: 5 });
    await page.mouse.up();
    const tf1 = await page.locator('svg.graph-svg > g').getAttribute('transform');
    check(tf0 !== tf1, `${label}: dragging pans the view`);
    const z0 = Number(await svg.getAttribute('data-zoom'));
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await settle(page);
    const z1 = Number(await svg.getAttribute('data-zoom'));
    check(z1 > z0, `${label}: the wheel zooms in`, `${z0} -> ${z1}`);
    await page.locator('[data-testid="graph-fit"]').click();
    await settle(page);
    const z2 = Number(await svg.getAttribute('data-zoom'));
    check(z2 < z1, `${label}: fit to screen zooms back out`, `${z1} -> ${z2}`);

    if (expectStats) {
      const tags = Object.keys(info[run0].tags).filter((t) => info[run0].tags[t].profile);
      const opt = await page.locator('[data-testid="graph-tag"] option').evaluateAll((els) => els.map((e) => e.value));
      const profile = opt.find((v) => v === `profile:${tags[0]}`);
      check(!!profile, `${label}: graph selector offers the profile tag ${tags[0]}`, opt.join(', '));
      if (profile) {
        await page.locator('[data-testid="graph-tag"]').selectOption(profile);
        await page.waitForSelector('[data-testid="graph-device-stats"]', { timeout: 10000 });
        const text = await page.locator('[data-testid="graph-device-stats"]').innerText();
        check(text.includes('/device:CPU:0'), `${label}: device stats of ${tags[0]} list /device:CPU:0`, text);
        await screenshot(page, `graphs_${name}_${colorScheme}_profile.png`);
      }
    }

    check(consoleErrors.length === 0, `${label}: no console errors`, consoleErrors.join('\n'));
  } finally {
    await b.close();
    await stopServer(server);
  }
}

run(async () => {
  await testCorpus('torch', { expectStats: true });
  await testCorpus('tb-native');
  await testCorpus('torch', { colorScheme: 'dark' });
});
