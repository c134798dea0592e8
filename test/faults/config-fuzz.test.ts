/*
 * Bad input fuzzing of `validate`: 1,000 generated config files (wrong types, missing fields, huge
 * numbers, unicode, secrets, typos, YAML anchors, merge keys, alias bombs and cycles, deep nesting,
 * broken syntax, Helm values files with a bad flagger: block). Every one must be refused with exit
 * code 2 and the path of a bad field, never a crash, within a memory bound. Seeded: FAULT_SEED replays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { stringify } from 'yaml';
import { runCli } from '../../src/client/cli';
import type { CliIO } from '../../src/client/output';
import { faultSeed, Random } from './seed';

const CASES = 1000;
const MAX_HEAP_GROWTH_BYTES = 200 * 1024 * 1024;

type Plain = Record<string, unknown>;

/** A valid config with every section, so each field can be broken. */
function baseConfig(): Plain {
  return {
    service: { name: 'web', namespace: 'shop' },
    target: 'kubernetes',
    helm: { chart: './chart', valuesFiles: ['chart/values.yaml'], versionValue: 'image.tag', set: { replicaCount: 2 }, releases: { primary: 'web', canary: 'web-canary' }, timeout: '5m' },
    traffic: { provider: 'traefik', traefikService: 'web', primaryService: 'web', canaryService: 'web-canary' },
    metricsServer: 'http://prometheus.monitoring:9090',
    strategy: 'canary',
    analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 100, iterations: 10, postSwitchIterations: 2 },
    metrics: {
      requestSuccessRate: { enabled: true, threshold: 99 },
      requestDuration: { enabled: true, threshold: 500 },
      custom: [{ name: 'errors', query: 'sum(rate(http_errors_total[{{ interval }}]))', max: 1 }],
    },
    webhooks: {
      helmTests: { enabled: true, timeout: '3m' },
      hooks: [{ name: 'load-test', type: 'rollout', url: 'http://loadtester.test/', timeout: '10s', metadata: { cmd: 'hey -z 1m' } }],
    },
    drill: { version: '1.0.0-drill', set: { 'faultInjection.errorRate': '50' }, maxRestore: '5s' },
    migration: { directReleasesToPass: 3 },
    alerts: { slack: { enabled: true, channel: '#production-deploys' } },
  };
}

/**
 * A generated case: the files, and the fields one of which must be reported: the field itself or a
 * path inside it (`analysis.stepWeights` is found as `analysis.stepWeights[0]` too).
 */
interface FuzzCase {
  kind: string;
  config: string | Buffer;
  values?: string;
  expectPaths: string[];
  /** Deep nesting: either YAML refuses it, or the walk stops somewhere below this field. */
  expectPrefix?: string;
}

const pointsInto = (reported: string, field: string) => reported === field || reported.startsWith(`${field}.`) || reported.startsWith(`${field}[`);

function pathKeys(dotted: string): Array<string | number> {
  return dotted.split('.').flatMap((part) => {
    const match = /^(.*)\[(\d+)\]$/.exec(part);
    return match ? [match[1]!, Number(match[2])] : [part];
  });
}

function setAt(root: Plain, dotted: string, value: unknown): void {
  const keys = pathKeys(dotted);
  let node: any = root;
  for (const key of keys.slice(0, -1)) node = node[key];
  node[keys.at(-1)!] = value;
}

function deleteAt(root: Plain, dotted: string): void {
  const keys = pathKeys(dotted);
  let node: any = root;
  for (const key of keys.slice(0, -1)) node = node[key];
  delete node[keys.at(-1)!];
}

const WRONG_BY_TYPE: Record<'string' | 'number' | 'boolean' | 'object' | 'array', unknown[]> = {
  string: [42, -1.5, true, false, null, [], ['a'], {}, { a: 1 }, 1e308],
  number: ['5', 'five', true, null, [], [5], {}, '', '1e3'],
  boolean: ['yes', 'true', 1, 0, null, [], {}, 'on'],
  object: [1, 'x', true, [], [1, 2], null, 0],
  array: [1, 'x', true, { a: 1 }, null],
};

const LEAVES: Array<[string, keyof typeof WRONG_BY_TYPE]> = [
  ['service', 'object'], ['service.name', 'string'], ['service.namespace', 'string'], ['target', 'string'],
  ['helm', 'object'], ['helm.chart', 'string'], ['helm.valuesFiles', 'array'], ['helm.versionValue', 'string'], ['helm.set', 'object'],
  ['helm.releases', 'object'], ['helm.releases.canary', 'string'], ['helm.timeout', 'string'],
  ['traffic', 'object'], ['traffic.provider', 'string'], ['traffic.traefikService', 'string'], ['traffic.canaryService', 'string'],
  ['metricsServer', 'string'], ['strategy', 'string'],
  ['analysis', 'object'], ['analysis.interval', 'string'], ['analysis.threshold', 'number'], ['analysis.stepWeight', 'number'],
  ['analysis.stepWeights', 'array'], ['analysis.maxWeight', 'number'], ['analysis.iterations', 'number'], ['analysis.postSwitchIterations', 'number'],
  ['metrics', 'object'], ['metrics.requestSuccessRate', 'object'], ['metrics.requestSuccessRate.enabled', 'boolean'], ['metrics.requestSuccessRate.threshold', 'number'],
  ['metrics.requestDuration.threshold', 'number'], ['metrics.custom', 'array'], ['metrics.custom[0].query', 'string'], ['metrics.custom[0].max', 'number'],
  ['webhooks', 'object'], ['webhooks.helmTests.enabled', 'boolean'], ['webhooks.helmTests.timeout', 'string'], ['webhooks.hooks', 'array'],
  ['webhooks.hooks[0].url', 'string'], ['webhooks.hooks[0].type', 'string'], ['webhooks.hooks[0].metadata', 'object'],
  ['drill', 'object'], ['drill.version', 'string'], ['drill.set', 'object'], ['migration', 'object'], ['migration.directReleasesToPass', 'number'],
  ['alerts', 'object'], ['alerts.slack', 'object'], ['alerts.slack.enabled', 'boolean'], ['alerts.slack.channel', 'string'],
];

const OUT_OF_RANGE: Array<[string, unknown[]]> = [
  ['analysis.threshold', [0, -1, 1001, 1e308, -1e308, 2 ** 53 + 2, 1.5, Infinity, -Infinity, NaN]],
  ['analysis.stepWeight', [0, 101, 1e308, 2.5, -5, NaN]],
  ['analysis.maxWeight', [0, 101, 1e300, 99.9]],
  ['analysis.iterations', [0, 1001, 1e300, -3]],
  ['analysis.postSwitchIterations', [-1, 1001, 0.5]],
  ['metrics.requestSuccessRate.threshold', [-0.1, 100.5, 1e308, -Infinity]],
  ['metrics.requestDuration.threshold', [0, -1, -1e308, NaN, -Infinity]],
  ['migration.directReleasesToPass', [0, 1.5, -1]],
  ['analysis.stepWeights', [[50, 10], [0], [101], [], [10, 10], [1.5], Array.from({ length: 10_000 }, () => 1)]],
  ['analysis.interval', ['0s', '25h', '99999999999999999999h', '1.5s', '10 s', '-1s', '1d', '', '1m30s', '0x10s', '１s']],
  ['helm.timeout', ['0ms', '9999999h', '5 minutes', 'PT5M']],
  ['webhooks.helmTests.timeout', ['0s', '100000h']],
  ['webhooks.hooks[0].timeout', ['0s', '48h', 'forever']],
  ['drill.maxRestore', ['0s', '25h']],
];

const MISSING: Array<[string, string]> = [
  ['service', 'service'], ['service.name', 'service.name'], ['service.namespace', 'service.namespace'], ['helm.chart', 'helm.chart'], ['helm', 'helm.chart'],
  ['webhooks.hooks[0].url', 'webhooks.hooks[0].url'], ['webhooks.hooks[0].name', 'webhooks.hooks[0].name'], ['webhooks.hooks[0].type', 'webhooks.hooks[0].type'],
  ['metrics.custom[0].query', 'metrics.custom[0].query'], ['metrics.custom[0].max', 'metrics.custom[0]'], ['drill.version', 'drill.version'],
];

const UNICODE_NAMES = ['服务', 'wéb', 'web\u200b', '😀', 'a\u202eb', 'ＷＥＢ', 'web\u0000', '\ufeffweb', 'ǆ', 'ᴡeb', 'Web', 'web_1', '-web', 'x'.repeat(60_000)];
const UNICODE_ENUMS: Array<[string, string[]]> = [
  ['strategy', ['сanary', 'canary\u200b', 'CANARY', 'ｃａｎａｒｙ', 'blue_green', 'rolling']],
  ['target', ['kubernetes\u00a0', 'kübernetes', 'k8s', 'local\u0000']],
  ['traffic.provider', ['traefik\u200d', 'istio', 'trӕfik']],
  ['webhooks.hooks[0].type', ['pre-rollout\u2011', 'prerollout', 'ROLLOUT']],
];
const NAME_FIELDS = ['service.name', 'service.namespace', 'helm.releases.primary', 'helm.releases.canary', 'traffic.traefikService', 'traffic.primaryService', 'traffic.canaryService', 'metrics.custom[0].name'];

const TYPOS: string[] = ['analysys', 'analysis.intervall', 'metrics.requestSucessRate', 'service.nme', 'helm.chrat', 'alerts.slak', 'webhooks.hooks[0].urls', 'sérvice', 'analysis.😀', '__proto__', 'analysis.__proto__', 'constructor', 'helm.releases.toString', 'metrics.custom[0].hasOwnProperty'];

const SECRETS: Array<[string, unknown, string]> = [
  ['alerts.slack.channel', 'https://hooks.slack.com/services/T000/B000/abcdefabcdef', 'alerts.slack.channel'],
  ['alerts.slack.webhookUrl', 'https://hooks.slack.com/services/T000/B000/abcdefabcdef', 'alerts.slack.webhookUrl'],
  ['helm.set.token', 'ghp_abcdef', 'helm.set.token'],
  ['webhooks.hooks[0].metadata.apiKey', 'k-123', 'webhooks.hooks[0].metadata.apiKey'],
  ['webhooks.hooks[0].url', 'http://admin:hunter2@loadtester.test/', 'webhooks.hooks[0].url'],
  ['webhooks.hooks[0].url', 'https://discord.com/api/webhooks/1/abc', 'webhooks.hooks[0].url'],
  ['metricsServer', 'ftp://prometheus:9090', 'metricsServer'],
  ['webhooks.hooks[0].url', 'javascript:alert(1)', 'webhooks.hooks[0].url'],
  ['metricsServer', 'http://admin:hunter2@prometheus.monitoring:9090', 'metricsServer'],
];

/**
 * Configs each field of which is valid, whose combination would hurt production or never work
 * (issue 12): each is refused at the field named.
 */
const UNSAFE: Array<[string, (config: Plain) => void, string]> = [
  ['canary release = primary release', (c) => setAt(c, 'helm.releases.canary', 'web'), 'helm.releases.canary'],
  ['canary Service = primary Service', (c) => setAt(c, 'traffic.canaryService', 'web'), 'traffic.canaryService'],
  ['stepWeight above maxWeight', (c) => Object.assign(c.analysis as Plain, { stepWeight: 80, maxWeight: 30 }), 'analysis.stepWeight'],
  ['stepWeights above maxWeight', (c) => Object.assign(c.analysis as Plain, { stepWeights: [10, 40, 90], maxWeight: 50 }), 'analysis.stepWeights[2]'],
  ['custom metric min above max', (c) => setAt(c, 'metrics.custom[0]', { name: 'errors', query: 'q', min: 2, max: 1 }), 'metrics.custom[0]'],
  ['success rate threshold 0', (c) => setAt(c, 'metrics.requestSuccessRate.threshold', 0), 'metrics.requestSuccessRate.threshold'],
  ['Service name starting with a digit', (c) => setAt(c, 'traffic.primaryService', '0web'), 'traffic.primaryService'],
  ['secret-looking helm.set path', (c) => setAt(c, 'helm.set', { replicaCount: 2, 'db.password': 'hunter2' }), 'helm.set.db.password'],
  ['secret-looking drill.set path', (c) => setAt(c, 'drill.set', { 'auth.clientSecret': 's' }), 'drill.set.auth.clientSecret'],
];

/** Noise: a second break in another section, so the reported issues are several at once. */
const NOISE: Array<[string, unknown]> = [
  ['analysis.threshold', 'many'], ['metrics.requestDuration.threshold', -1], ['webhooks.helmTests.timeout', 'soon'], ['alerts.slack.enabled', 'yes'],
  ['traffic.provider', 'nginx'], ['migration.directReleasesToPass', 0], ['drill.maxRestore', '1d'], ['strategy', 'rolling'], ['metricsServer', 'prometheus:9090'],
];

const topKey = (dotted: string) => pathKeys(dotted)[0] as string;

/** Config-object mutations with a known path. */
function structuralCase(random: Random): FuzzCase {
  const config = baseConfig();
  let kind: string;
  let expected: string;
  const family = random.int(0, 6);
  if (family === 0) {
    const [leaf, type] = random.pick(LEAVES);
    setAt(config, leaf, random.pick(WRONG_BY_TYPE[type]));
    kind = `wrong type at ${leaf}`;
    expected = leaf;
  } else if (family === 1) {
    const [field, values] = random.pick(OUT_OF_RANGE);
    setAt(config, field, random.pick(values));
    kind = `out of range at ${field}`;
    expected = field;
  } else if (family === 2) {
    const [field, reported] = random.pick(MISSING);
    deleteAt(config, field);
    kind = `missing ${field}`;
    expected = reported;
  } else if (family === 3) {
    if (random.chance(0.5)) {
      const field = random.pick(NAME_FIELDS);
      // A custom metric's name may have capitals, "_" and any length; a Kubernetes name may not.
      setAt(config, field, random.pick(field.startsWith('metrics.custom') ? UNICODE_NAMES.filter((name) => !/^[a-zA-Z][\w-]*$/.test(name)) : UNICODE_NAMES));
      expected = field;
    } else {
      const [field, values] = random.pick(UNICODE_ENUMS);
      setAt(config, field, random.pick(values));
      expected = field;
    }
    kind = `unicode at ${expected}`;
  } else if (family === 4) {
    const typo = random.pick(TYPOS);
    const keys = pathKeys(typo);
    let node: any = config;
    for (const key of keys.slice(0, -1)) node = node[key];
    // Own property even for __proto__, as a YAML mapping key is.
    Object.defineProperty(node, keys.at(-1)!, { value: { threshold: 3 }, enumerable: true, writable: true, configurable: true });
    kind = `unknown key ${typo}`;
    expected = typo;
  } else if (family === 6) {
    const [what, mutate, reported] = random.pick(UNSAFE);
    mutate(config);
    kind = `unsafe: ${what}`;
    expected = reported;
  } else {
    const [field, value, reported] = random.pick(SECRETS);
    setAt(config, field, value);
    kind = `secret or bad URL at ${field}`;
    expected = reported;
  }
  if (random.chance(0.5)) {
    const candidates = NOISE.filter(([field]) => topKey(field) !== topKey(expected) && topKey(expected) !== '(root)');
    const [field, value] = random.pick(candidates);
    setAt(config, field, value);
    kind += ` + ${field}`;
  }
  return { kind, config: stringify(config), expectPaths: [expected] };
}

const SERVICE = 'service: { name: web, namespace: shop }\nhelm: { chart: ./chart }\n';

/** YAML-level attacks, written as text. */
function yamlCase(random: Random): FuzzCase {
  const variants: Array<() => FuzzCase> = [
    () => {
      const levels = random.int(6, 12);
      const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => (i === 1 ? '*a' : `*l${i - 1}`)).join(', ')}]`);
      return { kind: `alias bomb 9^${levels}`, config: `${lines.join('\n')}\n${SERVICE}`, expectPaths: ['(yaml)'] };
    },
    () => ({ kind: 'alias cycle', config: `service: &s { name: web, namespace: shop, again: *s }\nhelm: { chart: ./chart }\n`, expectPaths: ['service.again'] }),
    () => ({ kind: 'alias cycle in a list', config: `${SERVICE}analysis: { stepWeights: &w [10, *w] }\n`, expectPaths: ['analysis.stepWeights[1]'] }),
    () => ({ kind: 'anchor reused where it does not fit', config: `service: &s { name: web, namespace: shop }\nhelm: *s\n`, expectPaths: ['helm.name', 'helm.namespace'] }),
    () => ({ kind: 'anchor of a list used as a number', config: `${SERVICE}analysis: { stepWeights: &w [10, 20], threshold: *w }\n`, expectPaths: ['analysis.threshold'] }),
    () => ({ kind: 'merge key', config: `${SERVICE}defaults: &d { threshold: 3 }\nanalysis: { <<: *d, interval: 1m }\n`, expectPaths: ['analysis.<<', 'defaults'] }),
    () => ({ kind: 'duplicate key', config: `${SERVICE}strategy: canary\nstrategy: direct\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'duplicate key as number and string', config: `service: { name: web, namespace: shop }\nhelm: { chart: ./chart, set: { 1: a, "1": b } }\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'unclosed flow mapping', config: `service: { name: web, namespace: shop\nhelm: { chart: ./chart }\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'tab indentation', config: `service:\n\tname: web\n\tnamespace: shop\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'unterminated quote', config: `${SERVICE}strategy: "canary\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'bad indentation', config: `service:\n  name: web\n namespace: shop\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'two documents', config: `${SERVICE}---\n${SERVICE}`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'empty file', config: '', expectPaths: ['(root)'] }),
    () => ({ kind: 'only comments', config: '# nothing here\n# at all\n', expectPaths: ['(root)'] }),
    () => ({ kind: 'top-level scalar', config: random.pick(['42\n', 'canary\n', 'true\n', '~\n', '"service: x"\n']), expectPaths: ['(root)'] }),
    () => ({ kind: 'top-level list', config: `- ${SERVICE.replace(/\n/g, '\n  ')}`, expectPaths: ['(root)'] }),
    () => {
      const depth = random.int(800, 3000);
      return { kind: `list nested ${depth} deep`, config: `${SERVICE}analysis: { stepWeights: ${'['.repeat(depth)}${']'.repeat(depth)} }\n`, expectPaths: ['(yaml)'], expectPrefix: 'analysis.stepWeights' };
    },
    () => {
      const depth = random.int(65, 400);
      return { kind: `mapping nested ${depth} deep`, config: `${SERVICE.replace('helm: { chart: ./chart }\n', '')}helm: { chart: ./chart, set: ${'{ a: '.repeat(depth)}1${' }'.repeat(depth)} }\n`, expectPaths: ['(yaml)'], expectPrefix: 'helm.set' };
    },
    () => ({ kind: 'binary tag', config: `service: { name: web, namespace: shop }\nhelm: { chart: !!binary aGVsbG8= }\n`, expectPaths: ['helm.chart'] }),
    () => ({ kind: 'unknown tag', config: `${SERVICE}strategy: !rolling canary-ish\n`, expectPaths: ['strategy'] }),
    () => ({ kind: 'set tag', config: `${SERVICE}migration: !!set { a, b }\n`, expectPaths: ['migration.a', 'migration.b', 'migration'] }),
    () => ({ kind: 'complex key', config: `${SERVICE}? [a, b]\n: 1\n`, expectPaths: ['[ a, b ]'] }),
    () => ({ kind: 'larger than 1 MiB', config: `${SERVICE}# ${'x'.repeat(1024 * 1024)}\n`, expectPaths: ['(file)'] }),
    () => ({ kind: 'invalid UTF-8 in a name', config: Buffer.concat([Buffer.from('service: { name: w'), Buffer.from([0xff, 0xfe]), Buffer.from('b, namespace: shop }\nhelm: { chart: ./chart }\n')]), expectPaths: ['service.name'] }),
    () => ({ kind: 'CRLF and BOM with a bad field', config: `\ufeff${SERVICE.replace(/\n/g, '\r\n')}analysis: { threshold: -1 }\r\n`, expectPaths: ['analysis.threshold'] }),
    () => ({ kind: 'many unknown keys', config: `${SERVICE}${Array.from({ length: random.int(1000, 20000) }, (_, i) => `k${i}: ${i}`).join('\n')}\n`, expectPaths: ['k0'] }),
  ];
  return random.pick(variants)();
}

/** A Helm values file with a flagger: block (`--values`), broken in the block or in the config beside it. */
function valuesCase(random: Random): FuzzCase {
  const good = stringify({ service: { name: 'web', namespace: 'shop' }, helm: { chart: './chart' } });
  const variants: Array<() => FuzzCase> = [
    () => ({ kind: 'values without flagger', config: good, values: 'replicaCount: 2\n', expectPaths: ['flagger'] }),
    () => ({ kind: 'flagger is a string', config: good, values: 'flagger: enabled\n', expectPaths: ['flagger'] }),
    () => ({ kind: 'flagger unknown key', config: good, values: 'flagger: { enabled: true, canaryAnalysis: {} }\n', expectPaths: ['flagger.canaryAnalysis'] }),
    () => ({ kind: 'flagger metric not an object', config: good, values: 'flagger: { analysis: { metrics: [1] } }\n', expectPaths: ['flagger.analysis.metrics[0]'] }),
    () => ({ kind: 'flagger threshold wrong type', config: good, values: `flagger: { analysis: { threshold: ${random.pick(['many', '-1', '1e308', '[]'])} } }\n`, expectPaths: ['analysis.threshold'] }),
    () => ({ kind: 'flagger metric threshold wrong type', config: good, values: 'flagger: { analysis: { metrics: [ { name: request-success-rate, thresholdRange: { min: high } } ] } }\n', expectPaths: ['metrics.requestSuccessRate.threshold'] }),
    () => ({ kind: 'flagger custom metric without query', config: good, values: 'flagger: { analysis: { metrics: [ { name: errors, thresholdRange: { max: 1 } } ] } }\n', expectPaths: ['metrics.custom[0].query'] }),
    () => ({ kind: 'flagger hooks not a list of hooks', config: good, values: 'flagger: { analysis: { webhooks: [ { name: x } ] } }\n', expectPaths: ['webhooks.hooks[0].type', 'webhooks.hooks[0].url'] }),
    () => ({ kind: 'values alias bomb', config: good, values: `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nflagger: {}\n`, expectPaths: ['(yaml)'] }),
    () => ({ kind: 'config __proto__ merged over values', config: `${good}analysis: { __proto__: { threshold: 3 } }\n`, values: 'flagger: { analysis: { interval: 1m } }\n', expectPaths: ['analysis.__proto__'] }),
    () => ({ kind: 'config a list beside values', config: '- a\n- b\n', values: 'flagger: { analysis: { interval: 1m } }\n', expectPaths: ['(root)'] }),
    () => ({ kind: 'config broken beside good values', config: `${good}analysis: { stepWeight: 0 }\n`, values: 'flagger: { analysis: { interval: 1m } }\n', expectPaths: ['analysis.stepWeight'] }),
  ];
  return random.pick(variants)();
}

function generate(random: Random): FuzzCase {
  const roll = random.next();
  if (roll < 0.6) return structuralCase(random);
  if (roll < 0.85) return yamlCase(random);
  return valuesCase(random);
}

async function validate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`), isTTY: false };
  const code = await runCli(['validate', ...args], io, {});
  return { code, out, err };
}

/** The paths a run reported: from `--json`, or from the `  - path: message` lines. */
function reportedPaths(run: { out: string; err: string }, json: boolean): string[] {
  if (json) {
    const report = JSON.parse(run.out) as { valid: boolean; issues: Array<{ path: string; message: string }> };
    expect(report.valid).toBe(false);
    return report.issues.map((issue) => issue.path);
  }
  return [...run.err.matchAll(/^ {2}- (.+?): /gm)].map((match) => match[1]!);
}

/** The collector, so that heap readings show what stays alive rather than garbage not yet collected. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'config-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate against 1,000 generated bad configs', () => {
  test('the generator\'s base config is valid (every case breaks it on purpose)', async () => {
    const file = path.join(dir, 'base.yaml');
    writeFileSync(file, stringify(baseConfig()));
    const run = await validate(['--config', file]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });

  test('never crashes: always exit 2 with the path of a bad field, memory bounded', async () => {
    const random = new Random(faultSeed('config fuzz'));
    const gc = collector();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    for (let index = 0; index < CASES; index++) {
      const fuzz = generate(random);
      const json = random.chance(0.5);
      const configFile = path.join(dir, `case-${index % 10}.yaml`);
      writeFileSync(configFile, fuzz.config);
      const args = ['--config', configFile];
      if (fuzz.values !== undefined) {
        const valuesFile = path.join(dir, `values-${index % 10}.yaml`);
        writeFileSync(valuesFile, fuzz.values);
        args.push('--values', valuesFile);
      }
      if (json) args.push('--json');
      let verdict: string | null = null;
      try {
        const run = await validate(args);
        const paths = run.code === 2 ? reportedPaths(run, json) : [];
        const found = paths.some((reported) => fuzz.expectPaths.some((field) => pointsInto(reported, field)) || (fuzz.expectPrefix !== undefined && reported.startsWith(fuzz.expectPrefix)));
        if (run.code !== 2) verdict = `exit ${run.code}: ${(run.err || run.out).slice(0, 300)}`;
        else if (!paths.length || paths.some((reported) => !reported)) verdict = `no field path: ${(run.err || run.out).slice(0, 300)}`;
        else if (!found) verdict = `expected ${fuzz.expectPaths.join(' or ')}${fuzz.expectPrefix ? ` or ${fuzz.expectPrefix}…` : ''}, reported ${paths.slice(0, 8).join(', ')}`;
      } catch (error) {
        verdict = `crashed: ${(error as Error).stack?.slice(0, 300)}`;
      }
      if (verdict) failures.push(`#${index} ${fuzz.kind}${json ? ' (--json)' : ''}: ${verdict}`);
      const family = fuzz.kind.split(' ')[0]!;
      kinds.set(family, (kinds.get(family) ?? 0) + 1);
      if (index % 100 === 99) {
        gc();
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
    }
    process.stdout.write(`config fuzz: ${CASES} cases (${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}); live heap +${Math.round((heapPeak - heapBefore) / 1024 / 1024)} MB at most\n`);
    expect(failures).toEqual([]);
    expect(heapPeak - heapBefore).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  });
});
