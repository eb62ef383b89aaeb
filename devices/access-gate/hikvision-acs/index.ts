/**
 * access-gate / hikvision-acs: an access controller's `AccessControllerEvent` push (contract
 * section 3), normalised to access and alarm (docs/contract.md §4); minor code 0x83 is a heartbeat,
 * stored as the device_health heartbeat. See README.md beside this file for the mapping table.
 *
 * The controller has one push format, so the channel does not matter: a push is read the same on
 * `telemetry` and `event`.
 */
import {
  access,
  alarm,
  isoTimeMs,
  ok,
  parseElement,
  quoteCode,
  schemaReject,
  unknownCode,
} from '../../../src/normalise/blocks.ts';
import type { DeviceModel, ModelContext, ModelResult } from '../../../src/normalise/model.ts';
import { isOneOf } from '../../../src/normalise/vocabulary.ts';
import { EVENT_TYPES, headSchema, MAJOR_EVENT, MINOR_CODES, pushSchema } from './schema.ts';

/** `0x4b (75)`: how codes are named in reject details. */
const hex = (n: number): string => `0x${n.toString(16)} (${n})`;

function normalise(element: unknown, ctx: ModelContext): ModelResult {
  const head = parseElement(headSchema, element, 'push');
  if (!head.ok) return head.result;
  if (!isOneOf(EVENT_TYPES, head.data.eventType)) {
    return unknownCode(`eventType ${quoteCode(head.data.eventType)} (known: ${EVENT_TYPES.join(', ')})`);
  }
  const p = parseElement(pushSchema, element, 'push');
  if (!p.ok) return p.result;
  const push = p.data;
  const e = push.AccessControllerEvent;
  if (e.majorEventType !== MAJOR_EVENT)
    return unknownCode(`majorEventType ${hex(e.majorEventType)} (known: ${MAJOR_EVENT})`);
  const meaning = MINOR_CODES.get(e.subEventType);
  if (!meaning) return unknownCode(`subEventType ${hex(e.subEventType)} is not a known minor code`);
  const timeMs = push.dateTime === undefined ? undefined : isoTimeMs(push.dateTime);
  // 0x83: the gate is alive. Telemetry with nothing but the heartbeat the pipeline adds.
  if (meaning.kind === 'heartbeat') return ok({ timeMs, points: [] });
  if (timeMs === undefined) return schemaReject('push: dateTime is required for an access or alarm event');
  if (e.serialNo === undefined)
    return schemaReject('push: AccessControllerEvent.serialNo is required for an access or alarm event');
  const eventId = String(e.serialNo);
  if (meaning.kind === 'alarm')
    return ok({ timeMs, eventId, points: [alarm({ alarm: meaning.alarm, severity: meaning.severity })] });
  const employee = e.employeeNoString ? e.employeeNoString : undefined;
  const card = e.cardNo ? e.cardNo : undefined;
  return ok({
    timeMs,
    eventId,
    points: [
      access({
        result: meaning.result,
        method: meaning.method,
        // checkOut → out; checkIn and anything else → in (docs/contract.md §3).
        direction: e.attendanceStatus === 'checkOut' ? 'out' : 'in',
        // The controller knows people, not roles: a person on file is a resident, else unknown.
        subject: employee === undefined ? 'unknown' : 'resident',
        household: employee === undefined ? undefined : ctx.household(employee),
        credential: card === undefined ? undefined : ctx.pseudonymise(card),
        reason: meaning.reason,
      }),
    ],
  });
}

const model: DeviceModel = {
  type: 'access-gate',
  model: 'hikvision-acs',
  description: 'Access controller event push (AccessControllerEvent, major 5, minor codes incl. 0x83 heartbeat)',
  normalise: (_channel, element, ctx) => normalise(element, ctx),
};

export default model;
