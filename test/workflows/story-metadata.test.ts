import { parseConfig } from '../../src/config';
import { startMetadata } from '../../src/workflows/story';

test('a resolved config gets its summary and plan; an input the worker will still check gets none, and the start goes on', () => {
  const config = parseConfig({ service: { name: 'web', namespace: 'shop' }, helm: { chart: './chart' }, strategy: 'blueGreen', analysis: { iterations: 3, interval: '30s' } });
  const metadata = startMetadata(config, '2.0.0');
  expect(metadata.staticSummary).toBe('blue-green shop/web → 2.0.0');
  expect(metadata.staticDetails).toContain('- green tested at 0% for 3 rounds of 30s, then switched at once');
  expect(startMetadata({ service: { name: 'web', namespace: 'shop' } } as never, '2.0.0')).toEqual({});
});
