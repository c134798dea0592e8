/*
 * The whole steering matrix (`npm run test:steering`): every strategy, every boundary, every message.
 * It prints the matrix size and every failing cell; docs/cli.md keeps its last result.
 */
import { runCells, SteeringMatrix, STRATEGIES, type Baseline, type MatrixStrategy } from './matrix';

let matrix: SteeringMatrix;
beforeAll(async () => {
  matrix = await SteeringMatrix.start();
});
afterAll(async () => matrix?.stop());

test('every cell of the steering matrix holds', async () => {
  const baselines = new Map<MatrixStrategy, Baseline>();
  // STEERING_STRATEGIES=guardedCanary (comma-separated) runs those strategies only.
  const strategies = process.env.STEERING_STRATEGIES ? STRATEGIES.filter((strategy) => process.env.STEERING_STRATEGIES!.split(',').includes(strategy)) : STRATEGIES;
  for (const strategy of strategies) baselines.set(strategy, await matrix.baseline(strategy));
  // STEERING_CHANNELS=signal (or update) runs one channel only.
  const channels = (process.env.STEERING_CHANNELS ?? 'update,signal').split(',');
  const cells = [...baselines.values()].flatMap((baseline) => SteeringMatrix.cells(baseline)).filter((cell) => channels.includes(cell.channel));
  const startedMs = Date.now();
  const failures = await runCells(matrix, cells, baselines, Number(process.env.STEERING_CONCURRENCY ?? 10));
  const sizes = [...baselines.values()].map((baseline) => `${baseline.strategy} ${baseline.byRelease.filter(Boolean).length} release calls × 2 boundaries × 4 messages`).join(', ');
  console.log(`steering matrix: ${cells.length} cells (${sizes}); ${failures.length} failing; ${Math.round((Date.now() - startedMs) / 1000)} s`);
  for (const { label, problems } of failures) console.log(`FAILING ${label}: ${problems.join('; ')}`);
  expect(failures.map(({ label, problems }) => `${label}: ${problems.join('; ')}`)).toEqual([]);
}, 3_600_000);
