/*
 * The lines of DocuTag's `scripts/deploy-with-rollback.sh`, from the events of a direct release
 * (src/workflows/domain/direct.ts words them as the script did): the same steps, the same words,
 * the script's own symbols. An event the script had no line for prints nothing.
 */
const LINES: Array<[RegExp, (match: RegExpMatchArray) => string]> = [
  [/^Upgrading from revision (\d+) \((version [^)]*)\)/, (m) => `ℹ Upgrading from revision ${m[1]} (${m[2]})`],
  [/^Installing (\S+) for the first time at version (\S+)/, (m) => `ℹ Installing ${m[1]} for the first time (version ${m[2]})`],
  [/^New revision: (\d+) \((version [^)]*)\)/, (m) => `ℹ New revision: ${m[1]} (${m[2]})`],
  [/^Upgrade failed[^:]*: (.*)$/, (m) => `✗ Upgrade failed: ${m[1]}`],
  [/^Waiting for rollout to complete$/, () => '⏳ Waiting for rollout to complete...'],
  [/^Rollout failed[^:]*: (.*)$/, (m) => `✗ Rollout failed: ${m[1]}`],
  [/^Running Helm tests$/, () => '🧪 Running Helm tests...'],
  [/^Tests passed/, () => '✓ All tests passed!'],
  [/^Tests failed/, () => '✗ Tests failed!'],
  [/^Rolling back to revision (\d+) \((version [^)]*)\)/, (m) => `⚠ Rolling back to revision ${m[1]} (${m[2]})...`],
  [/^Rollback to revision (\d+) completed/, (m) => `✓ Rollback to revision ${m[1]} completed successfully`],
  [/^Rollback to revision (\d+) failed[^:]*: (.*)$/, (m) => `✗ Rollback to revision ${m[1]} failed: ${m[2]}`],
  [/^Uninstalled (\S+)/, (m) => `✓ Uninstalled ${m[1]} (a failed first install has nothing to roll back to)`],
];

/** The script's line for one release event, or null when it printed none for it. */
export function deployScriptLine(event: string): string | null {
  for (const [pattern, line] of LINES) {
    const match = event.match(pattern);
    if (match) return line(match);
  }
  return null;
}
