/**
 * The inventory (docs/contract.md §1) that matches a scenario, so the hub and the simulator agree
 * on sites, gateways, devices and secrets. Secrets are stored as the hub's scrypt strings
 * (src/secret.ts `hashSecret`); a plaintext shared by several gateways is hashed once.
 */
import { stringify } from 'yaml';
import { hashSecret } from '../src/secret.ts';
import type { Scenario } from './scenario/load.ts';
import { buildWorld, ROSTER_MAIN_BUILDING } from './world.ts';

/** The inventory as plain data, ready for YAML. */
export interface InventoryData {
  sites: {
    id: string;
    name?: string;
    timezone: string;
    /** Left out when the site has a roster (the hub counts its lines). */
    households?: number;
    buildings?: { id: string; households?: number }[];
    /** The roster file beside the inventory (see {@link scenarioRosters}). */
    roster?: string;
    /** The scenario's survey baseline wave (docs/contract.md §5). */
    evaluation?: { baselineWave: string };
    gateways: {
      id: string;
      secret: string;
      devices: { id: string; type: string; model: string; building?: string }[];
    }[];
  }[];
}

/** Build the inventory of `scenario`; `hash` defaults to the hub's `hashSecret`. */
export function scenarioInventory(scenario: Scenario, hash: (plain: string) => string = hashSecret): InventoryData {
  const cache = new Map<string, string>();
  const hashed = (plain: string): string => {
    let h = cache.get(plain);
    if (h === undefined) cache.set(plain, (h = hash(plain)));
    return h;
  };
  return {
    sites: scenario.sites.map((s) => ({
      id: s.id,
      ...(s.name === undefined ? {} : { name: s.name }),
      timezone: s.timezone,
      ...(s.roster
        ? {
            roster: rosterFile(s.id),
            ...(s.buildings ? { buildings: s.buildings.map((b) => ({ id: b.id })) } : {}),
          }
        : {
            households: s.households,
            ...(s.buildings ? { buildings: s.buildings.map((b) => ({ id: b.id, households: b.households })) } : {}),
          }),
      ...(scenario.surveys?.baselineWave ? { evaluation: { baselineWave: scenario.surveys.baselineWave } } : {}),
      gateways: s.gateways.map((g) => ({
        id: g.id,
        secret: hashed(g.secret),
        devices: g.devices.map((d) => ({
          id: d.id,
          type: d.type,
          model: d.model,
          ...(d.building === undefined ? {} : { building: d.building }),
        })),
      })),
    })),
  };
}

/** The inventory as a YAML document with a header saying where it came from. */
export function inventoryYaml(scenario: Scenario, hash?: (plain: string) => string): string {
  const header = [
    `# Inventory of the simulated community "${scenario.name}" (docs/contract.md §1), written by`,
    `# \`community-sim inventory --scenario ${scenario.file}\`. Gateway secrets are scrypt hashes of the`,
    '# plaintexts in the scenario (or derived from its seed); do not edit by hand, generate it again.',
  ].join('\n');
  return `${header}\n${stringify(scenarioInventory(scenario, hash), { lineWidth: 0, flowCollectionPadding: true, collectionStyle: 'block' })}`;
}

/** The roster file name of a site, beside the inventory. */
export function rosterFile(site: string): string {
  return `roster-${site}.csv`;
}

/**
 * The roster CSVs (docs/contract.md §1, `household,building`) of the sites with `roster:` in the
 * scenario: every registered household with its building (`main` at a site without buildings),
 * spelled as the registry knows it. The scenario's unregistered households are on none.
 */
export function scenarioRosters(scenario: Scenario): Array<{ file: string; text: string }> {
  if (!scenario.sites.some((s) => s.roster)) return [];
  return buildWorld(scenario)
    .sites.filter((sw) => sw.site.roster)
    .map((sw) => ({
      file: rosterFile(sw.site.id),
      text:
        'household,building\n' +
        sw.households
          .filter((h) => h.registered)
          .map((h) => `${h.id},${h.building ?? ROSTER_MAIN_BUILDING}\n`)
          .join(''),
    }));
}
