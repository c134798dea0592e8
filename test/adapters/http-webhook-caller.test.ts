/*
 * HttpWebhookCaller against a local webhook server: the payload, Flagger's pass rule (status <= 202),
 * the per-hook timeout, and that every failure is an outcome, never a thrown error.
 */
import axios from 'axios';
import { HttpWebhookCaller } from '../../src/activities/adapters/http-webhook-caller';
import type { WebhookPayload } from '../../src/activities/ports';
import { FakeWebhooks } from '../support/stand-ins';

let hooks: FakeWebhooks;
beforeAll(async () => {
  hooks = await new FakeWebhooks().start();
});
afterAll(async () => hooks?.stop());

const caller = new HttpWebhookCaller(axios.create());
const payload: WebhookPayload = { name: 'web', namespace: 'shop', phase: 'Progressing', checksum: '1a2b3c4d', metadata: { cmd: 'hey -z 1m http://web-canary.shop/' } };
const call = (path: string, timeoutMs = 2_000) => caller.call({ hook: { name: 'load-test', type: 'rollout', url: hooks.url(path), timeoutMs }, payload });

describe('HttpWebhookCaller', () => {
  test('POSTs { name, namespace, phase, checksum, metadata } as JSON', async () => {
    const outcome = await call('/payload');

    expect(outcome).toEqual({ passed: true, status: 200, message: 'ok' });
    const [recorded] = hooks.callsTo('/payload');
    expect(recorded!.payload).toEqual(payload);
    expect(recorded!.contentType).toContain('application/json');
  });

  test.each([
    [200, true],
    [201, true],
    [202, true],
    [204, false],
    [403, false],
    [404, false],
    [500, false],
    [503, false],
  ])('status %i passes: %s (never throws)', async (status, passed) => {
    hooks.answer(`/status-${status}`, { status, body: `answer ${status}` });

    const outcome = await call(`/status-${status}`);

    expect(outcome).toEqual({ passed, status, message: status === 204 ? '' : `answer ${status}` });
  });

  test('does not follow a redirect: a 302 is a failed answer', async () => {
    hooks.answer('/moved', { status: 302, body: '' });

    await expect(call('/moved')).resolves.toMatchObject({ passed: false, status: 302 });
  });

  test('a hook that does not answer within its timeout is a failed outcome naming the timeout', async () => {
    hooks.answer('/slow', { hangMs: 3_000 });
    const started = Date.now();

    const outcome = await call('/slow', 300);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome).toEqual({ passed: false, status: null, message: "no answer within 300ms (the hook's timeout)" });
  });

  test('a refused connection is a failed outcome, and the message does not quote the URL', async () => {
    const url = 'http://127.0.0.1:9/secret-path?token=abc';
    const outcome = await caller.call({ hook: { name: 'gone', type: 'rollback', url, timeoutMs: 1_000 }, payload });

    expect(outcome.passed).toBe(false);
    expect(outcome.status).toBeNull();
    expect(outcome.message).not.toContain('token=abc');
  });

  test('quotes at most the start of a long body', async () => {
    hooks.answer('/chatty', { status: 500, body: 'e'.repeat(10_000) });

    const outcome = await call('/chatty');

    expect(outcome.message.length).toBeLessThanOrEqual(200);
  });
});
