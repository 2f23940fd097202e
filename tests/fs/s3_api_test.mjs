// The API comparison on object storage: every corpus with upstream's answers
// (tests/corpora/*/expected/) is uploaded to a real S3-compatible server on
// loopback, then tests/api/api_test runs exactly as on the local folders,
// with each log directory given as s3://corpora/<name> (and once as
// gs://corpora/<name> for one corpus, through --gs_endpoint with HMAC keys).
// Requests go through the proxy of s3lib.mjs, which checks their signatures.
//
// Environment: TB_BINARY, TB_BUILD_DIR, TB_SOURCE_DIR (set by CTest).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir, check, KEY, run, SECRET, sourceDir, startProxy, startStore, uploadDir } from './s3lib.mjs';

function apiTest(env) {
  return new Promise((resolve) => {
    const p = spawn(join(buildDir, 'api_test'), [], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { TB_BINARY: join(buildDir, 'tboard'), ...process.env, TB_SOURCE_DIR: sourceDir, ...env },
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

await run(async () => {
  const store = await startStore(['corpora']);
  if (!store) {
    console.log('did not run: the s3rver npm package is not installed (scripts/deps.sh)');
    return;
  }
  try {
    const root = join(sourceDir, 'tests/corpora');
    let files = 0;
    for (const name of readdirSync(root)) {
      if (!existsSync(join(root, name, 'expected/ROUTES.tsv'))) continue;
      files += await uploadDir(store.endpoint, 'corpora', name, join(root, name, 'logdir'));
    }
    check(files > 0, `uploaded the corpora (${files} files)`);
    const proxy = await startProxy(store.endpoint);

    const s3 = await apiTest({
      TB_API_LOGDIR_URL: 's3://corpora',
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: SECRET,
    });
    const summary = s3.out.split('\n').filter((l) => /passed|FAIL/.test(l));
    console.log(summary.slice(-20).join('\n'));
    check(s3.code === 0, 'every upstream answer matches with the corpora on s3://', s3.code ? s3.out.slice(-4000) : '');

    // gs:// speaks the same XML API; HMAC keys come from GS_* variables.
    const gs = await apiTest({
      TB_API_LOGDIR_URL: 'gs://corpora',
      TB_API_CORPUS: 'tensorboardx',
      TB_API_SERVER_ARGS: `--gs_endpoint ${proxy.endpoint}`,
      GS_ACCESS_KEY_ID: KEY,
      GS_SECRET_ACCESS_KEY: SECRET,
    });
    console.log(gs.out.split('\n').filter((l) => /passed/.test(l)).join('\n'));
    check(gs.code === 0, 'the tensorboardx corpus answers the same on gs://', gs.code ? gs.out.slice(-4000) : '');
    check(proxy.stats.requests > 0 && proxy.stats.refused === 0, `every request was signed correctly (${proxy.stats.requests} requests)`);
    await proxy.close();
  } finally {
    await store.close();
  }
});
