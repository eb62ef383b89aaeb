/**
 * A site's day, planned when the simulation reaches it: when each household deposits waste and
 * passes a gate (following the daily rhythm: morning and evening peaks), visitors and strangers
 * at the gates, random alarms, bin collections, and the planned faults of that day (gateway
 * offline spells, abrupt disconnects, device outages, bad status messages). Each device does only
 * what its model can say (the `vocabulary` of its sim.ts, model.ts).
 */
import type { AccessMethod, BinAlarm, BinAuth, Category, DenyReason, GateAlarm, Sorting, Subject } from './elements.ts';
import type { BinVocabulary, GateVocabulary } from './model.ts';
import { SIM_MODELS } from './models.ts';
import { between, chance, hash32, int, pick, poisson, stream, weighted, weightedIndex, type Rng } from './random.ts';
import type { Faults } from './scenario/schema.ts';
import { MS, localTime, zonedTime } from './time.ts';
import type { DeviceState, GatewayState, Household, SiteWorld } from './world.ts';

/** Something that happens at `ms` (true time, before any clock drift). */
export type Action =
  | {
      a: 'deposit';
      ms: number;
      hh: Household;
      bin: DeviceState;
      category: Category;
      weightKg: number;
      sorting: Sorting;
      auth: 'card' | 'qr' | 'face' | 'app';
    }
  | {
      a: 'access';
      ms: number;
      gate: DeviceState;
      result: 'granted' | 'denied';
      method: AccessMethod;
      direction: 'in' | 'out';
      subject: Subject;
      household?: string;
      reason?: DenyReason;
      card?: string;
    }
  | { a: 'alarm'; ms: number; device: DeviceState; alarm: BinAlarm | GateAlarm }
  | { a: 'collect'; ms: number; site: SiteWorld }
  | { a: 'offline'; ms: number; gateway: GatewayState; until: number }
  | { a: 'reconnect'; ms: number; gateway: GatewayState }
  | { a: 'bad_status'; ms: number; gateway: GatewayState };

/**
 * Plan the local day `date` (`YYYY-MM-DD`) of a site, the `day`-th of the run (the draws depend on
 * the index, not the date). The day's faults come from their own stream, so the community's
 * behaviour is the same with faults on or off.
 */
export function planDay(seed: string, sw: SiteWorld, date: string, day: number, faults: Faults): Action[] {
  const { site } = sw;
  const b = site.behaviour;
  const tz = site.timezone;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const rng = stream(seed, 'plan', site.id, day);
  const rhythmTotal = b.rhythm.reduce((a, w) => a + w, 0);
  /** A moment of the day following the rhythm, in whole seconds. */
  const when = (r: Rng): number =>
    zonedTime(tz, y, m, d, weightedIndex(r, b.rhythm, rhythmTotal)) + int(r, 0, 3599) * 1000;
  const anyTime = (r: Rng): number => zonedTime(tz, y, m, d) + int(r, 0, 86_399) * 1000;
  const out: Action[] = [];

  for (const hh of sw.households) {
    if (hh.habit !== 'never' && hh.bins.length > 0) {
      for (let i = poisson(rng, b.depositsPerDay); i > 0; i--) {
        const category = weighted(rng, b.categories);
        const [lo, hi] = b.depositWeightKg[category];
        const judged = !chance(rng, b.unchecked);
        const correct = rng() < (hh.habit === 'always' ? b.alwaysCorrect : b.sometimesCorrect);
        const ms = when(rng);
        const bin = pick(rng, hh.bins);
        out.push({
          a: 'deposit',
          ms,
          hh,
          bin,
          category,
          weightKg: Math.round(between(rng, lo, hi) * 100) / 100,
          sorting: judged ? (correct ? 'correct' : 'incorrect') : 'unchecked',
          auth: weighted(rng, binSays(bin).auth as Record<BinAuth, number>),
        });
      }
    }
    if (hh.gates.length > 0) {
      for (let i = poisson(rng, b.gatePassesPerDay); i > 0; i--)
        out.push(residentPass(rng, when(rng), hh, pick(rng, hh.gates), b.deniedRate, tz));
    }
  }
  for (const gate of sw.gates) {
    const says = gateSays(gate);
    for (let i = poisson(rng, b.visitorsPerGatePerDay); i > 0; i--) {
      const method = choose(rng, says.visitorMethods);
      out.push({
        a: 'access',
        ms: when(rng),
        gate,
        result: 'granted',
        method,
        direction: chance(rng, 0.5) ? 'in' : 'out',
        subject: says.visitorSubject,
      });
    }
    for (let i = poisson(rng, b.strangersPerGatePerDay); i > 0; i--) {
      const reason = choose(rng, says.strangerReasons);
      out.push({
        a: 'access',
        ms: anyTime(rng),
        gate,
        result: 'denied',
        method: 'card',
        direction: 'in',
        subject: 'unknown',
        reason,
        card: `C${int(rng, 10_000_000, 99_999_999)}`,
      });
    }
    for (let i = poisson(rng, b.alarms.gatePerDay); i > 0; i--) {
      const alarms = says.alarms;
      out.push({
        a: 'alarm',
        ms: anyTime(rng),
        device: gate,
        alarm: alarms[Math.min(alarms.length - 1, Math.floor(rng() ** 2 * alarms.length))]!,
      });
    }
  }
  for (const bin of sw.bins) {
    for (let i = poisson(rng, b.alarms.binPerDay); i > 0; i--)
      out.push({
        a: 'alarm',
        ms: anyTime(rng),
        device: bin,
        alarm: weighted(rng, binSays(bin).alarms as Record<Exclude<BinAlarm, 'overflow'>, number>),
      });
  }
  for (const hhmm of b.collections) {
    const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
    out.push({ a: 'collect', ms: zonedTime(tz, y, m, d, hh) + mm * MS.minute, site: sw });
  }
  out.push(...planFaults(seed, sw, day, zonedTime(tz, y, m, d), faults));
  return out;
}

/** One element of a non-empty list; a list of one costs no draw (model.ts, GateVocabulary). */
function choose<T>(rng: Rng, list: readonly T[]): T {
  return list.length === 1 ? list[0]! : pick(rng, list);
}

/** What a waste station's model can say. */
function binSays(dev: DeviceState): BinVocabulary {
  const m = SIM_MODELS.require(dev.dev.type, dev.dev.model);
  if (m.type !== 'waste-bin') throw new TypeError(`${dev.dev.id} is not a waste-bin`);
  return m.vocabulary;
}

/** What a gate's model can say. */
function gateSays(dev: DeviceState): GateVocabulary {
  const m = SIM_MODELS.require(dev.dev.type, dev.dev.model);
  if (m.type !== 'access-gate') throw new TypeError(`${dev.dev.id} is not an access-gate`);
  return m.vocabulary;
}

/** A resident's pass: out in the morning, in later in the day; sometimes denied. */
function residentPass(rng: Rng, ms: number, hh: Household, gate: DeviceState, deniedRate: number, tz: string): Action {
  const says = gateSays(gate);
  const method = choose(rng, says.residentMethods);
  const usual: 'in' | 'out' = localTime(ms, tz).hour < 12 ? 'out' : 'in';
  const direction: 'in' | 'out' = chance(rng, 0.85) ? usual : usual === 'out' ? 'in' : 'out';
  const denied = chance(rng, deniedRate);
  const base = { a: 'access' as const, ms, gate, method, direction, subject: 'resident' as const, household: hh.id };
  const card = says.cardNumbers && method === 'card';
  if (!denied)
    return { ...base, result: 'granted', ...(card ? { card: `C${10_000_000 + (hash32(hh.id) % 90_000_000)}` } : {}) };
  const reasons = says.residentDenyReasons[method] ?? [];
  const reason: DenyReason | undefined = reasons.length > 0 ? choose(rng, reasons) : undefined;
  return {
    ...base,
    result: 'denied',
    ...(reason ? { reason } : {}),
    ...(card ? { card: `C${int(rng, 1_000_000, 9_999_999)}` } : {}),
  };
}

/** The day's planned faults, from their own stream. */
function planFaults(seed: string, sw: SiteWorld, day: number, dayStart: number, f: Faults): Action[] {
  const rng = stream(seed, 'fault-plan', sw.site.id, day);
  const out: Action[] = [];
  for (const gs of sw.gateways) {
    const spells: [number, number][] = [];
    for (let i = poisson(rng, f.offline.perDay); i > 0; i--) {
      const from = dayStart + int(rng, 0, 86_399) * 1000;
      spells.push([from, from + Math.round(between(rng, f.offline.duration[0], f.offline.duration[1]) / 1000) * 1000]);
    }
    for (let i = poisson(rng, f.disconnects); i > 0; i--) {
      const from = dayStart + int(rng, 0, 86_399) * 1000;
      spells.push([from, from + int(rng, 5, 120) * 1000]);
    }
    spells.sort((a, b) => a[0] - b[0]);
    let lastEnd = -Infinity;
    for (const [from, until] of spells) {
      if (from <= lastEnd) continue; // overlapping spells: the gateway is offline already
      out.push({ a: 'offline', ms: from, gateway: gs, until });
      lastEnd = until;
    }
    for (let i = poisson(rng, f.badStatus); i > 0; i--)
      out.push({ a: 'bad_status', ms: dayStart + int(rng, 0, 86_399) * 1000, gateway: gs });
    for (const dev of gs.devices) {
      for (let i = poisson(rng, f.outages.perDay); i > 0; i--) {
        const from = dayStart + int(rng, 0, 86_399) * 1000;
        dev.outages.push([
          from,
          from + Math.round(between(rng, f.outages.duration[0], f.outages.duration[1]) / 1000) * 1000,
        ]);
      }
    }
  }
  return out;
}
