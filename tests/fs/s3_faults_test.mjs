// Object storage under faults: tboard reads s3:// through a loopback proxy in
// front of a real S3-compatible server (s3rver) that injects throttling
// (503 SlowDown, 429), a connection dropped in the middle of a GET, a growing
// object, a replaced object and a wrong key, and enforces nothing itself: the
// checks are what tboard serves, what it logs, and what it asked for.
//
// Environment: TB_BINARY, TB_SOURCE_DIR (set by CTest).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check,
  KEY,
  SECRET,
  getJson,
  put,
  records,
  run,
  sleep,
  sourceDir,
  startProxy,
  startStore,
  startTboard,
  stopTboard,
  waitFor,
} from './s3lib.mjs';

const corpus = join(sourceDir, 'tests/corpora/torch/logdir');
const trainFile = join(corpus, 'train/events.out.tfevents.1795334631.vm.25712.0');
const otherFile = join(sourceDir, 'tests/corpora/tensorboardx/logdir/run_b/events.out.tfevents.1795334635.vm');
const KEY_NAME = 'events.out.tfevents.1795334631.vm.25712.0';

async function points(t, run, tag) {
  const q = `/data/plugin/scalars/scalars?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`;
  const r = await fetch(t.url + q);
  return r.ok ? (await r.json()).length : 0;
}

const occurrences = (s, re) => (s.match(re) || []).length;

// Stops t and checks that it ended cleanly (sanitizer builds report here).
async function stop(t, what) {
  if (!t) return;
  await stopTboard(t);
  check(t.proc.exitCode === 0 && !/Sanitizer|runtime error/.test(t.log()), `${what}: tboard stopped cleanly`, t.log().slice(-3000));
}

await run(async () => {
  const store = await startStore(['logs']);
  if (!store) {
    console.log('did not run: the s3rver npm package is not installed (scripts/deps.sh)');
    return;
  }
  let fault = () => null;
  const proxy = await startProxy(store.endpoint, (req, n) => fault(req, n));
  const env = { AWS_ENDPOINT_URL: proxy.endpoint };
  const full = readFileSync(trainFile);
  const recs = records(full);
  const small = readFileSync(join(sourceDir, 'tests/corpora/torch/logdir/eval', 'events.out.tfevents.1795334632.vm.25712.3'));
  const args = (logdir, more = []) => ['--logdir', logdir, '--samples_per_plugin', 'scalars=all', ...more];
  let t = null;
  try {
    // --- throttling and a dropped connection: nothing lost, nothing twice
    await put(store.endpoint, 'logs', `throttle/train/${KEY_NAME}`, full);
    let lists = 0;
    let gets = 0;
    fault = (req) => {
      if (/list-type=2/.test(req.url)) {
        lists++;
        if (lists === 1) return { status: 503, code: 'SlowDown' };
        if (lists === 2) return { status: 429, code: 'TooManyRequests' };
        return null;
      }
      gets++;
      if (gets <= 2) return { status: 503, code: 'SlowDown' };
      if (gets === 3) return { dropAfter: 100000 };
      return null;
    };
    proxy.reset();
    t = await startTboard(args('s3://logs/throttle', ['--reload_interval', '0', '--reload_task', 'blocking']), env);
    check((await points(t, 'train', 'loss')) === 2000, 'throttled twice and cut off mid-GET: all 2000 loss points');
    check((await points(t, 'train', 'accuracy')) === 2000, 'and all 2000 accuracy points');
    const ranges = proxy.stats.log.filter((l) => l.range).map((l) => l.range);
    const resumed = ranges.map((r) => Number(r.match(/^bytes=(\d+)-/)[1])).filter((o) => o > 0);
    check(resumed.length === 1 && resumed[0] <= 100000, 'the cut GET resumed where its bytes stopped, not from 0', ranges.join(' '));
    check(proxy.stats.lists === 3, 'the listing was retried after 503 and 429', `${proxy.stats.lists} lists`);
    check(!/damaged/.test(t.log()), 'no damage reported');
    await stop(t, 'throttling');
    t = null;
    fault = () => null;

    // --- a growing object: only the new tail is fetched
    const half = recs.slice(0, Math.floor(recs.length / 2));
    const halfBytes = Buffer.concat(half);
    await put(store.endpoint, 'logs', `grow/train/${KEY_NAME}`, halfBytes);
    proxy.reset();
    t = await startTboard(args('s3://logs/grow', ['--reload_interval', '1', '--reload_task', 'blocking']), env);
    const before = await points(t, 'train', 'loss');
    check(before > 0 && before < 2000, `half the file: ${before} loss points`);
    await put(store.endpoint, 'logs', `grow/train/${KEY_NAME}`, full);
    const grown = await waitFor(async () => (await points(t, 'train', 'loss')) === 2000, 60000);
    check(grown, 'after the object grew: all 2000 loss points');
    const tail = proxy.stats.log.filter((l) => l.range).map((l) => l.range);
    check(tail.some((r) => r.startsWith(`bytes=${halfBytes.length}-`)), 'the new tail was fetched from the old end', tail.join(' '));
    check(tail.filter((r) => r.startsWith('bytes=0-')).length === 1, 'the start of the file was fetched once', tail.join(' '));

    // --- idle cycles: one listing each, nothing else
    await sleep(1500);
    proxy.reset();
    let status = null;
    for (let i = 0; i < 5; i++) {
      status = await getJson(t.url, '/data/tboard/status');
      await sleep(700);
    }
    const idle = { ...proxy.stats };
    check(status.logdirs[0].exists && status.logdirs[0].is_directory, 'the status route sees the s3:// log directory');
    check(idle.lists >= 2 && idle.gets === 0 && idle.heads === 0, `idle cycles cost one listing each, status polls nothing (${idle.lists} lists, ${idle.gets} GETs, ${idle.heads} HEADs)`);

    // --- a replaced object (smaller, other content): read again from the start
    proxy.reset();
    await put(store.endpoint, 'logs', `grow/train/${KEY_NAME}`, readFileSync(otherFile));
    const replaced = await waitFor(async () => (await points(t, 'train', 'Loss/train')) > 0, 60000);
    check(replaced, 'the replacement\'s own tags are served');
    check(/reading it again from the start/.test(t.log()), 'the log says the file is read again from the start');
    check(proxy.stats.log.some((l) => l.range.startsWith('bytes=0-')), 'the replacement was fetched from byte 0');
    await stop(t, 'growing and replaced');
    t = null;

    // --- a wrong key: one clear error, the other source keeps serving
    proxy.reset();
    t = await startTboard(
      ['--logdir_spec', `local:${corpus},remote:s3://logs/throttle`, '--reload_interval', '0.5', '--reload_task', 'blocking'],
      { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    );
    await sleep(2500);
    const runs = await getJson(t.url, '/data/runs');
    check(runs.includes('local/train') && !runs.some((r) => r.startsWith('remote')), 'the local source is served, the refused one has no runs', runs.join(' '));
    const log = t.log();
    check(occurrences(log, /access denied by the store \(403 SignatureDoesNotMatch/g) === 1, 'one clear error about the key, however many reloads', log.slice(-2000));
    check(proxy.stats.refused >= 3, `the refused listing was tried again each reload (${proxy.stats.refused})`);
    await stop(t, 'wrong key');
    t = null;

    // --- credentials from a profile of a shared credentials file, with a
    // session token; and anonymous access
    const dir = mkdtempSync(join(tmpdir(), 'tboard-aws-'));
    writeFileSync(join(dir, 'credentials'), `[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[ci]\naws_access_key_id = ${KEY}\naws_secret_access_key = ${SECRET}\naws_session_token = token-123\n`);
    proxy.reset();
    t = await startTboard(args('s3://logs/throttle', ['--reload_interval', '0', '--reload_task', 'blocking']), {
      ...env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_PROFILE: 'ci',
    });
    check((await points(t, 'train', 'loss')) === 2000 && proxy.stats.refused === 0, 'a profile\'s key signs every request');
    check(proxy.stats.log.every((l) => l.token === 'token-123'), 'and sends its session token');
    await stop(t, 'profile');
    rmSync(dir, { recursive: true, force: true });
    proxy.reset();
    t = await startTboard(args('s3://logs/throttle', ['--reload_interval', '0', '--reload_task', 'blocking', '--s3_anonymous']), env);
    check((await points(t, 'train', 'loss')) === 2000 && proxy.stats.log.every((l) => !l.signed), '--s3_anonymous reads a public bucket unsigned');
    await stop(t, 'anonymous');
    t = null;

    // --- listings of more than one page, and keys that need encoding
    const odd = ['with space', 'ü+x', 'a=b&c', 'tilde~'];
    const keys = [];
    for (let i = 0; i < 997; i++) keys.push(`paged/r${String(i).padStart(4, '0')}/events.out.tfevents.1.x`);
    for (const o of odd) keys.push(`paged/${o}/events.out.tfevents.1.x`);
    for (let i = 0; i < keys.length; i += 25) await Promise.all(keys.slice(i, i + 25).map((k) => put(store.endpoint, 'logs', k, small)));
    proxy.reset();
    t = await startTboard(args('s3://logs/paged', ['--reload_interval', '0', '--reload_task', 'blocking']), env);
    const paged = await getJson(t.url, '/data/runs');
    check(paged.length === 1001, `1001 runs from a two-page listing (${paged.length})`);
    check(odd.every((o) => paged.includes(o)), 'runs whose names need encoding are read', odd.filter((o) => !paged.includes(o)).join(', '));
    check(proxy.stats.lists === 2 && proxy.stats.refused === 0, `two listing pages, every request signed correctly (${proxy.stats.lists} lists)`);
    await stop(t, 'paged');
    t = null;

    // --- stopping while requests wait for a small budget does not wait
    t = await startTboard(['--logdir', 's3://logs/paged', '--reload_interval', '5', '--s3_requests_per_minute', '6'], env);
    await sleep(2000);
    const stopAt = Date.now();
    await stop(t, 'stopped under a budget');
    check(Date.now() - stopAt < 5000, `it stopped in ${Date.now() - stopAt} ms with requests still waiting for the budget`);
    t = null;

    // --- a request budget: requests wait their turn, nothing is lost
    for (let i = 0; i < 30; i++) await put(store.endpoint, 'logs', `budget/run${String(i).padStart(2, '0')}/events.out.tfevents.1.x`, small);
    proxy.reset();
    const t0 = Date.now();
    t = await startTboard(args('s3://logs/budget', ['--reload_interval', '0', '--reload_task', 'blocking', '--s3_requests_per_minute', '120']), env);
    const secs = (Date.now() - t0) / 1000;
    const served = await getJson(t.url, '/data/runs');
    check(served.length === 30, `all 30 runs loaded under a budget of 120 requests a minute (${served.length})`);
    check(proxy.stats.requests === 31 && secs >= 4, `31 requests took ${secs.toFixed(1)} s: 20 at once, then 2 a second`);
  } finally {
    await stop(t, 'budget');
    await proxy.close();
    await store.close();
  }
});
