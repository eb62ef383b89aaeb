/**
 * waste-bin / lvse-x2: compact JSON of a Chinese station vendor (docs/contract.md §3), normalised to
 * bin_level, device_health, deposit and alarm (docs/contract.md §4) with the unit conversions
 * `tmp` 0.1 °C → °C, `wt` g → kg, `t` epoch seconds → ms. See README.md for the mapping table.
 */
import {
  alarm,
  binLevel,
  deposit,
  deviceHealth,
  hasKey,
  ok,
  parseElement,
  quoteCode,
  schemaReject,
  unknownCode,
} from '../../../src/normalise/blocks.ts';
import type { DeviceModel, ModelContext, ModelResult } from '../../../src/normalise/model.ts';
import { isOneOf } from '../../../src/normalise/vocabulary.ts';
import {
  ALARM_BY_CODE,
  alarmSchema,
  AUTH_BY_CODE,
  CATEGORY_BY_CODE,
  depositSchema,
  EVENT_CODES,
  eventHeadSchema,
  SORTING_BY_CODE,
  telemetrySchema,
} from './schema.ts';

/** Epoch seconds → epoch ms. */
const ms = (t: number): number => Math.round(t * 1000);
/** Grams → kilograms. Division (not × 0.001) keeps 12300 → 12.3 exact in binary floating point. */
const kg = (g: number): number => g / 1000;
/** Tenths of a degree → °C. */
const celsius = (tenths: number): number => tenths / 10;

function telemetry(element: unknown): ModelResult {
  if (hasKey(element, 'evt')) {
    return schemaReject('telemetry: carries "evt", which marks an event; events belong on the event channel');
  }
  const p = parseElement(telemetrySchema, element, 'telemetry');
  if (!p.ok) return p.result;
  const r = p.data;
  return ok({
    timeMs: r.t === undefined ? undefined : ms(r.t),
    points: [
      ...deviceHealth({ battery_pct: r.bat, temperature_c: r.tmp === undefined ? undefined : celsius(r.tmp) }),
      ...(r.bins ?? []).map((b) => binLevel(CATEGORY_BY_CODE[b.c], b.lv, b.wt === undefined ? undefined : kg(b.wt))),
    ],
  });
}

function event(element: unknown, ctx: ModelContext): ModelResult {
  const head = parseElement(eventHeadSchema, element, 'event');
  if (!head.ok) return head.result;
  const code = head.data.evt;
  if (!isOneOf(EVENT_CODES, code)) return unknownCode(`evt ${quoteCode(code)} (known: ${EVENT_CODES.join(', ')})`);
  if (code === 'TF') {
    const p = parseElement(depositSchema, element, 'deposit (TF)');
    if (!p.ok) return p.result;
    const e = p.data;
    return ok({
      timeMs: ms(e.t),
      eventId: String(e.no),
      points: [
        deposit({
          category: CATEGORY_BY_CODE[e.c],
          sorting: SORTING_BY_CODE[`${e.ok}`],
          auth: AUTH_BY_CODE[e.au],
          household: ctx.household(e.uid),
          weightKg: kg(e.wt),
        }),
      ],
    });
  }
  const p = parseElement(alarmSchema, element, 'alarm (BJ)');
  if (!p.ok) return p.result;
  const e = p.data;
  const a = ALARM_BY_CODE[e.bj];
  if (!a) return unknownCode(`bj ${quoteCode(e.bj)} (known: ${Object.keys(ALARM_BY_CODE).join(', ')})`);
  return ok({
    timeMs: ms(e.t),
    eventId: String(e.no),
    points: [alarm({ ...a, category: e.c === undefined ? undefined : CATEGORY_BY_CODE[e.c] })],
  });
}

const model: DeviceModel = {
  type: 'waste-bin',
  model: 'lvse-x2',
  description: 'Waste-sorting station, the lvse-x2 vendor compact JSON (epoch s, 0.1 °C, grams, numeric codes)',
  normalise: (channel, element, ctx) => (channel === 'telemetry' ? telemetry(element) : event(element, ctx)),
};

export default model;
