#!/usr/bin/env node
/*
 * The smoke test of the demo service (the "helm test" of target local):
 *   node examples/demo-app/smoke-test.js <baseUrl>      (or TARGET_URL=<baseUrl> with no argument)
 * Exits 0 when GET <baseUrl>/healthz and GET <baseUrl>/ both answer 200 within 5 s each, else 1,
 * printing one line per check (the deployer quotes that output as the test's reason).
 */
'use strict';
const http = require('node:http');

const base = process.argv[2] || process.env.TARGET_URL;
if (!base) {
  process.stderr.write('usage: smoke-test.js <baseUrl>   (e.g. http://127.0.0.1:8080)\n');
  process.exit(2);
}

function get(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 5000, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, version: response.headers['x-version'] }));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 5000ms')));
    request.on('error', (error) => resolve({ status: 0, error: error.message }));
  });
}

(async () => {
  let failed = 0;
  for (const path of ['/healthz', '/']) {
    const url = new URL(path, base).toString();
    const result = await get(url);
    const ok = result.status === 200;
    if (!ok) failed += 1;
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'} GET ${url} -> ${result.status || result.error}${result.version ? ` (version ${result.version})` : ''}\n`);
  }
  process.exit(failed === 0 ? 0 : 1);
})();
