/**
 * Elements → payloads of the four models of docs/contract.md §3 (devices/*\/*\/README.md), and the
 * ways a payload can be broken on purpose. The hub's models are not imported: the simulator
 * speaks each vendor's format as a device would, so a mistake in either side shows up.
 */
import type { Access, Category, Element } from './elements.ts';
import { isoLocal } from './time.ts';

/** How an element is broken on purpose, and the dead-letter reason the hub must give (section 3, "Rules"). */
export type ElementFault = 'schema' | 'unknown_event_code';

/** A device as the encoder needs it. */
export interface EncodeTarget {
  type: 'waste-bin' | 'access-gate';
  model: string;
  timezone: string;
}

const LVSE_CATEGORY: Record<Category, number> = { recyclable: 1, hazardous: 2, kitchen: 3, residual: 4 };
const LVSE_SORTING = { correct: 1, incorrect: 0, unchecked: -1 } as const;
const LVSE_AUTH = { card: 1, qr: 2, face: 3, app: 4 } as const;
const LVSE_ALARM = { overflow: 1, fire: 2, tamper: 3, jam: 4 } as const;
const BIN_SEVERITY = { overflow: 'warning', fire: 'critical', tamper: 'warning', jam: 'warning' } as const;
const GATE_SEVERITY = {
  forced_open: 'critical',
  held_open: 'warning',
  tailgating: 'warning',
  climbing: 'critical',
  tamper: 'warning',
} as const;
const HIK_ALARM = { forced_open: 0x1b, held_open: 0x1c, tailgating: 0x85, climbing: 0x88 } as const;
const HIK_HEARTBEAT = 0x83;
/** A minor code no controller table holds. */
const HIK_UNKNOWN = 0x2a;

/**
 * Encode one element. With `fault`, the payload is broken so the hub must refuse it with the
 * returned `reason` (a reading has no event code to get wrong, so its fault is always `schema`).
 */
export function encode(
  t: EncodeTarget,
  e: Element,
  fault?: ElementFault,
): { value: Record<string, unknown>; reason?: ElementFault } {
  const value =
    t.type === 'waste-bin'
      ? t.model === 'lvse-x2'
        ? lvse(e)
        : genericBin(e, t.timezone)
      : t.model === 'hikvision-acs'
        ? hikvision(e, t.timezone)
        : genericGate(e, t.timezone);
  if (!fault) return { value };
  const reason: ElementFault =
    fault === 'unknown_event_code' &&
    e.kind !== 'bin_reading' &&
    (e.kind !== 'gate_reading' || t.model === 'hikvision-acs')
      ? fault
      : 'schema';
  breakPayload(t, e, value, reason);
  return { value, reason };
}

function genericBin(e: Element, tz: string): Record<string, unknown> {
  switch (e.kind) {
    case 'bin_reading':
      return {
        ts: isoLocal(e.ms, tz),
        battery: e.battery,
        temperature: e.temperature,
        compartments: e.bins.map((b) => ({ category: b.category, fill: b.fill, weight: b.weightKg })),
      };
    case 'deposit':
      return {
        id: idOf(e.id),
        ts: isoLocal(e.ms, tz),
        type: 'deposit',
        household: e.household,
        category: e.category,
        weight: e.weightKg,
        sorting: e.sorting,
        auth: e.auth,
      };
    case 'bin_alarm':
      return {
        id: idOf(e.id),
        ts: isoLocal(e.ms, tz),
        type: 'alarm',
        alarm: e.alarm,
        ...(e.category ? { category: e.category } : {}),
        severity: BIN_SEVERITY[e.alarm],
      };
    default:
      throw new TypeError(`waste-bin cannot report ${e.kind}`);
  }
}

function lvse(e: Element): Record<string, unknown> {
  const t = Math.floor(e.ms / 1000);
  switch (e.kind) {
    case 'bin_reading':
      return {
        t,
        bat: e.battery,
        tmp: Math.round(e.temperature * 10),
        bins: e.bins.map((b) => ({ c: LVSE_CATEGORY[b.category], lv: b.fill, wt: Math.round(b.weightKg * 1000) })),
      };
    case 'deposit':
      return {
        t,
        evt: 'TF',
        no: e.id,
        uid: e.household,
        c: LVSE_CATEGORY[e.category],
        wt: Math.round(e.weightKg * 1000),
        ok: LVSE_SORTING[e.sorting],
        au: LVSE_AUTH[e.auth],
      };
    case 'bin_alarm':
      return {
        t,
        evt: 'BJ',
        no: e.id,
        bj: LVSE_ALARM[e.alarm],
        ...(e.category ? { c: LVSE_CATEGORY[e.category] } : {}),
      };
    default:
      throw new TypeError(`waste-bin cannot report ${e.kind}`);
  }
}

function genericGate(e: Element, tz: string): Record<string, unknown> {
  switch (e.kind) {
    case 'gate_reading':
      return { ts: isoLocal(e.ms, tz), door: e.door, tamper: e.tamper, battery: e.battery };
    case 'access':
      return {
        id: `a-${e.id}`,
        ts: isoLocal(e.ms, tz),
        type: 'access',
        result: e.result,
        method: e.method,
        direction: e.direction,
        subject: e.subject,
        ...(e.household ? { household: e.household } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      };
    case 'gate_alarm':
      return {
        id: `a-${e.id}`,
        ts: isoLocal(e.ms, tz),
        type: 'alarm',
        alarm: e.alarm,
        severity: GATE_SEVERITY[e.alarm],
      };
    default:
      throw new TypeError(`access-gate cannot report ${e.kind}`);
  }
}

/** The minor code of an access attempt (docs/contract.md §3 table); the generator only makes expressible ones. */
export function hikMinor(a: Pick<Access, 'result' | 'method' | 'reason'>): number {
  if (a.method === 'card') return a.result === 'granted' ? 0x01 : a.reason === 'invalid_credential' ? 0x09 : 0x06;
  if (a.method === 'face') return a.result === 'granted' ? 0x4b : 0x4c;
  if (a.method === 'qr' && a.result === 'granted') return 0x9c;
  if (a.method === 'remote' && a.result === 'granted') return 0x400;
  throw new TypeError(`hikvision-acs has no minor code for ${a.result} ${a.method}`);
}

function hikvision(e: Element, tz: string): Record<string, unknown> {
  const push = (minor: number, extra: Record<string, unknown>): Record<string, unknown> => ({
    ipAddress: '10.0.3.21',
    dateTime: isoLocal(e.ms, tz),
    eventType: 'AccessControllerEvent',
    AccessControllerEvent: { majorEventType: 5, subEventType: minor, ...extra },
  });
  switch (e.kind) {
    case 'gate_reading':
      return push(HIK_HEARTBEAT, {});
    case 'access':
      return push(hikMinor(e), {
        serialNo: e.id,
        employeeNoString: e.household ?? '',
        cardNo: e.card ?? '',
        currentVerifyMode: e.method,
        attendanceStatus: e.direction === 'out' ? 'checkOut' : 'checkIn',
      });
    case 'gate_alarm': {
      if (e.alarm === 'tamper') throw new TypeError('hikvision-acs has no tamper alarm code');
      return push(HIK_ALARM[e.alarm], { serialNo: e.id });
    }
    default:
      throw new TypeError(`access-gate cannot report ${e.kind}`);
  }
}

/** Break `v` (in place) so the hub's model refuses it with `reason` (the model READMEs' "Rejected" tables). */
function breakPayload(t: EncodeTarget, e: Element, v: Record<string, unknown>, reason: ElementFault): void {
  if (t.model === 'hikvision-acs') {
    const ace = v.AccessControllerEvent as Record<string, unknown>;
    if (reason === 'unknown_event_code') ace.subEventType = HIK_UNKNOWN;
    else if (e.kind === 'gate_reading')
      ace.majorEventType = 'five'; // not a code: schema
    else v.dateTime = String(v.dateTime).slice(0, 19); // a time without offset: schema
    return;
  }
  if (t.model === 'lvse-x2') {
    if (e.kind === 'bin_reading')
      v.tmp = Number(v.tmp) + 0.5; // tenths must be an integer
    else if (reason === 'unknown_event_code' && e.kind === 'deposit') v.evt = 'WX';
    else if (reason === 'unknown_event_code') v.bj = 9;
    else if (e.kind === 'deposit')
      v.c = 7; // no such category code
    else delete v.no; // an event without its id
    return;
  }
  if (reason === 'unknown_event_code') {
    if (e.kind === 'bin_alarm' || e.kind === 'gate_alarm') v.alarm = 'smoke';
    else v.type = t.type === 'waste-bin' ? 'maintenance' : 'doorbell';
    return;
  }
  switch (e.kind) {
    case 'bin_reading':
      (v.compartments as Record<string, unknown>[])[0]!.fill = 140; // percent above 100
      break;
    case 'gate_reading':
      v.door = 'ajar';
      break;
    case 'deposit':
      delete v.household;
      break;
    case 'access':
      v.direction = 'sideways';
      break;
    default:
      delete v.ts; // an event without time
  }
}

function idOf(n: number): string {
  return `e-${String(n).padStart(6, '0')}`;
}
