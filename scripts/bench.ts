/**
 * `npm run bench [-- NAME… --OPTION [VALUE]…]`: runs every benchmark in bench/*.bench.ts (or those
 * named) and prints its figures with ratios against a baseline measured in the same run
 * (docs/benchmarks.md: performance is measured in benchmarks, never asserted in tests). Each file
 * default-exports a `Bench`; every option goes to each bench's `run()` (bench/args.ts).
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from '../bench/args.ts';
import type { Bench } from '../bench/harness.ts';

const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `Usage: npm run bench [-- NAME… --OPTION [VALUE]…]\nRuns bench/*.bench.ts (all, or those named) and prints figures and ratios;\noptions (--gateways N, --reps N, --seconds S, --write-doc, …) go to every bench run (docs/benchmarks.md).\n`,
  );
  process.exit(0);
}
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => basename(f, '.bench.ts'))
  .sort();
const { names, options } = parseBenchArgs(args, all);
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`no benchmark named ${unknown.join(', ')} (there are: ${all.join(', ')})\n`);
  process.exit(64);
}
for (const name of names.length > 0 ? names : all) {
  const bench = ((await import(join(dir, `${name}.bench.ts`))) as { default: Bench }).default;
  process.stdout.write(`\n## ${name}: ${bench.title}\n`);
  await bench.run(options);
}
