import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../../config';
import { durationMs, replayAnalysis, trackChecks, verdictLine, type WhatIf } from '../../workflows/domain';
import { CliError } from '../errors';
import { printable, type CliIO } from '../output';
import { historyFromFile, recordedRelease, type RecordedRelease } from '../recorded-rounds';
import { connectClient, notFound, resolveReleaseId } from '../temporal';
import { EXIT_CODES } from '../../workflows/types';

export interface AnalyzeOptions {
  config: string;
  values?: string;
  runId?: string;
  /** A history file (`temporal workflow show --output json`) instead of asking the server. */
  history?: string;
  json?: boolean;
}

/**
 * `analyze <id> --config new.yaml`: what the new config's analysis would have decided on a finished
 * (or running) release, round by round, from the readings in its history. No activity runs and no
 * cluster is touched.
 */
export async function analyzeCommand(idOrService: string | undefined, options: AnalyzeOptions, io: CliIO, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfigFile(options.config, options.values ? { valuesFile: options.values } : {});
  const recorded = recordedRelease(await historyOf(idOrService, options, env));
  const ran = `${recorded.input.config.service.namespace}/${recorded.input.config.service.name}`;
  if (`${config.service.namespace}/${config.service.name}` !== ran) {
    throw new CliError(`${options.config} is the config of ${config.service.namespace}/${config.service.name}, but the release is of ${ran}: judge a release with a config of its own service`, EXIT_CODES.badInput);
  }
  const whatIf = replayAnalysis(recorded.rounds, trackChecks(config, durationMs(config.analysis.interval)), config.analysis.threshold, recorded.input.config.analysis.threshold);
  if (options.json) io.out(JSON.stringify({ release: { service: `${recorded.input.config.service.namespace}/${recorded.input.config.service.name}`, version: recorded.input.version }, ...whatIf, roundsInPromotionWaits: recorded.roundsInPromotionWaits }, null, 2));
  else io.out(renderWhatIf(recorded, whatIf, options.config, config.analysis.interval));
  if (!options.json && config.analysis.judge === 'mannWhitney') io.out(`${options.config}'s Mann–Whitney judge is not replayed: only the threshold checks are; its score would add to these verdicts`);
  return 0;
}

async function historyOf(idOrService: string | undefined, options: AnalyzeOptions, env: NodeJS.ProcessEnv) {
  if (options.history) {
    try {
      return historyFromFile(JSON.parse(readFileSync(options.history, 'utf8')));
    } catch (error) {
      throw new CliError(`--history ${options.history} is not a workflow history in JSON (temporal workflow show --output json writes one): ${(error as Error).message}`, EXIT_CODES.badInput);
    }
  }
  if (!idOrService) throw new CliError('name the release (<id> or namespace/service), or give --history FILE', EXIT_CODES.badInput);
  const id = resolveReleaseId(idOrService);
  const { client, close } = await connectClient(env);
  try {
    return await client.workflow.getHandle(id, options.runId).fetchHistory().catch((error: unknown) => notFound(id, error));
  } finally {
    await close();
  }
}

function renderWhatIf(recorded: RecordedRelease, whatIf: WhatIf, configFile: string, newInterval: string): string {
  const { config, version } = recorded.input;
  const ending = (at: number | null) => (at === null ? 'no rollback in the recorded rounds' : `rolled back at round ${at} (${whatIf.rounds[at - 1]!.weight}%)`);
  const lines = [
    printable(`${config.service.namespace}/${config.service.name} ${version} (${config.strategy}): ${whatIf.rounds.length} recorded round(s), replayed with ${configFile}`),
    ...whatIf.rounds.flatMap((round) => [
      `round ${round.round} at ${round.weight}%`,
      `  recorded: ${printable(verdictLine(round.recorded), { singleLine: true })}`,
      whatIf.replayedRollbackAt !== null && round.round > whatIf.replayedRollbackAt
        ? `  new:      not run (rolled back at round ${whatIf.replayedRollbackAt})`
        : `  new:      ${printable(verdictLine(round.replayed), { singleLine: true })}  → ${round.decision.action} (failed checks ${round.decision.failedChecks}/${whatIf.threshold})`,
    ]),
    `recorded: ${ending(whatIf.recordedRollbackAt)} (threshold ${whatIf.recordedThreshold})`,
    `new:      ${ending(whatIf.replayedRollbackAt)} (threshold ${whatIf.threshold})`,
    ...whatIf.notReplayable.map(({ name, why }) => `not replayed: ${name} (${why})`),
    ...(config.analysis.interval !== newInterval ? [`the readings are over the release's interval (${config.analysis.interval}); ${configFile}'s ${newInterval} is not replayed`] : []),
    ...(recorded.roundsInPromotionWaits ? [`${recorded.roundsInPromotionWaits} round(s) passed inside confirm-promotion waits: their readings are not in the history, so they are not replayed`] : []),
    'The steps are those the release took: a rollback earlier than recorded would have ended it there; without one the release would have gone on as recorded.',
  ];
  return lines.join('\n');
}

