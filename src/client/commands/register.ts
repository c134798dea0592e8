import { Command, Option } from 'commander';
import type { CliIO } from '../output';
import { listCommand, statusCommand, watchCommand } from './observe';
import { startCommand } from './start';
import { steerCommand, type SteeringSignal } from './steer';
import { validateCommand } from './validate';
import { workerCommand } from './worker';

type Runner = (action: (...args: any[]) => Promise<number> | number) => (...args: any[]) => Promise<void>;

/** Registers every command on the program. */
export function registerCommands(program: Command, run: Runner, io: CliIO, env: NodeJS.ProcessEnv): void {
  program
    .command('validate')
    .description('check a release config without starting anything (exit 0, or 2 with every bad field)')
    .requiredOption('--config <file>', 'release config (YAML)')
    .option('--values <file>', 'a Helm values file whose flagger: block provides analysis settings')
    .option('--json', 'machine-readable output')
    .action(run((options) => validateCommand(options, io)));

  program
    .command('start')
    .description('start a release of the service in the config')
    .requiredOption('--config <file>', 'release config (YAML)')
    .requiredOption('--version <version>', 'the version to release (set at helm.versionValue)')
    .option('--values <file>', 'a Helm values file whose flagger: block provides analysis settings')
    .addOption(new Option('--strategy <strategy>', 'override the config strategy').choices(['canary', 'blue-green', 'blueGreen', 'direct']))
    .option('--wait', 'follow the release to its end; exit 0 promoted, 3 rolled back, 4 failed')
    .option('--json', 'machine-readable output')
    .action(run((options) => startCommand(options, io, env)));

  program
    .command('status <id>')
    .description('status of a release (id or namespace/service)')
    .option('--json', 'machine-readable output')
    .action(run((id, options) => statusCommand(id, options, io, env)));

  program
    .command('watch <id>')
    .description('follow a release live until it ends; exit code of its outcome')
    .option('--json', 'print only the final result as JSON')
    .action(run((id, options) => watchCommand(id, options, io, env)));

  for (const [signal, description] of [
    ['promote', 'skip the remaining steps and promote now'],
    ['pause', 'hold the weight and the analysis'],
    ['resume', 'continue a paused release'],
  ] as const) {
    program
      .command(`${signal} <id>`)
      .description(description)
      .action(run((id) => steerCommand(signal as SteeringSignal, id, {}, io, env)));
  }
  program
    .command('abort <id>')
    .description('roll back now')
    .option('--reason <text>', 'why, for the record and Slack')
    .action(run((id, options) => steerCommand('abort', id, options, io, env)));

  program
    .command('list')
    .description('releases, newest first')
    .option('--service <namespace/name>', 'only this service')
    .option('--running', 'only running releases')
    .option('--json', 'machine-readable output')
    .action(run((options) => listCommand(options, io, env)));

  program
    .command('worker')
    .description('run the worker (env: TEMPORAL_ADDRESS, PROMETHEUS_URL, SLACK_WEBHOOK_URL, HELM_BIN, KUBECONFIG)')
    .action(run(() => workerCommand(io, env)));
}
