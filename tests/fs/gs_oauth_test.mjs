// gs:// with a service account key: GOOGLE_APPLICATION_CREDENTIALS names a
// key file (an RSA key made here) whose token_uri is a loopback token
// endpoint. The endpoint checks the RS256 JWT (signature, issuer, scope,
// audience, lifetime) before it hands out an access token; the proxy in
// front of s3rver accepts only that token. tboard must serve the corpus
// with every store request carrying the token, exchanging the JWT once,
// and must say plainly when the endpoint refuses the key.
//
// Environment: TB_BINARY, TB_SOURCE_DIR (set by CTest).
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, run, sourceDir, startProxy, startStore, startTboard, stopTboard, uploadDir, waitFor } from './s3lib.mjs';

const TOKEN = 'ya29.loopback-token';
const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';

// A token endpoint on loopback: answers a valid JWT bearer grant with
// TOKEN, anything else with 400 invalid_grant as Google does.
async function startTokenServer(publicKey) {
  const stats = { exchanges: 0, refused: 0, why: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const jwt = form.get('assertion') || '';
      const [h, c, s] = jwt.split('.');
      let why = null;
      try {
        const header = JSON.parse(Buffer.from(h, 'base64url'));
        const claims = JSON.parse(Buffer.from(c, 'base64url'));
        const now = Date.now() / 1000;
        const v = createVerify('RSA-SHA256');
        v.update(`${h}.${c}`);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') why = 'grant type';
        else if (header.alg !== 'RS256') why = 'alg';
        else if (!v.verify(publicKey, Buffer.from(s, 'base64url'))) why = 'signature';
        else if (claims.iss !== 'reader@tboard-test.iam.gserviceaccount.com') why = 'issuer';
        else if (claims.scope !== SCOPE) why = 'scope';
        else if (claims.aud !== `http://127.0.0.1:${server.address().port}/token`) why = 'audience';
        else if (!(claims.iat <= now + 5 && claims.exp > now && claims.exp - claims.iat <= 3600)) why = 'lifetime';
      } catch (e) {
        why = `malformed: ${e.message}`;
      }
      if (why) {
        stats.refused++;
        stats.why.push(why);
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: `Invalid JWT: ${why}` }));
        return;
      }
      stats.exchanges++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: TOKEN, expires_in: 3599, token_type: 'Bearer' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { uri: `http://127.0.0.1:${server.address().port}/token`, stats, close: () => new Promise((r) => server.close(r)) };
}

function keyFile(dir, name, uri, privateKey) {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({
    type: 'service_account',
    project_id: 'tboard-test',
    private_key_id: 'k1',
    private_key: privateKey,
    client_email: 'reader@tboard-test.iam.gserviceaccount.com',
    token_uri: uri,
  }));
  return path;
}

async function scalarRuns(t) {
  const r = await fetch(`${t.url}/data/plugin/scalars/tags`);
  return r.ok ? Object.keys(await r.json()).length : 0;
}

await run(async () => {
  const store = await startStore(['gcs']);
  if (!store) {
    console.log('did not run: the s3rver npm package is not installed (scripts/deps.sh)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tboard-gs-oauth-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const tokens = await startTokenServer(publicKey);
  const proxy = await startProxy(store.endpoint, () => null, TOKEN);
  let t = null;
  try {
    const files = await uploadDir(store.endpoint, 'gcs', 'torch', join(sourceDir, 'tests/corpora/torch/logdir'));
    const args = ['--logdir', 'gs://gcs/torch', '--gs_endpoint', proxy.endpoint, '--reload_interval', '0', '--reload_task', 'blocking'];
    const env = { GS_ACCESS_KEY_ID: '', GS_SECRET_ACCESS_KEY: '' };

    t = await startTboard(args, { ...env, GOOGLE_APPLICATION_CREDENTIALS: keyFile(dir, 'key.json', tokens.uri, privateKey) });
    const runs = await waitFor(() => scalarRuns(t), 30000);
    check(runs > 0, `the ${files} objects are served through a service account (${runs} runs with scalars)`, t.log().slice(-2000));
    const asked = proxy.stats.log.filter((e) => e.method === 'GET');
    check(asked.length > 0 && asked.every((e) => e.bearer) && proxy.stats.refused === 0,
      `every store request carried the access token (${asked.length} requests)`);
    check(tokens.stats.exchanges === 1 && tokens.stats.refused === 0, `one JWT exchange for all of them (${tokens.stats.exchanges}, refused: ${tokens.stats.why.join(', ')})`);
    await stopTboard(t);
    check(t.proc.exitCode === 0 && !/Sanitizer|runtime error/.test(t.log()), 'tboard stopped cleanly', t.log().slice(-3000));

    // a key the endpoint does not know: said plainly, nothing served
    proxy.reset();
    t = await startTboard(args, { ...env, GOOGLE_APPLICATION_CREDENTIALS: keyFile(dir, 'other.json', tokens.uri, other.privateKey) });
    const said = await waitFor(async () => /refused the service account reader@tboard-test\.iam\.gserviceaccount\.com \(400: Invalid JWT: signature\)/.test(t.log()), 30000);
    check(said, 'a key the endpoint refuses is reported with its answer', t.log().slice(-2000));
    check(proxy.stats.requests === 0, 'and no store request goes out unsigned');
    await stopTboard(t);

    // a file that is no service account key: a warning at start
    writeFileSync(join(dir, 'bad.json'), '{"type": "authorized_user"}');
    t = await startTboard(args, { ...env, GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'bad.json') });
    check(/not a service account key/.test(t.log()) || (await waitFor(async () => /not a service account key/.test(t.log()), 10000)),
      'a file that is not a service account key is named in a warning', t.log().slice(-2000));
    await stopTboard(t);
    t = null;
  } finally {
    if (t) await stopTboard(t);
    await proxy.close();
    await tokens.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
