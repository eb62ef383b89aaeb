/**
 * Scenario files: the shipped ones are valid, a broken one is refused with the file, the path
 * inside it and the problem, and the inventory the simulator writes is one the hub loads (contract
 * section 1) — for the demo, the very community of config/inventory.yaml.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/config/load.ts';
import { verifySecret } from '../../src/secret.ts';
import {
  inventoryYaml,
  scenarioRosters,
  loadScenario,
  parseScenario,
  scenarioInventory,
  ScenarioError,
} from '../../simulators/index.ts';
import { derivedSecret } from '../../simulators/scenario/load.ts';
import { testDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCENARIOS = join(ROOT, 'simulators/scenarios');
const fakeHash = (plain: string): string => `scrypt$16384$8$1$c2FsdA==$${Buffer.from(plain).toString('base64')}`;

/** A minimal valid scenario, with `patch` applied on top. */
function minimal(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    sites: [
      {
        id: 'maple-court',
        households: 10,
        buildings: [{ id: 'b1', households: 10 }],
        gateways: [{ id: 'gw-1', devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }] }],
      },
    ],
    ...patch,
  };
}

function refusal(raw: unknown): string {
  try {
    parseScenario(raw, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('every shipped scenario is valid', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'e2e.yaml', 'large.yaml']));
    for (const f of files) expect(() => loadScenario(join(SCENARIOS, f)), f).not.toThrow();
  });

  it('names the file, the path inside it and the problem', () => {
    expect(refusal(minimal({ colour: 'blue' }))).toMatch(
      /^bad\.yaml is invalid:\n {2}- \(top level\): unknown key\(s\) "colour"/,
    );
    expect(refusal(minimal({ time: { days: 40 } }))).toContain('time.days: at most 28');
    expect(refusal(minimal({ behaviour: { habits: { always: 0.5, sometimes: 0.2, never: 0.2 } } }))).toContain(
      'behaviour.habits: always + sometimes + never must be 1',
    );
    expect(refusal(minimal({ behaviour: { rhythm: [1, 2] } }))).toContain('behaviour.rhythm: must list 24 weights');
    const weights = { kitchen: [2, 1], recyclable: [0.2, 3], hazardous: [0.05, 0.5], residual: [0.3, 2] };
    expect(refusal(minimal({ behaviour: { depositWeightKg: weights } }))).toContain(
      'behaviour.depositWeightKg.kitchen: must be [min, max] with min ≤ max',
    );
    expect(
      refusal(minimal({ hub: { co2eFactors: { recyclable: -1, kitchen: 0, hazardous: 0, residual: 0 } } })),
    ).toMatch(/hub\.co2eFactors\.recyclable: /);
    expect(refusal(minimal({ faults: { offline: { perDay: 1, duration: ['2h', 'soon'] } } }))).toContain(
      'faults.offline.duration.1: "soon" is not a duration',
    );
    const wrongModel = minimal();
    (wrongModel.sites as { gateways: { devices: Record<string, unknown>[] }[] }[])[0]!.gateways[0]!.devices[0]!.model =
      'acme-9000';
    expect(refusal(wrongModel)).toContain(
      'sites.0.gateways.0.devices.0.model: unknown waste-bin model "acme-9000" ' +
        '(waste-bin models the simulator knows: generic-v1, lvse-x2; each is a folder devices/waste-bin/<model>/ with a sim.ts)',
    );
    // A model of the other type is not one of this type's.
    const otherType = minimal();
    (otherType.sites as { gateways: { devices: Record<string, unknown>[] }[] }[])[0]!.gateways[0]!.devices[0]!.model =
      'hikvision-acs';
    expect(refusal(otherType)).toContain('sites.0.gateways.0.devices.0.model: unknown waste-bin model "hikvision-acs"');
  });

  it('checks what only shows after expansion: ids, duplicates, buildings, households', () => {
    const twice = minimal();
    const site = (twice.sites as Record<string, unknown>[])[0]!;
    site.gateways = [{ id: 'gw-{g}', count: 2, devices: [{ id: 'bin-01', type: 'waste-bin', model: 'lvse-x2' }] }];
    expect(refusal(twice)).toContain(
      'sites.0.gateways.(gw-2).devices.(bin-01).id: duplicate device bin-01 at site maple-court',
    );
    site.gateways = [
      { id: 'gw-1', devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b9' }] },
    ];
    expect(refusal(twice)).toContain('building "b9" is not listed');
    site.buildings = [{ id: 'b1', households: 4 }];
    expect(refusal(twice)).toContain('sites.0.buildings: building households sum to 4, but the site has 10');
    expect(
      refusal(
        minimal({
          sites: [
            {
              id: 'Maple',
              households: 1,
              gateways: [{ id: 'gw', devices: [{ id: 'd', type: 'access-gate', model: 'hikvision-acs' }] }],
            },
          ],
        }),
      ),
    ).toContain('sites.0.id: must be an id');
    expect(refusal(minimal({ faults: { clockDrift: '10m' } }))).toContain(
      'faults.clockDrift: must stay at least 1m under hub.maxFutureSkew',
    );
    expect(refusal(minimal({ faults: { malformed: 0.6, duplicate: 0.6 } }))).toContain(
      'faults: the per-message fault rates add up to 1.200',
    );
  });

  it('reports YAML syntax errors with line and column, and a missing file', () => {
    const dir = testDir('sim-scenario-');
    writeFileSync(join(dir, 'broken.yaml'), 'name: x\nsites: [\n');
    expect(() => loadScenario(join(dir, 'broken.yaml'), dir)).toThrow(/^broken\.yaml:\d+:\d+: YAML syntax error/);
    expect(() => loadScenario(join(dir, 'missing.yaml'), dir)).toThrow(
      'missing.yaml: cannot read the scenario (ENOENT)',
    );
  });

  it('expands generated entries with zero-padded numbers', () => {
    const sc = parseScenario(
      minimal({
        sites: [
          {
            id: 'estate-{s}',
            count: 12,
            households: 5,
            gateways: [
              {
                id: 'gw-{s}-{g}',
                count: 3,
                secret: 'shared-{s}-secret',
                devices: [{ id: 'bin-{g}-{n}', type: 'waste-bin', model: 'lvse-x2', count: 2 }],
              },
            ],
          },
        ],
      }),
    );
    expect(sc.sites.map((s) => s.id).slice(0, 2)).toEqual(['estate-01', 'estate-02']);
    expect(sc.sites[11]!.gateways.map((g) => g.id)).toEqual(['gw-12-1', 'gw-12-2', 'gw-12-3']);
    expect(sc.sites[11]!.gateways[2]!.devices.map((d) => d.id)).toEqual(['bin-3-1', 'bin-3-2']);
    expect(sc.sites[0]!.gateways[0]!.secret).toBe('shared-01-secret');
  });

  it('writes an inventory the hub loads, with secrets derived from the seed unless given', () => {
    const sc = loadScenario(join(SCENARIOS, 'e2e.yaml'));
    const dir = testDir('sim-inventory-');
    writeFileSync(join(dir, 'inventory.yaml'), inventoryYaml(sc, fakeHash));
    for (const r of scenarioRosters(sc)) writeFileSync(join(dir, r.file), r.text);
    const inv = loadInventory(join(dir, 'inventory.yaml'), dir, { pseudonymKey: 'k'.repeat(32) });
    expect(inv.sites.map((s) => s.id)).toEqual(['maple-court', 'oak-park']);
    expect(inv.device('oak-park', 'gw-oak', 'gate-main')).toMatchObject({
      type: 'access-gate',
      model: 'hikvision-acs',
      building: 'none',
    });
    expect(sc.sites[0]!.gateways[0]!.secret).toBe(derivedSecret(sc.seed, 'gw-east'));
    expect(derivedSecret('other-seed', 'gw-east')).not.toBe(derivedSecret(sc.seed, 'gw-east'));
    // A secret shared by many gateways is hashed once.
    let calls = 0;
    scenarioInventory(loadScenario(join(SCENARIOS, 'large.yaml')), (p) => (calls++, fakeHash(p)));
    expect(calls).toBe(1);
  });

  it('demo.yaml is the community of config/inventory.yaml, secrets included', async () => {
    const sc = loadScenario(join(SCENARIOS, 'demo.yaml'));
    const shipped = parse(readFileSync(join(ROOT, 'config/inventory.yaml'), 'utf8')) as {
      sites: { gateways: { id: string; secret: string }[] }[];
    };
    const generated = scenarioInventory(sc, () => 'hashed');
    const withoutSecrets = (inv: { sites: { gateways: { secret?: string }[] }[] }): unknown =>
      inv.sites.map((s) => ({ ...s, gateways: s.gateways.map((g) => ({ ...g, secret: undefined })) }));
    expect(withoutSecrets(generated)).toEqual(withoutSecrets(shipped));
    for (const gw of shipped.sites[0]!.gateways) {
      const plain = sc.sites[0]!.gateways.find((g) => g.id === gw.id)!.secret;
      expect(plain).toBe(`demo-${gw.id}-secret`);
      await expect(verifySecret(plain, gw.secret), gw.id).resolves.toBe(true);
    }
  });
});
