import { judgeDrill, type DrillObservation } from '../../src/workflows/domain/drill';

const healthy = [{ name: 'request-success-rate', value: 99.9, threshold: 99, passed: true, reason: 'ok' }];
const base: DrillObservation = {
  releaseOutcome: 'rolledBack',
  releaseReason: 'failed checks reached the threshold',
  detectionMs: 2000,
  restoreMs: 80,
  maxRestoreMs: 5000,
  primaryChecks: healthy,
  primaryVersionBefore: '1.0.0',
  primaryVersionAfter: '1.0.0',
};

describe('judgeDrill', () => {
  test.each<[string, Partial<DrillObservation>, boolean, string]>([
    ['passes when the fault was rolled back in time and the primary is healthy', {}, true, 'restored in 80ms'],
    ['fails when the faulty version was promoted', { releaseOutcome: 'promoted', restoreMs: null }, false, 'PROMOTED'],
    ['fails when the drill release failed', { releaseOutcome: 'failed', releaseReason: 'helm uninstall x failed' }, false, 'helm uninstall x failed'],
    ['fails when restore took longer than maxRestore', { restoreMs: 6000 }, false, 'rollback took 6000ms, over drill.maxRestore 5000ms'],
    ['fails when restore was not measured', { restoreMs: null }, false, 'not measured'],
    ['fails when the primary changed version', { primaryVersionAfter: '9.9.9-drill' }, false, 'runs 9.9.9-drill after the drill, not 1.0.0'],
    ['fails when the primary is unhealthy afterwards', { primaryChecks: [{ name: 'request-success-rate', value: 50, threshold: 99, passed: false, reason: 'request-success-rate 50% below minimum 99%' }] }, false, 'the primary is unhealthy after the drill: request-success-rate 50%'],
  ])('%s', (_name, change, passed, reasonPart) => {
    const verdict = judgeDrill({ ...base, ...change });
    expect(verdict.passed).toBe(passed);
    expect(verdict.reason).toContain(reasonPart);
  });
});
