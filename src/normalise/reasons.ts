/**
 * The catalogue of dead-letter reasons (docs/contract.md §2, 3 and 5): why a message, or one
 * element of a JSON array, was not turned into points. A rejected message is still acknowledged
 * and kept verbatim with its reason in the dead-letter store; the KPI reports count them by reason.
 *
 * This is the one place the reasons are defined; docs/contract.md §3 lists them
 * (test/readme.test.ts checks).
 */

/** Every dead-letter reason, with a one-line description. */
export const REJECT_REASONS = {
  bad_topic: 'the topic is not {root}/{site}/{gateway}/{device}/{telemetry|event} (or {root}/{site}/{gateway}/status)',
  unknown_device: 'the inventory does not place this device behind this gateway at this site',
  oversized:
    'the payload is larger than the configured maximum (maxPayloadBytes), or its points and payload would make a spool record larger than a spool frame may be',
  empty_payload: 'the payload is empty, only whitespace, or an empty JSON array',
  bad_json: 'the payload is not UTF-8 JSON',
  schema:
    "an element does not match its model's schema (missing or invalid field, wrong channel, an event without time)",
  unknown_event_code: 'an event carries a type or code the model does not know (e.g. a Hikvision minor code)',
  clock_skew: "the element's time is more than maxFutureSkewMs (default 5 minutes) ahead of the hub's clock",
  too_old: "the element's time is more than maxAgeMs (default 30 days) behind the hub's clock",
  normaliser_error: 'the device model threw or returned invalid points: a bug in the model; replay after the fix',
  bad_status: 'a status message is neither "online" nor "offline"',
  write_rejected:
    "InfluxDB refused the message's points (e.g. a field type conflict); its message is kept; not retried",
  spool_damaged:
    'bytes of the spool that could not be read back as records (a damaged stretch or a torn last record): copied to <dataDir>/quarantine/; not a message, never replayed',
} as const satisfies Record<string, string>;

/** A dead-letter reason. */
export type RejectReason = keyof typeof REJECT_REASONS;

/** Every reason, in catalogue order. */
export const REJECT_REASON_LIST = Object.keys(REJECT_REASONS) as RejectReason[];

/** True when `s` is a reason of the catalogue. */
export function isRejectReason(s: string): s is RejectReason {
  return Object.hasOwn(REJECT_REASONS, s);
}

/**
 * Why a message or an element was rejected.
 *
 * `detail` is for operators and logs: it names the field and the rule, never a field's value,
 * so it carries no personal data (docs/contract.md §3). `element` is the raw array element and may
 * hold personal data: it is for the dead-letter store only.
 */
export interface Reject {
  reason: RejectReason;
  /** Human-readable explanation, free of payload values. */
  detail: string;
  /** Index of the element in a JSON array payload; absent when the whole message is rejected. */
  index?: number;
  /** The raw array element (dead-letter store only; may contain personal data). */
  element?: unknown;
}
