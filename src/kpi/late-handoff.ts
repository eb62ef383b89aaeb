/**
 * Late data taken by a hub that does not hold the KPI lease (docs/operations.md, "Several hubs: one
 * KPI scheduler"): its marks (late.ts) are handed to the holder through Redis rather than waiting
 * until this hub holds the lease. A mark is handed over only once it is ready, i.e. once this hub's
 * own drainer has written the data past it into InfluxDB, and forgotten here only once Redis took
 * it; the holder adds what it takes to its own marks and recomputes them as it does its own.
 */
import type { Inventory } from '../config/inventory.ts';
import type { Logger } from '../log.ts';
import type { LateMarks } from './late.ts';
import { periodOf, type PeriodKind } from './period.ts';

/** A site-period handed over: the site, the period kind and its first day. */
export interface HandedMark {
  site: string;
  kind: PeriodKind;
  date: string;
}

/** Where hubs hand marks to the lease holder (the lease's Redis set); both reject when unreachable. */
export interface MarksHandOff {
  /** Adds the marks to the shared set (a set: the same site-period twice is one mark). */
  push(marks: readonly HandedMark[]): Promise<void>;
  /** Removes and returns at most `limit` marks of the set. */
  take(limit: number): Promise<HandedMark[]>;
}

/** Hands this hub's ready marks (at most `limit`) over; returns how many. Failures are logged. */
export async function handOver(marks: LateMarks, to: MarksHandOff, limit: number, log: Logger): Promise<number> {
  const ready = marks.ready(limit);
  if (ready.length === 0) return 0;
  try {
    await to.push(ready.map((m) => ({ site: m.site, kind: m.period.kind, date: m.period.date })));
  } catch (err) {
    log.warn({ err, marks: ready.length }, 'could not hand late-data marks to the KPI lease holder; tried again later');
    return 0;
  }
  for (const m of ready) marks.done(m);
  log.info({ marks: ready.length }, 'late-data marks handed to the KPI lease holder');
  return ready.length;
}

/** Adds at most `limit` handed-over marks to this hub's (the holder's); returns how many were new. */
export async function takeOver(
  marks: LateMarks,
  from: MarksHandOff,
  o: { inventory: Inventory; kinds: readonly PeriodKind[]; limit: number; log: Logger },
): Promise<number> {
  let taken: HandedMark[];
  try {
    taken = await from.take(o.limit);
  } catch (err) {
    o.log.warn({ err }, 'could not take the late-data marks other hubs handed over; tried again later');
    return 0;
  }
  let added = 0;
  for (const m of taken) {
    const tz = o.inventory.site(m.site)?.timezone;
    // A site gone from the inventory, or a kind this hub does not compute: nothing to recompute.
    if (tz === undefined || !o.kinds.includes(m.kind)) continue;
    if (marks.add(m.site, periodOf(m.kind, m.date, tz))) added++;
  }
  if (taken.length > 0) o.log.info({ taken: taken.length, added }, 'late-data marks taken over from other hubs');
  return added;
}
