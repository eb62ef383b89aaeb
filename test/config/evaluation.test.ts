/**
 * The payback settings (docs/contract.md §1 and §5 "Funding and payback"): hub.yaml's
 * `evaluation.prices` (all four categories or none, also from the environment) and a site's
 * inventory `evaluation:` block, loaded and refused with the path named.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadInventory } from '../../src/config/load.ts';
import { isHubError } from '../../src/errors.ts';
import { hashSecret } from '../../src/secret.ts';
import { testDir } from '../helpers/tmp.ts';

const SECRET = hashSecret('gw-secret-evaluation-0123456789abcdef', 'fast');
const KEY = 'pseudonymKey: 0123456789abcdef0123\n';
const EVALUATION = `    evaluation:
      investment: { government: 2000000, socialCapital: 1500000, residents: 300000 }
      monthlyOperatingCost: 30000
      prices: { kitchen: 0.08 }
      startMonth: 2026-09
`;
const inventory = (evaluation = EVALUATION): string => `sites:
  - id: maple-court
    households: 10
${evaluation}    gateways:
      - id: gw-1
        secret: ${SECRET}
`;

function workspace(hub: string, inv = inventory()): string {
  const dir = testDir('hub-evaluation-');
  writeFileSync(join(dir, 'hub.yaml'), hub);
  writeFileSync(join(dir, 'inventory.yaml'), inv);
  return dir;
}

function loadError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isHubError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected loading to fail');
}

describe('hub.yaml evaluation.prices', () => {
  it('is unset by default, read from the file, and each price from its environment variable', () => {
    expect(loadConfig({ configPath: join(workspace(KEY), 'hub.yaml'), env: {} }).config.evaluation.prices).toBe(
      undefined,
    );
    const dir = workspace(
      `${KEY}evaluation:\n  prices: { recyclable: 1.0, kitchen: 0.05, hazardous: 0, residual: 0 }\n`,
    );
    const { config } = loadConfig({
      configPath: join(dir, 'hub.yaml'),
      env: { HUB_EVALUATION_PRICES_KITCHEN: '0.07' },
    });
    expect(config.evaluation.prices).toEqual({ recyclable: 1, kitchen: 0.07, hazardous: 0, residual: 0 });
  });

  for (const [what, prices, message] of [
    ['a missing category', '{ recyclable: 1.0, kitchen: 0.05, hazardous: 0 }', /evaluation\.prices\.residual/],
    [
      'a negative price',
      '{ recyclable: -1, kitchen: 0.05, hazardous: 0, residual: 0 }',
      /evaluation\.prices\.recyclable/,
    ],
    ['an unknown category', '{ recyclable: 1, kitchen: 0, hazardous: 0, residual: 0, glass: 1 }', /glass/],
  ] as const) {
    it(`refuses ${what}`, () => {
      const dir = workspace(`${KEY}evaluation:\n  prices: ${prices}\n`);
      const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: {} }));
      expect(err.code).toBe('HUB_ERR_CONFIG_INVALID');
      expect(err.message).toMatch(message);
    });
  }
});

describe('inventory evaluation block', () => {
  it('loads investment, costs, price overrides and startMonth, with defaults filled in', () => {
    const dir = workspace(KEY);
    const site = loadInventory(join(dir, 'inventory.yaml'), dir).site('maple-court')!;
    expect(site.evaluation).toEqual({
      investment: { government: 2_000_000, socialCapital: 1_500_000, residents: 300_000 },
      monthlyOperatingCost: 30_000,
      monthlyOtherIncome: 0,
      prices: { kitchen: 0.08 },
      startMonth: '2026-09',
    });
    const bare = workspace(KEY, inventory(''));
    expect(loadInventory(join(bare, 'inventory.yaml'), bare).site('maple-court')!.evaluation).toBeUndefined();
  });

  for (const [what, from, to, message] of [
    [
      'a social capital of 0',
      'socialCapital: 1500000',
      'socialCapital: 0',
      /investment\.socialCapital: must be more than 0/,
    ],
    ['an investment part left out', ', residents: 300000', '', /investment\.residents/],
    ['a negative operating cost', 'monthlyOperatingCost: 30000', 'monthlyOperatingCost: -1', /monthlyOperatingCost/],
    ['a start month that is not YYYY-MM', 'startMonth: 2026-09', 'startMonth: 2026-13', /startMonth: must be a month/],
    ['an unknown price category', 'kitchen: 0.08', 'glass: 0.08', /glass/],
    ['an unknown key', 'startMonth: 2026-09', 'startMonth: 2026-09\n      currency: USD', /currency/],
  ] as const) {
    it(`refuses ${what}, naming the path`, () => {
      const dir = workspace(KEY, inventory(EVALUATION.replace(from, to)));
      const err = loadError(() => loadInventory(join(dir, 'inventory.yaml'), dir));
      expect(err.code).toBe('HUB_ERR_INVENTORY_INVALID');
      expect(err.message).toMatch(/sites\.0\.evaluation/);
      expect(err.message).toMatch(message);
    });
  }
});
