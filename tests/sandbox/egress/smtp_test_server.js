// The email tests' SMTP server: smtp-server (from tests/support/npm) on a free port
// of 127.0.0.1. Each message received is written to DIRECTORY as N.eml (the DATA
// bytes exactly as received) and N.json (the envelope, whether the session was
// encrypted, the user logged in). Prints "PORT n" when listening.
//   node smtp_test_server.js DIRECTORY [--cert PEM --key PEM] [--smtps] [--user U --pass P]
// With a certificate, STARTTLS is offered (or, with --smtps, TLS from the first
// byte); without, it is not. With --user, AUTH is required (after TLS when a
// certificate is given).
'use strict';
const fs = require('fs');
const path = require('path');
const { SMTPServer } = require('smtp-server');

const args = process.argv.slice(2);
const dir = args[0];
const opt = name => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const cert = opt('--cert'), key = opt('--key'), user = opt('--user'), pass = opt('--pass');
let count = 0;

const server = new SMTPServer({
  secure: args.includes('--smtps'),
  key: key ? fs.readFileSync(key) : undefined,
  cert: cert ? fs.readFileSync(cert) : undefined,
  hideSTARTTLS: !cert,
  authOptional: !user,
  disabledCommands: user ? [] : ['AUTH'],
  allowInsecureAuth: !cert,
  logger: false,
  onAuth(auth, session, callback) {
    if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
    return callback(new Error('Invalid username or password'));
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', c => chunks.push(c));
    stream.on('end', () => {
      const n = ++count;
      fs.writeFileSync(path.join(dir, `${n}.eml`), Buffer.concat(chunks));
      fs.writeFileSync(path.join(dir, `${n}.json`), JSON.stringify({
        from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map(r => r.address),
        tls: !!session.secure,
        user: session.user || null,
      }));
      callback(null, 'queued as ' + n);
    });
  },
});
server.on('error', e => process.stderr.write(`smtp_test_server: ${e.message}\n`));
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.server.address().port}\n`));
