// Helpers for the object storage tests and benchmark: a real S3-compatible
// server (s3rver, from web/'s npm packages) on loopback, uploads, a loopback
// proxy in front of it that counts requests and bytes and injects faults,
// and tboard started against s3:// paths.
//
// s3rver knows the key S3RVER but does not check Signature V4 itself, so the
// proxy does (with the aws4 package): a signed request whose key or
// signature is wrong is refused as S3 would (403 InvalidAccessKeyId,
// SignatureDoesNotMatch). Unsigned requests are anonymous; the uploads here
// are unsigned and go to s3rver directly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.TB_SOURCE_DIR || resolve(here, '../..');
export const buildDir = process.env.TB_BUILD_DIR || join(sourceDir, 'build');
const require = createRequire(join(sourceDir, 'web/package.json'));
const aws4 = require('aws4');

export const KEY = 'S3RVER';
export const SECRET = 'S3RVER';

export { check, getJson, run, stopServer as stopTboard } from '../web/lib.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts s3rver on 127.0.0.1 with the given buckets (a child process, see
 * s3rver_main.mjs); resolves to {endpoint, close}, or null without s3rver. */
export async function startStore(buckets) {
  try {
    require.resolve('s3rver');
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tboard-s3-'));
  const proc = spawn(process.execPath, ['--openssl-legacy-provider', join(here, 's3rver_main.mjs'), dir, ...buckets], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolvePort, reject) => {
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/port (\d+)/);
      if (m) resolvePort(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`s3rver exited (${code}): ${out}`)));
  });
  proc.removeAllListeners('exit');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function put(endpoint, bucket, key, bytes) {
  const url = `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const r = await fetch(url, { method: 'PUT', body: bytes });
  if (!r.ok) throw new Error(`PUT ${key}: HTTP ${r.status} ${await r.text()}`);
}

export async function remove(endpoint, bucket, key) {
  const url = `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  await fetch(url, { method: 'DELETE' });
}

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() || statSync(p).isFile()) out.push(p);
  }
  return out;
}

/** Uploads every file below localDir to bucket/prefix/...; resolves to the count. */
export async function uploadDir(endpoint, bucket, prefix, localDir) {
  const files = walk(localDir);
  for (const f of files) await put(endpoint, bucket, `${prefix}/${relative(localDir, f)}`, readFileSync(f));
  return files.length;
}

function s3Error(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': body.length });
  res.end(body);
}

/** Why a signed request must be refused ([code, message]), or null. A
 * request with an OAuth bearer token passes when it is `bearer`. */
function badSignature(req, bearer) {
  const auth = req.headers.authorization;
  if (!auth) return null;
  if (auth.startsWith('Bearer ')) return auth === `Bearer ${bearer}` ? null : ['AccessDenied', 'invalid bearer token'];
  const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/);
  if (!m) return ['AccessDenied', 'malformed Authorization header'];
  const [, key, region, signed, signature] = m;
  if (key !== KEY) return ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const names = signed.split(';');
  for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'])
    if (h in req.headers && !names.includes(h)) return ['AccessDenied', `${h} is not signed`];
  const headers = {};
  for (const h of names) headers[h] = req.headers[h] ?? '';
  const want = aws4.sign({ host: req.headers.host, method: req.method, path: req.url, service: 's3', region, headers }, { accessKeyId: KEY, secretAccessKey: SECRET });
  const got = want.headers.Authorization.match(/Signature=([0-9a-f]{64})/)[1];
  if (got !== signature || want.headers.Authorization.indexOf(`SignedHeaders=${signed},`) < 0)
    return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  return null;
}

/**
 * A proxy on 127.0.0.1 in front of `target` that checks signatures. Counts requests (by kind) and
 * response bytes; fault(req, n) may return {status, code} to answer with an
 * S3 error instead, or {dropAfter: bytes} to cut the answer's body there.
 * `bearer`: the OAuth access token accepted in place of a signature (the
 * header is not passed on, since s3rver knows no tokens).
 */
export async function startProxy(target, fault = () => null, bearer = null) {
  const t = new URL(target);
  const stats = { requests: 0, lists: 0, gets: 0, heads: 0, bytes: 0, refused: 0, log: [] };
  const server = http.createServer((req, res) => {
    const n = stats.requests++;
    const isList = /[?&]list-type=2/.test(req.url);
    if (req.method === 'HEAD') stats.heads++;
    else if (isList) stats.lists++;
    else stats.gets++;
    stats.log.push({
      method: req.method,
      url: req.url,
      range: req.headers.range || '',
      signed: !!req.headers.authorization,
      token: req.headers['x-amz-security-token'],
    });
    stats.log[stats.log.length - 1].bearer = /^Bearer /.test(req.headers.authorization || '');
    const bad = badSignature(req, bearer);
    if (bad) {
      stats.refused++;
      s3Error(res, 403, ...bad);
      return;
    }
    const f = fault(req, n);
    if (f && f.status) {
      s3Error(res, f.status, f.code, 'injected');
      return;
    }
    const headers = { ...req.headers };
    if (/^Bearer /.test(headers.authorization || '')) delete headers.authorization;
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers },
      (ur) => {
        res.writeHead(ur.statusCode, ur.headers);
        let sent = 0;
        ur.on('data', (chunk) => {
          if (f && f.dropAfter !== undefined && sent + chunk.length > f.dropAfter) {
            res.write(chunk.subarray(0, Math.max(0, f.dropAfter - sent)));
            stats.bytes += Math.max(0, f.dropAfter - sent);
            ur.destroy();
            res.socket.destroy();
            return;
          }
          sent += chunk.length;
          stats.bytes += chunk.length;
          res.write(chunk);
        });
        ur.on('end', () => res.end());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    stats,
    reset() {
      Object.assign(stats, { requests: 0, lists: 0, gets: 0, heads: 0, bytes: 0, refused: 0, log: [] });
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

/**
 * Starts tboard with args (and --port 0) and env added to the store's
 * credentials; resolves to {proc, url, log()} once it serves.
 */
export function startTboard(args, env = {}) {
  const binary = process.env.TB_BINARY || join(buildDir, 'tboard');
  const proc = spawn(binary, ['--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, ...env },
  });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`tboard did not serve:\n${out}`)), 120000);
    const poll = setInterval(() => {
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        clearInterval(poll);
        proc.removeAllListeners('exit');
        resolveUrl({ proc, url: `http://127.0.0.1:${m[1]}`, log: () => out });
      }
    }, 20);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`tboard exited early (${code}):\n${out}`));
    });
  });
}

/** Polls fn() until it returns a truthy value or timeoutMs passes. */
export async function waitFor(fn, timeoutMs = 60000, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(stepMs);
  }
}

/** Splits TFRecord bytes into records (each with its framing). */
export function records(bytes) {
  const out = [];
  for (let off = 0; off + 12 <= bytes.length; ) {
    const len = Number(bytes.readBigUInt64LE(off));
    const end = off + 12 + len + 4;
    if (end > bytes.length) break;
    out.push(bytes.subarray(off, end));
    off = end;
  }
  return out;
}
