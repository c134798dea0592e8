import { WEBHOOK_TYPES } from '../../src/config/schema';
import {
  describeAnswer,
  gatePollMs,
  gateVerdict,
  HOOK_TYPES,
  hookPassed,
  hooksOfType,
  inapplicableHooksNote,
  postRolloutNote,
  releaseChecksum,
  rollbackHookVerdict,
  webhookCheck,
  type HookType,
  type WebhookOutcome,
} from '../../src/workflows/domain/webhooks';

const answer = (status: number | null, message = ''): WebhookOutcome => ({ passed: hookPassed(status), status, message });
const hook = (name: string, type: HookType = 'rollout') => ({ name, type });

describe("hookPassed: Flagger's rule, 2xx up to 202", () => {
  test.each([
    [200, true],
    [201, true],
    [202, true],
    [203, false],
    [204, false],
    [199, false],
    [301, false],
    [403, false],
    [500, false],
    [null, false],
  ] as Array<[number | null, boolean]>)('status %s passes: %s', (status, passed) => {
    expect(hookPassed(status)).toBe(passed);
  });
});

describe('describeAnswer', () => {
  test.each([
    [answer(200, 'ok'), 'HTTP 200: ok'],
    [answer(503, ''), 'HTTP 503'],
    [answer(403, '  not\n  approved yet '), 'HTTP 403: not approved yet'],
    [answer(null, 'no answer within 2000ms'), 'no answer: no answer within 2000ms'],
    [answer(null, ''), 'no answer: unknown error'],
  ])('%j reads "%s"', (outcome, text) => {
    expect(describeAnswer(outcome)).toBe(text);
  });

  test('quotes at most 200 characters of a body', () => {
    expect(describeAnswer(answer(500, 'x'.repeat(1000))).length).toBeLessThan(220);
  });
});

describe('which strategy runs which hook type', () => {
  const all = Object.values(HOOK_TYPES).map((type) => ({ name: type, type }));

  test('the domain knows exactly the types the config accepts', () => {
    expect([...Object.values(HOOK_TYPES)].sort()).toEqual([...WEBHOOK_TYPES].sort());
  });

  test.each([
    ['canary', Object.values(HOOK_TYPES)],
    ['blueGreen', ['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-promotion', 'post-rollout', 'rollback', 'event']],
    ['direct', ['confirm-rollout', 'pre-rollout', 'rollout', 'post-rollout', 'event']],
  ] as Array<['canary' | 'blueGreen' | 'direct', string[]]>)('%s runs %j', (strategy, types) => {
    const run = Object.values(HOOK_TYPES).filter((type) => hooksOfType(all, type, strategy).length > 0);
    expect(run.sort()).toEqual([...types].sort());
  });

  test('keeps config order within a type', () => {
    const hooks = [hook('b'), hook('gate', 'confirm-rollout'), hook('a')];
    expect(hooksOfType(hooks, 'rollout', 'canary').map((h) => h.name)).toEqual(['b', 'a']);
  });

  test('names the hooks a strategy skips, and says nothing when all apply', () => {
    expect(inapplicableHooksNote(all, 'canary')).toBeNull();
    expect(inapplicableHooksNote([], 'direct')).toBeNull();
    expect(inapplicableHooksNote(all, 'blueGreen')).toBe('Webhooks not run by a blue-green release: confirm-traffic-increase (confirm-traffic-increase)');
    expect(inapplicableHooksNote(all, 'direct')).toBe('Webhooks not run by a direct release: confirm-traffic-increase (confirm-traffic-increase), confirm-promotion (confirm-promotion), rollback (rollback)');
  });
});

describe('webhookCheck: a rollout or pre-rollout answer as a check', () => {
  test.each([
    [answer(200, 'ok'), true, 'rollout webhook load-test passed (HTTP 200: ok)'],
    [answer(202), true, 'rollout webhook load-test passed (HTTP 202)'],
    [answer(500, 'boom'), false, 'rollout webhook load-test failed (HTTP 500: boom); counted as a failed check'],
    [answer(null, 'connection refused'), false, 'rollout webhook load-test failed (no answer: connection refused); counted as a failed check'],
  ])('%j passed=%s', (outcome, passed, reason) => {
    expect(webhookCheck(hook('load-test'), outcome)).toEqual({ name: 'webhook load-test', value: outcome.status, threshold: 202, passed, reason });
  });

  test('the status decides, not the caller\'s own reading', () => {
    expect(webhookCheck(hook('x'), { passed: true, status: 500, message: '' }).passed).toBe(false);
  });
});

describe('gateVerdict', () => {
  const gate = (name: string) => ({ name });

  test('opens when every hook answers 2xx', () => {
    expect(gateVerdict('confirm-promotion', [{ hook: gate('a'), outcome: answer(200) }, { hook: gate('b'), outcome: answer(202) }])).toEqual({
      open: true,
      note: 'confirm-promotion gate open: a, b approved',
    });
  });

  test('stays closed while one hook says no, and names only that one', () => {
    const verdict = gateVerdict('confirm-rollout', [{ hook: gate('a'), outcome: answer(200) }, { hook: gate('b'), outcome: answer(403, 'locked') }]);
    expect(verdict).toEqual({
      open: false,
      waitingFor: 'confirm-rollout webhook b (HTTP 403: locked)',
      note: 'Waiting for confirm-rollout webhook b (HTTP 403: locked); polling until it answers 2xx (promote or abort act meanwhile)',
    });
  });

  test('an unreachable gate is closed, not open', () => {
    expect(gateVerdict('confirm-traffic-increase', [{ hook: gate('a'), outcome: answer(null, 'timeout') }]).open).toBe(false);
  });
});

describe('rollbackHookVerdict', () => {
  test.each([
    [[answer(200, 'rollback please')], true],
    [[answer(404), answer(202)], true],
    [[answer(404)], false],
    [[answer(500)], false],
    [[answer(null, 'refused')], false],
    [[], false],
  ] as Array<[WebhookOutcome[], boolean]>)('%j asks for a rollback: %s', (outcomes, rollback) => {
    const verdict = rollbackHookVerdict(outcomes.map((outcome, i) => ({ hook: { name: `h${i}` }, outcome })));
    expect(verdict.rollback).toBe(rollback);
  });

  test('the reason names the hook and its answer', () => {
    expect(rollbackHookVerdict([{ hook: { name: 'kill-switch' }, outcome: answer(200, 'on') }])).toEqual({
      rollback: true,
      reason: 'rollback webhook kill-switch asked for a rollback (HTTP 200: on)',
    });
  });
});

describe('postRolloutNote', () => {
  test('records the answer; a failure never changes the outcome, and says so', () => {
    expect(postRolloutNote({ name: 'notify' }, answer(200, 'ok'))).toBe('post-rollout webhook notify answered HTTP 200: ok');
    expect(postRolloutNote({ name: 'notify' }, answer(500))).toBe('post-rollout webhook notify failed (HTTP 500); logged only, the outcome stands');
  });
});

describe('gatePollMs', () => {
  test.each([
    [500, 0, 1_000],
    [1_000, 0, 1_000],
    [5_000, 3, 5_000],
    [60_000, 0, 10_000],
    [1_000, 29, 1_000],
    [1_000, 30, 60_000],
    [60_000, 500, 60_000],
  ])('interval %ims, poll %i: waits %ims', (intervalMs, attempt, expected) => {
    expect(gatePollMs(intervalMs, attempt)).toBe(expected);
  });
});

describe('releaseChecksum', () => {
  test('is 8 hex digits, stable, and differs between runs', () => {
    const a = releaseChecksum('shop/web/1.1.0/release-shop-web/run-1');
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(releaseChecksum('shop/web/1.1.0/release-shop-web/run-1')).toBe(a);
    expect(releaseChecksum('shop/web/1.1.0/release-shop-web/run-2')).not.toBe(a);
    expect(releaseChecksum('')).toBe('811c9dc5');
  });
});
