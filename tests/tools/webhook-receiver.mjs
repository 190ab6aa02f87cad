// A webhook receiver for tests: listens on 127.0.0.1 and checks every delivery's signature with the npm
// `standardwebhooks` package (an implementation the platform did not write), against each secret it was
// given, then appends one JSON line per request to a file:
//   {id, timestamp, signature, body, verified: {<secret>: true|false}, status}
//
//   node tests/tools/webhook-receiver.mjs <port|0> <output.jsonl>
//
// PUT /_control with {secrets: [...], status: 200, retryAfter: "120", hangMs: 0} sets the secrets and how
// it answers next (hangMs delays the answer: a delivery in flight). Prints {"port":N} once it listens;
// exits when stdin closes, so it never outlives the test process that started it.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const [portArg, outFile] = process.argv.slice(2);
const port = Number.parseInt(portArg ?? '', 10);
if (!outFile || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node tests/tools/webhook-receiver.mjs <port|0> <output.jsonl>');
  process.exit(2);
}
writeFileSync(outFile, '', { flag: 'a' });

let mode = { secrets: [], status: 200, retryAfter: null, hangMs: 0 };

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

const verify = (secret, body, headers) => {
  try {
    new Webhook(secret).verify(body, {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    });
    return true;
  } catch {
    return false;
  }
};

const server = createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === '/_control') {
    mode = { ...mode, ...JSON.parse(body) };
    res.writeHead(204).end();
    return;
  }
  const { status, retryAfter, hangMs, secrets } = mode;
  const verified = Object.fromEntries(secrets.map((s) => [s, verify(s, body, req.headers)]));
  appendFileSync(outFile, JSON.stringify({
    id: req.headers['webhook-id'] ?? null,
    timestamp: req.headers['webhook-timestamp'] ?? null,
    signature: req.headers['webhook-signature'] ?? null,
    contentType: req.headers['content-type'] ?? null,
    method: req.method,
    path: req.url,
    body,
    verified,
    status,
  }) + '\n');
  const answer = () => {
    const headers = { 'content-type': 'text/plain' };
    if (retryAfter != null) headers['retry-after'] = String(retryAfter);
    res.writeHead(status, headers).end(`receiver answered ${status}`);
  };
  if (hangMs > 0) setTimeout(answer, hangMs); else answer();
});

server.on('error', (err) => {
  console.error(`webhook-receiver: ${err.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

const stop = () => { server.closeAllConnections(); server.close(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
