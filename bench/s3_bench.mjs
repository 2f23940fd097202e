// s3_bench: what a log directory in object storage costs, against a real
// S3-compatible server on loopback (s3rver, web/'s npm packages) behind the
// counting proxy of tests/fs/s3lib.mjs.
//
//     node bench/s3_bench.mjs [runs=1000] [repeats=3]
//
// 1. Polling: `runs` runs of one small event file each; after the first
//    load, the requests and bytes of each reload cycle with nothing new
//    (the figure to beat: one listing page per 1000 objects).
// 2. Load throughput: a fixed-seed scalar log directory (gen_scalars, 4 runs
//    x 20 tags x 12500 steps, ~50 MB) loaded once (--reload_interval 0,
//    blocking) from s3:// and from the same files on local disk, median of
//    `repeats` loads each.
//
// Environment: TB_BUILD_DIR (default build/) for tboard and gen_scalars.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDir,
  put,
  sleep,
  sourceDir,
  startProxy,
  startStore,
  startTboard,
  stopTboard,
  uploadDir,
} from '../tests/fs/s3lib.mjs';

const runs = Number(process.argv[2] || 1000);
const repeats = Number(process.argv[3] || 3);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const store = await startStore(['bench']);
if (!store) {
  console.log('did not run: the s3rver npm package is not installed (scripts/deps.sh)');
  process.exit(0);
}
const proxy = await startProxy(store.endpoint);
const env = { AWS_ENDPOINT_URL: proxy.endpoint };
const tmp = mkdtempSync(join(tmpdir(), 'tboard-s3-bench-'));
try {
  // --- 1. polling
  const small = readFileSync(join(sourceDir, 'tests/corpora/torch/logdir/eval/events.out.tfevents.1795334632.vm.25712.3'));
  for (let i = 0; i < runs; i++)
    await put(store.endpoint, 'bench', `poll/run${String(i).padStart(4, '0')}/events.out.tfevents.1.bench`, small);
  proxy.reset();
  let t0 = Date.now();
  let t = await startTboard(['--logdir', 's3://bench/poll', '--reload_interval', '1', '--reload_task', 'blocking'], env);
  const first = { ...proxy.stats, secs: (Date.now() - t0) / 1000 };
  console.log(`first load of ${runs} runs: ${first.requests} requests (${first.lists} listing pages, ${first.gets} GETs), ${first.bytes} bytes, ${first.secs.toFixed(2)} s`);
  await sleep(1500);
  proxy.reset();
  await sleep(10000);
  const idle = { ...proxy.stats };
  const cycles = idle.log.filter((l) => /list-type=2/.test(l.url) && !/continuation-token/.test(l.url)).length;
  console.log(
    `idle: ${cycles} reload cycles in 10 s, ${idle.requests} requests (${idle.lists} listing pages, ${idle.gets} GETs, ${idle.heads} HEADs), ` +
      `${(idle.requests / cycles).toFixed(2)} requests and ${Math.round(idle.bytes / cycles)} bytes per cycle; ` +
      `target ceil(${runs}/1000) = ${Math.ceil(runs / 1000)} requests`,
  );
  await stopTboard(t);

  // --- 2. load throughput
  const local = join(tmp, 'scalars');
  execFileSync(join(buildDir, 'gen_scalars'), [local, '4', '20', '12500'], { stdio: 'ignore' });
  let bytes = 0;
  const n = await uploadDir(store.endpoint, 'bench', 'load', local);
  for (const r of ['run_00', 'run_01', 'run_02', 'run_03'])
    for (const f of execFileSync('ls', [join(local, r)]).toString().trim().split('\n')) bytes += statSync(join(local, r, f)).size;
  const once = ['--reload_interval', '0', '--reload_task', 'blocking'];
  const times = { s3: [], local: [] };
  for (let i = 0; i < repeats; i++) {
    for (const [kind, logdir, e] of [['s3', 's3://bench/load', { AWS_ENDPOINT_URL: store.endpoint }], ['local', local, {}]]) {
      t0 = Date.now();
      t = await startTboard(['--logdir', logdir, ...once], e);
      times[kind].push((Date.now() - t0) / 1000);
      await stopTboard(t);
    }
  }
  const mb = bytes / 1e6;
  const s3 = median(times.s3);
  const disk = median(times.local);
  console.log(
    `load ${n} files, ${mb.toFixed(1)} MB: s3:// median ${s3.toFixed(2)} s (${(mb / s3).toFixed(0)} MB/s), ` +
      `local median ${disk.toFixed(2)} s (${(mb / disk).toFixed(0)} MB/s), ratio ${(s3 / disk).toFixed(2)}x ` +
      `[s3 ${times.s3.map((x) => x.toFixed(2)).join(' ')}; local ${times.local.map((x) => x.toFixed(2)).join(' ')}]`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
  await proxy.close();
  await store.close();
}
