import { Context } from '@temporalio/activity';

/** Heartbeats only when running inside an activity (adapters are also used outside one, e.g. by the CLI and the demo). */
export function heartbeat(detail?: unknown): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    // not in an activity context
  }
}
