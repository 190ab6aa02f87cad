// Parses a stored message (.eml) and prints the same JSON record smtp-sink.mjs writes.
//
//   node tests/tools/parse-eml.mjs <file.eml>
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { toRecord } from './mail-record.mjs';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tests/tools/parse-eml.mjs <file.eml>');
  process.exit(2);
}
const mail = await simpleParser(readFileSync(file));
process.stdout.write(JSON.stringify(toRecord(mail)) + '\n');
