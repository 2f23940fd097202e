// Runs s3rver (web/'s npm packages) on 127.0.0.1 and a free port, serving
// DIR with the given buckets; prints "port N" once it listens. Started by
// s3lib.mjs with --openssl-legacy-provider, because s3rver makes its listing
// continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
//
//     node --openssl-legacy-provider s3rver_main.mjs DIR BUCKET...
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.TB_SOURCE_DIR || resolve(here, '../..');
const S3rver = createRequire(join(sourceDir, 'web/package.json'))('s3rver');
const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
const addr = await server.run();
console.log(`port ${addr.port}`);
