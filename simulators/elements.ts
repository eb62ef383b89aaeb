/**
 * What simulated devices report, before it is written in a vendor's format: one reading or one
 * event (docs/contract.md §3), with its time in epoch ms (whole seconds, as devices send them).
 * Each model's sim.ts (devices/<type>/<model>/, via encode.ts) writes them in its payload; the
 * ledger reads them to know what the hub must store (docs/contract.md §4) and to compute the KPIs
 * (docs/contract.md §5). The vocabularies below are the contract's; they are restated here on purpose, so the ground
 * truth never depends on the hub's own code.
 */

/** Waste categories (GB/T 19095-2019), docs/contract.md §3. */
export const CATEGORIES = ['kitchen', 'recyclable', 'hazardous', 'residual'] as const;
/** A waste category. */
export type Category = (typeof CATEGORIES)[number];
/** How a station judged a deposit. */
export type Sorting = 'correct' | 'incorrect' | 'unchecked';
/** How a household identified itself at a station. */
export type BinAuth = 'card' | 'qr' | 'face' | 'app';
/** A station's alarm. */
export type BinAlarm = 'overflow' | 'fire' | 'tamper' | 'jam';
/** How someone tried to pass a gate. */
export type AccessMethod = 'card' | 'face' | 'qr' | 'pin' | 'remote';
/** Who tried to pass. */
export type Subject = 'resident' | 'visitor' | 'staff' | 'unknown';
/** Why a gate said no. */
export type DenyReason = 'no_permission' | 'invalid_credential' | 'expired' | 'blacklisted';
/** A gate's alarm. */
export type GateAlarm = 'forced_open' | 'held_open' | 'tailgating' | 'climbing' | 'tamper';

/** A waste station's reading: battery, temperature and each compartment. */
export interface BinReading {
  kind: 'bin_reading';
  ms: number;
  battery: number;
  temperature: number;
  bins: { category: Category; fill: number; weightKg: number }[];
}

/** A gate's reading (a heartbeat for a model that reports only that, such as hikvision-acs minor 0x83). */
export interface GateReading {
  kind: 'gate_reading';
  ms: number;
  battery: number;
  door: 'open' | 'closed';
  tamper: boolean;
}

/** A deposit (投放) at a waste station. `household` is the raw id (personal data). */
export interface Deposit {
  kind: 'deposit';
  ms: number;
  /** Per-device event counter; each model writes it its own way (its sim.ts `eventId`). */
  id: number;
  household: string;
  category: Category;
  weightKg: number;
  sorting: Sorting;
  auth: BinAuth;
}

/** A waste station's alarm. */
export interface BinAlarmEvent {
  kind: 'bin_alarm';
  ms: number;
  id: number;
  alarm: BinAlarm;
  category?: Category;
}

/** An access attempt at a gate. */
export interface Access {
  kind: 'access';
  ms: number;
  id: number;
  result: 'granted' | 'denied';
  method: AccessMethod;
  direction: 'in' | 'out';
  subject: Subject;
  household?: string;
  reason?: DenyReason;
  /** A card number, for a model that reports them (hikvision-acs `cardNo`). */
  card?: string;
}

/** A gate's alarm. */
export interface GateAlarmEvent {
  kind: 'gate_alarm';
  ms: number;
  id: number;
  alarm: GateAlarm;
}

/** One reading or event. */
export type Element = BinReading | GateReading | Deposit | BinAlarmEvent | Access | GateAlarmEvent;
/** An event: something with an id (docs/contract.md §3: "`id` unique per device; replays carry the same id"). */
export type EventElement = Deposit | BinAlarmEvent | Access | GateAlarmEvent;

/** True for events, false for readings. */
export function isEvent(e: Element): e is EventElement {
  return e.kind !== 'bin_reading' && e.kind !== 'gate_reading';
}

/** The MQTT channel of an element (docs/contract.md §2). */
export function channelOf(e: Element): 'telemetry' | 'event' {
  return isEvent(e) ? 'event' : 'telemetry';
}

/** Gate alarms that count as security alarms (docs/contract.md §5, `gate_security_alarms`). */
export const SECURITY_ALARMS: ReadonlySet<string> = new Set(['forced_open', 'tailgating', 'climbing']);
