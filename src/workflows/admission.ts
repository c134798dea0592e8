import { ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import { INVALID_INPUT_FAILURE, type ReleaseInput } from './types';

/**
 * Releases started before the worker checked its inputs replay without the check (its local
 * activity would be a command their histories do not have).
 */
export const CHECK_INPUT_PATCH = 'check-release-input';

/** Drills and migrations started before the worker checked their configs run without the check. */
export const CHECK_CONFIG_PATCH = 'check-config-input';

/** Pure validation on the worker: quick, and retried only if the worker itself fails. */
const checks = proxyLocalActivities<ReleaseActivities>({ startToCloseTimeout: '10s', retry: { initialInterval: '500ms', maximumAttempts: 3 } });

/**
 * The input as the worker's config schema resolves it (the one the CLI validates with), or a
 * non-retryable InvalidReleaseInput failure naming every bad field: the release ends before any
 * activity acts on anything, so nothing is deployed and no traffic moves.
 */
export async function admittedInput(input: ReleaseInput): Promise<ReleaseInput> {
  const checked = await checks.checkReleaseInput({ input });
  if (checked.input) return checked.input;
  const lines = checked.issues.map((issue) => `  - ${issue.path}: ${issue.message}`);
  throw ApplicationFailure.nonRetryable(
    `the worker refused this release input; nothing was deployed:\n${lines.join('\n')}\nFix the fields above; \`docutag-release validate --config FILE\` checks a config without starting anything.`,
    INVALID_INPUT_FAILURE,
    { issues: checked.issues },
  );
}

/**
 * A drill's or a migration's config checked like a release's: the same schema and the worker's
 * refusals, before any activity reads the cluster, Prometheus or Slack with it. A bad one ends the
 * workflow with InvalidReleaseInput naming every field.
 */
export async function admittedConfig(config: unknown, workflow: 'drill' | 'migration' | 'revert'): Promise<void> {
  const { issues } = await checks.checkConfigInput({ config });
  if (!issues.length) return;
  const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`);
  throw ApplicationFailure.nonRetryable(
    `the worker refused this ${workflow}'s config; nothing was done:\n${lines.join('\n')}\nFix the fields above; \`docutag-release validate --config FILE\` checks a config without starting anything.`,
    INVALID_INPUT_FAILURE,
    { issues },
  );
}
