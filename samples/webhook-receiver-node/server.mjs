// A receiver for the shop's webhooks. Every delivery is checked with the npm `standardwebhooks` package
// (the Standard Webhooks reference implementation) against the endpoint's signing secret: a valid one is
// answered 204 at once, anything else 401. Handle the event after answering (a queue, a job table): the
// shop waits at most 10 s and retries what it does not see answered 2xx.
//
//   WEBHOOK_SECRET=whsec_... PORT=3000 node server.mjs
//
// Logs one JSON line per request with the delivery's ids and event type only: never the body (it names
// resources, and a handler's own logs are the place for what it does with them).
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET;
const port = Number.parseInt(process.env.PORT ?? '3000', 10);
const host = process.env.HOST ?? '127.0.0.1';
const path = process.env.WEBHOOK_PATH ?? '/webhooks/headless';
const maxBytes = 256 * 1024;

const log = (entry) => process.stdout.write(JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');

if (!secret?.startsWith('whsec_') || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('Set WEBHOOK_SECRET to the endpoint\'s signing secret (whsec_..., shown once when the endpoint was created or its secret rotated) and PORT to a port number.');
  process.exit(2);
}
const webhook = new Webhook(secret);

// The shop delivers at least once: a retry carries the same webhook-id. Remember recent ids so a handler
// does its work once (a real receiver keeps them in its database, for at least the shop's three retry days).
const seen = new Set();
const remember = (id) => {
  seen.add(id);
  if (seen.size > 10_000) seen.delete(seen.values().next().value);
};

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxBytes) {
      reject(new Error('too large'));
      req.destroy();
    } else {
      chunks.push(chunk);
    }
  });
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

const server = createServer(async (req, res) => {
  const webhookId = req.headers['webhook-id'] ?? null;
  if (req.method !== 'POST' || new URL(req.url, 'http://receiver').pathname !== path) {
    res.writeHead(404).end();
    return;
  }
  let body;
  try {
    body = await readBody(req);
  } catch {
    log({ msg: 'rejected', webhookId, reason: 'body too large' });
    res.writeHead(413).end();
    return;
  }
  let event;
  try {
    // Checks webhook-signature (any of its v1 signatures; two during a secret rotation) over
    // "{webhook-id}.{webhook-timestamp}.{body}", and that the timestamp is within 5 minutes.
    event = webhook.verify(body, {
      'webhook-id': req.headers['webhook-id'],
      'webhook-timestamp': req.headers['webhook-timestamp'],
      'webhook-signature': req.headers['webhook-signature'],
    });
  } catch (error) {
    log({ msg: 'rejected', webhookId, reason: error.message });
    res.writeHead(401, { 'content-type': 'text/plain' }).end('signature not valid');
    return;
  }
  const duplicate = seen.has(webhookId);
  remember(webhookId);
  log({ msg: duplicate ? 'duplicate' : 'accepted', webhookId, eventId: event.id, type: event.type });
  res.writeHead(204).end();
});

server.on('error', (error) => {
  console.error(`webhook receiver: ${error.message}`);
  process.exit(1);
});

server.listen(port, host, () => {
  log({ msg: 'listening', url: `http://${host}:${server.address().port}${path}`, port: server.address().port });
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
}
