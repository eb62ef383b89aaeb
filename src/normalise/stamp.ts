/**
 * Arrival stamps: point keys for what carries no time of its own — readings without a time and
 * gateway status (docs/contract.md §4, devices/README.md "Point keys").
 *
 * InfluxDB identifies a point by measurement, tag set and nanosecond time, and a second write of
 * the same key overwrites the first. Stamping with the arrival millisecond alone made readings of
 * one device that arrived in the same millisecond (a `mosquitto_pub -l` burst, HTTP ingest in
 * parallel) overwrite each other although each had been acknowledged. So every message gets a
 * block of *slots* — one per array element — from a per-series sequence in the six digits below
 * the millisecond: element `i` of a message whose block starts at `first` lands at `slotNs(first, i)`.
 *
 * - Slots of one series never repeat within a process: a new millisecond starts the sequence
 *   again at `firstOffset`; the same millisecond (or a clock that stepped back) continues where
 *   the last block ended, spilling into the following milliseconds when a millisecond is full.
 *   After a backward clock step stamps therefore run slightly ahead of the clock until it catches
 *   up — a reading's time a little late is chosen over an acknowledged reading lost.
 * - Readings start at offset 1: offset 0 is where a reading with its own time lands (key.ts), so a
 *   time-less reading never overwrites a timed one of the same millisecond. Status points have no
 *   timed peers and start at 0.
 * - The block is kept with the message (dead letter, spool record), so a replay of a dead letter
 *   lands on the slots the first try reserved: replaying twice overwrites rather than duplicates.
 * - A time-less reading *sent again* (a gateway's resend after a lost PUBACK) is a new message and
 *   gets new slots: it is stored twice. Without a time or an id the hub cannot tell a resend from a
 *   new reading; a gateway that needs exactly-once sends the reading's time.
 * - State is in memory, one entry per series (bounded by the inventory). A restart begins afresh,
 *   which is safe because the next run's arrivals come in later milliseconds — unless the wall
 *   clock was set back across the restart (stated, not guarded).
 */
import { nsFromMs } from '../point.ts';

/** The first slot of a message's block: a millisecond and an offset in [0, 10⁶) within it. */
export interface Stamp {
  ms: number;
  offset: number;
}

const SLOTS_PER_MS = 1_000_000;

/** Nanosecond time string of slot `index` of the block starting at `first`. */
export function slotNs(first: Stamp, index: number): string {
  const s = slotAt(first, index);
  return nsFromMs(s.ms, s.offset);
}

/**
 * The slot `index` places after `first`: within `first.ms` while it fits, then on into the
 * following milliseconds, skipping their offset 0 (left to timed readings).
 */
export function slotAt(first: Stamp, index: number): Stamp {
  const within = first.offset + index;
  if (within < SLOTS_PER_MS) return { ms: first.ms, offset: within };
  const beyond = within - SLOTS_PER_MS;
  const perMs = SLOTS_PER_MS - 1;
  return { ms: first.ms + 1 + Math.floor(beyond / perMs), offset: 1 + (beyond % perMs) };
}

/** A per-series sequence of arrival slots (see the file comment). */
export class ArrivalStamps {
  private readonly next = new Map<string, Stamp>();
  private readonly firstOffset: number;

  /** @param firstOffset where a new millisecond's sequence starts: 1 for readings, 0 for status. */
  constructor(firstOffset: number) {
    if (!Number.isInteger(firstOffset) || firstOffset < 0 || firstOffset >= SLOTS_PER_MS)
      throw new RangeError(`firstOffset must be an integer in [0, 1e6), got ${firstOffset}`);
    this.firstOffset = firstOffset;
  }

  /** Reserve `count` (≥ 1) slots of `series` for a message received at `receivedAt` (epoch ms). */
  reserve(series: string, receivedAt: number, count: number): Stamp {
    const ms = Math.floor(receivedAt);
    const last = this.next.get(series);
    const first = last === undefined || ms > last.ms ? { ms, offset: this.firstOffset } : last;
    this.next.set(series, slotAt(first, Math.max(1, count)));
    return first;
  }
}
