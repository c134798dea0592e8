import { formatWithOptions } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** One log line, as the SDK's default logger writes it but without colours: `time [LEVEL] message {meta}`. */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta === undefined ? '' : ` ${formatWithOptions({ colors: false, breakLength: Infinity, depth: 6 }, entry.meta)}`;
  return `${time} [${entry.level}] ${entry.message}${meta}`;
}

/**
 * The Temporal Runtime's logger for the worker process: workflow and activity logs, the SDK's own,
 * and Temporal core's (forwarded), each line redacted before it is written.
 */
export function createRedactingLogger(options: { level: LogLevel; redact: (text: string) => string; write: (line: string) => void }): DefaultLogger {
  return new DefaultLogger(options.level, (entry) => options.write(options.redact(formatLogEntry(entry))));
}
