/**
 * Data flows one way (docs/architecture.md): broker → normalise → store → kpi → report → api.
 * A stage imports only from stages to its left and from the shared root files; only hub.ts,
 * hub-types.ts (its public shape), main.ts and cli/ wire stages together. A convention worth
 * having is enforced by a test, and the document's table of stages is the one enforced here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');
const RANK: Record<string, number> = { broker: 1, normalise: 2, deadletters: 2, store: 3, kpi: 4, report: 5, api: 6 };
const WIRING = new Set(['hub.ts', 'hub-types.ts', 'main.ts', 'cli']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The stage of a file under src/: its first folder, or the file name for root files. */
function stageOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

describe('architecture', () => {
  it('docs/architecture.md lists the stages with the ranks enforced here', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8');
    const rows = [...doc.matchAll(/^\| (\d) \| (\w+) \| `src\/(\w+)\/` \|/gm)].map((m) => [m[3], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(RANK);
  });

  it('no stage imports a later stage', () => {
    const offences: string[] = [];
    for (const file of walk(SRC)) {
      const from = stageOf(file);
      if (WIRING.has(from)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
        const target = resolve(dirname(file), m[1]!);
        if (!target.startsWith(SRC)) continue;
        const to = stageOf(target);
        if (WIRING.has(to)) offences.push(`${relative(SRC, file)} imports the wiring file ${m[1]}`);
        const a = RANK[from] ?? 0;
        const b = RANK[to] ?? 0;
        if (b > a) offences.push(`${relative(SRC, file)} (${from}) imports ${m[1]} (${to}), a later stage`);
      }
    }
    expect(offences).toEqual([]);
  });
});
