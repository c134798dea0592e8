/*
 * A finished release's analysis as its history recorded it: the workflow input (its config) and
 * every round's checks and readings (the queryChecks activity's arguments and result), with the
 * canary's weight at the time (the last setWeights result before it, activity or local activity).
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { ReleaseInput } from '../config/release-input';
import type { CheckQuery, MetricReading, RecordedRound } from '../workflows/domain';
import type { TrafficWeights } from '../activities/ports';

type History = temporal.api.history.v1.IHistory;

export interface RecordedRelease {
  input: ReleaseInput;
  rounds: RecordedRound[];
  /** Rounds that passed inside a confirm-promotion wait: the activity returns a count, not their readings. */
  roundsInPromotionWaits: number;
}

const decode = <T>(payloads: { payloads?: Payload[] | null } | null | undefined): T | undefined => {
  const payload = payloads?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
};

/** A history as `temporal workflow show --output json` writes it (and test/fixtures/histories hold it). */
export function historyFromFile(json: unknown): History {
  return historyFromJSON(json);
}

export function recordedRelease(history: History): RecordedRelease {
  const events = history.events ?? [];
  const input = decode<ReleaseInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
  if (!input?.config) throw new Error('this history is not a release workflow\'s: its first event has no { config, version } input');
  const scheduled = new Map<string, { type: string; args: unknown }>();
  const rounds: RecordedRound[] = [];
  let weight = 0;
  let roundsInPromotionWaits = 0;
  for (const event of events) {
    const schedule = event.activityTaskScheduledEventAttributes;
    if (schedule) scheduled.set(String(event.eventId), { type: schedule.activityType?.name ?? '', args: decode<unknown>(schedule.input) });
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = decode<{ activity_type?: string }>(marker.details?.data);
      const result = decode<{ weights?: TrafficWeights }>(marker.details?.result);
      if (data?.activity_type === 'setWeights' && result?.weights) weight = result.weights.canaryWeight;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (!completed) continue;
    const activity = scheduled.get(String(completed.scheduledEventId));
    if (!activity) continue;
    if (activity.type === 'setWeights') {
      const result = decode<{ weights?: TrafficWeights }>(completed.result);
      if (result?.weights) weight = result.weights.canaryWeight;
    } else if (activity.type === 'queryChecks') {
      const asked = (activity.args as { checks?: CheckQuery[] } | undefined)?.checks ?? [];
      rounds.push({ weight, asked, readings: decode<MetricReading[]>(completed.result) ?? [] });
    } else if (activity.type === 'waitForPromotion') {
      roundsInPromotionWaits += decode<{ passedRounds?: number }>(completed.result)?.passedRounds ?? 0;
    }
  }
  return { input, rounds, roundsInPromotionWaits };
}
