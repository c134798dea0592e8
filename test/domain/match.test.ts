import { describeMatch, headerMatchProblem, requestMatches, traefikMatchRule, type HeaderMatch, type MatchRule } from '../../src/workflows/domain/match';

const insider: MatchRule = { headers: { 'x-canary': { exact: 'insider' } } };
const cookie: MatchRule = { headers: { cookie: { regex: '(^|;\\s*)canary=always(;|$)' } } };

describe('traefikMatchRule', () => {
  const cases: Array<[string, MatchRule[], string]> = [
    ['one exact header', [insider], 'Header(`x-canary`, `insider`)'],
    ['one regex header', [cookie], 'HeaderRegexp(`cookie`, `(^|;\\s*)canary=always(;|$)`)'],
    ['alternatives joined by ||', [insider, cookie], '(Header(`x-canary`, `insider`)) || (HeaderRegexp(`cookie`, `(^|;\\s*)canary=always(;|$)`))'],
    ['headers of one rule joined by &&', [{ headers: { 'x-canary': { exact: 'insider' }, 'user-agent': { regex: 'Firefox' } } }], '(Header(`x-canary`, `insider`) && HeaderRegexp(`user-agent`, `Firefox`))'],
    ['a prefix becomes an anchored, escaped regex', [{ headers: { 'x-user': { prefix: 'qa.team' } } }], 'HeaderRegexp(`x-user`, `^qa\\.team`)'],
    ['a suffix becomes an anchored, escaped regex', [{ headers: { 'x-user': { suffix: '@docutag.io' } } }], 'HeaderRegexp(`x-user`, `@docutag\\.io$`)'],
  ];
  test.each(cases)('%s', (_name, rules, expected) => {
    expect(traefikMatchRule(rules)).toBe(expected);
  });
});

describe('requestMatches (the meaning of the Traefik rule)', () => {
  const cases: Array<[string, MatchRule[], Record<string, string>, boolean]> = [
    ['the exact header', [insider], { 'x-canary': 'insider' }, true],
    ['another value of the header', [insider], { 'x-canary': 'insiders' }, false],
    ['no header at all', [insider], {}, false],
    ['the cookie first', [cookie], { cookie: 'canary=always; theme=dark' }, true],
    ['the cookie among others, after "; "', [cookie], { cookie: 'session=abc; canary=always; theme=dark' }, true],
    ['a cookie whose name ends like it', [cookie], { cookie: 'nocanary=always' }, false],
    ['either alternative', [insider, cookie], { cookie: 'canary=always' }, true],
    ['all headers of one rule are needed', [{ headers: { a: { exact: '1' }, b: { exact: '2' } } }], { a: '1' }, false],
    ["Flagger's documented cookie regex misses a cookie that is not first", [{ headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } }], { cookie: 'session=abc; canary=always' }, false],
  ];
  test.each(cases)('%s', (_name, rules, headers, expected) => {
    expect(requestMatches(rules, headers)).toBe(expected);
  });
});

describe('headerMatchProblem', () => {
  const cases: Array<[string, HeaderMatch, RegExp | null]> = [
    ['exact', { exact: 'insider' }, null],
    ['a regex', { regex: '^a.+b$' }, null],
    ['none of the four', {}, /exactly one of exact, regex, prefix or suffix, got none/],
    ['two of them', { exact: 'a', regex: 'b' }, /got exact and regex/],
    ['a backtick', { exact: 'a`b' }, /backtick cannot be written into a Traefik rule/],
    ['a lookahead (RE2 has none)', { regex: 'a(?=b)' }, /lookarounds and backreferences are not supported by Traefik/],
    ['a backreference', { regex: '(a)\\1' }, /lookarounds and backreferences/],
    ['a regex that does not compile', { regex: '(unclosed' }, /not a valid regex/],
  ];
  test.each(cases)('%s', (_name, match, expected) => {
    const problem = headerMatchProblem(match);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

test('describeMatch says the rules in words, for status and watch', () => {
  expect(describeMatch([insider, cookie, { headers: { 'x-user': { prefix: 'qa' } } }])).toBe('x-canary = insider, or cookie ~ /(^|;\\s*)canary=always(;|$)/, or x-user starts with qa');
});
