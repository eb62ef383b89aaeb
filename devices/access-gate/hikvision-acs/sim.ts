/**
 * access-gate / hikvision-acs for the simulator (simulators/model.ts): the controller's
 * `AccessControllerEvent` push (major 5, minor codes) as a controller writes it (README.md beside
 * this file), and how to break it. Written from the README, not from index.ts, so the simulator
 * stays an independent ground truth.
 */
import type { Access, Element } from '../../../simulators/elements.ts';
import type { GateSimModel } from '../../../simulators/model.ts';
import { isoLocal } from '../../../simulators/time.ts';

const ALARM = { forced_open: 0x1b, held_open: 0x1c, tailgating: 0x85, climbing: 0x88 } as const;
const HEARTBEAT = 0x83;
/** A minor code no controller table holds. */
const UNKNOWN = 0x2a;

/** The minor code of an access attempt (README.md table); the plan only makes expressible ones. */
function minorOf(a: Pick<Access, 'result' | 'method' | 'reason'>): number {
  if (a.method === 'card') return a.result === 'granted' ? 0x01 : a.reason === 'invalid_credential' ? 0x09 : 0x06;
  if (a.method === 'face') return a.result === 'granted' ? 0x4b : 0x4c;
  if (a.method === 'qr' && a.result === 'granted') return 0x9c;
  if (a.method === 'remote' && a.result === 'granted') return 0x400;
  throw new TypeError(`hikvision-acs has no minor code for ${a.result} ${a.method}`);
}

function encode(e: Element, tz: string): Record<string, unknown> {
  const push = (minor: number, extra: Record<string, unknown>): Record<string, unknown> => ({
    ipAddress: '10.0.3.21',
    dateTime: isoLocal(e.ms, tz),
    eventType: 'AccessControllerEvent',
    AccessControllerEvent: { majorEventType: 5, subEventType: minor, ...extra },
  });
  switch (e.kind) {
    case 'gate_reading':
      return push(HEARTBEAT, {});
    case 'access':
      return push(minorOf(e), {
        serialNo: e.id,
        employeeNoString: e.household ?? '',
        cardNo: e.card ?? '',
        currentVerifyMode: e.method,
        attendanceStatus: e.direction === 'out' ? 'checkOut' : 'checkIn',
      });
    case 'gate_alarm': {
      if (e.alarm === 'tamper') throw new TypeError('hikvision-acs has no tamper alarm code');
      return push(ALARM[e.alarm], { serialNo: e.id });
    }
    default:
      throw new TypeError(`access-gate cannot report ${e.kind}`);
  }
}

const sim: GateSimModel = {
  type: 'access-gate',
  model: 'hikvision-acs',
  // `serialNo` is a number; the hub stores it as text.
  eventId: (n) => String(n),
  encode,
  // A heartbeat is a minor code too, so even a reading can carry an unknown one.
  unknownCodeKinds: ['gate_reading', 'access', 'gate_alarm'],
  breakPayload(e, v, reason) {
    const ace = v.AccessControllerEvent as Record<string, unknown>;
    if (reason === 'unknown_event_code') ace.subEventType = UNKNOWN;
    else if (e.kind === 'gate_reading')
      ace.majorEventType = 'five'; // not a code: schema
    else v.dateTime = String(v.dateTime).slice(0, 19); // a time without offset: schema
  },
  // Only what the minor-code table can express: no PIN, no tamper alarm, no reason on a face
  // denial, visitors are not told apart from strangers.
  vocabulary: {
    residentMethods: ['face', 'face', 'card'],
    residentDenyReasons: { card: ['no_permission'] },
    visitorMethods: ['qr', 'remote'],
    visitorSubject: 'unknown',
    strangerReasons: ['invalid_credential'],
    alarms: ['held_open', 'tailgating', 'forced_open', 'climbing'],
    cardNumbers: true,
  },
};

export default sim;
