/**
 * The KPIs of docs/contract.md §5, computed from the simulator's own ground truth, independently of
 * the hub's code: per site and per period (`day`, `week` from Monday, `month`) in the site's time
 * zone. Households are counted by raw id after the household id rule (Unicode NFKC, trim,
 * upper-case: {@link householdKey}, written here again, not imported): pseudonyms are one-to-one
 * with such ids for a key. With a roster (a site with `roster:` in its scenario) only the roster's
 * households count, the others are counted as `unregistered`, and each building gets its own
 * coverage and participation.
 *
 * Each value carries its numerator and denominator. A zero denominator gives `value: null` with a
 * `reason`, never 0 or 1, and so does a KPI about a kind of device the site lacks (the deposit
 * KPIs and overflow alarms without a waste-sorting station, the gate KPIs without a gate), as the
 * hub does (src/kpi/README.md, `no_waste_bins` / `no_access_gates`); a numerator above its
 * denominator is kept and flagged with a `warning` (docs/contract.md §5).
 *
 * The environmental-benefit KPIs weigh deposits in whole grams (the simulator weighs to 10 g), so
 * their sums are exact: `diversion_rate` (recyclable, kitchen and hazardous deposits not sorted
 * `incorrect` ÷ all, by weight), `recyclables_kg` and `co2e_avoided_kg` (Σ per category of grams
 * not sorted `incorrect` × the scenario's `hub.co2eFactors`, rounded to the gram; null "no CO2e
 * factors configured" without factors).
 */
import { PERIOD_TYPES, iso, periodsBetween, type PeriodType } from './time.ts';

/** A deposit the hub stores (distinct device and event id). */
export interface DepositFact {
  ms: number;
  household: string;
  sorting: 'correct' | 'incorrect' | 'unchecked';
  category: WasteCategory;
  /** As sent (kg, to 10 g). */
  weightKg: number;
}

/** Waste categories, in the order the CO₂e sum takes them. */
export const WASTE_CATEGORIES = ['recyclable', 'kitchen', 'hazardous', 'residual'] as const;
export type WasteCategory = (typeof WASTE_CATEGORIES)[number];
/** Categories diverted from residual waste (diversion_rate's numerator, when not sorted incorrect). */
const DIVERTED: ReadonlySet<WasteCategory> = new Set(['recyclable', 'kitchen', 'hazardous']);
/** An access attempt the hub stores. */
export interface AccessFact {
  ms: number;
  result: 'granted' | 'denied';
}
/** An alarm the hub stores. */
export interface AlarmFact {
  ms: number;
  alarm: string;
  deviceType: 'waste-bin' | 'access-gate';
}

/** What one site's KPIs are computed from. */
export interface SiteFacts {
  id: string;
  timezone: string;
  /** Registered households (the inventory's, or the roster's). */
  households: number;
  /** The roster: registered household id (after {@link householdKey}) → building; undefined without one. */
  roster?: ReadonlyMap<string, string>;
  /** The roster's buildings in order (with {@link roster}). */
  buildings?: readonly string[];
  /** Registered devices (the inventory's). */
  devices: number;
  /** Registered waste stations and gates: a KPI about a kind of device the site lacks is null, not 0 (see onlyWith). */
  bins?: number;
  gates?: number;
  deposits: Iterable<DepositFact>;
  accesses: Iterable<AccessFact>;
  alarms: Iterable<AlarmFact>;
  /** Per device, the quarter hours (epoch ms ÷ 900 000) in which it was heard (any stored element). */
  heard: ReadonlyMap<string, ReadonlySet<number>>;
  /** kg CO₂e per kg by category (the scenario's `hub.co2eFactors`); undefined: not configured. */
  co2eFactors?: Readonly<Record<WasteCategory, number>>;
}

/** One KPI value. */
export interface KpiValue {
  value: number | null;
  numerator: number;
  /** Null for counts. */
  denominator: number | null;
  reason?: string;
  warning?: string;
  /** Household KPIs of a site with a roster: distinct household ids outside it. */
  unregistered?: number;
}

/** The two household KPIs of one building (sites with a roster). */
export type BuildingKpis = Record<'sorting_coverage' | 'participation_rate', KpiValue>;

/** The KPIs of one period. */
export interface PeriodKpis {
  start: string;
  end: string;
  /** True when the period reaches outside the simulated window (its values cover only part of it). */
  partial: boolean;
  /** Hours of the period inside the simulated window (device_availability over only those: numerator ÷ (windowHours ×
   * devices)). */
  windowHours: number;
  kpis: Record<KpiName, KpiValue>;
  /** Sites with a roster: building → its coverage and participation. */
  buildings?: Record<string, BuildingKpis>;
}

/** The household id rule (docs/contract.md §3): NFKC, trim, upper-case. */
export function householdKey(raw: string): string {
  return raw.normalize('NFKC').trim().toUpperCase();
}

/** KPI names of docs/contract.md §5. */
export const KPI_NAMES = [
  'sorting_coverage',
  'participation_rate',
  'sorting_accuracy',
  'device_availability',
  'bin_overflow_alarms',
  'gate_denied_rate',
  'gate_security_alarms',
  'diversion_rate',
  'recyclables_kg',
  'co2e_avoided_kg',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

/** Site → period type → period key (local date of its first day) → KPIs. */
export type KpiReport = Record<string, Record<PeriodType, Record<string, PeriodKpis>>>;

const QUARTER = 900_000;
const HOUR = 3_600_000;
const SECURITY = new Set(['forced_open', 'tailgating', 'climbing']);

/** A ratio, or null with a reason when the denominator is zero. */
export function ratio(numerator: number, denominator: number, what: string): KpiValue {
  if (denominator === 0) return { value: null, numerator, denominator, reason: `no ${what} in the period` };
  const v: KpiValue = { value: numerator / denominator, numerator, denominator };
  if (numerator > denominator)
    v.warning = `data quality: numerator ${numerator} is above the denominator ${denominator}`;
  return v;
}

const NO_BINS = 'the site has no waste-sorting station';
const NO_GATES = 'the site has no access gate';

/**
 * A KPI about a kind of device the site lacks (deposits without a waste-sorting station, access
 * attempts without a gate) does not apply: null with a reason, numerator and denominator kept as
 * counted, whatever the ratio would have been (a coverage of 0 would say households sort badly
 * where they cannot sort at all). Undefined `devices` means the kind is not tracked: a value.
 */
function onlyWith(devices: number | undefined, reason: string, v: KpiValue): KpiValue {
  return devices === 0 ? { value: null, numerator: v.numerator, denominator: v.denominator, reason } : v;
}

/** Compute every KPI of every period that overlaps the window or holds a fact. */
export function computeKpis(sites: SiteFacts[], window: { startMs: number; endMs: number }): KpiReport {
  const report: KpiReport = {};
  for (const s of sites) {
    const deposits = [...s.deposits];
    const accesses = [...s.accesses];
    const alarms = [...s.alarms];
    let from = window.startMs;
    let to = window.endMs;
    for (const f of [...deposits, ...accesses, ...alarms]) [from, to] = [Math.min(from, f.ms), Math.max(to, f.ms + 1)];
    const out = {} as Record<PeriodType, Record<string, PeriodKpis>>;
    for (const type of PERIOD_TYPES) {
      out[type] = {};
      for (const p of periodsBetween(type, from, to, s.timezone)) {
        const inP = <T extends { ms: number }>(list: T[]): T[] =>
          list.filter((f) => f.ms >= p.startMs && f.ms < p.endMs);
        const dep = inP(deposits);
        const acc = inP(accesses);
        const alm = inP(alarms);
        const correctHh = new Set(dep.filter((d) => d.sorting === 'correct').map((d) => householdKey(d.household)));
        const anyHh = new Set(dep.map((d) => householdKey(d.household)));
        const households = (set: Set<string>): KpiValue =>
          onlyWith(s.bins, NO_BINS, rosterRatio(set, s.households, s.roster));
        const correct = dep.filter((d) => d.sorting === 'correct').length;
        const judged = dep.filter((d) => d.sorting !== 'unchecked').length;
        const hours = Math.round((p.endMs - p.startMs) / HOUR);
        const windowHours = Math.max(
          0,
          Math.round((Math.min(p.endMs, window.endMs) - Math.max(p.startMs, window.startMs)) / HOUR),
        );
        const heardHours = deviceHours(s.heard, p.startMs, p.endMs);
        const overflow = alm.filter((a) => a.deviceType === 'waste-bin' && a.alarm === 'overflow').length;
        const security = alm.filter((a) => a.deviceType === 'access-gate' && SECURITY.has(a.alarm)).length;
        out[type][p.key] = {
          start: iso(p.startMs),
          end: iso(p.endMs),
          partial: p.startMs < window.startMs || p.endMs > window.endMs,
          windowHours,
          kpis: {
            sorting_coverage: households(correctHh),
            participation_rate: households(anyHh),
            sorting_accuracy: onlyWith(s.bins, NO_BINS, ratio(correct, judged, 'deposits judged correct or incorrect')),
            device_availability: ratio(heardHours, hours * s.devices, 'registered devices'),
            bin_overflow_alarms: onlyWith(s.bins, NO_BINS, { value: overflow, numerator: overflow, denominator: null }),
            gate_denied_rate: onlyWith(
              s.gates,
              NO_GATES,
              ratio(acc.filter((a) => a.result === 'denied').length, acc.length, 'access attempts'),
            ),
            gate_security_alarms: onlyWith(s.gates, NO_GATES, {
              value: security,
              numerator: security,
              denominator: null,
            }),
            ...weightKpis(s, dep),
          },
        };
        if (s.roster) out[type][p.key]!.buildings = byBuilding(s, correctHh, anyHh);
      }
    }
    report[s.id] = out;
  }
  return report;
}

/** A deposit's weight in whole grams. */
const grams = (d: DepositFact): number => Math.round(d.weightKg * 1000);

/** The three environmental-benefit KPIs of a period's deposits. */
function weightKpis(
  s: SiteFacts,
  dep: readonly DepositFact[],
): Record<'diversion_rate' | 'recyclables_kg' | 'co2e_avoided_kg', KpiValue> {
  const kept = new Map<WasteCategory, number>(WASTE_CATEGORIES.map((c) => [c, 0]));
  let total = 0;
  for (const d of dep) {
    total += grams(d);
    if (d.sorting !== 'incorrect') kept.set(d.category, kept.get(d.category)! + grams(d));
  }
  const diverted = [...kept].filter(([c]) => DIVERTED.has(c)).reduce((a, [, g]) => a + g, 0);
  const recyclable = kept.get('recyclable')! / 1000;
  const f = s.co2eFactors;
  const co2e = f ? Math.round(WASTE_CATEGORIES.reduce((a, c) => a + f[c] * kept.get(c)!, 0)) / 1000 : 0;
  return {
    diversion_rate: onlyWith(s.bins, NO_BINS, ratio(diverted / 1000, total / 1000, 'deposited weight')),
    recyclables_kg: onlyWith(s.bins, NO_BINS, { value: recyclable, numerator: recyclable, denominator: null }),
    co2e_avoided_kg: f
      ? onlyWith(s.bins, NO_BINS, { value: co2e, numerator: co2e, denominator: null })
      : { value: null, numerator: 0, denominator: null, reason: NOT_CONFIGURED },
  };
}

const NOT_CONFIGURED = 'no CO2e factors configured';

/**
 * Σ over the period's hours of the devices heard in that hour (docs/contract.md §5,
 * device_availability: the mean over hours of the share heard is this ÷ (hours × devices)).
 * Hours are counted from the period's start, so zones with a half-hour offset work too.
 */
export function deviceHours(heard: ReadonlyMap<string, ReadonlySet<number>>, startMs: number, endMs: number): number {
  let total = 0;
  for (const quarters of heard.values()) {
    const hours = new Set<number>();
    for (const q of quarters) {
      const ms = q * QUARTER;
      if (ms >= startMs && ms < endMs) hours.add(Math.floor((ms - startMs) / HOUR));
    }
    total += hours.size;
  }
  return total;
}

/** Households of `seen` on the roster ÷ registered households; the others are `unregistered`. */
function rosterRatio(seen: Set<string>, registered: number, roster: ReadonlyMap<string, string> | undefined): KpiValue {
  if (!roster) return ratio(seen.size, registered, 'registered households');
  const numerator = [...seen].filter((h) => roster.has(h)).length;
  return { ...ratio(numerator, registered, 'registered households'), unregistered: seen.size - numerator };
}

/** Coverage and participation of each roster building, over its own registered households. */
function byBuilding(s: SiteFacts, correct: Set<string>, any: Set<string>): Record<string, BuildingKpis> {
  const out: Record<string, BuildingKpis> = {};
  for (const b of s.buildings ?? []) {
    const mine = [...s.roster!].filter(([, building]) => building === b).map(([h]) => h);
    const count = (set: Set<string>): number => mine.filter((h) => set.has(h)).length;
    out[b] = {
      sorting_coverage: onlyWith(s.bins, NO_BINS, ratio(count(correct), mine.length, 'registered households')),
      participation_rate: onlyWith(s.bins, NO_BINS, ratio(count(any), mine.length, 'registered households')),
    };
  }
  return out;
}
