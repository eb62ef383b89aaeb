/**
 * The spool and its drainer as one component of the hub (docs/architecture.md, "Lifecycle"), with
 * the policy that belongs to them: how big the drainer's chunks are (drainer.ts `drainerSizing`,
 * from its writer's settings), when the hub is not ready because of the spool, and when everything
 * acknowledged is in InfluxDB (what the KPI scheduler waits for before it closes a period).
 *
 * `start()` opens the spool (replaying what an earlier run left) and starts the drainer; `stop()`
 * commits what the spool admitted (everything acknowledged is on disk already), stops the drainer
 * at once and gives InfluxDB writes in flight until the shutdown deadline: their records stay in
 * the spool either way, so a down InfluxDB never holds up the exit.
 */
import type { DeadLetterStore } from '../../deadletters/store.ts';
import type { Component, StopContext } from '../../lifecycle.ts';
import { settlesBy } from '../../lifecycle.ts';
import type { Logger } from '../../log.ts';
import { ensureDatabase } from '../database.ts';
import type { InfluxPointWriter } from '../influx-writer.ts';
import type { InfluxStore } from '../influx-store.ts';
import type { WriterStats } from '../point-writer.ts';
import { Drainer, drainerSizing, type DrainerStats, type SpoolPosition } from './drainer.ts';
import { Quarantine } from './quarantine.ts';
import type { NewSpoolRecord } from './record.ts';
import { Spool, type SpoolOptions, type SpoolStats } from './spool.ts';

/** The spool as `/metrics` and `/ready` show it. */
export interface SpoolView extends SpoolStats {
  /** Records wait to be written to InfluxDB and the drainer is at them (or retrying). */
  draining: boolean;
  /** Age of the oldest record not yet in InfluxDB (ms); null when none waits. */
  oldestRecordAgeMs: number | null;
  drainer: DrainerStats;
}

export interface SpoolStageOptions extends Omit<SpoolOptions, 'logger'> {
  /** Where the drainer's writer comes from (`writer('drain')`) and the database it ensures. */
  influx: Pick<InfluxStore, 'writer' | 'connection'>;
  deadLetters: Pick<DeadLetterStore, 'add'>;
  /** Where damaged stretches of the spool are kept (`<dataDir>/quarantine`, quarantine.ts). */
  quarantineDir: string;
  logger: Logger;
  now?: () => number;
}

/** See the file comment. */
export class SpoolStage implements Component {
  readonly name = 'spool';
  readonly #o: SpoolStageOptions;
  readonly #log: Logger;
  readonly #spool: Spool;
  #writer: InfluxPointWriter | undefined;
  #drainer: Drainer | undefined;
  #stopped = false;

  constructor(options: SpoolStageOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'spool' });
    const { influx: _i, deadLetters: _d, quarantineDir: _q, logger: _l, now: _n, ...spool } = options;
    this.#spool = new Spool({ ...spool, logger: this.#log });
  }

  async start(): Promise<void> {
    const left = await this.#spool.open();
    if (left.segments > 0) this.#log.info({ ...left, dir: this.#o.dir }, 'spool: replaying what an earlier run left');
    const quarantine = new Quarantine({
      dir: this.#o.quarantineDir,
      fsync: this.#o.fsync,
      deadLetters: this.#o.deadLetters,
      ...(this.#o.now ? { now: this.#o.now } : {}),
    });
    // Only a notice: an unreadable folder is logged, and fails the drainer only if damage comes.
    const held = await quarantine.survey().catch((err: unknown) => {
      this.#log.error({ err, dir: this.#o.quarantineDir }, 'spool: cannot look into the quarantine folder');
      return undefined;
    });
    if (held && held.stretches > 0)
      this.#log.warn(
        { ...held, dir: this.#o.quarantineDir },
        'spool: the quarantine holds damaged spool bytes; inspect and remove them (docs/operations.md, "Quarantined spool damage")',
      );
    const writer = (this.#writer = this.#o.influx.writer('drain'));
    const settings = this.#o.influx.connection('drain').settings;
    this.#drainer = new Drainer({
      spool: this.#spool,
      writer,
      deadLetters: this.#o.deadLetters,
      quarantine,
      logger: this.#log,
      ...drainerSizing(settings),
      retry: settings,
      prepare: () => ensureDatabase(this.#o.influx.connection()),
      ...(this.#o.now ? { now: this.#o.now } : {}),
    });
    this.#drainer.start();
  }

  async stop({ deadline }: StopContext): Promise<void> {
    this.#stopped = true;
    await this.#spool.close();
    await this.#drainer?.stop();
    const writer = this.#writer;
    if (writer && !(await settlesBy(writer.close(), deadline))) {
      this.#log.warn(
        { inFlight: writer.stats().batchesInFlight },
        'InfluxDB writes still in flight at shutdown; their points stay in the spool for the next start',
      );
    }
    // (A start refused before the spool opened has nothing to report.)
    if (this.#drainer) {
      const s = this.#spool.stats();
      this.#log.info(
        { bytes: s.bytes, segments: s.segments },
        s.segments > 0 ? 'spool closed; its records are written after the next start' : 'spool closed, empty',
      );
    }
  }

  /** Make a record durable (the ingest path's and the self-stats sampler's way in). */
  append(record: NewSpoolRecord): Promise<void> {
    return this.#spool.append(record);
  }

  /** True while acknowledgements wait for room. */
  full(): boolean {
    return this.#spool.stats().backpressure;
  }

  /** The spool and its drainer; undefined until started. */
  stats(): SpoolView | undefined {
    if (!this.#drainer) return undefined;
    const d = this.#drainer.stats();
    return {
      ...this.#spool.stats(),
      draining: d.state === 'draining' || d.state === 'retrying',
      oldestRecordAgeMs: d.oldestRecordAgeMs,
      drainer: d,
    };
  }

  /** The drainer's writer: every ingest point reaches InfluxDB through it. */
  writerStats(): WriterStats | undefined {
    return this.#drainer ? this.#writer?.stats() : undefined;
  }

  /**
   * Everything acknowledged is in InfluxDB: the drainer is idle with nothing left behind its cursor.
   * (`stats().records` counts records since start: no measure of what waits.)
   */
  /** Where the spool's committed records end now (drainer.ts `position`); null before the start or when empty. */
  position(): SpoolPosition | null {
    return this.#drainer?.position() ?? null;
  }

  /** True once the drainer has written everything before `p` (drainer.ts `written`). */
  written(p: SpoolPosition | null): boolean {
    return this.#drainer ? this.#drainer.written(p) : p === null;
  }

  /** Why the spool keeps the hub from being ready (docs/contract.md §6, `/ready`); empty when it does not. */
  unready(): string[] {
    const s = this.stats();
    if (!s) return ['the spool is not open'];
    const reasons: string[] = [];
    if (s.backpressure) reasons.push('the spool is full: acknowledgements are held back');
    if (s.drainer.state === 'stopped' && !this.#stopped) reasons.push('the spool drainer stopped');
    return reasons;
  }

  /** See Drainer.drained; resolves at once before the start. */
  drained(): Promise<void> {
    return this.#drainer ? this.#drainer.drained() : Promise.resolve();
  }
}
