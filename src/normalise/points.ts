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
 * Build the points of an accepted element at `ms` — or, for a reading without a time, at its
 * arrival slot `stampNs` (stamp.ts) — or return a description of what is wrong with the model's
 * drafts (a model bug: the caller turns it into `normaliser_error`).
 *
 * Every accepted element also yields `device_health` with `heartbeat: true` (at the reading's time;
 * for an event at `ms` with no offset), so "heard in that hour" is one query (docs/contract.md
 * §4). For a reading it is merged into the reading's own `device_health` draft; for
 * an event it is a separate point.
 */
export function toPoints(value: Normalised, ms: number, origin: PointOrigin, stampNs?: string): Point[] | string {
  const { eventId } = value;
  const readingTime = stampNs ?? readingTimeNs(ms);
  const time = eventId === undefined ? readingTime : eventTimeNs(ms, origin.site, origin.device.id, eventId);
  const out: Point[] = [];
  let healthMerged = false;
  // Each draft is checked and copied in one pass, its tags and fields straight into the point's
  // own objects: spreading the draft's, then the common tags, showed in the hot-path profile
  // (docs/benchmarks-profile.md).
  for (const draft of value.points) {
    let added: Added | undefined;
    if (eventId !== undefined) added = ['event_id', eventId];
    else if (draft.measurement === 'device_health' && !healthMerged) {
      added = HEARTBEAT_FIELD;
      healthMerged = true;
    }
    const point = finish(draft, origin, time, added);
    if (typeof point === 'string') return point;
    out.push(point);
  }
  if (!healthMerged) out.push(finish(HEARTBEAT, origin, readingTime, HEARTBEAT_FIELD) as Point);
  return out;
}

/** A field the pipeline adds to a model's draft: `event_id`, or the heartbeat. */
type Added = readonly [key: string, value: FieldValue];
const HEARTBEAT_FIELD: Added = ['heartbeat', true];
/** The draft of the heartbeat an element without its own `device_health` gets. */
const HEARTBEAT: PointDraft = Object.freeze({ measurement: 'device_health', tags: {}, fields: {} });

/**
 * The point of a checked draft with the common tags (and `device_type` where the contract wants
 * it) and the pipeline's `added` field, or what is wrong with the draft.
 */
function finish(d: PointDraft, origin: PointOrigin, time: string, added: Added | undefined): Point | string {
  const { measurement } = d;
  if (typeof measurement !== 'string' || measurement === '') return 'empty measurement';
  const draftTags = d.tags;
  const draftFields = d.fields;
  if (!isRecord(draftTags) || !isRecord(draftFields)) return `${measurement}: tags and fields must be objects`;
  const tags: Record<string, string> = {};
  for (const k in draftTags) {
    if (!Object.hasOwn(draftTags, k)) continue;
    const v = draftTags[k];
    if ((COMMON_TAGS as readonly string[]).includes(k)) return `${measurement}: tag "${k}" is set by the pipeline`;
    if (typeof v !== 'string' || v === '') return `${measurement}: tag "${k}" must be a non-empty string`;
    tags[k] = v;
  }
  // In sorted order, as line protocol writes tags (store/line.ts): most points then need no
  // reordering there.
  const withType = tags.device_type === undefined && DEVICE_TYPE_MEASUREMENTS.has(measurement);
  tags.building = origin.device.building;
  tags.device = origin.device.id;
  if (withType) tags.device_type = origin.device.type;
  tags.gateway = origin.gateway;
  tags.site = origin.site;
  const fields: Record<string, FieldValue> = {};
  let count = 0;
  for (const k in draftFields) {
    if (!Object.hasOwn(draftFields, k)) continue;
    const v = draftFields[k];
    if (!isFieldValue(v)) return `${measurement}: field "${k}" must be a finite number, a boolean or a string`;
    fields[k] = v;
    count++;
  }
  if (added) fields[added[0]] = added[1];
  else if (count === 0) return `${measurement}: a point needs at least one field`;
  return { measurement, tags, fields, time };
}

function isFieldValue(v: unknown): v is FieldValue {
  return typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
