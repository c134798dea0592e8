/*
 * What `watch` and `status` print from outside (webhook bodies, helm stderr, Prometheus errors, all
 * quoted in events and check reasons) cannot drive the terminal: escape sequences are removed,
 * other control characters shown as �, and a quoted newline cannot fake a line of the CLI's own.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { followRelease, renderResult } from '../../src/client/follow';
import { printable, renderStatus, trafficBar, type CliIO } from '../../src/client/output';
import type { ReleaseResult, ReleaseStatus } from '../../src/workflows/types';

const HOSTILE = [
  'webhook load-test answered 500: \x1b[2J\x1b[Hall good\x1b[0m',
  'helm upgrade web failed: \x1b]0;pwned\x07Error: \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\',
  'Prometheus answered 400: bad\rRelease promoted\x08\x08\x7f\x9b31m',
  'body: ok\n12:00:00  Release promoted: all checks passed',
  'reversed \u202egnp.exe\u202c name',
];

const hasControl = (text: string) => /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(text);

const status = (overrides: Partial<ReleaseStatus> = {}): ReleaseStatus => ({
  workflowId: 'release-shop-web',
  service: 'web',
  namespace: 'shop',
  version: '1.1.0',
  previousVersion: '1.0.0',
  strategy: 'canary',
  phase: 'RolledBack',
  canaryWeight: 0,
  iteration: 2,
  failedChecks: 2,
  threshold: 2,
  lastChecks: HOSTILE.map((reason, i) => ({ name: `check-${i}`, value: null, threshold: 99, passed: false, reason })) as never,
  events: HOSTILE.map((message, i) => ({ at: `2024-01-01T12:00:0${i}.000Z`, message })),
  waitingFor: 'confirm-promotion webhook approve (\x1b[31mHTTP 403\x1b[0m)',
  notificationFailures: 0,
  startedAt: '2024-01-01T12:00:00.000Z',
  finishedAt: '2024-01-01T12:01:00.000Z',
  ...overrides,
});

describe('terminal output from outside is made printable', () => {
  test('escape sequences are removed, other control characters shown as �, newlines kept unless single-line', () => {
    expect(printable('a\x1b[31mred\x1b[0m b')).toBe('ared b');
    expect(printable('title \x1b]0;pwned\x07 after')).toBe('title  after');
    expect(printable('bell\x07 nul\x00 del\x7f csi\x9b')).toBe('bell\ufffd nul\ufffd del\ufffd csi\ufffd');
    expect(printable('one\r\ntwo\rthree\nfour')).toBe('one\ntwo\nthree\nfour');
    expect(printable('one\ntwo\tthree', { singleLine: true })).toBe('one | two three');
    expect(printable('\u202eevil')).toBe('\ufffdevil');
    expect(printable('plain ✓ 99.9% → 1.1.0 ünïcode')).toBe('plain ✓ 99.9% → 1.1.0 ünïcode');
  });

  test('status: events, check reasons and waitingFor carry no control character, one line each', () => {
    const text = renderStatus(status(), { events: 15 });
    expect(hasControl(text.replace(/\n/g, ''))).toBe(false);
    expect(text).toContain('webhook load-test answered 500: all good');
    expect(text).toContain('body: ok | 12:00:00  Release promoted');
    // Every event is one line: the quoted newline did not start a line of its own.
    expect(text.split('\n').filter((row) => row.startsWith('12:00:00'))).toEqual([]);
  });

  test('watch (lines and the final result) prints no control character from an event or the reason', async () => {
    const result: ReleaseResult = { outcome: 'rolledBack', reason: HOSTILE[0]!, totalMs: 60_000, detectionMs: 1000, rollbackMs: 50, status: status() };
    const handle = { describe: async () => ({ status: { name: 'COMPLETED' } }), result: async () => result } as unknown as WorkflowHandle;
    let out = '';
    const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (out += `${text}\n`), isTTY: false };
    expect(await followRelease(handle, io)).toBe(3);
    expect(hasControl(out.replace(/\n/g, ''))).toBe(false);
    expect(out.trim().split('\n')).toHaveLength(HOSTILE.length + 2);
    expect(renderResult(result)).toBe('ROLLEDBACK: webhook load-test answered 500: all good (total 1m00s, detection 1.0s, rollback 50ms)');
  });
});

describe('an A/B test shows its rule instead of a weight bar (issue 14)', () => {
  test('status: the rule the canary gets, no bar', () => {
    const text = renderStatus(status({ strategy: 'abTesting', phase: 'Progressing', finishedAt: null, match: 'x-canary = insider, or cookie ~ /(^|;\\s*)canary=always(;|$)/' }));
    expect(text).toContain('A/B    canary ← requests where x-canary = insider, or cookie ~ /(^|;\\s*)canary=always(;|$)/  iteration 2  failed checks 2/2');
    expect(text).not.toMatch(/[█░]/);
  });

  test('status before the router is in place says no request reaches the canary yet', () => {
    expect(renderStatus(status({ strategy: 'abTesting', phase: 'Initializing' }))).toContain('A/B    canary ← no requests yet (router not in place)');
  });

  test('watch prints the rule once, and no weight line', async () => {
    const running = status({ strategy: 'abTesting', phase: 'Progressing', finishedAt: null, events: [], match: 'x-canary = insider' });
    const result: ReleaseResult = { outcome: 'promoted', reason: 'passed', totalMs: 1000, detectionMs: null, rollbackMs: null, status: { ...running, phase: 'Succeeded' } };
    let polls = 0;
    const handle = {
      describe: async () => ({ status: { name: polls++ < 2 ? 'RUNNING' : 'COMPLETED' } }),
      query: async () => running,
      result: async () => result,
    } as unknown as WorkflowHandle;
    let out = '';
    const io: CliIO = { out: (text) => (out += `${text}\n`), err: (text) => (out += `${text}\n`), isTTY: false };
    expect(await followRelease(handle, io, { pollMs: 1 })).toBe(0);
    expect(out.split('\n').filter((row) => row.includes('A/B canary ← requests where x-canary = insider'))).toHaveLength(1);
    expect(out).not.toMatch(/[█░]/);
  });
});

describe('a one-command rollback shows what it does instead of a weight bar (issue 15)', () => {
  test('status: the rollback line, the versions back and forth, no bar', () => {
    const text = renderStatus(status({ operation: 'revert', phase: 'RollingBack', version: '1.0.0', previousVersion: '1.1.0', finishedAt: null }));
    expect(text).toContain('rollback (helm rollback --wait, no analysis)');
    expect(text).toContain('1.1.0 → 1.0.0');
    expect(text).not.toMatch(/[█░]/);
  });
});

describe('trafficBar', () => {
  test.each([
    ['the canary while it is tried', { phase: 'Progressing', canaryWeight: 30, strategy: 'canary' }, '[██████░░░░░░░░░░░░░░]  30%  canary'],
    ['green while it is tested', { phase: 'Progressing', canaryWeight: 0, strategy: 'blueGreen' }, '[░░░░░░░░░░░░░░░░░░░░]   0%  green'],
    ['rolled back: nothing on the canary', { phase: 'RolledBack', canaryWeight: 0, strategy: 'canary' }, '[░░░░░░░░░░░░░░░░░░░░]   0%  canary'],
    ['promoted: the new version serves everything from the primary', { phase: 'Succeeded', canaryWeight: 0, strategy: 'canary' }, '[████████████████████] 100%  1.2.0 on the primary'],
    ['finalising, the canary track emptied', { phase: 'Finalising', canaryWeight: 0, strategy: 'blueGreen' }, '[████████████████████] 100%  1.2.0 on the primary'],
    ['baking', { phase: 'Baking', canaryWeight: 0, strategy: 'canary' }, '[████████████████████] 100%  1.2.0 on the primary'],
  ] as const)('%s', (_, status, expected) => expect(trafficBar({ ...status, version: '1.2.0' })).toBe(expected));
});
