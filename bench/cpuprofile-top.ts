/**
 * Top self-time entries and the garbage collector's share of a `node --cpu-prof` profile (the
 * main thread's: the largest `.cpuprofile` in the folder), as in docs/benchmarks-profile.md.
 *
 *   node --import tsx bench/cpuprofile-top.ts <folder> [entries]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2] ?? '.';
const top = Number(process.argv[3] ?? 15);
const file = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0];
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
p.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|bench|devices)\//, '$1/');
  const key = functionName.startsWith('(')
    ? functionName
    : `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
});
const idle = self.get('(idle)') ?? 0;
self.delete('(idle)');
const busy = [...self.values()].reduce((a, b) => a + b, 0);
const pct = (t: number): string => `${((100 * t) / busy).toFixed(1)}%`;
process.stdout.write(`${file}\nbusy ${(busy / 1e6).toFixed(2)} s (idle ${(idle / 1e6).toFixed(2)} s)\n`);
process.stdout.write(`garbage collector ${pct(self.get('(garbage collector)') ?? 0)} of busy\n`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(t).padStart(6)} ${(t / 1e3).toFixed(0).padStart(6)} ms  ${k}\n`);
