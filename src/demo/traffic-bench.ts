/*
 * `npm run bench:traffic`: issue 14's routing measured on the local stack (a real Traefik v3 through
 * its file provider, the demo app as both tracks, the load generator with headers, cookies and a
 * cookie jar per client). Writes bench/results/traffic.json and TRAFFIC.md:
 *   - mirror: the share of the primary's requests the canary answered vs the share asked, and how
 *     many canary answers reached a client (must be none);
 *   - A/B: the canary's share of requests with and without the header or cookie (without: none);
 *   - sticky sessions: clients that saw both versions within one step (none), and after 100/0 the
 *     answers from the removed track (none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { TrafficSplit } from '../activities/ports';
import { LoadGenerator, type LoadResponse } from '../load/load-generator';
import { toolPath } from '../support/tools';
import type { LocalProcessDeployer } from '../targets/local/process-deployer';
import { LocalStack } from '../targets/local/stack';
import type { TraefikFileRouter } from '../targets/local/traefik-file-router';
import type { MatchRule } from '../workflows/domain/match';
import { writeBenchResult } from './bench-results';

const ROOT = path.resolve(__dirname, '../..');
const RPS = 200;
const PRIMARY = '1.0.0';
const CANARY = '2.0.0';
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const AB_MATCH: MatchRule[] = [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { regex: '(^|;\\s*)canary=always(;|$)' } } }];

interface Bench {
  stack: LocalStack;
  deployer: LocalProcessDeployer;
  router: TraefikFileRouter;
  next: number;
}

async function freshSplit(bench: Bench, extra: Partial<TrafficSplit> = {}): Promise<TrafficSplit> {
  bench.next += 1;
  const name = `bench${bench.next}`;
  const split: TrafficSplit = { namespace: 'bench', router: name, primaryService: name, canaryService: `${name}-canary`, ...extra };
  const target = { namespace: 'bench', chart: 'local', valuesFiles: [], versionValue: 'image.tag', set: {}, timeoutMs: 20_000 };
  await bench.deployer.install({ target, release: split.primaryService, version: PRIMARY });
  await bench.deployer.install({ target, release: split.canaryService, version: CANARY });
  await bench.router.ensureSplit({ split });
  return split;
}

/** `count` requests through Traefik's entrypoint, all their responses. */
async function requests(bench: Bench, split: TrafficSplit, count: number, options: { clients?: number; headers?: Record<string, string>; cookies?: Record<string, string> } = {}): Promise<LoadResponse[]> {
  const responses: LoadResponse[] = [];
  const load = new LoadGenerator({ url: bench.stack.entryUrl(split), rps: RPS, ...options, onResponse: (response) => responses.push(response) }).start();
  while (responses.length < count) await sleep(20);
  await load.stop();
  return responses;
}

/** `GET /` answered by the canary's process, mirrored copies included. */
async function canaryServed(bench: Bench, split: TrafficSplit): Promise<number> {
  const url = bench.stack.endpoints.get(split.namespace, split.canaryService);
  return (await axios.get<{ served: number }>(`${url}/served`)).data.served;
}

const canaryAnswers = (responses: LoadResponse[]) => responses.filter((response) => response.version === CANARY).length;
const percentOf = (part: number, whole: number) => Math.round((1000 * part) / Math.max(1, whole)) / 10;

async function mirrorRows(bench: Bench) {
  const rows = [];
  for (const asked of [100, 50, 10]) {
    const split = await freshSplit(bench);
    await bench.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, mirrorPercent: asked } });
    const before = await canaryServed(bench, split);
    const responses = await requests(bench, split, 2000, { clients: 10 });
    // The copies travel beside the requests: count once the canary's counter stops moving.
    let mirrored = -1;
    for (let now = (await canaryServed(bench, split)) - before; now !== mirrored; now = (await canaryServed(bench, split)) - before) {
      mirrored = now;
      await sleep(300);
    }
    rows.push({ askedPercent: asked, requests: responses.length, mirrored, mirroredPercent: percentOf(mirrored, responses.length), canaryAnswersToClients: canaryAnswers(responses), failed: responses.filter((response) => response.status !== 200).length });
    out(`  mirror ${asked}%: ${mirrored} of ${responses.length} copied (${percentOf(mirrored, responses.length)}%), ${canaryAnswers(responses)} canary answers reached a client`);
  }
  return rows;
}

async function abRows(bench: Bench) {
  const split = await freshSplit(bench, { abTest: { match: AB_MATCH, ingressRoute: 'unused-on-local' } });
  await bench.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0, matchedToCanary: true } });
  const populations: Array<{ population: string; matches: boolean; options: { headers?: Record<string, string>; cookies?: Record<string, string> } }> = [
    { population: 'no header, no cookie', matches: false, options: {} },
    { population: 'x-canary: other, cookie canary=never', matches: false, options: { headers: { 'x-canary': 'other' }, cookies: { canary: 'never', session: 'abc' } } },
    { population: 'x-canary: insider', matches: true, options: { headers: { 'x-canary': 'insider' } } },
    { population: 'cookie canary=always among others', matches: true, options: { cookies: { session: 'abc', canary: 'always', theme: 'dark' } } },
  ];
  const rows = [];
  for (const { population, matches, options } of populations) {
    const responses = await requests(bench, split, 2000, { clients: 20, ...options });
    rows.push({ population, matches, requests: responses.length, toCanary: canaryAnswers(responses), canaryPercent: percentOf(canaryAnswers(responses), responses.length) });
    out(`  A/B ${population}: ${canaryAnswers(responses)} of ${responses.length} to the canary`);
  }
  return rows;
}

async function stickyRows(bench: Bench) {
  const rows = [];
  for (const canaryWeight of [10, 50]) {
    const split = await freshSplit(bench, { sessionAffinity: { cookieName: 'docutag-track', maxAgeSeconds: 600 } });
    await bench.router.setWeights({ split, weights: { primaryWeight: 100 - canaryWeight, canaryWeight } });
    const clients = 100;
    const responses = await requests(bench, split, 3000, { clients });
    const versionsOf = new Map<number, Set<string>>();
    for (const response of responses) versionsOf.set(response.client, (versionsOf.get(response.client) ?? new Set()).add(response.version));
    const flipped = [...versionsOf.values()].filter((versions) => versions.size > 1).length;
    const onCanary = [...versionsOf.values()].filter((versions) => versions.has(CANARY)).length;
    // Promotion's or a rollback's 100/0: the same clients (a new load generator starts with empty jars, so this one keeps its jars).
    const after: LoadResponse[] = [];
    const load = new LoadGenerator({ url: bench.stack.entryUrl(split), rps: RPS, clients, onResponse: (response) => after.push(response) }).start();
    while (after.length < 500) await sleep(20);
    await bench.router.setWeights({ split, weights: { primaryWeight: 100, canaryWeight: 0 } });
    const appliedAt = Date.now();
    while (after.filter((response) => response.sentAt > appliedAt).length < 1000) await sleep(20);
    await load.stop();
    const afterRemoval = after.filter((response) => response.sentAt > appliedAt);
    rows.push({ canaryWeight, clients, requests: responses.length, clientsOnCanary: onCanary, clientsFlipped: flipped, requestsAfter100: afterRemoval.length, canaryAnswersAfter100: canaryAnswers(afterRemoval) });
    out(`  sticky at ${canaryWeight}%: ${onCanary} of ${clients} clients on the canary, ${flipped} flipped; after 100/0 ${canaryAnswers(afterRemoval)} canary answers of ${afterRemoval.length}`);
  }
  return rows;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'traffic-bench-'));
  out('starting the local stack (Traefik, Prometheus)...');
  const stack = await LocalStack.start({ dataDir, traefikBin: toolPath('traefik', ROOT), prometheusBin: toolPath('prometheus', ROOT) });
  const bench: Bench = { stack, deployer: stack.createDeployer({ local: { command: `"${process.execPath}" examples/demo-app/server.js`, healthPath: '/healthz' }, cwd: ROOT, drainMs: 200 }), router: stack.createRouter(), next: 0 };
  try {
    const mirror = await mirrorRows(bench);
    const abTesting = await abRows(bench);
    const sticky = await stickyRows(bench);
    const report = { measuredAt: new Date().toISOString(), settings: { rps: RPS, traefik: 'v3.6.12 (file provider)' }, mirror, abTesting, sticky };
    const markdown = [
      `# Traefik's traffic toolbox on the local stack (${report.measuredAt})`,
      '',
      `A real Traefik v3 (file provider), the demo app as primary (${PRIMARY}) and canary (${CANARY}), ${RPS} requests/s through the entrypoint.`,
      '',
      '## Mirrored blue-green (traffic.mirror)',
      '',
      '| asked | requests | copies the canary answered | share | canary answers that reached a client |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...mirror.map((row) => `| ${row.askedPercent}% | ${row.requests} | ${row.mirrored} | ${row.mirroredPercent}% | ${row.canaryAnswersToClients} |`),
      '',
      '## A/B testing (analysis.match: x-canary: insider, or cookie canary=always)',
      '',
      '| requests with | matches the rule | requests | to the canary |',
      '| --- | --- | ---: | ---: |',
      ...abTesting.map((row) => `| ${row.population} | ${row.matches ? 'yes' : 'no'} | ${row.requests} | ${row.toCanary} (${row.canaryPercent}%) |`),
      '',
      '## Sticky sessions (traffic.sessionAffinity)',
      '',
      '| canary weight | clients | requests | clients on the canary | clients that flipped versions | answers from the canary after 100/0 |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...sticky.map((row) => `| ${row.canaryWeight}% | ${row.clients} | ${row.requests} | ${row.clientsOnCanary} | ${row.clientsFlipped} | ${row.canaryAnswersAfter100} of ${row.requestsAfter100} |`),
      '',
    ].join('\n');
    writeBenchResult('traffic', report, markdown);
    const clean = mirror.every((row) => row.canaryAnswersToClients === 0) && abTesting.every((row) => (row.matches ? row.toCanary === row.requests : row.toCanary === 0)) && sticky.every((row) => row.clientsFlipped === 0 && row.canaryAnswersAfter100 === 0);
    return clean ? 0 : 1;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`traffic bench failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
