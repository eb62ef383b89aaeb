/**
 * Model drafts → InfluxDB points (docs/contract.md §4): common tags, device_type, event_id, the
 * heartbeat, point keys, and a check of what the model returned.
 */
import type { DeviceInfo } from '../config/inventory.ts';
import type { FieldValue, Point } from '../point.ts';
import { eventTimeNs, readingTimeNs } from './key.ts';
import type { Normalised, PointDraft } from './model.ts';

/** Tags the pipeline sets on every device point; a model must not set them. */
export const COMMON_TAGS = ['site', 'gateway', 'device', 'building'] as const;

/** Measurements whose tags include `device_type` (docs/contract.md §4). */
export const DEVICE_TYPE_MEASUREMENTS: ReadonlySet<string> = new Set(['device_health', 'alarm']);

/** Where the points come from. */
export interface PointOrigin {
  site: string;
  gateway: string;
  device: DeviceInfo;
}

/**
 * Build the points of an accepted element stamped at `ms` (plus `stampedIndex` ns for a reading of
 * an array stamped on arrival, see key.ts), or return a description of what is
 * wrong with the model's drafts (a model bug: the caller turns it into `normaliser_error`).
 *
 * Every accepted element also yields `device_health` with `heartbeat: true` (at the reading's time;
 * for an event at `ms` with no offset), so "heard in that hour" is one query (docs/contract.md
 * §4). For a reading it is merged into the reading's own `device_health` draft; for
 * an event it is a separate point.
 */
export function toPoints(value: Normalised, ms: number, origin: PointOrigin, stampedIndex = 0): Point[] | string {
  const common: Record<string, string> = {
    site: origin.site,
    gateway: origin.gateway,
    device: origin.device.id,
    building: origin.device.building,
  };
  const { eventId } = value;
  const eventTime = eventId === undefined ? undefined : eventTimeNs(ms, origin.site, origin.device.id, eventId);
  const readingTime = readingTimeNs(ms, stampedIndex);
  const out: Point[] = [];
  let healthMerged = false;
  for (const draft of value.points) {
    const d: PointDraft = { measurement: draft.measurement, tags: { ...draft.tags }, fields: { ...draft.fields } };
    if (eventId !== undefined) d.fields.event_id = eventId;
    else if (d.measurement === 'device_health' && !healthMerged) {
      d.fields.heartbeat = true;
      healthMerged = true;
    }
    const problem = checkDraft(d);
    if (problem) return problem;
    out.push(finish(d, common, origin.device.type, eventTime ?? readingTime));
  }
  if (!healthMerged) {
    out.push(
      finish(
        { measurement: 'device_health', tags: {}, fields: { heartbeat: true } },
        common,
        origin.device.type,
        readingTime,
      ),
    );
  }
  return out;
}

function finish(d: PointDraft, common: Record<string, string>, deviceType: string, time: string): Point {
  const tags = { ...d.tags, ...common };
  if (DEVICE_TYPE_MEASUREMENTS.has(d.measurement) && tags.device_type === undefined) tags.device_type = deviceType;
  return { measurement: d.measurement, tags, fields: d.fields, time };
}

function checkDraft(d: PointDraft): string | undefined {
  if (typeof d.measurement !== 'string' || d.measurement === '') return 'empty measurement';
  for (const [k, v] of Object.entries(d.tags)) {
    if ((COMMON_TAGS as readonly string[]).includes(k)) return `${d.measurement}: tag "${k}" is set by the pipeline`;
    if (typeof v !== 'string' || v === '') return `${d.measurement}: tag "${k}" must be a non-empty string`;
  }
  const fields = Object.entries(d.fields);
  if (fields.length === 0) return `${d.measurement}: a point needs at least one field`;
  for (const [k, v] of fields) {
    if (!isFieldValue(v)) return `${d.measurement}: field "${k}" must be a finite number, a boolean or a string`;
  }
  return undefined;
}

function isFieldValue(v: unknown): v is FieldValue {
  return typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}
