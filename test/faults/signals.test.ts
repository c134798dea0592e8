/*
 * Malformed signals: payloads of the wrong shape, junk arguments, unknown signal names and payloads
 * that cannot be decoded at all. Each is recorded and ignored (or handled as far as it makes sense);
 * none crashes or stalls the release, which goes on to its normal outcome.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/messages';
import type { ReleaseResult, ReleaseStatus } from '../../src/workflows/types';
import { eventually, ReleaseHarness } from '../support/harness';

let harness: ReleaseHarness;
/** Canary services whose success rate is low (the tests run side by side, each with its own service). */
const failingCanaries = new Set<string>();
beforeAll(async () => {
  harness = await ReleaseHarness.start();
  harness.prometheus.answer = (query) => {
    if (query.includes('histogram_quantile')) return { value: 120 };
    return { value: [...failingCanaries].some((canary) => query.includes(`shop-${canary}-[0-9]`)) ? 80 : 99.9 };
  };
});
afterAll(async () => harness?.stop());

const messages = (status: ReleaseStatus) => status.events.map((event) => event.message);

/** A release that has reached 25% (traffic and analysis running), ready to be signalled. */
async function progressing(options: { failing?: boolean } = {}) {
  const config = harness.config({ analysis: { interval: '1s', stepWeight: 25, threshold: 2 } });
  if (options.failing) failingCanaries.add(config.traffic.canaryService);
  const handle = await harness.start(config, '1.1.0');
  await eventually('canary at 25%', () => handle.query(statusQuery), (s) => s.canaryWeight >= 25, 60_000);
  return { config, handle };
}

/** Sends a signal with payloads as bytes, bypassing the client's data converter. */
async function rawSignal(handle: WorkflowHandle, signalName: string, payloads: Array<{ encoding: string; data: Buffer }>): Promise<void> {
  await harness.client.workflowService.signalWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: handle.workflowId },
    signalName,
    input: { payloads: payloads.map(({ encoding, data }) => ({ metadata: (encoding ? { encoding: Buffer.from(encoding) } : {}) as Record<string, Uint8Array>, data })) },
    identity: 'signals.test',
    requestId: randomUUID(),
  });
}

describe('abort with a malformed payload', () => {
  test.concurrent.each([
    ['a number', 42],
    ['a string', 'because'],
    ['null', null],
    ['a reason that is a number', { reason: 42 }],
    ['a reason that is an object', { reason: { text: 'nested' } }],
  ])('%s: recorded as malformed, still an abort with the default reason', async (_, payload) => {
    const { config, handle } = await progressing();
    await handle.signal('abort', payload as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(messages(outcome.status).some((message) => message.startsWith('abort payload') && message.includes('is malformed (expected { reason: string }); using the default reason'))).toBe(true);
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted by a person');
    expect(harness.canaryWeights(config).at(-1)).toBe(0);
  });

  test.concurrent('a list: still an abort with the default reason', async () => {
    const { handle } = await progressing();
    await handle.signal('abort', ['a', 'b'] as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted by a person');
  });

  test.concurrent('a reason of 100,000 characters is cut to 500 in the outcome and the status', async () => {
    const { handle } = await progressing();
    await handle.signal('abort', { reason: `x${'y'.repeat(100_000)}` } as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason.length).toBe('aborted: '.length + 500);
  });
});

describe('signals with junk arguments', () => {
  test.concurrent('promote with junk arguments is a promote: the remaining steps are skipped', async () => {
    const { config, handle } = await progressing();
    await handle.signal('promote', 1, { skip: 'all' }, 'junk' as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toContain('promoted by a person');
    expect(messages(outcome.status)).toContain('promote accepted: skipping the remaining steps');
    expect(Math.max(...harness.canaryWeights(config))).toBeLessThan(100);
  });

  test.concurrent('pause and resume with junk arguments hold and release the weight; the release is promoted', async () => {
    const { config, handle } = await progressing();
    await handle.signal('pause', { until: 'never' } as never);
    await eventually('phase Paused', () => handle.query(statusQuery), (s) => s.phase === 'Paused');
    await handle.signal('resume', [1, 2, 3] as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(messages(outcome.status)).toEqual(expect.arrayContaining(['pause accepted: weight and analysis held until resume', 'resume accepted: analysis continues']));
    expect(harness.canaryWeights(config)).toEqual([25, 50, 75, 100, 0]);
  });
});

describe('unknown signals and undecodable payloads', () => {
  test.concurrent.each([
    ['healthy', 'promoted', false, [25, 50, 75, 100, 0]],
    ['failing', 'rolledBack', true, [25, 0]],
  ] as const)('unknown signal names change nothing: a %s release still ends %s', async (_, expected, failing, weights) => {
    const { config, handle } = await progressing({ failing });
    for (const name of ['rollback', 'ABORT', 'promote ', 'abort\u0000', '💥', 'x'.repeat(1_000)]) await handle.signal(name, { reason: 'stop' } as never);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe(expected);
    expect(harness.canaryWeights(config)).toEqual(weights);
    // They are in the history, for the record.
    const history = await handle.fetchHistory();
    const signalled = history.events!.filter((event) => event.workflowExecutionSignaledEventAttributes).map((event) => event.workflowExecutionSignaledEventAttributes!.signalName);
    expect(signalled).toEqual(expect.arrayContaining(['rollback', 'ABORT', '💥']));
  });

  test.concurrent.each([
    ['invalid JSON', 'json/plain', Buffer.from('{"reason": '), 'not valid JSON'],
    ['an unknown encoding', 'application/x-unknown', Buffer.from('reason'), 'unknown encoding application/x-unknown'],
    ['no encoding', '', Buffer.from('{"reason":"x"}'), 'no encoding in its metadata'],
  ])('abort with %s as its payload does not stall the release: recorded as malformed, it still aborts', async (_, encoding, data, problem) => {
    const { handle } = await progressing();
    await rawSignal(handle, 'abort', [{ encoding, data }]);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted by a person');
    expect(messages(outcome.status).some((message) => message.includes(`undecodable payload: ${problem}`) && message.includes('is malformed'))).toBe(true);
  });

  test.concurrent('abort with random bytes (binary/plain) is an abort with the default reason', async () => {
    const { handle } = await progressing();
    await rawSignal(handle, 'abort', [{ encoding: 'binary/plain', data: Buffer.from([0xff, 0x00, 0xfe, 0x7f]) }]);
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('rolledBack');
    expect(outcome.reason).toBe('aborted by a person');
  });

  test.concurrent('promote with an undecodable payload does not stall the release; status keeps answering', async () => {
    const { handle } = await progressing();
    await rawSignal(handle, 'promote', [{ encoding: 'json/plain', data: Buffer.from('not json') }]);
    expect((await handle.query(statusQuery)).phase).not.toBe('Failed');
    const outcome = (await handle.result()) as ReleaseResult;
    expect(outcome.outcome).toBe('promoted');
    expect(outcome.reason).toContain('promoted by a person');
  });
});
