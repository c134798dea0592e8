/*
 * A seeded sample of the steering matrix (test/steering/matrix.ts) in every run: a different seed
 * each run unless STEERING_SEED is set, printed so a failing sample can be run again. The whole
 * matrix is `npm run test:steering`; its last result is in docs/cli.md.
 */
import { runCells, sample, SteeringMatrix, STRATEGIES, type Baseline, type MatrixStrategy } from './matrix';

const SAMPLE_SIZE = Number(process.env.STEERING_SAMPLE ?? 48);
const seed = Number(process.env.STEERING_SEED ?? Date.now() % 1_000_000);

let matrix: SteeringMatrix;
beforeAll(async () => {
  matrix = await SteeringMatrix.start();
});
afterAll(async () => matrix?.stop());

test(`a seeded sample of the steering matrix holds in every cell (seed ${seed}: STEERING_SEED=${seed} reruns it)`, async () => {
  const baselines = new Map<MatrixStrategy, Baseline>();
  for (const strategy of STRATEGIES) baselines.set(strategy, await matrix.baseline(strategy));
  const all = [...baselines.values()].flatMap((baseline) => SteeringMatrix.cells(baseline));
  const cells = sample(all, SAMPLE_SIZE, seed);
  const failures = await runCells(matrix, cells, baselines, 8);
  console.log(`steering matrix: ${all.length} cells; sampled ${cells.length} with seed ${seed}; ${failures.length} failing`);
  expect(failures.map(({ label, problems }) => `${label}: ${problems.join('; ')}`)).toEqual([]);
}, 600_000);
