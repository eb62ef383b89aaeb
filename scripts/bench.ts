/**
 * `npm run bench [-- NAME…]`: runs every benchmark in bench/*.ts (or those named) and prints its
 * figures with ratios against a baseline measured in the same run (DEVELOPERS.md: performance is
 * measured in benchmarks, never asserted in tests). Each file default-exports a `Bench`.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from '../bench/harness.ts';

const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `Usage: npm run bench [-- NAME…]\nRuns bench/*.bench.ts (all, or those named) and prints figures and ratios.\n`,
  );
  process.exit(0);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => args.length === 0 || args.includes(basename(f, '.bench.ts')))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${args.join(', ')}\n`);
  process.exit(64);
}
for (const file of files) {
  const bench = ((await import(join(dir, file))) as { default: Bench }).default;
  process.stdout.write(`\n## ${basename(file, '.bench.ts')}: ${bench.title}\n`);
  await bench.run();
}
