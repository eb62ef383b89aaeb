/**
 * zod schema and minor-code table of access-gate / hikvision-acs: an access controller's event push
 * (docs/contract.md §3). Codes arrive as numbers (`75`) or as strings, decimal (`"75"`) or hex
 * (`"0x4b"`); both forms are accepted.
 */
import { z } from 'zod';
import { isoTime } from '../../../src/normalise/blocks.ts';
import type { AccessMethod, AccessResult, DenyReason, GateAlarm, Severity } from '../../../src/normalise/vocabulary.ts';

/** A code as a non-negative integer, from a number or a decimal or `0x` hex string. */
const code = z.union(
  [
    z.number().int().min(0),
    z
      .string()
      .regex(/^(0[xX][0-9a-fA-F]{1,8}|\d{1,10})$/)
      .transform((s) => Number(s)),
  ],
  { error: 'must be a non-negative integer, or a string of one in decimal or 0x-hex' },
);

/** The major type of an event (docs/contract.md §3: 5 is an event). */
export const MAJOR_EVENT = 5;

/** What a minor code means. */
export type MinorMeaning =
  | { kind: 'access'; result: AccessResult; method: AccessMethod; reason?: DenyReason }
  | { kind: 'alarm'; alarm: GateAlarm; severity: Severity }
  | { kind: 'heartbeat' };

/**
 * Minor codes (`subEventType`) of major type 5, from docs/contract.md §3. Severities are the hub's
 * choice (the controller sends none): forced entry and climbing are critical, the rest warnings.
 * 0x4c (face denied) carries no reason: the controller does not say why.
 */
export const MINOR_CODES: ReadonlyMap<number, MinorMeaning> = new Map<number, MinorMeaning>([
  [0x01, { kind: 'access', result: 'granted', method: 'card' }],
  [0x06, { kind: 'access', result: 'denied', method: 'card', reason: 'no_permission' }],
  [0x09, { kind: 'access', result: 'denied', method: 'card', reason: 'invalid_credential' }],
  [0x4b, { kind: 'access', result: 'granted', method: 'face' }],
  [0x4c, { kind: 'access', result: 'denied', method: 'face' }],
  [0x9c, { kind: 'access', result: 'granted', method: 'qr' }],
  [0x400, { kind: 'access', result: 'granted', method: 'remote' }],
  [0x1b, { kind: 'alarm', alarm: 'forced_open', severity: 'critical' }],
  [0x1c, { kind: 'alarm', alarm: 'held_open', severity: 'warning' }],
  [0x85, { kind: 'alarm', alarm: 'tailgating', severity: 'warning' }],
  [0x88, { kind: 'alarm', alarm: 'climbing', severity: 'critical' }],
  [0x83, { kind: 'heartbeat' }],
]);

/** The event types this model knows; another `eventType` is `unknown_event_code`. */
export const EVENT_TYPES = ['AccessControllerEvent'] as const;

/** What every push has, read first. */
export const headSchema = z.object({ eventType: z.string() });

/** An `AccessControllerEvent` push. `employeeNoString` and `cardNo` are personal data. */
export const pushSchema = z.object({
  ipAddress: z.string().max(64).optional(),
  /** Required for access and alarm events; a heartbeat without it is stamped on arrival. */
  dateTime: isoTime.optional(),
  eventType: z.literal('AccessControllerEvent'),
  AccessControllerEvent: z.object({
    majorEventType: code,
    subEventType: code,
    /** The event id; required for access and alarm events. */
    serialNo: z
      .union([z.number().int().min(0), z.string().regex(/^\d{1,20}$/)], {
        error: 'must be a non-negative integer or a string of one',
      })
      .optional(),
    employeeNoString: z.string().max(128).optional(),
    cardNo: z.string().max(128).optional(),
    currentVerifyMode: z.string().max(64).optional(),
    attendanceStatus: z.string().max(64).optional(),
  }),
});
