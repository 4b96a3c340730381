// The r2 tests' S3 server: s3rver (from tests/support/npm) on a free port of
// 127.0.0.1 with the bucket "pub", behind a Signature V4 check of its own.
// s3rver checks only that the access key id exists (its V4 check is
// unimplemented), so every signed request is verified here first, from the
// request exactly as it arrived, with the secret "S3RVER" (s3rver's one key pair):
// the canonical URI and query re-encoded the way AWS does, the signed headers as
// received. A mismatch is S3's 403 SignatureDoesNotMatch. Anonymous requests go
// straight to s3rver (its buckets are public). Prints "PORT n" when listening.
//   node --openssl-legacy-provider s3_test_server.js DIRECTORY   (S3_TEST_VERBOSE=1: s3rver's log)
// s3rver's continuation tokens use a cipher OpenSSL 3 keeps in its legacy provider.
'use strict';
const crypto = require('crypto');
const http = require('http');
const S3rver = require('s3rver');

const SECRET = 'S3RVER';

function rfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

// null: the signature holds; else why not.
function checkV4(req) {
  const auth = req.headers['authorization'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'malformed Authorization header';
  const [, , date, region, service, signedHeaders, signature] = m;
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !amzDate.startsWith(date)) return 'x-amz-date does not match the credential scope';
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const uri = rawPath.split('/').map(s => rfc3986(decodeURIComponent(s))).join('/');
  const query = rawQuery.split('&').filter(Boolean).map(p => {
    const eq = p.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, '%20'));
    return [rfc3986(name), rfc3986(value)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => n + '=' + v).join('&');
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256'))
    return 'host, x-amz-date and x-amz-content-sha256 must be signed';
  const headers = names.map(n => n + ':' + String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ') + '\n').join('');
  const canonical = [req.method, uri, query, headers, signedHeaders, req.headers['x-amz-content-sha256']].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key = hmac('AWS4' + SECRET, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const expected = hmac(key, toSign).toString('hex');
  return expected === signature ? null : 'signature mismatch';
}

async function main() {
  const s3 = new S3rver({ directory: process.argv[2], silent: !process.env.S3_TEST_VERBOSE, vhostBuckets: false,
                          configureBuckets: [{ name: 'pub' }] });
  await s3.configureBuckets();
  const app = s3.getMiddleware();
  const server = http.createServer((req, res) => {
    if (req.headers['authorization']) {
      const why = checkV4(req);
      if (why) {
        process.stderr.write(`s3_test_server: ${req.method} ${req.url}: ${why}\n`);
        res.writeHead(403, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The ' +
                'request signature we calculated does not match the signature you provided. Check your key and ' +
                'signing method.</Message></Error>');
        req.resume();
        return;
      }
    }
    app(req, res);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`);
  });
}

main().catch(e => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1); });
