/** One bad field: its dotted path (`analysis.interval`) and what was expected there. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that must not start a release. Carries every bad field, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
    what = 'release config',
  ) {
    super(`${source} is not a valid ${what}:\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}
