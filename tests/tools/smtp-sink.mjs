// A real SMTP server for tests: listens on 127.0.0.1, accepts every message (with or without AUTH),
// parses it and appends it as one JSON line {to, from, subject, text, html, messageId, headers} to a file.
//
//   node tests/tools/smtp-sink.mjs <port|0> <output.jsonl>
//
// Recipients named for a failure get it at RCPT TO, as a real server would: `rejected-…@` a permanent
// 550 (no such mailbox), `greylisted-…@` a 451 (try again later) the first time each address is seen.
//
// Prints {"port":N} on stdout once it listens (port 0 picks a free one). Exits when stdin closes, so it
// never outlives the test process that started it.
import { appendFileSync, writeFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { toRecord } from './mail-record.mjs';

const [portArg, outFile] = process.argv.slice(2);
const port = Number.parseInt(portArg ?? '', 10);
if (!outFile || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node tests/tools/smtp-sink.mjs <port|0> <output.jsonl>');
  process.exit(2);
}
writeFileSync(outFile, '', { flag: 'a' });

const greylisted = new Set();
const server = new SMTPServer({
  name: 'smtp-sink.test',
  banner: 'Headless test SMTP sink',
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onAuth(auth, _session, callback) {
    callback(null, { user: auth.username || 'anonymous' });
  },
  onRcptTo(address, _session, callback) {
    const local = address.address.split('@')[0];
    if (local.startsWith('rejected-')) {
      return callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
    }
    if (local.startsWith('greylisted-') && !greylisted.has(address.address)) {
      greylisted.add(address.address);
      return callback(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
    }
    callback();
  },
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user ?? null,
        };
        // One write per message, ending in a newline: a reader never sees half a record as complete.
        appendFileSync(outFile, JSON.stringify(toRecord(mail, envelope)) + '\n');
        callback();
      })
      .catch((err) => callback(err));
  },
});

server.on('error', (err) => {
  console.error(`smtp-sink: ${err.message}`);
  if (!server.server.listening) {
    process.exit(1);
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\n');
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
