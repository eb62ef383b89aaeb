/**
 * waste-bin / lvse-x2 for the simulator (simulators/model.ts): the vendor's compact JSON (epoch
 * seconds, 0.1 °C, grams, numeric codes) as a station writes it (README.md beside this file), and
 * how to break it. Written from the README, not from index.ts, so the simulator stays an
 * independent ground truth.
 */
import type { BinAlarm, BinAuth, Category, Element, Sorting } from '../../../simulators/elements.ts';
import type { BinSimModel } from '../../../simulators/model.ts';

const CATEGORY: Record<Category, number> = { recyclable: 1, hazardous: 2, kitchen: 3, residual: 4 };
const SORTING: Record<Sorting, number> = { correct: 1, incorrect: 0, unchecked: -1 };
const AUTH: Record<BinAuth, number> = { card: 1, qr: 2, face: 3, app: 4 };
const ALARM: Record<BinAlarm, number> = { overflow: 1, fire: 2, tamper: 3, jam: 4 };

function encode(e: Element): Record<string, unknown> {
  const t = Math.floor(e.ms / 1000);
  switch (e.kind) {
    case 'bin_reading':
      return {
        t,
        bat: e.battery,
        tmp: Math.round(e.temperature * 10),
        bins: e.bins.map((b) => ({ c: CATEGORY[b.category], lv: b.fill, wt: Math.round(b.weightKg * 1000) })),
      };
    case 'deposit':
      return {
        t,
        evt: 'TF',
        no: e.id,
        uid: e.household,
        c: CATEGORY[e.category],
        wt: Math.round(e.weightKg * 1000),
        ok: SORTING[e.sorting],
        au: AUTH[e.auth],
      };
    case 'bin_alarm':
      return { t, evt: 'BJ', no: e.id, bj: ALARM[e.alarm], ...(e.category ? { c: CATEGORY[e.category] } : {}) };
    default:
      throw new TypeError(`waste-bin cannot report ${e.kind}`);
  }
}

const sim: BinSimModel = {
  type: 'waste-bin',
  model: 'lvse-x2',
  // `no` is a number; the hub stores it as text.
  eventId: (n) => String(n),
  encode,
  unknownCodeKinds: ['deposit', 'bin_alarm'],
  breakPayload(e, v, reason) {
    if (e.kind === 'bin_reading')
      v.tmp = Number(v.tmp) + 0.5; // tenths must be an integer
    else if (reason === 'unknown_event_code' && e.kind === 'deposit') v.evt = 'WX';
    else if (reason === 'unknown_event_code') v.bj = 9;
    else if (e.kind === 'deposit')
      v.c = 7; // no such category code
    else delete v.no; // an event without its id
  },
  vocabulary: {
    auth: { card: 4, face: 3, qr: 2, app: 1 },
    alarms: { jam: 5, tamper: 3, fire: 0.2 },
  },
};

export default sim;
