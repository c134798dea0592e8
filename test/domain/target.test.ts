import { fileProviderServicePattern as adapterPattern } from '../../src/targets/local/traefik-file-router';
import { parseConfig } from '../../src/config';
import { fileProviderServicePattern, localTargetOf, metricChecks, servicePatternFor } from '../../src/workflows/domain';

describe('where a release runs, as the activities see it', () => {
  test('target kubernetes adds nothing to the HelmTarget', () => {
    expect(localTargetOf(parseConfig({ service: { name: 'web', namespace: 'shop' }, helm: { chart: './chart' } }))).toEqual({});
  });

  test('target local carries the local block and the service\'s traffic split', () => {
    const config = parseConfig({ service: { name: 'web', namespace: 'shop' }, target: 'local', local: { command: 'node app.js', testCommand: 'node test.js' }, traffic: { traefikService: 'front' } });
    expect(localTargetOf(config)).toEqual({
      local: {
        command: 'node app.js',
        healthPath: '/healthz',
        testCommand: 'node test.js',
        split: { namespace: 'shop', router: 'front', primaryService: 'web', canaryService: 'web-canary' },
      },
    });
  });

  test.each([
    ['shop', 'web'],
    ['shop', 'web-canary'],
    ['a.b', 'c+d'],
  ])('the domain copy of the file provider pattern equals the adapter\'s for %s/%s', (namespace, service) => {
    expect(fileProviderServicePattern(namespace, service)).toBe(adapterPattern(namespace, service));
  });

  test('metricChecks measure the file provider\'s service on target local, the CRD service otherwise', () => {
    const input = { namespace: 'shop', intervalMs: 5_000, requestSuccessRate: { enabled: true, threshold: 99 }, requestDuration: { enabled: false, threshold: 500 }, custom: [] };
    expect(metricChecks({ ...input, target: 'local' }, 'web-canary')[0]!.query).toContain('service=~"shop-web-canary@file"');
    expect(metricChecks(input, 'web-canary')[0]!.query).toContain('service=~"shop-web-canary-[0-9]+@kubernetescrd"');
    expect(servicePatternFor('kubernetes', 'shop', 'web')).toBe('shop-web-[0-9]+@kubernetescrd');
  });
});
