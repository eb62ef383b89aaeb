/**
 * access-gate / generic-v1 for the simulator (simulators/model.ts): the hub's own JSON for gates
 * and doors as a gate writes it (README.md beside this file), and how to break it. Written from
 * the README, not from index.ts, so the simulator stays an independent ground truth.
 */
import type { Element } from '../../../simulators/elements.ts';
import type { GateSimModel } from '../../../simulators/model.ts';
import { isoLocal } from '../../../simulators/time.ts';

const SEVERITY = {
  forced_open: 'critical',
  held_open: 'warning',
  tailgating: 'warning',
  climbing: 'critical',
  tamper: 'warning',
} as const;

const eventId = (n: number): string => `a-${n}`;

function encode(e: Element, tz: string): Record<string, unknown> {
  switch (e.kind) {
    case 'gate_reading':
      return { ts: isoLocal(e.ms, tz), door: e.door, tamper: e.tamper, battery: e.battery };
    case 'access':
      return {
        id: eventId(e.id),
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
      return { id: eventId(e.id), ts: isoLocal(e.ms, tz), type: 'alarm', alarm: e.alarm, severity: SEVERITY[e.alarm] };
    default:
      throw new TypeError(`access-gate cannot report ${e.kind}`);
  }
}

const sim: GateSimModel = {
  type: 'access-gate',
  model: 'generic-v1',
  eventId,
  encode,
  unknownCodeKinds: ['access', 'gate_alarm'],
  breakPayload(e, v, reason) {
    if (reason === 'unknown_event_code') {
      if (e.kind === 'gate_alarm') v.alarm = 'smoke';
      else v.type = 'doorbell';
    } else if (e.kind === 'gate_reading') v.door = 'ajar';
    else if (e.kind === 'access') v.direction = 'sideways';
    else delete v.ts; // an event without time
  },
  vocabulary: {
    residentMethods: ['face', 'face', 'card', 'qr', 'pin'],
    residentDenyReasons: Object.fromEntries(
      (['card', 'face', 'qr', 'pin', 'remote'] as const).map((m) => [m, ['no_permission', 'expired'] as const]),
    ),
    visitorMethods: ['qr', 'pin', 'remote'],
    visitorSubject: 'visitor',
    strangerReasons: ['invalid_credential', 'blacklisted', 'expired'],
    alarms: ['held_open', 'tailgating', 'forced_open', 'climbing', 'tamper'],
    cardNumbers: false,
  },
};

export default sim;
