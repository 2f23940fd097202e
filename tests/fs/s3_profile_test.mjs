// The Profile dashboard on object storage: a log directory of profiler runs
// (the legacy traces of tests/corpora/profile, plus two Kineto traces made
// here, one of them gzipped and both larger than one read of the trace
// reader) is served once from the local folder and once from s3:// through
// a real S3-compatible server (s3rver) behind the signature-checking proxy
// of s3lib.mjs. Every Profile route of every run, worker and span must
// answer the same status and the same bytes from both, and the traces must
// have been read with ranged GETs.
//
// Environment: TB_BINARY, TB_SOURCE_DIR (set by CTest).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { check, run, sourceDir, startProxy, startStore, startTboard, stopTboard, uploadDir } from './s3lib.mjs';

const P = '/data/plugin/pytorch_profiler';

// A Kineto trace of `steps` profiler steps: operators with input shapes and
// call stacks, and, with gpu, their runtime calls, kernels and memory
// events on device 0. Each step carries a few pseudo-random bytes, so that
// gzip cannot shrink the file below a few reads.
function kineto(steps, gpu) {
  const ev = [];
  let t = 1000;
  let seed = 12345;
  const noise = () => {
    let out = '';
    for (let i = 0; i < 24; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      out += (seed >> 16).toString(36);
    }
    return out;
  };
  for (let s = 1; s <= steps; s++) {
    const ext = s * 10;
    ev.push({ ph: 'X', cat: 'user_annotation', name: `ProfilerStep#${s}`, pid: 1, tid: 1, ts: t, dur: 900, args: { 'External id': ext } });
    ev.push({
      ph: 'X', cat: 'cpu_op', name: s % 3 ? 'aten::mm' : 'aten::add', pid: 1, tid: 1, ts: t + 10, dur: 300 + (s % 7),
      args: { 'External id': ext + 1, 'Input Dims': [[2, s % 5], [s % 5, 4]], 'Call stack': `model.py(${s % 4}): forward` },
    });
    ev.push({ ph: 'X', cat: 'cpu_op', name: 'aten::relu', pid: 1, tid: 1, ts: t + 400, dur: 100, args: { 'External id': ext + 2, 'Input Dims': [[8]], Note: noise() } });
    if (gpu) {
      ev.push({ ph: 'X', cat: 'cuda_runtime', name: 'cudaLaunchKernel', pid: 1, tid: 1, ts: t + 20, dur: 5, args: { 'external id': ext + 1, correlation: s } });
      ev.push({
        ph: 'X', cat: 'kernel', name: s % 2 ? 'volta_h884gemm_64x64' : 'elementwise_kernel', pid: 0, tid: 7, ts: t + 40, dur: 200 + (s % 11),
        args: { 'external id': ext + 1, correlation: s, device: 0, 'blocks per SM': 2.5, 'est. achieved occupancy %': 40 + (s % 9), grid: [s % 3 + 1, 1, 1], block: [128, 1, 1], 'registers per thread': 32, 'shared memory': 0 },
      });
      ev.push({
        ph: 'i', cat: 'cpu_instant_event', name: '[memory]', pid: 1, tid: 1, ts: t + 15, s: 't',
        args: { 'Device Type': 1, 'Device Id': 0, Addr: 4096 * s, Bytes: 1024, 'Total Allocated': 1024 * (s % 13), 'Total Reserved': 65536 },
      });
    }
    t += 1000;
  }
  ev.push({ ph: 'X', cat: 'Trace', name: 'PyTorch Profiler (0)', pid: 'Spans', tid: 'PyTorch Profiler', ts: 1000, dur: t - 1000, args: { 'Op count': 0 } });
  const props = gpu ? [{ id: 0, name: 'Tesla V100', totalGlobalMem: 16945512448, computeMajor: 7, computeMinor: 0 }] : [];
  return JSON.stringify({ schemaVersion: 1, deviceProperties: props, traceEvents: ev, displayTimeUnit: 'ms' });
}

async function answer(base, path) {
  const r = await fetch(base + path);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

// Every route of the dashboard for every run, worker and span the local
// server lists, asked of both servers; returns [routes compared, differences,
// answers with status 200].
async function compareAll(local, remote) {
  let compared = 0;
  let ok200 = 0;
  const diffs = [];
  const same = async (path) => {
    const [a, b] = await Promise.all([answer(local, path), answer(remote, path)]);
    compared++;
    if (a.status === 200) ok200++;
    if (a.status !== b.status || !a.body.equals(b.body))
      diffs.push(`${path}: ${a.status} (${a.body.length} bytes) vs ${b.status} (${b.body.length} bytes)`);
    return a;
  };
  const runs = JSON.parse((await same(`${P}/runs`)).body).runs;
  for (const run of runs) {
    const r = encodeURIComponent(run);
    const views = (await same(`${P}/views?run=${r}`)).status === 200 ? JSON.parse((await answer(local, `${P}/views?run=${r}`)).body) : [];
    const workers = new Set();
    for (const view of views) {
      const w = await same(`${P}/workers?run=${r}&view=${encodeURIComponent(view)}`);
      if (w.status === 200) for (const name of JSON.parse(w.body)) workers.add(name);
    }
    for (const worker of workers) {
      const q0 = `run=${r}&worker=${encodeURIComponent(worker)}`;
      const sp = await same(`${P}/spans?${q0}`);
      const spans = sp.status === 200 ? JSON.parse(sp.body) : [];
      for (const span of spans) {
        const q = `${q0}&span=${encodeURIComponent(span)}`;
        const paths = [
          'overview', 'operation?group_by=Operation', 'operation?group_by=OperationAndInputShape',
          'operation/table?group_by=Operation', 'operation/table?group_by=OperationAndInputShape',
          'operation/stack?group_by=Operation&op_name=aten%3A%3Amm',
          'kernel?group_by=Kernel', 'kernel/table?group_by=Kernel', 'kernel/table?group_by=KernelNameAndOpName',
          'kernel/tc_pie', 'trace', 'timeline', 'memory', 'memory_curve', 'memory_events', 'module', 'tree', 'distributed/gpuinfo',
        ];
        for (const p of paths) {
          const [route, extra] = p.split('?');
          await same(`${P}/${route}?${q}${extra ? '&' + extra : ''}`);
        }
      }
    }
  }
  return [compared, diffs, ok200, runs];
}

await run(async () => {
  const store = await startStore(['profiles']);
  if (!store) {
    console.log('did not run: the s3rver npm package is not installed (scripts/deps.sh)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tboard-s3-profile-'));
  let local = null;
  let remote = null;
  let proxy = null;
  try {
    const logdir = join(dir, 'logdir');
    cpSync(join(sourceDir, 'tests/corpora/profile/logdir'), logdir, { recursive: true });
    mkdirSync(join(logdir, 'kineto_gpu'));
    const gpu = kineto(1500, true);
    writeFileSync(join(logdir, 'kineto_gpu', 'worker0.1700000000001.pt.trace.json'), gpu);
    mkdirSync(join(logdir, 'kineto_cpu_gz'));
    const cpu = gzipSync(kineto(2000, false), { level: 1 });
    writeFileSync(join(logdir, 'kineto_cpu_gz', 'worker0.1700000000002.pt.trace.json.gz'), cpu);
    check(gpu.length > 1 << 17 && cpu.length > 1 << 17, `the Kineto traces span several reads (${gpu.length} bytes, ${cpu.length} bytes gzipped)`);
    const files = await uploadDir(store.endpoint, 'profiles', 'logdir', logdir);
    proxy = await startProxy(store.endpoint);

    const args = ['--reload_interval', '0', '--reload_task', 'blocking'];
    local = await startTboard(['--logdir', logdir, ...args]);
    remote = await startTboard(['--logdir', 's3://profiles/logdir', ...args], { AWS_ENDPOINT_URL: proxy.endpoint });
    const [compared, diffs, ok200, runs] = await compareAll(local.url, remote.url);
    check(runs.includes('mlp_gzip') && runs.includes('kineto_gpu') && runs.includes('kineto_cpu_gz') && runs.length === 8,
      `the runs of the ${files} uploaded files are listed from s3:// (${runs.join(', ')})`);
    check(diffs.length === 0, `${compared} Profile answers are the same from s3:// as from the local folder (${ok200} of them 200)`, diffs.slice(0, 20).join('\n'));
    check(ok200 >= 30, 'the Kineto runs answer their views, operators, kernels and traces', `${ok200} answers with status 200`);

    const ranged = proxy.stats.log.filter((e) => e.method === 'GET' && /\.pt\.trace\.json/.test(e.url) && e.range);
    const traces = new Set(ranged.map((e) => e.url.split('?')[0]));
    check(traces.size === 11, `every trace was read from the store with ranged GETs (${traces.size} traces, ${ranged.length} GETs)`);
    check(proxy.stats.refused === 0, `every request was signed correctly (${proxy.stats.requests} requests)`);
    for (const [t, what] of [[local, 'local'], [remote, 's3']]) {
      await stopTboard(t);
      check(t.proc.exitCode === 0 && !/Sanitizer|runtime error/.test(t.log()), `${what}: tboard stopped cleanly`, t.log().slice(-3000));
    }
    local = remote = null;
  } finally {
    if (local) await stopTboard(local);
    if (remote) await stopTboard(remote);
    if (proxy) await proxy.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
