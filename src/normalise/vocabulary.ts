/**
 * The normalised vocabulary of docs/contract.md §3: the values every model maps its own codes to.
 * They become tag values in InfluxDB (docs/contract.md §4), so they are fixed here once.
 */

/** Waste categories (GB/T 19095-2019): 厨余垃圾 / 可回收物 / 有害垃圾 / 其他垃圾. */
export const CATEGORIES = ['kitchen', 'recyclable', 'hazardous', 'residual'] as const;
export type Category = (typeof CATEGORIES)[number];

/** How a deposit was judged. */
export const SORTINGS = ['correct', 'incorrect', 'unchecked'] as const;
export type Sorting = (typeof SORTINGS)[number];

/** How a household identified itself at a waste station. */
export const BIN_AUTHS = ['card', 'qr', 'face', 'app'] as const;
export type BinAuth = (typeof BIN_AUTHS)[number];

/** Waste-station alarms. */
export const BIN_ALARMS = ['overflow', 'fire', 'tamper', 'jam'] as const;
export type BinAlarm = (typeof BIN_ALARMS)[number];

/** Alarm severities. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Access results. */
export const ACCESS_RESULTS = ['granted', 'denied'] as const;
export type AccessResult = (typeof ACCESS_RESULTS)[number];

/** Access methods. */
export const ACCESS_METHODS = ['card', 'face', 'qr', 'pin', 'remote'] as const;
export type AccessMethod = (typeof ACCESS_METHODS)[number];

/** Access directions. */
export const DIRECTIONS = ['in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Who passed (or tried to). */
export const SUBJECTS = ['resident', 'visitor', 'staff', 'unknown'] as const;
export type Subject = (typeof SUBJECTS)[number];

/** Why access was denied. */
export const DENY_REASONS = ['no_permission', 'invalid_credential', 'expired', 'blacklisted'] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** Gate alarms. */
export const GATE_ALARMS = ['forced_open', 'held_open', 'tailgating', 'climbing', 'tamper'] as const;
export type GateAlarm = (typeof GATE_ALARMS)[number];

/** True when `value` is one of `list` (narrows a string read from a payload). */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
