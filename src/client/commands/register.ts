import { Command, Option } from 'commander';
import type { CliIO } from '../output';
import { analyzeCommand } from './analyze';
import { getCommand } from './get';
import { deployScriptCommand } from './deploy-script';
import { drillControlCommand, drillListCommand, drillRunCommand, drillScheduleCommand } from './drill';
import { migrateApproveCommand, migrateStartCommand, migrateStatusCommand } from './migrate';
import { listCommand, statusCommand, watchCommand } from './observe';
import { startCommand } from './start';
import { rollbackCommand } from './rollback';
import { steerCommand, type SteeringSignal } from './steer';
import { trainStartCommand, trainStatusCommand, trainSteerCommand, trainWatchCommand } from './train';
import { validateCommand } from './validate';
import { CliError } from '../errors';
import { EXIT_CODES } from '../../workflows/types';

type Runner = (action: (...args: any[]) => Promise<number> | number) => (...args: any[]) => Promise<void>;

/** Runs the worker (src/worker/main.ts): given by the entry point, so the CLI never loads the worker itself. */
export type WorkerRunner = (io: CliIO, env: NodeJS.ProcessEnv) => Promise<number>;

/** Registers every command on the program. */
export function registerCommands(program: Command, run: Runner, io: CliIO, env: NodeJS.ProcessEnv, runWorker?: WorkerRunner): void {
  program
    .command('validate')
    .description('check a release config without starting anything (exit 0, or 2 with every bad field)')
    .requiredOption('--config <file>', 'release config (YAML)')
    .option('--values <file>', 'a Helm values file whose flagger: block provides analysis settings')
    .option('--json', 'machine-readable output')
    .action(run((options) => validateCommand(options, io, env)));

  program
    .command('analyze [id]')
    .description("what another analysis config would have decided on a past release, round by round, from the readings in its history (nothing is queried or deployed)")
    .requiredOption('--config <file>', 'the release config to judge with (YAML)')
    .option('--values <file>', 'a Helm values file whose flagger: block provides analysis settings')
    .option('--run-id <runId>', 'a run of the release other than the latest')
    .option('--history <file>', 'a history file (temporal workflow show --output json) instead of asking Temporal')
    .option('--json', 'machine-readable output')
    .action(run((id, options) => analyzeCommand(id, options, io, env)));

  program
    .command('start')
    .description('start a release of the service in the config')
    .requiredOption('--config <file>', 'release config (YAML)')
    .requiredOption('--version <version>', 'the version to release (set at helm.versionValue)')
    .option('--values <file>', 'a Helm values file whose flagger: block provides analysis settings')
    .addOption(new Option('--strategy <strategy>', 'override the config strategy').choices(['canary', 'blue-green', 'blueGreen', 'abTesting', 'ab-testing', 'direct']))
    .option('--wait', 'follow the release to its end; exit 0 promoted, 3 rolled back, 4 failed, 5 reverted after promotion')
    .option('--override-window', 'go now, outside the deployment windows and through freezes (needs --reason; recorded)')
    .option('--reason <text>', 'with --override-window: why, for the record and Slack')
    .option('--by <who>', 'with --override-window: who overrides, for the record (default: user@host)')
    .option('--json', 'machine-readable output')
    .action(run((options) => startCommand(options, io, env)));

  program
    .command('rollback <service>')
    .description('put the primary of <namespace>/<service> back to its previous revision that served (or --to-revision N), without analysis; never beside a running release')
    .option('--to-revision <n>', 'the helm revision to go back to (default: the newest one before the serving one that served)')
    .option('--config <file>', "release config (YAML); default: the one the service's last release ran with")
    .option('--values <file>', 'with --config: a Helm values file whose flagger: block provides settings')
    .option('--reason <text>', 'why, for the record and Slack')
    .option('--by <who>', 'who rolls back, for the record (default: user@host)')
    .option('--no-wait', 'start it and return; follow it with watch')
    .option('--json', 'machine-readable output')
    .action(run((service, options) => rollbackCommand(service, options, io, env)));

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

  // Acknowledged: exit 0 says what happens next; exit 1 says the phase and why the release refused it.
  for (const [signal, description] of [
    ['promote', 'skip the remaining steps and promote now'],
    ['abort', 'roll back now'],
    ['pause', 'hold the weight and the analysis'],
    ['resume', 'continue a paused release'],
  ] as const) {
    const command = program
      .command(`${signal} <id>`)
      .description(description)
      .option('--reason <text>', 'why, for the record and Slack')
      .option('--by <who>', 'who steers, for the record (default: user@host)');
    if (signal === 'promote' || signal === 'abort') command.option('--wait', 'then follow the release to its end; exit 0 promoted, 3 rolled back, 4 failed');
    command.action(run((id, options) => steerCommand(signal as SteeringSignal, id, options, io, env)));
  }

  program
    .command('get [namespace]')
    .description("Flagger's canary table for the latest release of each service: NAME, STATUS, WEIGHT, LASTTRANSITIONTIME (every namespace when none is given)")
    .option('-w, --watch', 'after the table, a new line whenever a service changes, as kubectl get -w')
    .option('--json', 'machine-readable output')
    .action(run((namespace, options) => getCommand(namespace, options, io, env)));

  program
    .command('deploy-with-rollback <release> <namespace> <values-file>')
    .description("DocuTag's deploy script as a direct release: helm upgrade, rollout, helm test, helm rollback on failure, in the script's lines; exit 0 or 1 (env: CHART, VERSION_VALUE, TIMEOUT_TESTS)")
    .action(run((release, namespace, valuesFile) => deployScriptCommand(release, namespace, valuesFile, io, env)));

  program
    .command('list')
    .description('releases, newest first')
    .option('--service <namespace/name>', 'only this service')
    .option('--running', 'only running releases')
    .option('--json', 'machine-readable output')
    .action(run((options) => listCommand(options, io, env)));

  const drill = program.command('drill').description('scheduled rollback drills: prove every week that rollback works and how long it takes');
  drill
    .command('schedule')
    .description('create or update the schedule drill-<namespace>-<service> (overlap skip, 1h catch-up)')
    .requiredOption('--config <file>', 'the pilot service config, with its drill: block')
    .option('--cron <expression>', 'cron in UTC, e.g. "0 10 * * 1"')
    .option('--every <period>', 'instead of --cron: 12h, 1d, 1w')
    .option('--json', 'machine-readable output')
    .action(run((options) => drillScheduleCommand(options, io, env)));
  drill
    .command('list')
    .description('drill schedules with their next run and last results')
    .option('--last <n>', 'results per schedule', '5')
    .option('--json', 'machine-readable output')
    .action(run((options) => drillListCommand(options, io, env)));
  drill
    .command('run [service]')
    .description('run one drill now and wait: exit 0 passed, 4 failed, 1 skipped')
    .option('--config <file>', 'the pilot service config (instead of a schedule)')
    .addOption(new Option('--strategy <strategy>', "the path to drill (default: the migration phase's, else the config's)").choices(['canary', 'blue-green', 'blueGreen', 'direct']))
    .option('--json', 'machine-readable output')
    .action(run((service, options) => drillRunCommand(service, options, io, env)));
  for (const action of ['pause', 'resume', 'delete'] as const) {
    drill
      .command(`${action} <service>`)
      .description(`${action} a drill schedule (service namespace/name or schedule id)`)
      .action(run((service) => drillControlCommand(action, service, io, env)));
  }

  const migrate = program.command('migrate').description("a service's migration: deploy script → progressive-delivery infrastructure → canary in production");
  migrate
    .command('start')
    .description('start the migration workflow migration-<namespace>-<service> (phase 1)')
    .requiredOption('--config <file>', 'release config (migration.pilot names the pilot config)')
    .option('--check-interval <duration>', 'how often the checklist is verified again', '10m')
    .option('--json', 'machine-readable output')
    .action(run((options) => migrateStartCommand(options, io, env)));
  migrate
    .command('status [service]')
    .description('the phase and its checklist (passed / failed / pending, with reasons)')
    .option('--config <file>', 'instead of the service')
    .option('--json', 'machine-readable output')
    .action(run((service, options) => migrateStatusCommand(service, options, io, env)));
  migrate
    .command('approve [service]')
    .description('move to the next phase when every item passed; exit 1 and the failing items otherwise')
    .option('--config <file>', 'instead of the service')
    .option('--force', 'move on anyway (needs --reason; recorded with your name)')
    .option('--reason <text>', 'why, for the record')
    .option('--json', 'machine-readable output')
    .action(run((service, options) => migrateApproveCommand(service, options, io, env)));

  const train = program.command('train').description('a release train: several services released in order (or side by side), stopped at the first failure, the promoted ones rolled back with compensate: true');
  train
    .command('start')
    .description('start the train in the file: every release config it names is checked first')
    .requiredOption('--config <file>', 'train file (YAML): name, compensate, services')
    .option('--wait', 'follow the train to its end; exit 0 promoted, 3 rolled back or stopped, 4 failed')
    .option('--json', 'machine-readable output')
    .action(run((options) => trainStartCommand(options, io, env)));
  train
    .command('status <train>')
    .description("each service's state in the train, and the phase and weight of those releasing now")
    .option('--json', 'machine-readable output')
    .action(run((id, options) => trainStatusCommand(id, options, io, env)));
  train
    .command('watch <train>')
    .description('follow the train: a new table on each change; exit code of its outcome')
    .option('--json', 'machine-readable output')
    .action(run((id, options) => trainWatchCommand(id, options, io, env)));
  for (const signal of ['promote', 'abort', 'pause', 'resume'] as const) {
    train
      .command(`${signal} <train>`)
      .description({ promote: 'the releases running now skip their remaining steps', abort: 'the releases running now roll back, nothing further starts, then compensation', pause: 'the releases running now hold their weight', resume: 'the paused releases go on' }[signal])
      .option('--reason <text>', 'why, for the record')
      .option('--by <who>', 'who steers (default: user@host)')
      .action(run((id, options) => trainSteerCommand(signal, id, options, io, env)));
  }

  program
    .command('worker')
    .description('run the worker (env: TEMPORAL_ADDRESS, PROMETHEUS_URL, SLACK_WEBHOOK_URL, HELM_BIN, KUBECONFIG)')
    .action(
      run(() => {
        if (!runWorker) throw new CliError('this CLI was started without its worker: run bin/docutag-release.js worker (npm run worker)', EXIT_CODES.badInput);
        return runWorker(io, env);
      }),
    );
}
