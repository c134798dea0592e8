import { readFileSync } from 'node:fs';
import { isScalar, LineCounter, parseDocument, visit, YAMLParseError, type Document } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from './errors';
import { configFromFlaggerValues, mergeConfig } from './flagger-values';
import { resolveMetricTemplates } from './metric-templates';
import { configSchema, resolveNames, type ReleaseConfig } from './schema';

/** Largest config file read; anything bigger is not a release config. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest nesting read: a release config is five levels deep, and every later walk over it recurses. */
const MAX_DEPTH = 64;

/** Chat webhook URLs carry their credential in the URL: each names the worker variable it belongs in. */
const SECRET_URLS: ReadonlyArray<{ pattern: RegExp; env: string }> = [
  { pattern: /hooks\.slack\.com/i, env: 'SLACK_WEBHOOK_URL' },
  { pattern: /discord(app)?\.com\/api\/webhooks/i, env: 'DISCORD_WEBHOOK_URL' },
  { pattern: /outlook\.office\.com\/webhook|webhook\.office\.com|logic\.azure\.com.*[?&]sig=|powerplatform\.com.*[?&]sig=/i, env: 'TEAMS_WEBHOOK_URL' },
];
const SECRET_KEYS = new Set(['webhookUrl', 'webhook_url', 'webhookURL', 'token', 'bearerToken', 'password', 'apiKey']);

/**
 * Secrets never enter a workflow input: the Temporal history is readable by every Web UI user.
 * Finds literal webhook URLs and credential-looking keys anywhere in the raw document.
 */
export function findLiteralSecrets(raw: unknown, path: PropertyKey[] = []): ConfigIssue[] {
  if (typeof raw === 'string') {
    const secret = SECRET_URLS.find(({ pattern }) => pattern.test(raw));
    return secret
      ? [{ path: formatPath(path), message: `a literal webhook URL would be written into the Temporal history, which every Web UI user can read; remove it and set ${secret.env} in the worker environment instead` }]
      : [];
  }
  if (Array.isArray(raw)) return raw.flatMap((item, index) => findLiteralSecrets(item, [...path, index]));
  if (typeof raw === 'object' && raw !== null) {
    return Object.entries(raw).flatMap(([key, value]) =>
      SECRET_KEYS.has(key)
        ? [{ path: formatPath([...path, key]), message: `secrets do not belong in the config (it is copied into the Temporal history); set it in the worker environment (SLACK_WEBHOOK_URL, PROMETHEUS_BEARER_TOKEN, KUBECONFIG)` }]
        : findLiteralSecrets(value, [...path, key]),
    );
  }
  return [];
}

export function parseYamlText(text: string, source: string): unknown {
  let parsed: unknown;
  try {
    const lineCounter = new LineCounter();
    // uniqueKeys is checked below in one pass: the yaml library compares keys pairwise, and a 1 MB file of keys took minutes.
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter });
    if (document.errors.length) throw document.errors[0];
    const duplicate = findDuplicateKey(document, lineCounter);
    if (duplicate) throw new ConfigError(source, [{ path: '(yaml)', message: `not valid YAML: Map keys must be unique; "${duplicate.key.slice(0, 100)}" is repeated at line ${duplicate.line}, column ${duplicate.col}` }]);
    // maxAliasCount bounds "billion laughs" alias expansion.
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message =
      error instanceof YAMLParseError ? error.message.split('\n')[0]! : error instanceof RangeError ? `nested too deeply to read (a release config is a few levels deep): ${error.message}` : String(error);
    throw new ConfigError(source, [{ path: '(yaml)', message: `not valid YAML: ${message}` }]);
  }
  // An alias inside the node it names (`&a [*a]`) is a cycle: every walk over it would overflow the stack; so would deep nesting.
  const structureIssue = findStructureIssue(parsed, new Set(), []);
  if (structureIssue) throw new ConfigError(source, [structureIssue]);
  return parsed;
}

/** The first key repeated within one mapping (as JavaScript object keys: `1` and `"1"` are the same key), or null. */
function findDuplicateKey(document: Document, lineCounter: LineCounter): { key: string; line: number; col: number } | null {
  let duplicate: { key: string; line: number; col: number } | null = null;
  visit(document, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) {
          const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
          duplicate = { key, ...lineCounter.linePos(offset) };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return duplicate;
}

/** The first value that contains itself (an alias cycle) or lies deeper than MAX_DEPTH, as an issue at its path; or null. */
function findStructureIssue(value: unknown, ancestors: Set<object>, path: PropertyKey[]): ConfigIssue | null {
  if (typeof value !== 'object' || value === null) return null;
  if (ancestors.has(value)) return { path: formatPath(path), message: 'not valid YAML for a config: an alias refers to a node that contains it' };
  // A tag such as !!set, !!omap or !!binary makes a Set, a Map or bytes, which look like an empty mapping to validation.
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) {
    return { path: formatPath(path), message: `a YAML tag made this a ${String(prototype?.constructor?.name ?? 'special object')}; write a plain mapping, list or value` };
  }
  if (path.length >= MAX_DEPTH) return { path: formatPath(path), message: `nested deeper than ${MAX_DEPTH} levels; a release config is a few levels deep` };
  ancestors.add(value);
  const entries: Array<[PropertyKey, unknown]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  for (const [key, child] of entries) {
    const found = findStructureIssue(child, ancestors, [...path, key]);
    if (found) return found;
  }
  ancestors.delete(value);
  return null;
}

/** `flag` is the CLI option that names the file, for the hint when it is missing. */
export function readText(file: string, flag: string, expected: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '(file)', message: code === 'ENOENT' ? `file not found; pass ${flag} with the path of ${expected}` : `cannot read it (${code ?? String(error)})` }]);
  }
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw new ConfigError(file, [{ path: '(file)', message: `larger than ${MAX_CONFIG_BYTES} bytes; a release config is a few dozen lines` }]);
  return text;
}

/** Validates an already-parsed document; throws ConfigError listing every bad field. */
export function parseConfig(raw: unknown, source = 'config'): ReleaseConfig {
  if (raw === null || raw === undefined) throw new ConfigError(source, [{ path: '(root)', message: 'the config is empty; it needs at least service: { name, namespace } and helm: { chart }' }]);
  const secretIssues = findLiteralSecrets(raw);
  const result = configSchema.safeParse(raw);
  const schemaIssues = result.success ? [] : result.error.issues.flatMap(toConfigIssues);
  // A secret under an unknown key is reported once, with the message that says where it belongs.
  const secretPaths = new Set(secretIssues.map((issue) => issue.path));
  const issues = [...secretIssues, ...schemaIssues.filter((issue) => !secretPaths.has(issue.path))];
  if (issues.length || !result.success) throw new ConfigError(source, issues);
  return resolveNames(result.data);
}

/** One ConfigIssue per bad field; zod groups unknown keys of one object, users want each named. */
function toConfigIssues(issue: { code: string; message: string; path: PropertyKey[]; keys?: string[]; issues?: Array<{ message: string }> }): ConfigIssue[] {
  // A bad record key (a helm.set path): zod's own message is "Invalid key in record"; say what was wrong with it.
  if (issue.code === 'invalid_key' && issue.issues?.length) return [{ path: formatPath(issue.path), message: issue.issues.map((inner) => inner.message).join('; ') }];
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key; check its spelling against the config reference (docs/config.md)' }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

export interface LoadConfigOptions {
  /** A Helm values file whose `flagger:` block provides analysis settings; the config file overrides it. */
  valuesFile?: string;
}

/** Reads, merges and validates a release config file. Throws ConfigError; never returns a bad config. */
export function loadConfigFile(file: string, options: LoadConfigOptions = {}): ReleaseConfig {
  const raw = parseYamlText(readText(file, '--config', 'a release.yaml'), file);
  if (!options.valuesFile) return parseConfig(withTemplates(raw, file, file), file);
  const values = parseYamlText(readText(options.valuesFile, '--values', 'a Helm values file with a flagger: block'), options.valuesFile);
  const fromValues = configFromFlaggerValues(values);
  if (fromValues.issues.length) throw new ConfigError(options.valuesFile, fromValues.issues);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return parseConfig(raw, file);
  const source = `${file} (with ${options.valuesFile})`;
  return parseConfig(withTemplates(mergeConfig(fromValues.config, raw as Record<string, unknown>), file, source), source);
}

/** The config with its Flagger MetricTemplates read in (files relative to `file`); throws ConfigError naming each bad reference. */
function withTemplates(raw: unknown, file: string, source: string): unknown {
  const resolved = resolveMetricTemplates(raw, file);
  if (resolved.issues.length) throw new ConfigError(source, resolved.issues);
  return resolved.config;
}
