/**
 * The inventory (docs/contract.md §1): sites, their gateways and the devices behind them.
 * Parsed once with zod by `loadInventory` (load.ts), then frozen and indexed here.
 */
import { z } from 'zod';
import { isHashedSecret } from '../secret.ts';
import { pricePerKg, WASTE_CATEGORIES, type WasteCategory } from './schema.ts';
import type { Roster } from './roster.ts';

/** Ids of sites, gateways, devices and buildings (docs/contract.md §1). */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const id = z.string().regex(ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$');
/** Names of survey waves (docs/contract.md §5): a tag value such as `2026-Q3`. */
export const WAVE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Device types the hub knows; each model folder lives under `devices/<type>/`. */
export const DEVICE_TYPES = ['waste-bin', 'access-gate'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

const deviceSchema = z.strictObject({
  id,
  type: z.enum(DEVICE_TYPES),
  model: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a model folder name such as generic-v1'),
  building: id.optional(),
});

const gatewaySchema = z.strictObject({
  // `kpi` is reserved: `{root}/{site}/kpi/…` carries the hub's retained KPI values (docs/contract.md §2).
  id: id.refine((v) => v !== 'kpi', '"kpi" is reserved for the KPI topics {root}/{site}/kpi/…'),
  secret: z
    .string()
    .refine(
      isHashedSecret,
      'must be a "scrypt$…" or "hmac-sha256$…" string from `community-hub secret hash`, never plaintext',
    ),
  devices: z.array(deviceSchema).default([]),
});

const yuan = z.number().min(0).max(1e12);
/** `YYYY-MM`, a month of the site's calendar. */
export const MONTH_PATTERN = /^(20\d\d)-(0[1-9]|1[0-2])$/;

/**
 * How a site's programme is evaluated (docs/contract.md §5): its funding and payback settings
 * ("Funding and payback": the PPP investment in yuan, monthly operating cost and other income,
 * per-category price overrides, the month the payback clock starts, default the first month with a
 * deposit) and its survey baseline wave ("Resident satisfaction surveys").
 */
const evaluationSchema = z.strictObject({
  investment: z
    .strictObject({
      government: yuan,
      // The payback is measured against this share: it must be there to be recovered.
      socialCapital: yuan.refine((v) => v > 0, 'must be more than 0'),
      residents: yuan,
    })
    .optional(),
  monthlyOperatingCost: yuan.default(0),
  monthlyOtherIncome: yuan.default(0),
  prices: z
    .strictObject(
      Object.fromEntries(WASTE_CATEGORIES.map((c) => [c, pricePerKg.optional()])) as Record<
        WasteCategory,
        z.ZodOptional<typeof pricePerKg>
      >,
    )
    .optional(),
  startMonth: z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM such as 2026-09').optional(),
  /** The survey wave gains are measured against ("Resident satisfaction surveys"); default the site's earliest wave. */
  baselineWave: z.string().regex(WAVE_PATTERN, 'must be a wave name such as 2026-Q3').optional(),
});

const siteSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  timezone: z.string().default('Asia/Shanghai').refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai'),
  // With a roster, `households` and the buildings' `households` follow from it and may be left out
  // (given, they must agree with it: load.ts checks).
  households: z.number().int().nonnegative().optional(),
  buildings: z.array(z.strictObject({ id, households: z.number().int().nonnegative().optional() })).optional(),
  /** A CSV `household,building` of the registered households, relative to the inventory file (roster.ts). */
  roster: z.string().min(1).optional(),
  gateways: z.array(gatewaySchema).default([]),
  /** How the site's programme is evaluated: funding and payback, survey baseline (docs/contract.md §5). */
  evaluation: evaluationSchema.optional(),
});

/** zod schema of inventory.yaml, with the cross-references checked. */
export const inventorySchema = z
  .strictObject({ sites: z.array(siteSchema).min(1, 'at least one site is needed') })
  .superRefine((inv, ctx) => {
    const seen = new Map<string, string>();
    inv.sites.forEach((site, si) => {
      dup(ctx, seen, `site ${site.id}`, ['sites', si, 'id']);
      const buildings = new Set((site.buildings ?? []).map((b) => b.id));
      if (site.roster === undefined) {
        if (site.households === undefined)
          ctx.addIssue({ code: 'custom', path: ['sites', si, 'households'], message: 'required without a roster' });
        site.buildings?.forEach((b, bi) => {
          if (b.households === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['sites', si, 'buildings', bi, 'households'],
              message: 'required without a roster',
            });
        });
      }
      if (site.buildings && site.roster === undefined && site.households !== undefined) {
        const sum = site.buildings.reduce((a, b) => a + (b.households ?? 0), 0);
        if (sum !== site.households) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', si, 'buildings'],
            message: `building households sum to ${sum}, but the site has ${site.households}`,
          });
        }
      }
      site.gateways.forEach((gw, gi) => {
        // Gateway ids are MQTT usernames: unique across the whole hub, not just the site.
        dup(ctx, seen, `gateway ${gw.id}`, ['sites', si, 'gateways', gi, 'id']);
        gw.devices.forEach((d, di) => {
          dup(ctx, seen, `device ${site.id}/${d.id}`, ['sites', si, 'gateways', gi, 'devices', di, 'id']);
          // Buildings implied by a roster are checked once it is loaded (load.ts).
          const implied = site.roster !== undefined && site.buildings === undefined;
          if (d.building !== undefined && !implied && !buildings.has(d.building)) {
            ctx.addIssue({
              code: 'custom',
              path: ['sites', si, 'gateways', gi, 'devices', di, 'building'],
              message: `building "${d.building}" is not listed under the site's buildings`,
            });
          }
        });
      });
    });
  });

function dup(ctx: z.RefinementCtx, seen: Map<string, string>, key: string, path: (string | number)[]): void {
  if (seen.has(key)) ctx.addIssue({ code: 'custom', path, message: `duplicate ${key} (first at ${seen.get(key)})` });
  else seen.set(key, path.join('.'));
}

/** True when `tz` is an IANA time zone this Node.js knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The inventory file as parsed (household counts may be left to a roster). */
export type InventoryData = z.infer<typeof inventorySchema>;
type SiteFile = InventoryData['sites'][number];
/** A site of the loaded inventory: household counts resolved (from its roster when it has one). */
export type SiteData = Omit<SiteFile, 'households' | 'buildings'> & {
  households: number;
  buildings?: { id: string; households: number }[];
};
export type GatewayData = SiteFile['gateways'][number];
export type DeviceData = GatewayData['devices'][number];

/** A device with where it sits: what the ingest path needs after a topic lookup. */
export interface DeviceInfo {
  readonly site: string;
  readonly gateway: string;
  readonly id: string;
  readonly type: DeviceType;
  readonly model: string;
  /** The inventory's building, or `none` (docs/contract.md §4). */
  readonly building: string;
}

/** A gateway with its site, for authentication. */
export interface GatewayInfo {
  readonly site: string;
  readonly id: string;
  readonly secret: string;
  readonly devices: ReadonlyMap<string, DeviceInfo>;
}

/** The frozen, indexed inventory. */
export class Inventory {
  readonly sites: readonly Readonly<SiteData>[];
  private readonly gateways = new Map<string, GatewayInfo>();
  private readonly siteById = new Map<string, Readonly<SiteData>>();
  private readonly rosters: ReadonlyMap<string, Roster>;
  /** Site id → its roster's version: plain data, so a content hash of the inventory sees roster changes. */
  readonly rosterVersions: Readonly<Record<string, string>>;

  /** `rosters`: the loaded roster of each site that names one (load.ts), by site id. */
  constructor(data: InventoryData, rosters: ReadonlyMap<string, Roster> = new Map()) {
    this.rosters = rosters;
    this.rosterVersions = Object.freeze(Object.fromEntries([...rosters].map(([site, r]) => [site, r.version])));
    this.sites = deepFreeze(data.sites.map((s) => resolveSite(structuredClone(s), rosters.get(s.id))));
    for (const site of this.sites) {
      this.siteById.set(site.id, site);
      for (const gw of site.gateways) {
        const devices = new Map<string, DeviceInfo>();
        for (const d of gw.devices) {
          devices.set(
            d.id,
            Object.freeze({
              site: site.id,
              gateway: gw.id,
              id: d.id,
              type: d.type,
              model: d.model,
              building: d.building ?? 'none',
            }),
          );
        }
        this.gateways.set(gw.id, Object.freeze({ site: site.id, id: gw.id, secret: gw.secret, devices }));
      }
    }
  }

  /** The gateway with this id (MQTT username), wherever its site. */
  gateway(id: string): GatewayInfo | undefined {
    return this.gateways.get(id);
  }

  /** The loaded roster of site `id`, or undefined when it has none (household ids unverified). */
  roster(id: string): Roster | undefined {
    return this.rosters.get(id);
  }

  /** The site with this id. */
  site(id: string): Readonly<SiteData> | undefined {
    return this.siteById.get(id);
  }

  /** The device behind `gateway` at `site`, or undefined when the inventory does not place it there. */
  device(site: string, gateway: string, device: string): DeviceInfo | undefined {
    const gw = this.gateways.get(gateway);
    return gw && gw.site === site ? gw.devices.get(device) : undefined;
  }

  /** Every device of every site. */
  *allDevices(): Iterable<DeviceInfo> {
    for (const gw of this.gateways.values()) yield* gw.devices.values();
  }
}

/**
 * A site with its household counts: the roster's when it has one (buildings as listed, else the
 * roster's, in first-seen order), else the inventory's.
 */
function resolveSite(s: SiteFile, roster: Roster | undefined): SiteData {
  if (!roster) {
    const { buildings, ...rest } = s;
    const resolved = buildings?.map((b) => ({ id: b.id, households: b.households ?? 0 }));
    return { ...rest, households: s.households ?? 0, ...(resolved ? { buildings: resolved } : {}) };
  }
  const ids = s.buildings ? s.buildings.map((b) => b.id) : [...roster.buildings.keys()];
  return {
    ...s,
    households: roster.households.size,
    buildings: ids.map((id) => ({ id, households: roster.buildings.get(id) ?? 0 })),
  };
}

/** Freeze an object graph (config and inventory are read-only after loading). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
