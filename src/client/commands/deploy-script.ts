/*
 * `docutag-release deploy-with-rollback <release> <namespace> <values-file>` (and
 * scripts/deploy-with-rollback.sh): DocuTag's deploy script, kept for its operators (same arguments,
 * same lines, exit 0 or 1, TIMEOUT_TESTS honoured), run as a `direct` release workflow, so phase 1
 * of the migration already has a history, Slack and drills. Needs a Temporal server and a worker.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, parseConfig, RELEASE_VERSION_PATTERN } from '../../config';
import { statusQuery } from '../../workflows/messages';
import type { ReleaseResult } from '../../workflows/types';
import { deployScriptLine } from '../deploy-lines';
import { unseen } from '../follow';
import type { CliIO } from '../output';
import { connectClient } from '../temporal';
import { startReleaseWorkflow } from './start';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value at a dotted path (`image.tag`) of a values document, if it is a string or number. */
function valueAt(values: unknown, dotted: string): string | null {
  let node = values;
  for (const key of dotted.split('.')) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  return typeof node === 'string' || typeof node === 'number' ? String(node) : null;
}

/** The script's TIMEOUT_TESTS: seconds (`300`) or a duration (`5m`). */
function testsTimeout(value: string | undefined): string {
  if (!value) return '300s';
  return /^\d+$/.test(value.trim()) ? `${value.trim()}s` : value.trim();
}

export async function deployScriptCommand(release: string, namespace: string, valuesFile: string, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (line: string) => {
    io.err(`✗ ${line}`);
    return 1;
  };
  io.out('ℹ Validating prerequisites...');
  if (!existsSync(valuesFile)) return fail(`Values file not found: ${valuesFile}`);
  const chart = env.CHART ?? './chart';
  if ((chart.startsWith('.') || chart.startsWith('/')) && !existsSync(chart)) return fail(`Chart not found: ${chart} (set CHART to the chart's path or repo/chart)`);
  const versionValue = env.VERSION_VALUE ?? 'image.tag';
  let version: string | null;
  try {
    version = valueAt(parse(readFileSync(valuesFile, 'utf8')), versionValue);
  } catch (error) {
    return fail(`${valuesFile} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!version || !RELEASE_VERSION_PATTERN.test(version)) return fail(`${valuesFile} has no version at ${versionValue} (set VERSION_VALUE to the values path of the version)`);
  let config;
  try {
    config = parseConfig(
      {
        service: { name: release, namespace },
        helm: { chart, valuesFiles: [path.resolve(valuesFile)], versionValue, ...(env.TIMEOUT_ROLLOUT ? { timeout: testsTimeout(env.TIMEOUT_ROLLOUT) } : {}) },
        strategy: 'direct',
        webhooks: { helmTests: { enabled: true, timeout: testsTimeout(env.TIMEOUT_TESTS) } },
        alerts: { slack: { enabled: Boolean(env.SLACK_CHANNEL), ...(env.SLACK_CHANNEL ? { channel: env.SLACK_CHANNEL } : {}) } },
      },
      'deploy-with-rollback',
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
  }
  const { client, close } = await connectClient(env);
  try {
    let handle;
    try {
      handle = await startReleaseWorkflow(client, { config, version, requestedBy: `deploy-with-rollback.sh (${os.userInfo().username})` });
    } catch (error) {
      return fail(`Could not start the release (is Temporal at ${env.TEMPORAL_ADDRESS ?? 'localhost:7233'} and a \`docutag-release worker\` running?): ${(error as Error).message.split('\n')[0]}`);
    }
    io.out('✓ Prerequisites validated');
    const printed = new Set<string>();
    const show = (events: Array<{ at: string; message: string }>) => {
      for (const event of unseen(printed, events)) {
        const line = deployScriptLine(event.message);
        if (line) io.out(line);
      }
    };
    for (;;) {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') break;
      await handle.query(statusQuery).then((status) => show(status.events), () => undefined);
      await sleep(500);
    }
    let result: ReleaseResult;
    try {
      result = (await handle.result()) as ReleaseResult;
    } catch (error) {
      return fail(`Deployment failed: ${(error as Error).message.split('\n')[0]}`);
    }
    show(result.status.events);
    if (result.outcome === 'promoted') {
      io.out('✅ Deployment completed successfully!');
      return 0;
    }
    io.err(`❌ Deployment failed: ${result.reason}`);
    return 1;
  } finally {
    await close();
  }
}
