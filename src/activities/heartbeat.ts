import { Context } from '@temporalio/activity';

/** The details each running activity last heartbeated: a bare tick re-sends them, so a retry still finds them. */
const lastDetails = new WeakMap<object, unknown>();

/**
 * Heartbeats only when running inside an activity (adapters are also used outside one, e.g. by the
 * CLI and the demo). Without `detail`, the activity's last details go again: adapters tick without
 * knowing what the activity recorded for its retry.
 */
export function heartbeat(detail?: unknown): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return; // not in an activity context
  }
  if (detail === undefined) detail = lastDetails.get(context);
  else lastDetails.set(context, detail);
  context.heartbeat(detail);
}
