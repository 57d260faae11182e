// Peer client for benches/http2-nginx.sh: @parse/node-apn sending one payload to every
// token in a file, as fast as the library allows, with at most CONCURRENCY in flight.
//
// Usage: node node-apn.js HOST PORT CA_PEM KEY_P8 TOKENS_FILE PAYLOAD_FILE CONCURRENCY
// Prints one JSON line: {"client":"node-apn","ok":N,"failed":N,"send_seconds":S,...}.
// NODE_PATH (set by the bench script) points at the cache where the library is installed.
'use strict';
const fs = require('fs');
const apn = require('@parse/node-apn');

const [host, port, caFile, keyFile, tokensFile, payloadFile, concurrencyText] =
  process.argv.slice(2);
const concurrency = Number(concurrencyText);
const tokens = fs.readFileSync(tokensFile, 'utf8').split('\n').filter(line => line !== '');
const payload = JSON.parse(fs.readFileSync(payloadFile, 'utf8'));

const provider = new apn.Provider({
  // Token auth, like the other clients; nginx ignores the bearer token.
  token: { key: fs.readFileSync(keyFile, 'utf8'), keyId: 'ABCDEFGHIJ', teamId: 'ABCDEFGHIJ' },
  // `address` replaces api.(sandbox.)push.apple.com and `port` 443; `ca` is the
  // library's own option for an extra trusted CA (passed to tls), so NODE_EXTRA_CA_CERTS
  // is not needed.
  address: host,
  port: Number(port),
  ca: fs.readFileSync(caFile),
  production: false,
  // The default 5 s per request is plenty with a bounded window; kept explicit so a
  // slow machine (a compile beside us) does not turn into timeouts.
  requestTimeout: 30000,
});

const note = new apn.Notification();
note.rawPayload = payload; // the exact bytes the other clients send
note.topic = 'com.example.app';
note.pushType = 'alert';
note.priority = 10;

async function main() {
  let ok = 0;
  let failed = 0;
  let firstFailure = null;
  let next = 0;
  const started = process.hrtime.bigint();
  // A window of `concurrency` workers, each sending one token at a time through
  // provider.send: the same "N in flight" as h2load -m, aioapns and push-console.
  // (provider.send(note, allTokens) would open every stream at once and leave nghttp2
  // to queue them behind the server's 1000-stream limit.)
  async function worker() {
    while (next < tokens.length) {
      const token = tokens[next++];
      const result = await provider.send(note, token);
      ok += result.sent.length;
      failed += result.failed.length;
      if (result.failed.length && !firstFailure) firstFailure = result.failed[0];
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Provider.shutdown takes a callback (it returns nothing to await).
  await new Promise(resolve => provider.shutdown(resolve));
  const line = { client: 'node-apn', ok, failed, send_seconds: seconds };
  if (firstFailure) line.first_failure = JSON.stringify(firstFailure).slice(0, 300);
  console.log(JSON.stringify(line));
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch(error => {
  console.error(`node-apn driver: ${error && error.stack ? error.stack : error}`);
  process.exit(2);
});
