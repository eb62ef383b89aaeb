/**
 * waste-bin / generic-v1 for the simulator (simulators/model.ts): the hub's own JSON for
 * waste-sorting stations as a station writes it (README.md beside this file), and how to break it.
 * Written from the README, not from index.ts, so the simulator stays an independent ground truth.
 */
import type { Element } from '../../../simulators/elements.ts';
import type { BinSimModel } from '../../../simulators/model.ts';
import { isoLocal } from '../../../simulators/time.ts';

const SEVERITY = { overflow: 'warning', fire: 'critical', tamper: 'warning', jam: 'warning' } as const;

const eventId = (n: number): string => `e-${String(n).padStart(6, '0')}`;

function encode(e: Element, tz: string): Record<string, unknown> {
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
        id: eventId(e.id),
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
        id: eventId(e.id),
        ts: isoLocal(e.ms, tz),
        type: 'alarm',
        alarm: e.alarm,
        ...(e.category ? { category: e.category } : {}),
        severity: SEVERITY[e.alarm],
      };
    default:
      throw new TypeError(`waste-bin cannot report ${e.kind}`);
  }
}

const sim: BinSimModel = {
  type: 'waste-bin',
  model: 'generic-v1',
  eventId,
  encode,
  unknownCodeKinds: ['deposit', 'bin_alarm'],
  breakPayload(e, v, reason) {
    if (reason === 'unknown_event_code') {
      if (e.kind === 'bin_alarm') v.alarm = 'smoke';
      else v.type = 'maintenance';
    } else if (e.kind === 'bin_reading')
      (v.compartments as Record<string, unknown>[])[0]!.fill = 140; // percent above 100
    else if (e.kind === 'deposit') delete v.household;
    else delete v.ts; // an event without time
  },
  vocabulary: {
    auth: { card: 4, face: 3, qr: 2, app: 1 },
    alarms: { jam: 5, tamper: 3, fire: 0.2 },
  },
};

export default sim;
