/**
 * zod schemas of waste-bin / generic-v1 (docs/contract.md §3). Units are already the contract's:
 * percent, kilograms, degrees Celsius; times are ISO 8601 with an offset.
 */
import { z } from 'zod';
import { celsius, eventId, isoTime, kilograms, percent, personalId } from '../../../src/normalise/blocks.ts';
import { BIN_AUTHS, CATEGORIES, SEVERITIES, SORTINGS } from '../../../src/normalise/vocabulary.ts';

const compartment = z.object({
  category: z.enum(CATEGORIES),
  fill: percent,
  weight: kilograms.optional(),
});

/** One reading. Every part is optional: `{}` is a heartbeat. */
export const telemetrySchema = z.object({
  ts: isoTime.optional(),
  battery: percent.optional(),
  temperature: celsius.optional(),
  compartments: z
    .array(compartment)
    .max(16)
    .refine((cs) => new Set(cs.map((c) => c.category)).size === cs.length, 'each category at most once per reading')
    .optional(),
});

/** The event types this model knows; another `type` is `unknown_event_code`. */
export const EVENT_TYPES = ['deposit', 'alarm'] as const;

/** What every event has, read first to pick the event schema. */
export const eventHeadSchema = z.object({ type: z.string() });

/** A deposit (投放). `household` is personal data: pseudonymised by the normaliser. */
export const depositSchema = z.object({
  id: eventId,
  ts: isoTime,
  type: z.literal('deposit'),
  household: personalId,
  category: z.enum(CATEGORIES),
  weight: kilograms,
  sorting: z.enum(SORTINGS),
  auth: z.enum(BIN_AUTHS),
});

/** An alarm. `alarm` is checked against the known alarms after parsing (unknown → `unknown_event_code`). */
export const alarmSchema = z.object({
  id: eventId,
  ts: isoTime,
  type: z.literal('alarm'),
  alarm: z.string().min(1).max(64),
  category: z.enum(CATEGORIES).optional(),
  severity: z.enum(SEVERITIES),
});
