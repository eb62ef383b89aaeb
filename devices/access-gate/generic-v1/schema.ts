/**
 * zod schemas of access-gate / generic-v1 (docs/contract.md §3): the hub's own JSON for gates and
 * doors. Times are ISO 8601 with an offset; battery in percent.
 */
import { z } from 'zod';
import { eventId, isoTime, percent, personalId } from '../../../src/normalise/blocks.ts';
import {
  ACCESS_METHODS,
  ACCESS_RESULTS,
  DENY_REASONS,
  DIRECTIONS,
  SEVERITIES,
  SUBJECTS,
} from '../../../src/normalise/vocabulary.ts';

/** One reading. Every part is optional: `{}` is a heartbeat. */
export const telemetrySchema = z.object({
  ts: isoTime.optional(),
  door: z.enum(['open', 'closed']).optional(),
  tamper: z.boolean().optional(),
  battery: percent.optional(),
});

/** The event types this model knows; another `type` is `unknown_event_code`. */
export const EVENT_TYPES = ['access', 'alarm'] as const;

/** What every event has, read first to pick the event schema. */
export const eventHeadSchema = z.object({ type: z.string() });

/** An access attempt. `household` is personal data: pseudonymised by the normaliser. */
export const accessSchema = z
  .object({
    id: eventId,
    ts: isoTime,
    type: z.literal('access'),
    result: z.enum(ACCESS_RESULTS),
    method: z.enum(ACCESS_METHODS),
    direction: z.enum(DIRECTIONS),
    subject: z.enum(SUBJECTS),
    household: personalId.optional(),
    reason: z.enum(DENY_REASONS).optional(),
  })
  .refine((a) => a.reason === undefined || a.result === 'denied', {
    message: 'only a denied access has a reason',
    path: ['reason'],
  });

/** An alarm. `alarm` is checked against the known alarms after parsing (unknown → `unknown_event_code`). */
export const alarmSchema = z.object({
  id: eventId,
  ts: isoTime,
  type: z.literal('alarm'),
  alarm: z.string().min(1).max(64),
  severity: z.enum(SEVERITIES),
});
