/**
 * Late data (src/kpi/README.md, "Late data and backfill"; docs/contract.md §5): the site-periods
 * that data accepted after their computation has touched, to be recomputed once that data is in
 * InfluxDB.
 *
 * A mark is a set member (site, kind, first day): a backlog touching one period a thousand times is
 * one recompute, and many periods are recomputed a few at a time by the scheduler. Each mark holds
 * the spool position taken when it was last touched (opaque here: {@link WrittenProgress}); it is
 * ready once the drainer has written past it. Waiting for that position, not for an idle drainer,
 * is what lets a mark be served under steady load.
 *
 * The marks outlive a restart: `<dataDir>/kpi/late-marks.json`, rewritten whenever the set changes
 * (tmp + fsync + rename, then the folder synced), never on a mere position update. After a restart
 * a loaded mark waits for the position the spool had then (what the earlier run left is replayed).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Inventory } from '../config/inventory.ts';
import type { Logger } from '../log.ts';
import { periodAt, periodOf, type Period, type PeriodKind } from './period.ts';

/** How far the data accepted so far has reached InfluxDB (the hub wires the spool drainer). */
export interface WrittenProgress {
  /** An opaque position: the end of what has been accepted so far. */
  position(): unknown;
  /** True once everything before `position` is in InfluxDB. */
  written(position: unknown): boolean;
}

/** Data is in InfluxDB as soon as it is accepted (no spool: tests, `kpi compute`). */
export const WRITTEN_AT_ONCE: WrittenProgress = { position: () => null, written: () => true };

/** One marked site-period. */
export interface LateMark {
  readonly site: string;
  readonly period: Period;
  /** The position of the last data that touched it. */
  readonly position: unknown;
}

const FORMAT = 'community-hub-kpi-marks/1';

interface MarksFile {
  format: string;
  marks: Array<{ site: string; kind: PeriodKind; date: string }>;
}

/** Options of {@link LateMarks}. */
export interface LateMarksOptions {
  /** The marks file; none: in memory only. */
  file?: string;
  inventory: Inventory;
  /** The kinds of `kpi.periods`. */
  kinds: readonly PeriodKind[];
  progress: WrittenProgress;
  now: () => number;
  logger: Logger;
}

/** See the file comment. */
export class LateMarks {
  readonly #o: LateMarksOptions;
  readonly #marks = new Map<string, { site: string; period: Period; position: unknown }>();
  /** Per site and kind, the last period looked up: consecutive times mostly fall in the same one. */
  readonly #recent = new Map<string, Period>();
  #dirty = false;
  #writing: Promise<void> | undefined;

  constructor(o: LateMarksOptions) {
    this.#o = o;
    this.#load();
  }

  get size(): number {
    return this.#marks.size;
  }

  /**
   * Data of `site` at `times` (epoch ms) was accepted: mark each period it falls in, of every kind,
   * that is not running now (the running one is refreshed at every tick anyway) and has started.
   */
  note(site: string, times: readonly number[]): void {
    const tz = this.#o.inventory.site(site)?.timezone;
    if (tz === undefined || times.length === 0) return;
    const now = this.#o.now();
    let position: unknown;
    let added = false;
    for (const kind of this.#o.kinds) {
      const current = this.#period(`${site}\u0000${kind}\u0000now`, kind, now, tz);
      for (const t of times) {
        if (t >= current.startMs) continue; // the running period, or ahead of the clock (drift)
        const p = this.#period(`${site}\u0000${kind}`, kind, t, tz);
        position ??= this.#o.progress.position();
        added = this.#put(site, p, position) || added;
      }
    }
    if (added) this.#save();
  }

  /** Mark `period` of `site` (the backfill); true when it was not marked yet. */
  add(site: string, period: Period): boolean {
    const added = this.#put(site, period, this.#o.progress.position());
    if (added) this.#save();
    return added;
  }

  /** At most `limit` marks whose data is in InfluxDB, oldest period first. */
  ready(limit: number): LateMark[] {
    const out: LateMark[] = [];
    const byAge = [...this.#marks.values()].sort((a, b) => a.period.startMs - b.period.startMs);
    for (const m of byAge) {
      if (out.length >= limit) break;
      if (this.#o.progress.written(m.position)) out.push({ ...m });
    }
    return out;
  }

  /**
   * `mark` was recomputed: forget it, unless data touched it again meanwhile (its position moved),
   * in which case it stays for another recompute.
   */
  done(mark: LateMark): void {
    const k = key(mark.site, mark.period);
    if (this.#marks.get(k)?.position !== mark.position) return;
    this.#marks.delete(k);
    this.#save();
  }

  /** Resolves once the file holds the current set. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** The period of `kind` holding `ms`, through the cache entry `k`. */
  #period(k: string, kind: PeriodKind, ms: number, tz: string): Period {
    const p = this.#recent.get(k);
    if (p && ms >= p.startMs && ms < p.endMs) return p;
    const fresh = periodAt(kind, ms, tz);
    this.#recent.set(k, fresh);
    return fresh;
  }

  #put(site: string, period: Period, position: unknown): boolean {
    const k = key(site, period);
    const m = this.#marks.get(k);
    if (m) {
      m.position = position; // positions only grow: the latest is the one to wait for
      return false;
    }
    this.#marks.set(k, { site, period, position });
    return true;
  }

  #load(): void {
    const file = this.#o.file;
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return;
    }
    let parsed: MarksFile;
    try {
      parsed = JSON.parse(text) as MarksFile;
      if (parsed.format !== FORMAT || !Array.isArray(parsed.marks)) throw new Error(`not ${FORMAT}`);
    } catch (err) {
      // Written atomically, so only a hand-edit gets here; the start's backfill finds what it lost.
      this.#o.logger.error({ err, file }, 'KPI late-data marks unreadable; ignored (the backfill recomputes)');
      return;
    }
    const position = this.#o.progress.position();
    for (const m of parsed.marks) {
      const tz = this.#o.inventory.site(m.site)?.timezone;
      if (tz === undefined || !this.#o.kinds.includes(m.kind)) continue;
      this.#put(m.site, periodOf(m.kind, m.date, tz), position);
    }
    if (this.#marks.size > 0) this.#o.logger.info({ marks: this.#marks.size }, 'KPI late-data marks loaded');
  }

  /** Writes the set, coalescing: one write at a time, the latest set last. */
  #save(): void {
    if (!this.#o.file) return;
    this.#dirty = true;
    this.#writing ??= (async () => {
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await this.#write();
        } catch (err) {
          this.#o.logger.error({ err, file: this.#o.file }, 'could not save the KPI late-data marks');
        }
      }
      this.#writing = undefined;
    })();
  }

  async #write(): Promise<void> {
    const file = this.#o.file!;
    const body: MarksFile = {
      format: FORMAT,
      marks: [...this.#marks.values()].map((m) => ({ site: m.site, kind: m.period.kind, date: m.period.date })),
    };
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    const h = await open(tmp, 'w');
    try {
      await h.writeFile(JSON.stringify(body));
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, file);
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function key(site: string, p: Period): string {
  return `${site}\u0000${p.kind}\u0000${p.date}`;
}
