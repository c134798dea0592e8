import { loadConfigFile, parseConfig } from '../../src/config';
import { configError } from './helpers';

const local = (extra: Record<string, unknown> = {}) => ({ service: { name: 'shop', namespace: 'demo' }, target: 'local', local: { command: 'node server.js' }, ...extra });

describe('target local: a track\'s service is its release', () => {
  test('derives the services from the releases when traffic names none', () => {
    const config = parseConfig(local({ helm: { releases: { primary: 'shop-blue', canary: 'shop-green' } } }));
    expect(config.traffic).toMatchObject({ primaryService: 'shop-blue', canaryService: 'shop-green', traefikService: 'shop' });
  });

  test('accepts service names equal to the release names, and any traefikService', () => {
    const config = parseConfig(local({ traffic: { traefikService: 'front', primaryService: 'shop', canaryService: 'shop-canary' } }));
    expect(config.traffic.traefikService).toBe('front');
  });

  test.each([
    ['traffic.primaryService', { traffic: { primaryService: 'shop-svc' } }, /expected "shop" \(helm\.releases\.primary\), got "shop-svc"/],
    ['traffic.canaryService', { traffic: { canaryService: 'shop-next' } }, /expected "shop-canary" \(helm\.releases\.canary\), got "shop-next"/],
    ['traffic.canaryService', { helm: { releases: { canary: 'shop-green' } }, traffic: { canaryService: 'shop-canary' } }, /expected "shop-green" \(helm\.releases\.canary\), got "shop-canary"/],
  ])('refuses %s that differs from its release, naming both', (path, extra, message) => {
    const error = configError(() => parseConfig(local(extra)));
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  test('leaves target kubernetes free to name its Services', () => {
    const config = parseConfig({ service: { name: 'shop', namespace: 'demo' }, helm: { chart: './chart' }, traffic: { primaryService: 'shop-svc' } });
    expect(config.traffic.primaryService).toBe('shop-svc');
  });

  test('the demo config is a valid target local config with an analysis interval of at least 5s', () => {
    const config = loadConfigFile('examples/demo/release.yaml');
    expect(config.target).toBe('local');
    expect(config.local?.command).toContain('examples/demo-app/server.js');
    expect(config.analysis.interval).toBe('5s');
  });
});
