#!/usr/bin/env node
/*
 * The demo service of the local stack: one process is one replica of one version.
 *
 * Environment (all optional):
 *   VERSION            the version it reports (default "dev")
 *   PORT               the TCP port on 127.0.0.1 (default 8080; 0 picks a free one, printed on start)
 *   HOST               the address to listen on (default 127.0.0.1)
 *   FAULT_ERROR_RATE   fraction of `GET /` answered 500, 0..1 (default 0): a faulty version
 *   FAULT_LATENCY_MS   milliseconds added before each `GET /` answer (default 0): a slow version
 *
 * Endpoints:
 *   GET /healthz   200 "ok" always (readiness; never faulty, so a faulty version still deploys)
 *   GET /          200 {"version": "..."} (or 500 {"version", "error"} at FAULT_ERROR_RATE), header x-version
 *   GET /served    200 {"version", "served": N}: how many `GET /` it answered (mirrored copies included),
 *                  so a test can count what a mirror sent to it; never counted itself
 *
 * On SIGTERM/SIGINT it stops accepting connections, lets requests in flight finish, then exits 0.
 * No dependencies: it runs with plain `node`.
 */
'use strict';
const http = require('node:http');

function fraction(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function milliseconds(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of milliseconds >= 0, got "${raw}"`);
  return value;
}

const version = process.env.VERSION || 'dev';
const host = process.env.HOST || '127.0.0.1';
const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
const errorRate = fraction('FAULT_ERROR_RATE');
const latencyMs = milliseconds('FAULT_LATENCY_MS');
/** `GET /` requests answered, mirrored copies included. */
let served = 0;

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-version': version });
  response.end(text);
}

const server = http.createServer((request, response) => {
  const path = (request.url || '/').split('?')[0];
  if (path === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain', 'x-version': version });
    response.end('ok');
    return;
  }
  if (path === '/served') {
    send(response, 200, { version, served });
    return;
  }
  if (path !== '/' || (request.method !== 'GET' && request.method !== 'HEAD')) {
    send(response, 404, { version, error: `no route for ${request.method} ${path}` });
    return;
  }
  served += 1;
  const answer = () => (Math.random() < errorRate ? send(response, 500, { version, error: 'injected fault (FAULT_ERROR_RATE)' }) : send(response, 200, { version }));
  if (latencyMs > 0) setTimeout(answer, latencyMs);
  else answer();
});
// Behind a proxy that keeps connections open: keep idle connections longer than the proxy does,
// so the proxy closes them first and never sends a request on a socket this side is closing.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;

// Requests in flight per connection. On stop every connection with none is closed at once: Node's
// closeIdleConnections() leaves open a connection that never carried a request (a proxy's spare
// one), and a keep-alive connection that was busy at that moment, so close() would wait for them.
const requestsInFlight = new Map();
server.on('connection', (socket) => {
  requestsInFlight.set(socket, 0);
  socket.once('close', () => requestsInFlight.delete(socket));
});
server.on('request', (request, response) => {
  const socket = request.socket;
  requestsInFlight.set(socket, (requestsInFlight.get(socket) || 0) + 1);
  response.once('close', () => {
    const left = Math.max(0, (requestsInFlight.get(socket) || 1) - 1);
    requestsInFlight.set(socket, left);
    if (stopping && left === 0) socket.end();
  });
});

server.listen(port, host, () => {
  process.stdout.write(`demo-app ${version} listening on http://${host}:${server.address().port} (error rate ${errorRate}, latency ${latencyMs}ms)\n`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  // close() stops accepting; connections without a request in flight end now, busy ones after their response.
  server.close(() => process.exit(0));
  for (const [socket, inFlight] of requestsInFlight) if (inFlight === 0) socket.end();
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
