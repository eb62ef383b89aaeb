/**
 * Small building blocks for device models, in the manner of zigbee-herdsman-converters' `modernExtend`:
 * shared zod pieces with the contract's units, builders of the measurements of docs/contract.md §4,
 * and result helpers. A model folder is then mostly data: its schema and a mapping.
 */
import { z } from 'zod';
import type { FieldValue } from '../point.ts';
import type { ModelResult, Normalised, PointDraft } from './model.ts';
import type {
  AccessMethod,
  AccessResult,
  BinAuth,
  Category,
  DenyReason,
  Direction,
  Severity,
  Sorting,
  Subject,
} from './vocabulary.ts';

// ---- zod pieces (units of docs/contract.md §3) -------------------------------------------------

/** ISO 8601 time with `Z` or an offset: a local time without offset is ambiguous and refused. */
export const isoTime = z.iso.datetime({ offset: true });
/** Percent, 0–100. */
export const percent = z.number().min(0).max(100);
/** Kilograms, 0–10 000 (a waste station, not a truck scale). */
export const kilograms = z.number().min(0).max(10_000);
/** Degrees Celsius in the range a street-side box can see. */
export const celsius = z.number().min(-60).max(120);
/** An event id as sent by a device: a non-empty string of at most 128 characters. */
export const eventId = z.string().min(1).max(128);
/** A household or credential id, before pseudonymisation. */
export const personalId = z.string().min(1).max(128);

/** Epoch milliseconds of an `isoTime` string. */
export function isoTimeMs(s: string): number {
  return Date.parse(s);
}

// ---- results ------------------------------------------------------------------------------------

/** An accepted element. */
export function ok(value: Normalised): ModelResult {
  return { ok: true, value };
}

/** A schema rejection. `detail` must not contain payload values (reasons.ts). */
export function schemaReject(detail: string): ModelResult {
  return { ok: false, reason: 'schema', detail };
}

/** An unknown event type or code. The code itself may be named: it is not personal data. */
export function unknownCode(detail: string): ModelResult {
  return { ok: false, reason: 'unknown_event_code', detail };
}

/**
 * Validate `element` with `schema`. On failure the result is a schema rejection whose detail lists
 * the paths and rules broken (zod's messages name expectations, never the received values).
 */
export function parseElement<S extends z.ZodType>(
  schema: S,
  element: unknown,
  what: string,
): { ok: true; data: z.output<S> } | { ok: false; result: ModelResult } {
  const r = schema.safeParse(element);
  if (r.success) return { ok: true, data: r.data };
  const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = r.error.issues.length > 5 ? ` (+${r.error.issues.length - 5} more)` : '';
  return { ok: false, result: schemaReject(`${what}: ${issues.join('; ')}${more}`) };
}

/** A device's code quoted for a reject detail: codes are not personal data, but keep them short. */
export function quoteCode(code: unknown): string {
  if (typeof code === 'number' || typeof code === 'boolean') return String(code);
  const s = typeof code === 'string' ? code : (JSON.stringify(code) ?? String(code));
  return JSON.stringify(s.length > 32 ? `${s.slice(0, 32)}…` : s);
}

/** True when `element` is a JSON object that has `key`: used to refuse an event on the telemetry channel. */
export function hasKey(element: unknown, key: string): boolean {
  return typeof element === 'object' && element !== null && !Array.isArray(element) && Object.hasOwn(element, key);
}

// ---- measurements (docs/contract.md §4) ----------------------------------------------------------

/** Drop undefined fields. */
function fields(f: Record<string, FieldValue | undefined>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const k in f) {
    const v = f[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** `device_health` with the fields present; none when the reading carries no health field. */
export function deviceHealth(f: {
  battery_pct?: number;
  temperature_c?: number;
  door_open?: boolean;
  tamper?: boolean;
}): PointDraft[] {
  const fl = fields(f);
  return Object.keys(fl).length ? [{ measurement: 'device_health', tags: {}, fields: fl }] : [];
}

/** `bin_level` of one compartment. */
export function binLevel(category: Category, fillPct: number, weightKg?: number): PointDraft {
  return { measurement: 'bin_level', tags: { category }, fields: fields({ fill_pct: fillPct, weight_kg: weightKg }) };
}

/** `deposit`: `household` must already be a pseudonym. The pipeline adds `event_id`. */
export function deposit(d: {
  category: Category;
  sorting: Sorting;
  auth: BinAuth;
  household: string;
  weightKg: number;
}): PointDraft {
  return {
    measurement: 'deposit',
    tags: { category: d.category, sorting: d.sorting, auth: d.auth },
    fields: { household: d.household, weight_kg: d.weightKg },
  };
}

/** `access`: `household` and `credential` must already be pseudonyms. The pipeline adds `event_id`. */
export function access(a: {
  result: AccessResult;
  method: AccessMethod;
  direction: Direction;
  subject: Subject;
  household?: string;
  credential?: string;
  reason?: DenyReason;
}): PointDraft {
  return {
    measurement: 'access',
    tags: { result: a.result, method: a.method, direction: a.direction, subject: a.subject },
    fields: fields({ household: a.household, credential: a.credential, reason: a.reason }),
  };
}

/** `alarm` (waste-station or gate). The pipeline adds `device_type` and `event_id`. */
export function alarm(a: { alarm: string; severity: Severity; category?: Category }): PointDraft {
  return {
    measurement: 'alarm',
    tags: { alarm: a.alarm, severity: a.severity },
    fields: fields({ category: a.category }),
  };
}
