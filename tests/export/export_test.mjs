// tboard export, round trip: every point of the event files comes out, in
// every format, and reads back the same with independent readers.
//
// For each log directory (the PyTorch, TensorFlow and tensorboardX corpora,
// and two written by gen_scalars: 150,000 scalar points in two Parquet row
// groups, and histograms) the test exports CSV, JSON Lines and Parquet
// (plain and gzip), reads the Parquet files with hyparquet and with
// parquet-wasm (Apache Arrow's Rust reader), parses CSV and JSON Lines
// itself, and compares every row with what a tboard server answers on
// upstream's routes when it keeps every point (--samples_per_plugin
// scalars=all,histograms=all). Then --runs, --tags and --table.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { check, corpus, run, sourceDir, startServer, stopServer } from '../web/lib.mjs';

const require = createRequire(join(sourceDir, 'web/package.json'));
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const { parquetReadObjects } = await load('hyparquet');
const pw = await load('parquet-wasm');
const arrow = await load('apache-arrow');

const tboard = process.env.TB_BINARY;
const tmp = mkdtempSync(join(tmpdir(), 'tb-export-'));

function exportDir(logdir, format, extra = []) {
  const out = join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  execFileSync(tboard, ['export', '--logdir', logdir, '--format', format, '-o', out, '--quiet', ...extra]);
  return out;
}

// --- readers ---------------------------------------------------------------

const num = (s) => (s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));

// RFC 4180, as the export writes it (CRLF rows, "" inside quotes).
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    field += c; i++;
  }
  const [head, ...body] = rows;
  return { head, body };
}

function readCsv(path, types) {
  const { head, body } = parseCsv(readFileSync(path, 'utf8'));
  return body.map((r) => Object.fromEntries(head.map((h, k) => [h, r[k] === '' && types[h] !== 's' ? null : types[h] === 's' ? r[k] : num(r[k])])));
}

function readJsonl(path) {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) =>
    JSON.parse(l.replace(/:(NaN|-?Infinity)([,}])/g, ':"$1"$2'), (k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)));
}

const plain = (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));

async function readHyparquet(path) {
  const b = readFileSync(path);
  const file = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const compressors = { GZIP: (input) => new Uint8Array(gunzipSync(input)) };
  return plain(await parquetReadObjects({ file, compressors }));
}

function readArrow(path) {
  const t = arrow.tableFromIPC(pw.readParquet(new Uint8Array(readFileSync(path))).intoIPCStream());
  return plain(t.toArray().map((r) => r.toJSON()));
}

const same = (a, b) => (Number.isNaN(a) && Number.isNaN(b)) || a === b;

function sameRows(a, b, what) {
  if (!check(a.length === b.length, `${what}: ${b.length} rows`, `got ${a.length}`)) return;
  for (let i = 0; i < a.length; i++) {
    for (const k of Object.keys(b[i])) {
      if (!same(a[i][k], b[i][k])) {
        check(false, `${what}: row ${i} ${k}`, `${a[i][k]} != ${b[i][k]}`);
        return;
      }
    }
  }
  check(true, `${what}: every row equal`);
}

const TYPES = {
  scalars: { run: 's', tag: 's', step: 'n', wall_time: 'n', value: 'n' },
  histograms: { run: 's', tag: 's', step: 'n', wall_time: 'n', bucket_left: 'n', bucket_right: 'n', count: 'n' },
  hparams: { run: 's', name: 's', number: 'n', text: 's' },
  summaries: { run: 's', tag: 's', points: 'n', first_step: 'n', last_step: 'n', last_wall_time: 'n', min: 'n', max: 'n', mean: 'n', last: 'n' },
};

// Every table in every format and reader; returns the CSV reading.
async function exportAll(name, logdir, extra = []) {
  const csv = exportDir(logdir, 'csv', extra);
  const jsonl = exportDir(logdir, 'jsonl', extra);
  const pq = exportDir(logdir, 'parquet', extra);
  const pqz = exportDir(logdir, 'parquet', [...extra, '--compression', 'gzip']);
  const tables = {};
  for (const t of Object.keys(TYPES)) {
    let rows = readCsv(join(csv, `${t}.csv`), TYPES[t]);
    // CSV cannot tell null text from empty text: take nulls from JSON Lines
    const j = readJsonl(join(jsonl, `${t}.jsonl`));
    if (t === 'hparams') rows = j;
    sameRows(j, rows, `${name} ${t}: JSON Lines = CSV`);
    sameRows(await readHyparquet(join(pq, `${t}.parquet`)), rows, `${name} ${t}: Parquet (hyparquet) = CSV`);
    sameRows(await readHyparquet(join(pqz, `${t}.parquet`)), rows, `${name} ${t}: gzip Parquet (hyparquet) = CSV`);
    sameRows(readArrow(join(pq, `${t}.parquet`)), rows, `${name} ${t}: Parquet (parquet-wasm) = CSV`);
    sameRows(readArrow(join(pqz, `${t}.parquet`)), rows, `${name} ${t}: gzip Parquet (parquet-wasm) = CSV`);
    tables[t] = rows;
  }
  return tables;
}

const getJson = async (base, path) => {
  const r = await fetch(new URL(path, base));
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return JSON.parse((await r.text()).replace(/"(NaN|-?Infinity)"/g, '"$1"'), (k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
};

const byKey = (rows) => {
  const m = new Map();
  for (const r of rows) {
    const k = `${r.run}\u0000${r.tag}`;
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(r);
  }
  return m;
};

// Every point the server keeps (all of them with scalars=all) against the
// export's rows of the same run and tag, in step order.
async function compareWithServer(name, logdir, tables) {
  const server = await startServer(logdir, ['--samples_per_plugin', 'scalars=all,histograms=all']);
  try {
    const scalars = byKey(tables.scalars);
    const tags = await getJson(server.url, 'data/plugin/scalars/tags');
    let series = 0, points = 0, bad = '';
    for (const [run, t] of Object.entries(tags)) {
      for (const tag of Object.keys(t)) {
        const want = await getJson(server.url, `data/plugin/scalars/scalars?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`);
        const got = scalars.get(`${run}\u0000${tag}`) || [];
        series++;
        points += want.length;
        if (got.length !== want.length) bad ||= `${run} ${tag}: ${got.length} rows, server ${want.length}`;
        for (let i = 0; !bad && i < want.length; i++) {
          const [wall, step, value] = want[i];
          const g = got[i];
          if (g.step !== step || !same(g.wall_time, wall) || !same(g.value, value)) bad = `${run} ${tag} #${i}: ${JSON.stringify(g)} vs ${JSON.stringify(want[i])}`;
        }
        const s = tables.summaries.find((r) => r.run === run && r.tag === tag);
        if (!bad && want.length && (!s || s.points !== want.length || !same(s.last, want[want.length - 1][2]) || s.first_step !== want[0][1])) bad = `${run} ${tag}: summary ${JSON.stringify(s)}`;
      }
    }
    check(!bad, `${name}: every scalar point of ${series} series (${points}) as the server has them`, bad);
    check(scalars.size === series, `${name}: no scalar series the server lacks`, `${scalars.size} vs ${series}`);

    const histos = byKey(tables.histograms);
    const htags = await getJson(server.url, 'data/plugin/histograms/tags');
    let hs = 0;
    bad = '';
    for (const [run, t] of Object.entries(htags)) {
      for (const tag of Object.keys(t)) {
        const want = await getJson(server.url, `data/plugin/histograms/histograms?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`);
        // the route serves a sample of the steps; the export has every one
        const rows = histos.get(`${run}\u0000${tag}`) || [];
        const byStep = new Map();
        for (const g of rows) {
          if (!byStep.has(g.step)) byStep.set(g.step, []);
          byStep.get(g.step).push(g);
        }
        hs++;
        for (const [wall, step, buckets] of want) {
          const got = byStep.get(step) || [];
          if (!bad && got.length !== buckets.length) bad = `${run} ${tag} step ${step}: ${got.length} buckets, server ${buckets.length}`;
          buckets.forEach(([l, r, c], k) => {
            const g = got[k];
            if (!bad && (!g || !same(g.wall_time, wall) || !same(g.bucket_left, l) || !same(g.bucket_right, r) || !same(g.count, c))) bad = `${run} ${tag} step ${step}: ${JSON.stringify(g)} vs ${[l, r, c]}`;
          });
        }
        if (name === 'generated histograms' && !bad && byStep.size !== 300) bad = `${run} ${tag}: ${byStep.size} steps, 300 written`;
      }
    }
    check(!bad, `${name}: every histogram bucket of ${hs} series as the server has them`, bad);
  } finally {
    await stopServer(server);
  }
}

await run(async () => {
 try {
  const gen = process.env.TB_GEN_SCALARS;
  const big = join(tmp, 'scalars');
  const histo = join(tmp, 'histograms');
  execFileSync(gen, [big, '2', '3', '25000'], { stdio: 'ignore' });
  execFileSync(gen, [histo, '2', '2', '300', '12'], { stdio: 'ignore' });

  for (const [name, dir] of [['generated scalars', big], ['generated histograms', histo], ['torch', corpus('torch')], ['tb-native', corpus('tb-native')], ['tensorboardx', corpus('tensorboardx')]]) {
    const tables = await exportAll(name, dir);
    await compareWithServer(name, dir, tables);
    if (name === 'generated scalars') {
      check(tables.scalars.length === 150000, 'generated scalars: 150000 points, no sampling', String(tables.scalars.length));
    }
    if (name === 'torch') {
      const hp = tables.hparams.filter((r) => r.run === 'hparams_search/trial_0');
      const v = Object.fromEntries(hp.map((r) => [r.name, r.number ?? r.text]));
      check(v.lr === 0.1 && v.batch_size === 32 && v.optimizer === 'adam', 'torch: the hparams of hparams_search/trial_0', JSON.stringify(v));
    }
  }

  // --runs selects with the query language, --tags by regex
  const sel = exportDir(big, 'csv', ['--runs', "run ~ '_01$'", '--tags', 'scalar_0[02]']);
  const rows = readCsv(join(sel, 'scalars.csv'), TYPES.scalars);
  const runSet = new Set(rows.map((r) => r.run)), tagset = new Set(rows.map((r) => r.tag));
  check(rows.length === 50000 && runSet.size === 1 && runSet.has('run_01') && tagset.size === 2 && tagset.has('g0/scalar_00') && tagset.has('g2/scalar_02'),
    '--runs and --tags select run_01 and two tags, every point', `${rows.length} ${[...runSet]} ${[...tagset]}`);

  // --table writes one file, - to standard output
  const out = execFileSync(tboard, ['export', '--logdir', big, '--format', 'jsonl', '--table', 'summaries', '-o', '-', '--quiet']).toString();
  check(out.trim().split('\n').length === 6, '--table summaries -o - writes the 6 series summaries to standard output');

  // a progress line on stderr for an export that runs a while is checked
  // by bench/export_bench.sh; bad arguments are refused with status 2
  const badArgs = spawnSync(tboard, ['export', '--logdir', big, '--format', 'xlsx', '-o', join(tmp, 'x')]);
  check(badArgs.status === 2 && /--format/.test(badArgs.stderr), 'an unknown format is refused with status 2');
  const badQuery = spawnSync(tboard, ['export', '--logdir', big, '--format', 'csv', '-o', join(tmp, 'y'), '--runs', 'hp.lr <']);
  check(badQuery.status === 2 && /--runs: col/.test(badQuery.stderr), 'a query that does not parse is refused with its column');
} finally {
  rmSync(tmp, { recursive: true, force: true });
 }
});
