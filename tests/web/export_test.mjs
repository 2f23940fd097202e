// "Export" in the top bar: on the PyTorch corpus, with the run filter and
// one unticked run leaving a/b/run1 and a/b/run2 selected and the tag filter
// showing "loss", each format downloads every point of exactly those runs
// and that tag, byte for byte what `tboard export` writes for the same
// selection; the Parquet file reads back with hyparquet. Then the route
// itself: chunked transfer, a histogram table, and a clear 400 for a bad
// format.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, corpus, launch, run, screenshot, sourceDir, startServer, stopServer } from './lib.mjs';

const require = createRequire(join(sourceDir, 'web/package.json'));
const { parquetReadObjects } = await import(pathToFileURL(require.resolve('hyparquet')).href);

const RUNS = ['a/b/run1', 'a/b/run2'];

await run(async () => {
  const logdir = corpus('torch');
  const tmp = mkdtempSync(join(tmpdir(), 'tb-web-export-'));
  let server = null;
  let b = null;
  try {
    server = await startServer(logdir);
    b = await launch();
    const { page } = b;
    await page.goto(`${server.url}#dash=scalars&runs=${encodeURIComponent('^a/')}&hide=a%2Fc&tags=${encodeURIComponent('^loss$')}`, { waitUntil: 'load' });
    await page.waitForFunction(() => /^2 of/.test(document.querySelector('[data-testid="run-count"]')?.textContent ?? ''), null, { timeout: 60000 });
    // a real state: the loss card has drawn its two lines
    await page.waitForSelector('.card[data-kind=scalar][data-series-count="2"]', { timeout: 60000 });

    for (const format of ['csv', 'jsonl', 'parquet']) {
      await page.click('[data-testid="export-button"]');
      await page.waitForSelector('[data-testid="export-menu"]');
      if (format === 'csv') await screenshot(page, 'export-menu.png');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(`[data-testid="export-menu"] [data-format="${format}"]`)]);
      const path = join(tmp, `ui.${format}`);
      await download.saveAs(path);
      check(download.suggestedFilename() === `tboard-scalars.${format}`, `${format}: the file is named tboard-scalars.${format}`, download.suggestedFilename());
      const cli = join(tmp, `cli.${format}`);
      execFileSync(process.env.TB_BINARY, ['export', '--logdir', logdir, '--format', format, '--table', 'scalars', '-o', cli, '--quiet',
        '--runs', `run in ['${RUNS[0]}', '${RUNS[1]}']`, '--tags', '^loss$']);
      const ui = readFileSync(path), want = readFileSync(cli);
      check(ui.length > 0 && ui.equals(want), `${format}: the download is what tboard export writes for the same runs and tag`, `${ui.length} vs ${want.length} bytes`);
      if (format === 'parquet') {
        const rows = await parquetReadObjects({ file: ui.buffer.slice(ui.byteOffset, ui.byteOffset + ui.byteLength) });
        const runs = [...new Set(rows.map((r) => r.run))].sort();
        const tags = [...new Set(rows.map((r) => r.tag))];
        check(rows.length === 600 && JSON.stringify(runs) === JSON.stringify(RUNS) && JSON.stringify(tags) === '["loss"]',
          'parquet: 300 points of loss for each of the two selected runs (every point)', `${rows.length} rows, ${runs}, ${tags}`);
      }
    }

    // the route: streamed, other tables, errors
    const r = await fetch(new URL('data/tboard/export?format=csv&table=histograms&run=train', server.url));
    const body = await r.text();
    check(r.status === 200 && r.headers.get('transfer-encoding') === 'chunked' && body.startsWith('run,tag,step,wall_time,bucket_left,bucket_right,count\r\ntrain,'),
      'GET export of a histogram table is streamed in chunks', `${r.status} ${r.headers.get('transfer-encoding')}`);
    const bad = await fetch(new URL('data/tboard/export?format=xlsx', server.url));
    check(bad.status === 400 && /format/.test(await bad.text()), 'an unknown format is a 400 that names the format');
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.join('\n'));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(tmp, { recursive: true, force: true });
  }
});
