/**
 * The README is a front door (small, the two commands up front), and the contract's tables of
 * dead-letter and MQTT refusal reasons agree with the catalogues in the code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS } from '../src/broker/refusals.ts';
import { REJECT_REASONS } from '../src/normalise/reasons.ts';

const readme = readFileSync('README.md', 'utf8');
const contract = readFileSync('docs/contract.md', 'utf8');

/** The rows `| \`name\` | … |` of the table that follows `heading` in `md`, by name. */
function tableAfter(md: string, heading: string): string[] {
  const start = md.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const rest = md.slice(start + heading.length + 2);
  const next = rest.search(/^#{1,6} /m);
  const section = next === -1 ? rest : rest.slice(0, next);
  return [...section.matchAll(/^\| `([a-z_]+)` \| .+ \|$/gm)].map((m) => m[1]!);
}

describe('README', () => {
  it('is at most 20 KB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(20 * 1024);
  });

  it('gives the demo and the test command within its first 40 lines', () => {
    const head = readme.split('\n').slice(0, 40).join('\n');
    expect(head).toContain('npm ci && npm run demo');
    expect(head).toContain('npm ci && npm test');
  });
});

describe('docs/contract.md', () => {
  it('lists exactly the dead-letter reasons of the code', () => {
    expect(tableAfter(contract, '### Dead letters').sort()).toEqual(Object.keys(REJECT_REASONS).sort());
  });

  it('lists exactly the MQTT refusal reasons of the code', () => {
    expect(tableAfter(contract, '### Authentication and access rules').sort()).toEqual(
      Object.keys(REFUSAL_REASONS).sort(),
    );
  });

  it('keeps the section numbers that code comments cite as docs/contract.md §N', () => {
    const sections = [...contract.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
    expect(sections.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
