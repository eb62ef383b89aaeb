/**
 * Point keys for events (docs/contract.md §4): an event lands at its event time; a replayed event
 * (same device, same id) lands on the same point; two different events must not overwrite each
 * other, even within one millisecond.
 *
 * InfluxDB identifies a point by measurement, tag set and nanosecond time. Payload times have at
 * most millisecond precision, so the six digits below the millisecond are free: an event is
 * stamped at `eventMs × 10⁶ + offset`, where `offset` ∈ [0, 10⁶) is derived from SHA-256 of
 * (site, device, event id). It needs no state, survives restarts and is the same on replay.
 *
 * Residual risk, stated honestly: two *different* events of one device in the *same* millisecond,
 * with the same measurement and tag set, overwrite each other when their offsets coincide. For two
 * such events the chance is 1 in 10⁶; for k events in one millisecond about k² / (2 × 10⁶). Events
 * of a device come seconds apart in practice, so this needs a gateway that batches with truncated
 * times; it is accepted rather than keeping per-device state. A replay with a *changed* time is,
 * by this rule, a different point.
 */
import { createHash } from 'node:crypto';
import { nsFromMs } from '../point.ts';

/** Sub-millisecond offset in nanoseconds, in [0, 10⁶), for an event of `device` at `site` with id `eventId`. */
export function eventOffsetNs(site: string, device: string, eventId: string): number {
  const digest = createHash('sha256').update(`${site}\u0000${device}\u0000${eventId}`, 'utf8').digest();
  // 48 bits reduced modulo 10⁶: the bias (< 10⁻⁸) is irrelevant here.
  return digest.readUIntBE(0, 6) % 1_000_000;
}

/** Nanosecond time string of an event's points. */
export function eventTimeNs(eventMs: number, site: string, device: string, eventId: string): string {
  return nsFromMs(eventMs, eventOffsetNs(site, device, eventId));
}

/**
 * Nanosecond time string of a reading with its own time: offset 0, one reading per series and
 * millisecond, the same key on every resend. Readings without a time take arrival slots instead
 * (stamp.ts), which start at offset 1 and so never land on this key.
 */
export function readingTimeNs(ms: number): string {
  return nsFromMs(ms, 0);
}
