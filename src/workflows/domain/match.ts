/*
 * A/B testing's match rules (Flagger's `analysis.match` vocabulary): which requests reach the
 * canary. Entries are alternatives (any one matches); the headers of one entry must all match. A
 * cookie is matched as Flagger users write it: a regex on the `cookie` header.
 */

/** How one header is matched: exactly one of the four. */
export interface HeaderMatch {
  exact?: string;
  regex?: string;
  prefix?: string;
  suffix?: string;
}

/** One alternative: every header listed must match. */
export interface MatchRule {
  headers: Record<string, HeaderMatch>;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regex of a non-exact header match (Go's RE2 and JavaScript agree on what is used here). */
function headerRegex(match: HeaderMatch): string | null {
  if (match.regex !== undefined) return match.regex;
  if (match.prefix !== undefined) return `^${escapeRegex(match.prefix)}`;
  if (match.suffix !== undefined) return `${escapeRegex(match.suffix)}$`;
  return null;
}

/** Why a header match cannot become a Traefik rule, or null. Traefik quotes with backticks and runs Go's RE2. */
export function headerMatchProblem(match: HeaderMatch): string | null {
  const kinds = (['exact', 'regex', 'prefix', 'suffix'] as const).filter((kind) => match[kind] !== undefined);
  if (kinds.length !== 1) return `expected exactly one of exact, regex, prefix or suffix, got ${kinds.length ? kinds.join(' and ') : 'none'}`;
  const value = match[kinds[0]!]!;
  if (value.includes('`')) return 'a backtick cannot be written into a Traefik rule; match the character with a regex class instead, e.g. [`]';
  if (match.regex !== undefined) {
    // RE2 has no lookaround and no backreferences: Traefik would refuse the router.
    if (/\(\?<?[=!]|\\[1-9]/.test(value)) return 'lookarounds and backreferences are not supported by Traefik (Go RE2); rewrite the regex without them';
    try {
      new RegExp(value);
    } catch (error) {
      return `not a valid regex: ${(error as Error).message}`;
    }
  }
  return null;
}

/** The Traefik v3 rule for the rules: `(Header(...) && HeaderRegexp(...)) || (...)`. */
export function traefikMatchRule(rules: readonly MatchRule[]): string {
  const alternatives = rules.map((rule) => {
    const parts = Object.entries(rule.headers).map(([name, match]) => {
      const regex = headerRegex(match);
      return regex === null ? `Header(\`${name}\`, \`${match.exact}\`)` : `HeaderRegexp(\`${name}\`, \`${regex}\`)`;
    });
    return parts.length === 1 ? parts[0]! : `(${parts.join(' && ')})`;
  });
  return alternatives.length === 1 ? alternatives[0]! : alternatives.map((alternative) => (alternative.startsWith('(') ? alternative : `(${alternative})`)).join(' || ');
}

/** The rules in words, for `status`, `watch` and the events: `header x-canary = insider, or cookie ~ /canary=always/`. */
export function describeMatch(rules: readonly MatchRule[]): string {
  return rules
    .map((rule) =>
      Object.entries(rule.headers)
        .map(([name, match]) => {
          if (match.exact !== undefined) return `${name} = ${match.exact}`;
          if (match.prefix !== undefined) return `${name} starts with ${match.prefix}`;
          if (match.suffix !== undefined) return `${name} ends with ${match.suffix}`;
          return `${name} ~ /${match.regex}/`;
        })
        .join(' and '),
    )
    .join(', or ');
}

/** Whether a request with these headers (lower-case names) matches: the same meaning as the Traefik rule, for tests and the load bench. */
export function requestMatches(rules: readonly MatchRule[], headers: Record<string, string | undefined>): boolean {
  return rules.some((rule) =>
    Object.entries(rule.headers).every(([name, match]) => {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return false;
      const regex = headerRegex(match);
      return regex === null ? value === match.exact : new RegExp(regex).test(value);
    }),
  );
}
