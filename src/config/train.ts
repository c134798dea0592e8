/*
 * A release train (`docutag-release train start --config train.yaml`): several services released one
 * after the other (or a group side by side), each with its own release config and version. Every
 * config is read and checked before anything starts, so a bad one never starts half a train.
 *
 *   name: storefront
 *   compensate: true          # a failure rolls back the services the train already promoted
 *   services:
 *     - { config: api/release.yaml, version: 1.4.0 }
 *     - parallel:
 *         - { config: web/release.yaml, version: 2.1.0 }
 *         - { config: worker/release.yaml, version: 2.1.0, values: worker/values.yaml }
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ReleaseConfig } from './schema';
import { TRAIN_NAME_PATTERN, type TrainInput, type TrainService, type TrainStage } from './train-input';
import { RELEASE_VERSION_HINT, RELEASE_VERSION_PATTERN } from './schema';
import { ConfigError, formatPath, type ConfigIssue } from './errors';
import { loadConfigFile, parseYamlText, readText } from './load';

const serviceEntrySchema = z
  .object({
    config: z.string({ error: 'expected the path of the service\'s release config (relative to the train file)' }).min(1),
    version: z.string({ error: `expected the version to release, e.g. "1.4.0"` }).regex(RELEASE_VERSION_PATTERN, RELEASE_VERSION_HINT),
    values: z.string().min(1).optional(),
  })
  .strict();
const parallelEntrySchema = z.object({ parallel: z.array(z.unknown()).min(1, 'a parallel group needs at least one service') }).strict();
const trainFileSchema = z
  .object({
    name: z.string({ error: 'expected the train\'s name, e.g. "storefront" (it names the workflow: train-<name>)' }).regex(TRAIN_NAME_PATTERN, 'lower-case letters, digits and dashes, at most 50, e.g. "storefront"'),
    compensate: z.boolean().default(false),
    services: z.array(z.unknown()).min(1, 'a train needs at least one service: [{ config: release.yaml, version: 1.0.0 }]'),
  })
  .strict();

/** Reads train.yaml and every release config it names; throws one ConfigError listing every bad field. */
export function loadTrainFile(file: string, check: (config: ReleaseConfig, source: string) => void = () => {}): TrainInput {
  const raw = parseYamlText(readText(file, '--config', 'a train.yaml'), file);
  const parsed = trainFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.code === 'unrecognized_keys' ? `unknown key (${issue.keys.join(', ')}); a train has name, compensate and services` : issue.message }));
    throw new ConfigError(file, issues, 'train file');
  }
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  const base = path.dirname(file);
  const stages: TrainStage[] = [];
  parsed.data.services.forEach((entry, index) => {
    const isGroup = typeof entry === 'object' && entry !== null && 'parallel' in entry;
    const group = isGroup ? parallelEntrySchema.safeParse(entry) : null;
    if (group && !group.success) return void issues.push(...group.error.issues.map((issue) => ({ path: formatPath(['services', index, ...issue.path]), message: issue.message })));
    const entries = isGroup ? (entry as { parallel: unknown[] }).parallel.map((service, member) => ({ service, at: ['services', index, 'parallel', member] })) : [{ service: entry, at: ['services', index] }];
    const stage: TrainService[] = [];
    for (const { service: raw, at } of entries) {
      // Each service is checked on its own, so one bad entry hides no other.
      const checked = serviceEntrySchema.safeParse(raw);
      if (!checked.success) {
        issues.push(...checked.error.issues.map((issue) => ({ path: formatPath([...at, ...issue.path]), message: issue.code === 'unrecognized_keys' ? `unknown key (${issue.keys.join(', ')}); a service of a train has config, version and values` : issue.message })));
        continue;
      }
      const service = checked.data;
      const where = formatPath(at);
      const configFile = path.resolve(base, service.config);
      if (!existsSync(configFile)) {
        issues.push({ path: `${where}.config`, message: `${service.config}: file not found (${configFile}); paths are relative to the train file` });
        continue;
      }
      try {
        const config = loadConfigFile(configFile, service.values ? { valuesFile: path.resolve(base, service.values) } : {});
        check(config, configFile);
        const key = `${config.service.namespace}/${config.service.name}`;
        const earlier = seen.get(key);
        if (earlier) issues.push({ path: `${where}.config`, message: `${key} is already in the train at ${earlier}; a train releases each service once` });
        seen.set(key, where);
        stage.push({ config, version: service.version });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const issue of error.issues) issues.push({ path: `${where}.config`, message: `${service.config}: ${issue.path}: ${issue.message}` });
      }
    }
    stages.push({ services: stage });
  });
  if (issues.length) throw new ConfigError(file, issues, 'train file');
  return { name: parsed.data.name, compensate: parsed.data.compensate, stages };
}

