import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from './errors';
import { configFromFlaggerValues, mergeConfig } from './flagger-values';
import { configSchema, resolveNames, type ReleaseConfig } from './schema';

/** Largest config file read; anything bigger is not a release config. */
const MAX_CONFIG_BYTES = 1024 * 1024;

const SECRET_URL = /hooks\.slack\.com|discord(app)?\.com\/api\/webhooks|outlook\.office\.com\/webhook/i;
const SECRET_KEYS = new Set(['webhookUrl', 'webhook_url', 'webhookURL', 'token', 'bearerToken', 'password', 'apiKey']);

/**
 * Secrets never enter a workflow input: the Temporal history is readable by every Web UI user.
 * Finds literal webhook URLs and credential-looking keys anywhere in the raw document.
 */
export function findLiteralSecrets(raw: unknown, path: PropertyKey[] = []): ConfigIssue[] {
  if (typeof raw === 'string') {
    return SECRET_URL.test(raw)
      ? [{ path: formatPath(path), message: 'a literal webhook URL would be written into the Temporal history, which every Web UI user can read; remove it and set SLACK_WEBHOOK_URL in the worker environment instead' }]
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

function parseYamlText(text: string, source: string): unknown {
  let parsed: unknown;
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    parsed = parseYaml(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0]! : String(error);
    throw new ConfigError(source, [{ path: '(yaml)', message: `not valid YAML: ${message}` }]);
  }
  // An alias inside the node it names (`&a [*a]`) is a cycle: every walk over it would overflow the stack.
  const cyclePath = findCycle(parsed, new Set(), []);
  if (cyclePath) throw new ConfigError(source, [{ path: cyclePath, message: 'not valid YAML for a config: an alias refers to a node that contains it' }]);
  return parsed;
}

/** The path of the first value that contains itself, or null. */
function findCycle(value: unknown, ancestors: Set<object>, path: PropertyKey[]): string | null {
  if (typeof value !== 'object' || value === null) return null;
  if (ancestors.has(value)) return formatPath(path);
  ancestors.add(value);
  const entries: Array<[PropertyKey, unknown]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  for (const [key, child] of entries) {
    const found = findCycle(child, ancestors, [...path, key]);
    if (found) return found;
  }
  ancestors.delete(value);
  return null;
}

/** `flag` is the CLI option that names the file, for the hint when it is missing. */
function readText(file: string, flag: string, expected: string): string {
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
function toConfigIssues(issue: { code: string; message: string; path: PropertyKey[]; keys?: string[] }): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key; check its spelling against the config reference in the README' }));
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
  if (!options.valuesFile) return parseConfig(raw, file);
  const values = parseYamlText(readText(options.valuesFile, '--values', 'a Helm values file with a flagger: block'), options.valuesFile);
  const fromValues = configFromFlaggerValues(values);
  if (fromValues.issues.length) throw new ConfigError(options.valuesFile, fromValues.issues);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return parseConfig(raw, file);
  return parseConfig(mergeConfig(fromValues.config, raw as Record<string, unknown>), `${file} (with ${options.valuesFile})`);
}
