/*
 * A release train: the services of train.yaml released stage by stage as child releases (a
 * `parallel:` stage side by side), stopping at the first that is not promoted. With `compensate:
 * true` the services already promoted then go back to the revision recorded before the train
 * released them, newest promotion first, each by one `revert` child: its start is in the train's
 * history and its `helm rollback` is idempotent, so a worker that dies mid-compensation rolls no
 * service back twice. Flagger and Argo Rollouts act on one object at a time and cannot do this.
 */
import { ApplicationFailure, condition, log, ParentClosePolicy, proxyActivities, setHandler, startChild, executeChild, workflowInfo, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import { compensationPlan, decideTrainMessage, serviceStateOf, servingRevision, trainInputRefusal, trainOutcome, type SignalName, type TrainPhase } from './domain';
import { initialSearchAttributes, trainStatusQuery, type SteeringRequest } from './messages';
import { release } from './release';
import { revert } from './revert';
import { helmTargetOf } from './run';
import { releaseDetails, releaseSummary } from './story';
import { failureMessage } from './steered';
import { readSteeringRequest, STEERING_CHANNELS } from './steering';
import { INVALID_INPUT_FAILURE, releaseWorkflowId, type ReleaseResult, type TrainInput, type TrainResult, type TrainServiceStatus, type TrainStatus } from './types';

const acts = proxyActivities<ReleaseActivities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumAttempts: 5 } });

/** Revisions of `helm history` read to find the serving one. */
const HISTORY_MAX = 20;
const MAX_EVENTS = 100;


interface Member {
  status: TrainServiceStatus;
  input: TrainInput['stages'][number]['services'][number];
  handle?: ChildWorkflowHandle<typeof release>;
}

export async function train(input: TrainInput): Promise<TrainResult> {
  const refusal = trainInputRefusal(input);
  if (refusal) throw ApplicationFailure.nonRetryable(`the train's input was refused, nothing was started: ${refusal}`, INVALID_INPUT_FAILURE);
  const { workflowId } = workflowInfo();
  const members: Member[] = input.stages.flatMap((stage, index) =>
    stage.services.map((service) => ({
      input: service,
      status: {
        service: `${service.config.service.namespace}/${service.config.service.name}`,
        version: service.version,
        stage: index + 1,
        workflowId: releaseWorkflowId(service.config.service.namespace, service.config.service.name),
        state: 'waiting' as const,
        outcome: null,
        reason: null,
        recorded: null,
        compensation: null,
      },
    })),
  );
  const status: TrainStatus = {
    workflowId,
    name: input.name,
    phase: 'Running',
    compensate: input.compensate,
    stage: 0,
    stages: input.stages.length,
    services: members.map((member) => member.status),
    events: [],
    stoppedBy: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  };
  const record = (message: string) => {
    status.events.push({ at: new Date().toISOString(), message });
    if (status.events.length > MAX_EVENTS) status.events.splice(0, status.events.length - MAX_EVENTS);
    log.info(message, { train: input.name });
  };
  const setPhase = (phase: TrainPhase) => {
    status.phase = phase;
  };
  const running = () => members.filter((member) => member.status.state === 'running' && member.handle);
  /** Steering taken by the train, sent on to the releases running when the loop next wakes. */
  const outbox: { name: SignalName; request: SteeringRequest }[] = [];
  const stop = (why: string) => {
    if (status.stoppedBy !== null) return;
    status.stoppedBy = why;
    setPhase('Stopping');
  };
  /** Whether a message fits the train now: one rule for the Update's validator, its handler and the signal. */
  const decide = (name: SignalName, by: string | null) => decideTrainMessage(name, { phase: status.phase, running: running().map((member) => member.status.workflowId), compensate: input.compensate }, by ?? 'someone unnamed');
  const take = (name: SignalName, payload: unknown): { accepted: boolean; text: string } => {
    const request = readSteeringRequest(payload);
    const decision = decide(name, request.by);
    if (!decision.accepted) return { accepted: false, text: decision.why };
    record(request.reason ? `${decision.reply} (reason: ${request.reason})` : decision.reply);
    const forwarded: SteeringRequest = { by: `${request.by ?? 'someone unnamed'} (train ${input.name})`, ...(request.reason ? { reason: request.reason } : {}) };
    outbox.push({ name, request: forwarded });
    if (name === 'abort') stop(request.reason ? `aborted: ${request.reason}` : `aborted by ${request.by ?? 'a person'}`);
    return { accepted: true, text: decision.reply };
  };
  setHandler(trainStatusQuery, () => status);
  for (const [name, signal, update] of STEERING_CHANNELS) {
    setHandler(signal, (payload?: unknown) => {
      const answer = take(name, payload);
      if (!answer.accepted) record(`${name} ignored: ${answer.text.replace(/^\w+ refused /, '')}`);
    });
    setHandler(
      update,
      (payload: SteeringRequest) => {
        const answer = take(name, payload);
        if (!answer.accepted) throw ApplicationFailure.nonRetryable(answer.text, 'SteeringRefused');
        return answer.text;
      },
      {
        validator: (payload: SteeringRequest) => {
          const request = readSteeringRequest(payload);
          if (request.malformed) throw new Error(`${name} refused: its payload must be { by?: string, reason?: string }, got ${JSON.stringify(payload)?.slice(0, 100)}`);
          const decision = decide(name, request.by);
          if (!decision.accepted) throw new Error(decision.why);
        },
      },
    );
  }

  /** Sends what the train took to the releases running now; a release that ended meanwhile is past caring. */
  const deliver = async () => {
    while (outbox.length) {
      const { name, request } = outbox.shift()!;
      const signal = STEERING_CHANNELS.find(([channel]) => channel === name)![1];
      await Promise.all(running().map((member) => member.handle!.signal(signal, request).catch((error) => record(`${name} could not reach ${member.status.workflowId}: ${failureMessage(error)}`))));
    }
  };

  const services = members.length;
  record(`Train ${input.name}: ${services} service${services === 1 ? '' : 's'} in ${input.stages.length} stage${input.stages.length === 1 ? '' : 's'}${input.compensate ? '; a failure puts the promoted ones back' : ''}${input.requestedBy ? `, started by ${input.requestedBy}` : ''}`);
  const promotedInOrder: Member[] = [];

  for (let stage = 1; stage <= input.stages.length && status.stoppedBy === null; stage++) {
    status.stage = stage;
    const group = members.filter((member) => member.status.stage === stage);
    // The revision each primary serves now: what compensation would put back.
    await Promise.all(group.map((member) => recordServing(member, record)));
    if (status.stoppedBy !== null) break;
    await Promise.all(group.map((member) => startRelease(member, input, record)));
    const ended = group.map((member) => (member.handle ? awaitRelease(member, record) : Promise.resolve()));
    for (const member of group) if (member.status.state === 'failed') stop(`${member.status.service} could not start: ${member.status.reason}`);
    let done = false;
    void Promise.all(ended).then(() => (done = true));
    let siblingsStopped = false;
    const notPromoted = () => group.find((member) => member.status.state === 'rolledBack' || member.status.state === 'failed');
    while (!done) {
      await condition(() => done || outbox.length > 0 || (!siblingsStopped && (status.stoppedBy !== null || notPromoted() !== undefined)));
      const failed = notPromoted();
      if (failed) stop(notPromotedReason(failed));
      if (status.stoppedBy !== null && !siblingsStopped) {
        siblingsStopped = true;
        // A failure in a parallel stage stops its siblings too (an abort already sent them its own).
        if (failed) outbox.push({ name: 'abort', request: { by: `train ${input.name}`, reason: `the train stopped: ${failed.status.service} was not promoted` } });
      }
      await deliver();
    }
    for (const member of group) if (member.status.state === 'promoted') promotedInOrder.push(member);
    const failed = group.find((member) => member.status.state !== 'promoted');
    if (failed) stop(notPromotedReason(failed));
  }
  for (const member of members) if (member.status.state === 'waiting') member.status.state = 'notStarted';

  if (status.stoppedBy === null) {
    return finish(status, { stoppedBy: null, serviceFailed: false, compensate: input.compensate, compensations: [], promotedCount: promotedInOrder.length }, record, `all ${services} services promoted`);
  }
  record(`Train stopped: ${status.stoppedBy}`);
  const plan = input.compensate ? compensationPlan(promotedInOrder.map((member) => ({ service: member.status.service, recordedRevision: member.status.recorded?.revision ?? null }))) : [];
  if (plan.length) {
    setPhase('Compensating');
    record(`Compensating: ${plan.map((step) => step.service).join(', then ')}`);
  }
  for (const step of plan) {
    const member = members.find((candidate) => candidate.status.service === step.service)!;
    if (step.kind === 'skip') {
      member.status.compensation = { state: 'skipped', toRevision: null, reason: step.why };
      record(`Not compensated: ${step.why}`);
      continue;
    }
    member.status.compensation = { state: 'running', toRevision: step.toRevision, reason: null };
    record(`Rolling ${member.status.service} back to revision ${step.toRevision} (${member.status.recorded?.version ?? 'version unknown'}), the one recorded before the train`);
    try {
      const reverted = await executeChild(revert, {
        workflowId: member.status.workflowId,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        args: [{ config: member.input.config, toRevision: step.toRevision, requestedBy: `train ${input.name}`, reason: `train ${input.name} stopped: ${status.stoppedBy}` }],
        typedSearchAttributes: [...initialSearchAttributes(member.input.config, member.status.recorded?.version ?? `revision ${step.toRevision}`)],
      });
      const compensated = reverted.outcome === 'reverted';
      member.status.compensation = { state: compensated ? 'compensated' : 'failed', toRevision: step.toRevision, reason: reverted.reason };
      record(compensated ? `${member.status.service} is back on revision ${step.toRevision}: ${reverted.reason}` : `Compensation of ${member.status.service} FAILED: ${reverted.reason}`);
    } catch (error) {
      member.status.compensation = { state: 'failed', toRevision: step.toRevision, reason: failureMessage(error) };
      record(`Compensation of ${member.status.service} FAILED: ${failureMessage(error)}`);
    }
  }
  // A release that ended `failed` left something for a person; one refused or never started left nothing.
  const serviceFailed = members.some((member) => member.status.outcome === 'failed');
  return finish(
    status,
    { stoppedBy: status.stoppedBy, serviceFailed, compensate: input.compensate, compensations: plan.map((step) => members.find((member) => member.status.service === step.service)!.status.compensation!.state), promotedCount: promotedInOrder.length },
    record,
    status.stoppedBy,
  );
}

/** Why a service stops the train: `shop/api 1.4.0 was not promoted (rolledBack): …`. */
const notPromotedReason = (member: Member) => `${member.status.service} ${member.status.version} was not promoted (${member.status.outcome ?? 'not started'}): ${member.status.reason}`;

/** The primary's serving revision before the train touches it. Unreadable is not fatal: that service is then not compensated, and says so. */
async function recordServing(member: Member, record: (message: string) => void): Promise<void> {
  const { config } = member.input;
  try {
    member.status.recorded = servingRevision(await acts.releaseHistory({ target: helmTargetOf(config), release: config.helm.releases.primary, max: HISTORY_MAX }));
  } catch (error) {
    record(`Could not read helm history of ${config.helm.releases.primary} (${member.status.service}): ${failureMessage(error)}; it will not be compensated`);
  }
}

async function startRelease(member: Member, input: TrainInput, record: (message: string) => void): Promise<void> {
  const { config, version } = member.input;
  try {
    member.handle = await startChild(release, {
      workflowId: member.status.workflowId,
      // Cancelling or terminating the train cancels its releases, which roll back as an abort does.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [{ config, version, requestedBy: `train ${input.name}${input.requestedBy ? ` (${input.requestedBy})` : ''}` }],
      typedSearchAttributes: [...initialSearchAttributes(config, version)],
      staticSummary: `${releaseSummary(config, version)} (train ${input.name})`,
      staticDetails: releaseDetails(config),
    });
    member.status.state = 'running';
    record(`Started ${member.status.workflowId}: ${config.strategy} of ${member.status.service} ${version}`);
  } catch (error) {
    member.status.state = 'failed';
    const message = failureMessage(error);
    member.status.reason = /already started|AlreadyStarted/i.test(`${message} ${(error as Error).name}`) ? `another release of ${member.status.service} is running (${member.status.workflowId}); nothing of it was touched` : message;
    record(`Could not start ${member.status.workflowId}: ${member.status.reason}`);
  }
}

async function awaitRelease(member: Member, record: (message: string) => void): Promise<void> {
  try {
    const result = (await member.handle!.result()) as ReleaseResult;
    member.status.state = serviceStateOf(result.outcome);
    member.status.outcome = result.outcome;
    member.status.reason = result.reason;
  } catch (error) {
    member.status.state = 'failed';
    member.status.reason = failureMessage(error);
  }
  record(`${member.status.service} ${member.status.version}: ${member.status.outcome ?? 'failed'}: ${member.status.reason}`);
}

function finish(status: TrainStatus, end: Parameters<typeof trainOutcome>[0], record: (message: string) => void, reason: string): TrainResult {
  const { outcome, phase } = trainOutcome(end);
  status.phase = phase;
  status.finishedAt = new Date().toISOString();
  record(`Train ${phase}: ${reason}`);
  return { outcome, reason, status };
}
