/**
 * access-gate / generic-v1: the hub's own JSON for gates and doors (docs/contract.md §3),
 * normalised to device_health, access and alarm (docs/contract.md §4). See README.md beside this
 * file for payloads and the mapping table.
 */
import {
  access,
  alarm,
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
import { GATE_ALARMS, isOneOf } from '../../../src/normalise/vocabulary.ts';
import { accessSchema, alarmSchema, EVENT_TYPES, eventHeadSchema, telemetrySchema } from './schema.ts';

function telemetry(element: unknown): ModelResult {
  if (hasKey(element, 'type')) {
    return schemaReject('telemetry: carries "type", which marks an event; events belong on the event channel');
  }
  const p = parseElement(telemetrySchema, element, 'telemetry');
  if (!p.ok) return p.result;
  const r = p.data;
  return ok({
    timeMs: r.ts === undefined ? undefined : isoTimeMs(r.ts),
    points: deviceHealth({
      battery_pct: r.battery,
      door_open: r.door === undefined ? undefined : r.door === 'open',
      tamper: r.tamper,
    }),
  });
}

function event(element: unknown, ctx: ModelContext): ModelResult {
  const head = parseElement(eventHeadSchema, element, 'event');
  if (!head.ok) return head.result;
  const type = head.data.type;
  if (!isOneOf(EVENT_TYPES, type))
    return unknownCode(`event type ${quoteCode(type)} (known: ${EVENT_TYPES.join(', ')})`);
  if (type === 'access') {
    const p = parseElement(accessSchema, element, 'access');
    if (!p.ok) return p.result;
    const e = p.data;
    return ok({
      timeMs: isoTimeMs(e.ts),
      eventId: e.id,
      points: [
        access({
          result: e.result,
          method: e.method,
          direction: e.direction,
          subject: e.subject,
          household: e.household === undefined ? undefined : ctx.household(e.household),
          reason: e.reason,
        }),
      ],
    });
  }
  const p = parseElement(alarmSchema, element, 'alarm');
  if (!p.ok) return p.result;
  const e = p.data;
  if (!isOneOf(GATE_ALARMS, e.alarm))
    return unknownCode(`alarm ${quoteCode(e.alarm)} (known: ${GATE_ALARMS.join(', ')})`);
  return ok({ timeMs: isoTimeMs(e.ts), eventId: e.id, points: [alarm({ alarm: e.alarm, severity: e.severity })] });
}

const model: DeviceModel = {
  type: 'access-gate',
  model: 'generic-v1',
  description: 'Access gate or door, the hub’s generic JSON (ISO times, percent)',
  normalise: (channel, element, ctx) => (channel === 'telemetry' ? telemetry(element) : event(element, ctx)),
};

export default model;
