/*
 * Flagger's MetricTemplate (flagger.app/v1beta1) as a check's query: `metrics.custom[].templateRef`
 * names a template in a YAML file beside the config, and the config is resolved with the template's
 * query in it, so a team moves its templates over without rewriting them. The file is read where the
 * config is (the CLI); the workflow input carries the query, and the templateRef for the record.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ConfigIssue } from './errors';

/** The placeholders a rendered query may still hold; the workflow fills them in each round. */
const ROUND_PLACEHOLDERS = new Set(['namespace', 'target', 'interval']);
const PLACEHOLDER = /\{\{\s*([\w.]+)\s*\}\}/g;
const MAX_TEMPLATE_BYTES = 256 * 1024;

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

interface MetricTemplate {
  name: string;
  namespace?: string;
  provider?: string;
  query: string;
}

/** The MetricTemplates of one file (several YAML documents may hold one each), or the issue that stops reading it. */
function readTemplates(file: string): { templates: MetricTemplate[]; issue?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { templates: [], issue: code === 'ENOENT' ? `${file} not found: templateRef.file is read relative to the config file` : `cannot read ${file} (${code ?? String(error)})` };
  }
  if (Buffer.byteLength(text) > MAX_TEMPLATE_BYTES) return { templates: [], issue: `${file} is larger than ${MAX_TEMPLATE_BYTES} bytes; a MetricTemplate file holds a few templates` };
  const templates: MetricTemplate[] = [];
  for (const document of parseAllDocuments(text, { maxAliasCount: 100 } as never) as unknown as Array<{ errors: Error[]; toJS(options?: object): unknown }>) {
    if (document.errors.length) return { templates: [], issue: `${file} is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}` };
    const value = document.toJS({ maxAliasCount: 100 });
    if (!isPlain(value) || value.kind !== 'MetricTemplate') continue;
    const metadata = isPlain(value.metadata) ? value.metadata : {};
    const spec = isPlain(value.spec) ? value.spec : {};
    const provider = isPlain(spec.provider) && typeof spec.provider.type === 'string' ? spec.provider.type : undefined;
    if (typeof metadata.name !== 'string' || typeof spec.query !== 'string') continue;
    templates.push({ name: metadata.name, ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}), ...(provider ? { provider } : {}), query: spec.query.trim() });
  }
  return { templates };
}

/**
 * The config with every `templateRef` check resolved: the template's query (its `{{ variables.X }}`
 * filled from `templateVariables`) and Flagger's `thresholdRange` as min/max. Issues name the check
 * and the fix; the config is returned unchanged where one was found.
 */
export function resolveMetricTemplates(raw: unknown, configFile: string): { config: unknown; issues: ConfigIssue[] } {
  if (!isPlain(raw) || !isPlain(raw.metrics) || !Array.isArray(raw.metrics.custom)) return { config: raw, issues: [] };
  const issues: ConfigIssue[] = [];
  const custom = raw.metrics.custom.map((original: unknown, index: number) => {
    const entry = withThresholdRange(original);
    if (!isPlain(entry) || entry.templateRef === undefined) return entry;
    const at = `metrics.custom[${index}]`;
    const issue = (field: string, message: string) => issues.push({ path: `${at}.${field}`, message });
    const ref = entry.templateRef;
    if (!isPlain(ref) || typeof ref.name !== 'string' || typeof ref.file !== 'string') {
      issue('templateRef', 'expected { name, file, namespace? }: the MetricTemplate\'s metadata.name and the YAML file (relative to this config) that holds it');
      return entry;
    }
    if (entry.query !== undefined) {
      issue('query', 'a check takes its query from templateRef or from query, not both; remove one');
      return entry;
    }
    const file = path.resolve(path.dirname(configFile), ref.file);
    const read = readTemplates(file);
    if (read.issue) {
      issue('templateRef.file', read.issue);
      return entry;
    }
    const template = read.templates.find((each) => each.name === ref.name && (ref.namespace === undefined || each.namespace === ref.namespace));
    if (!template) {
      const names = read.templates.map((each) => (each.namespace ? `${each.namespace}/${each.name}` : each.name));
      issue('templateRef.name', `no MetricTemplate ${ref.namespace ? `${String(ref.namespace)}/` : ''}${ref.name} in ${ref.file} (it has ${names.join(', ') || 'none'})`);
      return entry;
    }
    if (template.provider !== undefined && template.provider !== 'prometheus') {
      issue('templateRef', `MetricTemplate ${template.name} queries provider ${template.provider}; only prometheus templates are read (the release's metricsServer or the worker's PROMETHEUS_URL answers them)`);
      return entry;
    }
    const variables = isPlain(entry.templateVariables) ? entry.templateVariables : {};
    let unknown: string[] = [];
    const query = template.query.replace(PLACEHOLDER, (whole, key: string) => {
      if (ROUND_PLACEHOLDERS.has(key)) return whole;
      const variable = key.startsWith('variables.') ? key.slice('variables.'.length) : undefined;
      if (variable !== undefined && typeof variables[variable] === 'string') return variables[variable] as string;
      if (!unknown.includes(key)) unknown = [...unknown, key];
      return whole;
    });
    if (unknown.length) {
      const missing = unknown.filter((key) => key.startsWith('variables.')).map((key) => key.slice('variables.'.length));
      const other = unknown.filter((key) => !key.startsWith('variables.'));
      if (missing.length) issue('templateVariables', `MetricTemplate ${template.name} uses ${missing.map((name) => `{{ variables.${name} }}`).join(', ')}: set ${missing.join(', ')} in templateVariables (strings)`);
      if (other.length) issue('templateRef', `MetricTemplate ${template.name} uses ${other.map((name) => `{{ ${name} }}`).join(', ')}, which nothing fills in: a query may use {{ namespace }}, {{ target }}, {{ interval }} and {{ variables.X }}`);
      return entry;
    }
    return { ...entry, query };
  });
  return { config: { ...raw, metrics: { ...raw.metrics, custom } }, issues };
}

/** Flagger's `thresholdRange: { min, max }` as the check's min and max (a min or max set beside it wins). */
function withThresholdRange(entry: unknown): unknown {
  if (!isPlain(entry) || !isPlain(entry.thresholdRange)) return entry;
  const { thresholdRange: range, ...rest } = entry;
  return { ...rest, ...(range.min !== undefined && rest.min === undefined ? { min: range.min } : {}), ...(range.max !== undefined && rest.max === undefined ? { max: range.max } : {}) };
}
