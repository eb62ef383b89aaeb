/**
 * Household rosters in the inventory (docs/contract.md §1, src/config/roster.ts): loading, the
 * configuration errors (exit 78 through the real CLI, naming the file and line), and the household
 * id rule shared by rosters and ingest (src/pseudonym.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, loadInventory } from '../../src/config/load.ts';
import { isHubError } from '../../src/errors.ts';
import { createNormaliser } from '../../src/normalise/pipeline.ts';
import { loadRegistry } from '../../src/normalise/registry.ts';
import { createPseudonymiser, householdPseudonymiser, normaliseHouseholdId } from '../../src/pseudonym.ts';
import { hashSecret } from '../../src/secret.ts';
import { runCli } from '../helpers/cli.ts';

const KEY = '0123456789abcdef0123';
const SECRET = hashSecret('gw-secret');
const CLEAN_ENV = { HUB_CONFIG: undefined, HUB_INVENTORY: undefined, HUB_PSEUDONYM_KEY: undefined };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An inventory whose site `oak` has `site` as extra YAML lines, and roster.csv holding `roster`. */
function workspace(site: string, roster: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-roster-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'hub.yaml'), `pseudonymKey: ${KEY}\nlog: { level: silent }\n`);
  writeFileSync(
    join(dir, 'inventory.yaml'),
    `sites:
  - id: oak
${site
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
    gateways:
      - id: gw-1
        secret: ${SECRET}
        devices: [{ id: bin-01, type: waste-bin, model: generic-v1, building: b1 }]
`,
  );
  writeFileSync(join(dir, 'roster.csv'), roster);
  return dir;
}

function loadError(dir: string): { code: string; message: string } {
  try {
    loadInventory(join(dir, 'inventory.yaml'), dir, { pseudonymKey: KEY });
  } catch (e) {
    if (isHubError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected loading to fail');
}

const GOOD = 'household,building\nH-1-0101,b1\nH-1-0102,b1\nH-2-0201,b2\n';

describe('loading a roster', () => {
  it('households and buildings follow from the roster; pseudonyms only; a content version', () => {
    const dir = workspace('roster: roster.csv', GOOD);
    const inv = loadInventory(join(dir, 'inventory.yaml'), dir, { pseudonymKey: KEY });
    expect(inv.site('oak')).toMatchObject({
      households: 3,
      buildings: [
        { id: 'b1', households: 2 },
        { id: 'b2', households: 1 },
      ],
    });
    const roster = inv.roster('oak')!;
    const p = householdPseudonymiser(createPseudonymiser(KEY));
    expect([...roster.households]).toEqual([
      [p('H-1-0101'), 'b1'],
      [p('H-1-0102'), 'b1'],
      [p('H-2-0201'), 'b2'],
    ]);
    expect(roster.version).toMatch(/^[0-9a-f]{12}$/);

    // Same households in another order and spelling: same version. One household moved: another.
    const again = workspace(
      'roster: roster.csv',
      'Household, Building\r\n h-2-0201 ,b2\r\nh-1-0102,b1\r\n\r\nH-1-0101,b1\r\n',
    );
    expect(loadInventory(join(again, 'inventory.yaml'), again, { pseudonymKey: KEY }).roster('oak')!.version).toBe(
      roster.version,
    );
    const moved = workspace('roster: roster.csv', GOOD.replace('H-1-0102,b1', 'H-1-0102,b2'));
    expect(loadInventory(join(moved, 'inventory.yaml'), moved, { pseudonymKey: KEY }).roster('oak')!.version).not.toBe(
      roster.version,
    );
  });

  it('counts given next to a roster must agree with it; listed buildings may be given without counts', () => {
    const ok = workspace('roster: roster.csv\nhouseholds: 3\nbuildings: [{ id: b1, households: 2 }, { id: b2 }]', GOOD);
    expect(loadInventory(join(ok, 'inventory.yaml'), ok, { pseudonymKey: KEY }).site('oak')!.households).toBe(3);

    const bad = workspace(
      'roster: roster.csv\nhouseholds: 4\nbuildings: [{ id: b1, households: 1 }, { id: b2 }]',
      GOOD,
    );
    const e = loadError(bad);
    expect(e.code).toBe('HUB_ERR_INVENTORY_INVALID');
    expect(e.message).toContain('sites.0.households: 4, but sites.0.roster (');
    expect(e.message).toContain('roster.csv) lists 3 households');
    expect(e.message).toContain('sites.0.buildings.0.households: 1, but sites.0.roster');
  });

  it('a roster building the site does not list is refused; without a list the buildings are implied', () => {
    const e = loadError(workspace('roster: roster.csv\nbuildings: [{ id: b1 }]', GOOD));
    expect(e.code).toBe('HUB_ERR_INVENTORY_INVALID');
    expect(e.message).toContain('building "b2" is not listed under the site\'s buildings');

    // Implied buildings: a device in a building without roster households is refused.
    const e2 = loadError(workspace('roster: roster.csv', 'household,building\nH-1,b9\n'));
    expect(e2.message).toContain('sites.0.gateways.0.devices.0.building: building "b1" has no household in');
  });

  it('reloading the inventory reloads its roster (with the hub key, as at start)', () => {
    const dir = workspace('roster: roster.csv', GOOD);
    const loaded = loadConfig({ configPath: join(dir, 'hub.yaml'), env: {} });
    const before = loaded.inventory.roster('oak')!.version;
    writeFileSync(join(dir, 'roster.csv'), `${GOOD}H-2-0202,b2\n`);
    const after = loaded.reloadInventory!();
    expect(after.site('oak')!.households).toBe(4);
    expect(after.roster('oak')!.version).not.toBe(before);
  });

  it('without a roster the counts stay required', () => {
    const e = loadError(workspace('buildings: [{ id: b1 }]', GOOD));
    expect(e.message).toContain('sites.0.households: required without a roster');
    expect(e.message).toContain('sites.0.buildings.0.households: required without a roster');
  });

  it('a missing roster file and a roster without the pseudonym key are configuration errors', () => {
    const dir = workspace('roster: nowhere.csv', GOOD);
    const e = loadError(dir);
    expect(e.code).toBe('HUB_ERR_INVENTORY_INVALID');
    expect(e.message).toContain('sites.0.roster: cannot read the roster');
    expect(e.message).toContain('nowhere.csv (no such file)');
    try {
      loadInventory(join(dir, 'inventory.yaml'), dir);
      expect.unreachable();
    } catch (err) {
      expect(isHubError(err, 'HUB_ERR_CONFIG_INVALID')).toBe(true);
    }
  });
});

describe('roster errors through the CLI: exit 78, the file and the line', () => {
  it('duplicate and malformed lines, each named by file and line', async () => {
    const roster = [
      'household,building',
      'H-1-0101,b1',
      'H-1-0102,b1,extra', // 3: three fields
      ' h-1-0101 ,b1', // 4: the same household as line 2, after the rule
      ',b1', // 5: empty id
      'H-1-0103,B 1', // 6: bad building
      '"H-1-0104",b1', // 7: quoted
      'ＨＩ,b1', // 8: fine (NFKC)
      'hi,b1', // 9: the same as line 8
    ].join('\n');
    const dir = workspace('roster: roster.csv', roster);
    const r = await runCli(['start', '--config', join(dir, 'hub.yaml')], { env: CLEAN_ENV });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('HUB_ERR_INVENTORY_INVALID');
    const file = join(dir, 'roster.csv');
    expect(r.stderr).toContain(`${file}:3: expected 2 fields "household,building", found 3`);
    expect(r.stderr).toContain(`${file}:4: household "H-1-0101" is listed twice (first on line 2)`);
    expect(r.stderr).toContain(`${file}:5: the household id is empty`);
    expect(r.stderr).toContain(`${file}:6: building "B 1" must match`);
    expect(r.stderr).toContain(`${file}:7: quoted fields are not supported`);
    expect(r.stderr).toContain(`${file}:9: household "HI" is listed twice (first on line 8)`);
    expect(r.stderr).not.toContain(`${file}:8:`);
    expect(r.stdout).not.toMatch(/listening/i);
  });

  it('a wrong header, and a count that disagrees with the roster', async () => {
    const header = workspace('roster: roster.csv', 'id,building\nH-1,b1\n');
    const r = await runCli(['start', '--config', join(header, 'hub.yaml')], { env: CLEAN_ENV });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      `${join(header, 'roster.csv')}:1: the first line must be the header "household,building"`,
    );

    const count = workspace('roster: roster.csv\nhouseholds: 5', GOOD);
    const c = await runCli(['start', '--config', join(count, 'hub.yaml')], { env: CLEAN_ENV });
    expect(c.code).toBe(78);
    expect(c.stderr).toContain('HUB_ERR_INVENTORY_INVALID');
    expect(c.stderr).toContain('sites.0.households: 5, but sites.0.roster');
  });
});

describe('the household id rule: the same at ingest and in rosters', () => {
  it('NFKC, trim, upper-case; inner spaces kept', () => {
    expect(normaliseHouseholdId('h-3-1203')).toBe('H-3-1203');
    expect(normaliseHouseholdId('  H-3-1203\t')).toBe('H-3-1203');
    expect(normaliseHouseholdId('Ｈ－３－１２０３')).toBe('H-3-1203');
    expect(normaliseHouseholdId('h 3')).toBe('H 3');
    expect(normaliseHouseholdId('ﬁ-1')).toBe('FI-1'); // a ligature, decomposed by NFKC
    expect(normaliseHouseholdId('0')).toBe('0');
  });

  it('a deposit sent as " h-1-0101" is stored with the roster pseudonym of H-1-0101; credentials are kept as sent', async () => {
    const dir = workspace('roster: roster.csv', GOOD);
    const roster = loadInventory(join(dir, 'inventory.yaml'), dir, { pseudonymKey: KEY }).roster('oak')!;
    const normaliser = createNormaliser({ models: await loadRegistry(), pseudonymKey: KEY, now: () => Date.now() });
    const device = {
      site: 'oak',
      gateway: 'gw-1',
      id: 'bin-01',
      type: 'waste-bin',
      model: 'generic-v1',
      building: 'b1',
    };
    const deposit = (household: string) => ({
      id: `e-${household.length}`,
      ts: new Date().toISOString(),
      type: 'deposit',
      household,
      category: 'kitchen',
      weight: 0.5,
      sorting: 'correct',
      auth: 'card',
    });
    const out = normaliser.normalise({
      site: 'oak',
      gateway: 'gw-1',
      device: device as never,
      channel: 'event',
      payload: Buffer.from(JSON.stringify([deposit(' h-1-0101'), deposit('Ｈ-1-0102')])),
      receivedAt: Date.now(),
    });
    expect(out.rejects).toEqual([]);
    const households = out.points.filter((p) => p.measurement === 'deposit').map((p) => p.fields['household']);
    expect(households).toHaveLength(2);
    for (const h of households) expect(roster.households.has(h as string), String(h)).toBe(true);
    // Credential ids are not household ids: pseudonymised as sent.
    const p = createPseudonymiser(KEY);
    expect(p('c-1')).not.toBe(p('C-1'));
  });
});
