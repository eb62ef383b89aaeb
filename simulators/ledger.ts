/**
 * The ground truth of a run (issue "Ground truth"): what was sent, what the hub must have stored
 * (docs/contract.md §4: one point per distinct key, so duplicates and replays count once) and
 * dead-lettered (docs/contract.md §2-3, with the reason), and the KPIs that follow (kpi.ts).
 * It never imports the hub's code. simulators/README.md, "Ledger", documents the JSON.
 */
import { surveyLedger, type LedgerSurveys } from './surveys.ts';
import { createHash, type Hash } from 'node:crypto';
import { isEvent, type Element } from './elements.ts';
import { computeKpis, householdKey, type AccessFact, type AlarmFact, type DepositFact, type KpiReport } from './kpi.ts';
import type { Control, ElementTruth, ExpectedReject, Message } from './messages.ts';
import { eventIdOf } from './models.ts';
import type { Scenario } from './scenario/load.ts';
import { iso } from './time.ts';
import { buildWorld, ROSTER_MAIN_BUILDING } from './world.ts';

/** Measurements whose point count the ledger predicts (docs/contract.md §4). */
export const PREDICTED = ['bin_level', 'device_health', 'deposit', 'access', 'alarm'] as const;
export type Predicted = (typeof PREDICTED)[number];

/** One message as the ledger lists it. */
export interface LedgerMessage {
  seq: number;
  at: string;
  topic: string;
  channel: string;
  kind: string;
  fault?: string;
  qos: number;
  retain: boolean;
  elements: number;
  valid: boolean;
  rejects: ExpectedReject[];
  eventIds: string[];
  acked: boolean;
  /** Verbatim payload, for messages the hub must dead-letter (to match the dead-letter store). */
  payload?: string;
}

/** The ledger file (format `community-sim-ledger/1`). */
export interface LedgerFile {
  format: 'community-sim-ledger/1';
  scenario: { name: string; file: string; seed: string };
  window: { start: string; end: string | null; timezone: string };
  hubClock: { from: string; to: string; note: string };
  run: Record<string, unknown>;
  streamHash: string;
  totals: {
    messages: number;
    acked: number;
    unconfirmed: number;
    elements: number;
    validElements: number;
    deadLetterMessages: number;
    byKind: Record<string, number>;
    byFault: Record<string, number>;
    disconnects: number;
  };
  expected: {
    points: Record<Predicted, number>;
    pointsBySite: Record<string, Record<Predicted, number>>;
    notPredicted: Record<string, string>;
    deadLetters: { messages: number; byReason: Record<string, number> };
    /** Per measurement (deposit, access, alarm), per `site/device`, the stored event ids. */
    eventIds?: Record<string, Record<string, string[]>>;
  };
  kpis: KpiReport;
  /** Per site, the resident survey answers to upload and their summary (scenario `surveys`; surveys.ts). */
  surveys?: Record<string, LedgerSurveys>;
  messages?: LedgerMessage[];
}

/** How much per-message detail a ledger keeps (`all` for tests; `none` for load runs). */
export type LedgerDetail = 'all' | 'invalid' | 'none';

interface SiteTruth {
  keys: Record<Predicted, Set<string>>;
  deposits: Map<string, DepositFact>;
  accesses: Map<string, AccessFact>;
  alarms: Map<string, AlarmFact>;
  heard: Map<string, Set<number>>;
}

/** Accumulates the truth of a run, message by message. */
export class Ledger {
  private readonly hash: Hash = createHash('sha256');
  private readonly sites = new Map<string, SiteTruth>();
  private readonly messages: LedgerMessage[] = [];
  private readonly totals: LedgerFile['totals'] = {
    messages: 0,
    acked: 0,
    unconfirmed: 0,
    elements: 0,
    validElements: 0,
    deadLetterMessages: 0,
    byKind: {},
    byFault: {},
    disconnects: 0,
  };
  private readonly byReason: Record<string, number> = {};
  private endMs: number | undefined;

  private readonly scenario: Scenario;
  private readonly startMs: number;
  private readonly detail: LedgerDetail;

  constructor(scenario: Scenario, startMs: number, detail: LedgerDetail = 'all') {
    this.scenario = scenario;
    this.startMs = startMs;
    this.detail = detail;
    for (const s of scenario.sites) {
      this.sites.set(s.id, {
        keys: {
          bin_level: new Set(),
          device_health: new Set(),
          deposit: new Set(),
          access: new Set(),
          alarm: new Set(),
        },
        deposits: new Map(),
        accesses: new Map(),
        alarms: new Map(),
        heard: new Map(),
      });
    }
  }

  /** An item handed to the network, in stream order: it feeds the stream hash (determinism). */
  dispatched(item: Message | Control): void {
    if (item.type === 'message')
      this.hash.update(
        `${item.at}\u0000${item.topic}\u0000${item.qos}${item.retain ? 'r' : ''}\u0000${item.payload}\n`,
      );
    else {
      this.hash.update(`${item.at}\u0000${item.type}\u0000${item.gateway}\n`);
      if (item.type === 'drop') this.totals.disconnects++;
    }
  }

  /** A message is settled: `acked` when the hub acknowledged it (QoS 1) or it was written (QoS 0). */
  settled(m: Message, acked: boolean): void {
    const t = this.totals;
    t.messages++;
    t.byKind[m.kind] = (t.byKind[m.kind] ?? 0) + 1;
    if (m.fault) t.byFault[m.fault] = (t.byFault[m.fault] ?? 0) + 1;
    if (acked) t.acked++;
    else t.unconfirmed++;
    t.elements += m.elements.length;
    if (acked) {
      if (m.rejects.length > 0) t.deadLetterMessages++;
      for (const r of m.rejects) this.byReason[r.reason] = (this.byReason[r.reason] ?? 0) + 1;
      for (const e of m.elements) if (e.valid) this.store(e);
    }
    t.validElements += m.elements.filter((e) => e.valid).length;
    if (this.detail === 'all' || (this.detail === 'invalid' && m.rejects.length > 0)) {
      const rec: LedgerMessage = {
        seq: m.seq,
        at: iso(m.at),
        topic: m.topic,
        channel: m.channel,
        kind: m.kind,
        qos: m.qos,
        retain: m.retain,
        elements: m.elements.length,
        valid: m.rejects.length === 0,
        rejects: m.rejects,
        eventIds: m.elements
          .filter((e) => isEvent(e.element))
          .map((e) => eventIdOf(e.model, e.type, (e.element as Element & { id: number }).id)),
        acked,
        ...(m.fault ? { fault: m.fault } : {}),
        ...(m.rejects.length > 0 ? { payload: m.payload } : {}),
      };
      this.messages.push(rec);
    }
  }

  /** The end of the simulated window (unknown while following). */
  setEnd(ms: number): void {
    this.endMs = ms;
  }

  /** A valid element: its point keys (docs/contract.md §4) and its KPI facts. */
  private store(t: ElementTruth): void {
    const s = this.sites.get(t.site);
    if (!s) return;
    const e = t.element;
    const dev = `${t.site}/${t.device}`;
    // Every stored element yields device_health{heartbeat} at its millisecond (docs/contract.md §4,
    // "Heartbeat").
    s.keys.device_health.add(`${dev}/${e.ms}`);
    const quarters = s.heard.get(t.device) ?? new Set<number>();
    quarters.add(Math.floor(e.ms / 900_000));
    s.heard.set(t.device, quarters);
    if (e.kind === 'bin_reading') {
      for (const b of e.bins) s.keys.bin_level.add(`${dev}/${b.category}/${e.ms}`);
      return;
    }
    if (e.kind === 'gate_reading') return;
    const id = eventIdOf(t.model, t.type, e.id);
    const key = `${dev}/${id}`;
    if (e.kind === 'deposit') {
      s.keys.deposit.add(key);
      s.deposits.set(key, {
        ms: e.ms,
        household: e.household,
        sorting: e.sorting,
        category: e.category,
        weightKg: e.weightKg,
      });
    } else if (e.kind === 'access') {
      s.keys.access.add(key);
      s.accesses.set(key, { ms: e.ms, result: e.result });
    } else {
      s.keys.alarm.add(key);
      s.alarms.set(key, { ms: e.ms, alarm: e.alarm, deviceType: t.type });
    }
  }

  /**
   * The registered households of each site with a roster (id → building), from the scenario's
   * world: the same households `community-sim inventory` writes into the roster files.
   */
  private rosters(): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    if (!this.scenario.sites.some((s) => s.roster)) return out;
    for (const sw of buildWorld(this.scenario).sites) {
      if (!sw.site.roster) continue;
      const roster = new Map<string, string>();
      for (const h of sw.households)
        if (h.registered) roster.set(householdKey(h.id), h.building ?? ROSTER_MAIN_BUILDING);
      out.set(sw.site.id, roster);
    }
    return out;
  }

  /** Expected point counts, all sites together. */
  points(): Record<Predicted, number> {
    const total = { bin_level: 0, device_health: 0, deposit: 0, access: 0, alarm: 0 };
    for (const s of this.sites.values()) for (const m of PREDICTED) total[m] += s.keys[m].size;
    return total;
  }

  /** The ledger as JSON (`run` holds what is known of the run itself: hub URL, wall-clock figures). */
  toJSON(run: Record<string, unknown> = {}): LedgerFile {
    const sc = this.scenario;
    const endMs = this.endMs ?? this.startMs;
    const pointsBySite: Record<string, Record<Predicted, number>> = {};
    const eventIds: Record<string, Record<string, string[]>> = { deposit: {}, access: {}, alarm: {} };
    for (const [site, s] of this.sites) {
      pointsBySite[site] = Object.fromEntries(PREDICTED.map((m) => [m, s.keys[m].size])) as Record<Predicted, number>;
      for (const m of ['deposit', 'access', 'alarm'] as const) {
        for (const key of s.keys[m]) {
          const cut = key.lastIndexOf('/');
          (eventIds[m]![key.slice(0, cut)] ??= []).push(key.slice(cut + 1));
        }
      }
    }
    const rosters = this.rosters();
    const kpis = computeKpis(
      sc.sites.map((site) => {
        const s = this.sites.get(site.id)!;
        const devices = site.gateways.flatMap((g) => g.devices);
        const roster = rosters.get(site.id);
        return {
          id: site.id,
          timezone: site.timezone,
          households: roster ? roster.size : site.households,
          ...(roster ? { roster, buildings: [...new Set(roster.values())] } : {}),
          devices: devices.length,
          bins: devices.filter((d) => d.type === 'waste-bin').length,
          gates: devices.filter((d) => d.type === 'access-gate').length,
          deposits: s.deposits.values(),
          accesses: s.accesses.values(),
          alarms: s.alarms.values(),
          heard: s.heard,
          ...(sc.hub.co2eFactors ? { co2eFactors: sc.hub.co2eFactors } : {}),
        };
      }),
      { startMs: this.startMs, endMs },
    );
    return {
      format: 'community-sim-ledger/1',
      scenario: { name: sc.name, file: sc.file, seed: sc.seed },
      window: {
        start: iso(this.startMs),
        end: this.endMs === undefined ? null : iso(this.endMs),
        timezone: sc.time.timezone,
      },
      hubClock: hubClockRange(sc, this.startMs, endMs),
      run,
      streamHash: this.hash.copy().digest('hex'),
      totals: this.totals,
      expected: {
        points: this.points(),
        pointsBySite,
        notPredicted: {
          gateway_status:
            "stamped with the hub's clock on arrival (status messages, Wills, lost connections): not predictable from the stream",
        },
        deadLetters: { messages: this.totals.deadLetterMessages, byReason: { ...this.byReason } },
        ...(this.detail === 'none' ? {} : { eventIds }),
      },
      kpis,
      ...(sc.surveys ? { surveys: surveyLedger(sc) } : {}),
      ...(this.detail === 'none' ? {} : { messages: this.messages }),
    };
  }
}

/**
 * The hub clocks for which every expected outcome holds (README, "Simulated time"): from the end
 * of the window (nothing valid is then ahead of the hub by more than the clock drift) to one day
 * short of `maxAge` after its start (nothing valid is yet too old).
 */
export function hubClockRange(sc: Scenario, startMs: number, endMs: number): LedgerFile['hubClock'] {
  return {
    from: iso(endMs),
    to: iso(startMs + sc.hub.maxAgeMs - 86_400_000),
    note: 'expected outcomes hold for a hub whose clock is in [from, to] while the messages arrive',
  };
}
