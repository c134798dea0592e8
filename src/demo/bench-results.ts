import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where `npm run bench*` writes its results (summarised in the README). */
export const BENCH_RESULTS = path.resolve(__dirname, '../..', 'bench/results');

/** A benchmark's report as bench/results/<name>.json and <NAME>.md; prints the Markdown. */
export function writeBenchResult(name: string, report: object, markdown: string, out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  mkdirSync(BENCH_RESULTS, { recursive: true });
  writeFileSync(path.join(BENCH_RESULTS, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(BENCH_RESULTS, `${name.toUpperCase()}.md`), markdown);
  out(`\n${markdown}`);
  out(`written: bench/results/${name}.json, bench/results/${name.toUpperCase()}.md`);
}
