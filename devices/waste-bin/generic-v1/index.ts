/**
 * waste-bin / generic-v1: the hub's own JSON format for waste-sorting stations (contract
 * section 3), normalised to bin_level, device_health, deposit and alarm (docs/contract.md §4).
 * See README.md beside this file for payloads and the mapping table.
 */
import {
  alarm,
  binLevel,
  deposit,
  deviceHealth,
  hasKey,
  isoTimeMs,
  ok,
  parseElement,
  quoteCode,
  schemaReject,
  unknownCode,
} from '../../../src/normalise/blocks.ts';
import type { DeviceModel, ModelContext, ModelResult } from '../../../src/normalise/model.ts';
import { BIN_ALARMS, isOneOf } from '../../../src/normalise/vocabulary.ts';
import { alarmSchema, depositSchema, EVENT_TYPES, eventHeadSchema, telemetrySchema } from './schema.ts';

function telemetry(element: unknown): ModelResult {
  if (hasKey(element, 'type')) {
    return schemaReject('telemetry: carries "type", which marks an event; events belong on the event channel');
  }
  const p = parseElement(telemetrySchema, element, 'telemetry');
  if (!p.ok) return p.result;
  const r = p.data;
  return ok({
    timeMs: r.ts === undefined ? undefined : isoTimeMs(r.ts),
    points: [
      ...deviceHealth({ battery_pct: r.battery, temperature_c: r.temperature }),
      ...(r.compartments ?? []).map((c) => binLevel(c.category, c.fill, c.weight)),
    ],
  });
}

function event(element: unknown, ctx: ModelContext): ModelResult {
  const head = parseElement(eventHeadSchema, element, 'event');
  if (!head.ok) return head.result;
  const type = head.data.type;
  if (!isOneOf(EVENT_TYPES, type))
    return unknownCode(`event type ${quoteCode(type)} (known: ${EVENT_TYPES.join(', ')})`);
  if (type === 'deposit') {
    const p = parseElement(depositSchema, element, 'deposit');
    if (!p.ok) return p.result;
    const e = p.data;
    return ok({
      timeMs: isoTimeMs(e.ts),
      eventId: e.id,
      points: [
        deposit({
          category: e.category,
          sorting: e.sorting,
          auth: e.auth,
          household: ctx.household(e.household),
          weightKg: e.weight,
        }),
      ],
    });
  }
  const p = parseElement(alarmSchema, element, 'alarm');
  if (!p.ok) return p.result;
  const e = p.data;
  if (!isOneOf(BIN_ALARMS, e.alarm))
    return unknownCode(`alarm ${quoteCode(e.alarm)} (known: ${BIN_ALARMS.join(', ')})`);
  return ok({
    timeMs: isoTimeMs(e.ts),
    eventId: e.id,
    points: [alarm({ alarm: e.alarm, severity: e.severity, category: e.category })],
  });
}

const model: DeviceModel = {
  type: 'waste-bin',
  model: 'generic-v1',
  description: 'Waste-sorting station, the hub’s generic JSON (ISO times, kg, °C, percent)',
  normalise: (channel, element, ctx) => (channel === 'telemetry' ? telemetry(element) : event(element, ctx)),
};

export default model;
