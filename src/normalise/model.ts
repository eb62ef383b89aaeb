/**
 * What a device model folder (`devices/<type>/<model>/index.ts`) exports: a pure function from
 * one decoded payload element to measurements, or a rejection. Time rules, point keys, common tags
 * and arrays are handled once by the ingest pipeline, not by each model.
 */
import type { DeviceType } from '../config/inventory.ts';
import type { FieldValue } from '../point.ts';
import type { RejectReason } from './reasons.ts';

/** MQTT topic channel (docs/contract.md §2). */
export type Channel = 'telemetry' | 'event';

/** A measurement without the common tags (site, gateway, device, building) and without time. */
export interface PointDraft {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
}

/**
 * One normalised element: a reading or an event.
 *
 * `points` may be empty (a heartbeat, a reading with nothing to store): the pipeline always adds a
 * `device_health` point with `heartbeat: true` for an accepted element (docs/contract.md
 * §4), so device availability can be computed.
 */
export interface Normalised {
  /** Epoch milliseconds from the payload; undefined means "stamp on arrival" (docs/contract.md §3). */
  timeMs?: number;
  /**
   * The event id, set for events only. Its points are keyed by it so a replay lands on the same
   * point (docs/contract.md §4), and the pipeline adds it as the `event_id` field. An event needs
   * `timeMs`.
   */
  eventId?: string;
  points: PointDraft[];
}

/** Why a model refused an element; these are dead-letter reasons (reasons.ts). */
export type ModelRejectReason = Extract<RejectReason, 'schema' | 'unknown_event_code'>;

/** What a model's `normalise` returns for one element. */
export type ModelResult = { ok: true; value: Normalised } | { ok: false; reason: ModelRejectReason; detail: string };

/** Services a model may use. */
export interface ModelContext {
  /** Keyed HMAC pseudonym of a credential id, as sent (docs/contract.md §3). */
  pseudonymise(raw: string): string;
  /**
   * Keyed HMAC pseudonym of a household id after the household id rule (NFKC, trim, upper-case;
   * src/pseudonym.ts `normaliseHouseholdId`), the same as for roster households.
   */
  household(raw: string): string;
}

/** A device model: one folder under `devices/`. */
export interface DeviceModel {
  type: DeviceType;
  /** The inventory's `model` value, equal to the folder name. */
  model: string;
  /** One line for logs and `--help`. */
  description: string;
  /** Pure: one decoded JSON element (never an array) of `channel` → points, or a rejection. */
  normalise(channel: Channel, element: unknown, ctx: ModelContext): ModelResult;
}
