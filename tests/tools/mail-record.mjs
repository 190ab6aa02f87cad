// Turns a message parsed by mailparser into the plain JSON record the tests read.
export function toRecord(mail, envelope) {
  const addresses = (field) => (field ? [field].flat().flatMap((f) => f.value.map((a) => a.address)) : []);
  return {
    to: addresses(mail.to),
    from: addresses(mail.from)[0] ?? '',
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : '',
    messageId: mail.messageId ?? '',
    headers: Object.fromEntries(
      mail.headerLines.map((h) => [h.key, h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim()]),
    ),
    envelope: envelope ?? null,
  };
}
