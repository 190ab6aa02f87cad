// A real S3-compatible server for tests (npm s3rver) on 127.0.0.1, storing objects under a folder.
//
//   node tests/tools/s3rver.mjs <port|0> <directory> <bucket> [<tls-key.pem> <tls-cert.pem>]
//
// With a key and certificate it speaks HTTPS (pgBackRest talks to S3 only over TLS).
// Prints {"port":N} on stdout once it listens. Exits when stdin closes, so it never outlives the test
// process that started it.
import { readFileSync } from 'node:fs';
import S3rver from 's3rver';

const [portArg, directory, bucket, keyFile, certFile] = process.argv.slice(2);
const port = Number.parseInt(portArg ?? '', 10);
if (!directory || !bucket || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node tests/tools/s3rver.mjs <port|0> <directory> <bucket> [<tls-key.pem> <tls-cert.pem>]');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
  ...(keyFile && certFile ? { key: readFileSync(keyFile), cert: readFileSync(certFile) } : {}),
});

const address = await server.run();
process.stdout.write(JSON.stringify({ port: address.port }) + '\n');

const stop = () => server.close().then(() => process.exit(0), () => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
