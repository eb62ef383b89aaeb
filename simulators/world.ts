/**
 * The simulated community built from a scenario: households with their sorting habits, and the
 * state of every gateway and device (bin compartments, battery, event counters, clock drift).
 * Everything is drawn from seeded streams (random.ts), so a scenario and seed always build the
 * same world.
 */
import { CATEGORIES, type Category } from './elements.ts';
import type { Draft } from './messages.ts';
import { between, hash32, int, shuffled, stream } from './random.ts';
import type { Scenario, SimDevice, SimGateway, SimSite } from './scenario/load.ts';

/** The roster building of households of a site without buildings. */
export const ROSTER_MAIN_BUILDING = 'main';

/** How a household takes part in waste sorting (issue: "some always sort correctly, some sometimes, some never take
 * part"). */
export type Habit = 'always' | 'sometimes' | 'never';

/** A household (docs/contract.md §5: the registered ones are the KPI denominator). */
export interface Household {
  /** Raw id, as the registry (and the site's roster) knows it (personal data: the hub pseudonymises it). */
  id: string;
  /** The id as its card or app sends it: `id`, or another spelling of it (scenario `roster.respelled`). */
  sent: string;
  /** False for the extra households of scenario `roster.unregistered`: on no roster, in no count. */
  registered: boolean;
  /** Its building, when the site has buildings (the roster says `main` otherwise). */
  building?: string;
  habit: Habit;
  /** Stations it uses: those of its building and the site-wide ones. */
  bins: DeviceState[];
  /** Gates it passes. */
  gates: DeviceState[];
}

/** A device and what it remembers between messages. */
export interface DeviceState {
  dev: SimDevice;
  site: SiteWorld;
  gateway: GatewayState;
  /** Next event id (each model writes it its own way). */
  nextId: number;
  battery: number;
  /** Offset of its readings within the telemetry interval. */
  phaseMs: number;
  /** Waste in each compartment, kg (waste-bin only). */
  kg: Record<Category, number>;
  /** Compartments whose overflow alarm was raised since the last emptying. */
  overflowed: Set<Category>;
  /** Silent spells [from, to) (fault "outages"). */
  outages: [number, number][];
}

/** A gateway and its connection state. */
export interface GatewayState {
  gw: SimGateway;
  site: SiteWorld;
  /** Constant error of its clock, ms (fault "clockDrift"). */
  driftMs: number;
  devices: DeviceState[];
  /** While offline: the end of the spell, and what its devices produced meanwhile. */
  offlineUntil?: number;
  backlog: Draft[];
}

/** One site with its people and devices. */
export interface SiteWorld {
  site: SimSite;
  households: Household[];
  bins: DeviceState[];
  gates: DeviceState[];
  gateways: GatewayState[];
}

/** The whole community. */
export interface World {
  scenario: Scenario;
  sites: SiteWorld[];
  gateways: GatewayState[];
  devices: DeviceState[];
}

/** Build the community of a scenario. */
export function buildWorld(scenario: Scenario): World {
  const seed = scenario.seed;
  const world: World = { scenario, sites: [], gateways: [], devices: [] };
  for (const site of scenario.sites) {
    const sw: SiteWorld = { site, households: [], bins: [], gates: [], gateways: [] };
    const every = site.behaviour.telemetryEvery;
    for (const gw of site.gateways) {
      const drift = scenario.faults.clockDrift;
      const driftMs = drift > 0 ? Math.round(between(stream(seed, 'drift', gw.id), -drift, drift) / 1000) * 1000 : 0;
      const gs: GatewayState = { gw, site: sw, driftMs, devices: [], backlog: [] };
      for (const dev of gw.devices) {
        const rng = stream(seed, 'device', site.id, dev.id);
        const ds: DeviceState = {
          dev,
          site: sw,
          gateway: gs,
          nextId: int(rng, 1, 5000),
          battery: int(rng, 70, 100),
          phaseMs: Math.floor((hash32(`${seed}/${site.id}/${dev.id}`) % every) / 1000) * 1000,
          kg: { kitchen: 0, recyclable: 0, hazardous: 0, residual: 0 },
          overflowed: new Set(),
          outages: [],
        };
        for (const c of CATEGORIES)
          ds.kg[c] = Math.round(between(rng, 0, 0.3) * site.behaviour.binCapacityKg[c] * 10) / 10;
        gs.devices.push(ds);
        (dev.type === 'waste-bin' ? sw.bins : sw.gates).push(ds);
        world.devices.push(ds);
      }
      sw.gateways.push(gs);
      world.gateways.push(gs);
    }
    sw.households = households(seed, sw);
    world.sites.push(sw);
  }
  return world;
}

/** Registered households, by building when the site has buildings, with habits in the scenario's shares. */
function households(seed: string, sw: SiteWorld): Household[] {
  const { site } = sw;
  const groups = site.buildings?.length
    ? site.buildings.map((b) => ({ building: b.id as string | undefined, n: b.households }))
    : [{ building: undefined, n: site.households }];
  const h = site.behaviour.habits;
  const total = site.households;
  const nAlways = Math.round(h.always * total);
  const nSometimes = Math.min(total - nAlways, Math.round(h.sometimes * total));
  const habits = shuffled<Habit>(stream(seed, 'habits', site.id), [
    ...Array<Habit>(nAlways).fill('always'),
    ...Array<Habit>(nSometimes).fill('sometimes'),
    ...Array<Habit>(total - nAlways - nSometimes).fill('never'),
  ]);
  const out: Household[] = [];
  for (const g of groups) {
    const near = (list: DeviceState[]): DeviceState[] => {
      const mine = list.filter((d) => d.dev.building === undefined || d.dev.building === g.building);
      return mine.length > 0 ? mine : list;
    };
    const bins = near(sw.bins);
    const gates = near(sw.gates);
    const width = Math.max(4, String(g.n).length);
    for (let i = 1; i <= g.n; i++) {
      const id =
        g.building === undefined
          ? `H-${String(i).padStart(width, '0')}`
          : `H-${g.building}-${String(i).padStart(width, '0')}`;
      const sent = respelled(seed, site, id);
      out.push({ id, sent, registered: true, habit: habits[out.length] ?? 'never', bins, gates, building: g.building });
    }
  }
  // Households outside the roster: they deposit like "sometimes" households at any station.
  const extra = site.roster ? Math.round(site.roster.unregistered * total) : 0;
  for (let i = 1; i <= extra; i++) {
    const id = i === 1 ? '0' : `GUEST-${String(i).padStart(4, '0')}`;
    out.push({ id, sent: id, registered: false, habit: 'sometimes', bins: sw.bins, gates: sw.gates });
  }
  return out;
}

/**
 * The id a registered household's card sends: for a share `roster.respelled` of them (by a hash
 * of the id, so the same ones every run) another spelling the hub must read as the same id:
 * lower case, padded with spaces, or full-width (NFKC maps it back).
 */
function respelled(seed: string, site: SimSite, id: string): string {
  const share = site.roster?.respelled ?? 0;
  const h = hash32(`${seed}/respell/${site.id}/${id}`);
  if (share === 0 || h % 10_000 >= share * 10_000) return id;
  switch (h % 3) {
    case 0:
      return id.toLowerCase();
    case 1:
      return `  ${id} `;
    default:
      return [...id].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
  }
}

/** Fill level of a compartment, percent 0-100 (a compartment can be over-full: it reads 100). */
export function fillPct(d: DeviceState, c: Category): number {
  return Math.min(100, Math.round((d.kg[c] / d.site.site.behaviour.binCapacityKg[c]) * 100));
}
