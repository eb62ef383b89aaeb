/**
 * The dead-letter store (docs/contract.md §2 and §3): every message that fails validation is kept
 * verbatim on local disk with its topic, gateway, arrival time and reasons, so nothing is dropped
 * without a trace and a fixed model can replay it later (docs/operations.md, "Dead letters and replay").
 *
 * Layout (src/deadletters/files.ts): JSON lines in files numbered in write order, a new file each
 * UTC hour of the store's clock and whenever the newest reaches `fileBytes`. Appends are
 * group-committed: records offered while a write is under way share the next write and fsync, so a
 * burst of bad messages costs one fsync, not one each. `add()` resolves only once the record is on
 * disk whole (every byte written, then synced): the broker acknowledges a dead-lettered QoS 1
 * message after that, never before. A failed write is cut back off the file and refused
 * (`HUB_ERR_DEAD_LETTER_IO`), as are records beyond `maxPendingBytes` waiting in memory
 * (`HUB_ERR_DEAD_LETTER_BACKLOG`): the message is then not acknowledged and is sent again.
 *
 * Bounds, applied oldest file first in write order and never to the file being written: beyond
 * `maxBytes` in all; older than `maxAgeMs` before the newest record's time. No wall clock is
 * compared, so a clock that jumps (a box booting in 1970, then NTP) deletes nothing by itself.
 */
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { fileName, hourStartOf, listFiles, repairTail, syncDir, writeAll, type DlFile } from './files.ts';
import {
  findDeadLetters,
  listDeadLetters,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterInput,
} from './read.ts';
import type { DeadLetterStoreStats, PruneBound } from './stats.ts';

export type { DeadLetterStoreStats, PruneBound } from './stats.ts';
export type { DeadLetter, DeadLetterFilter, DeadLetterInput, RejectNote } from './read.ts';

export interface DeadLetterStoreOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  /** fsync after each group of appends, and the folder after each new file (default true). */
  fsync?: boolean;
  now?: () => number;
  /** Size past which the newest file is closed and a new one begun, within the hour (default maxBytes / 8). */
  fileBytes?: number;
  /** Bytes of records waiting for their write; beyond, `add()` refuses (default maxBytes / 8, at most 16 MiB). */
  maxPendingBytes?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

interface Pending {
  record: DeadLetter;
  /** The record as JSON without its id (known once its file is). */
  body: string;
  bytes: number;
  hourStart: number;
  at: number;
  resolve: (dl: DeadLetter) => void;
  reject: (e: unknown) => void;
}

const HOUR_MS = 3_600_000;

/** Which dead letters a replay takes: `ids` (every stored one with such an id), else those matching the filter. */
export interface DeadLetterSelection extends DeadLetterFilter {
  ids?: string[];
}

/**
 * Dead letters on local disk, bounded in size and age, counted by reason. A component of the hub
 * (src/lifecycle.ts): `start()` creates the folder, repairs and prunes, `stop()` waits for what was offered.
 */
export class DeadLetterStore {
  readonly name = 'dead letters';
  private readonly counts = new Map<string, number>();
  private readonly errors = { writeErrors: 0, pruneErrors: 0, refusedBacklog: 0, tornTails: 0 };
  private recordsWritten = 0;
  private readonly pruned = { files: { size: 0, age: 0 }, bytes: { size: 0, age: 0 } };
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private ready: Promise<void> | undefined;
  private files: DlFile[] = [];
  /** The file this run appends to (the last of `files`); a new one after a start or a failed cut. */
  private current: DlFile | undefined;
  private nextSeq = 1;
  private counter = 0;
  /** Newest time of a record taken (store clock): the age bound counts back from it. */
  private newest = -Infinity;
  private readonly now: () => number;
  private readonly options: DeadLetterStoreOptions;
  private readonly fileBytes: number;
  private readonly maxPendingBytes: number;

  constructor(options: DeadLetterStoreOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.fileBytes = Math.max(1, options.fileBytes ?? Math.floor(options.maxBytes / 8));
    this.maxPendingBytes = options.maxPendingBytes ?? Math.min(16 << 20, Math.max(1, Math.floor(options.maxBytes / 8)));
  }

  /** Create the folder, repair torn last lines and apply the bounds to what an earlier run left. */
  async start(): Promise<void> {
    this.ready ??= this.init(true).catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    await this.ready;
    await this.prune();
  }

  /** Rejections counted by reason since start (one per reject note of a record on disk). */
  countsByReason(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  stats(): DeadLetterStoreStats {
    return {
      files: this.files.length,
      bytes: this.files.reduce((a, f) => a + f.bytes, 0),
      recordsWritten: this.recordsWritten,
      prunedFiles: { ...this.pruned.files },
      prunedBytes: { ...this.pruned.bytes },
      ...this.errors,
      pendingBytes: this.pendingBytes,
    };
  }

  /** Store one dead letter; resolves once it is on disk, rejects (retryably) when it is not. */
  add(input: DeadLetterInput): Promise<DeadLetter> {
    const text = input.payload.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(input.payload);
    const { payload: _raw, ...rest } = input;
    const record: DeadLetter = {
      id: '',
      ...rest,
      payload: utf8 ? text : input.payload.toString('base64'),
      encoding: utf8 ? 'utf8' : 'base64',
    };
    const { id: _id, ...withoutId } = record;
    const body = JSON.stringify(withoutId);
    const bytes = Buffer.byteLength(body) + 48;
    // One record is always taken, however large: the bound is on what waits behind it.
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes) {
      this.errors.refusedBacklog++;
      return Promise.reject(
        new HubError(
          'HUB_ERR_DEAD_LETTER_BACKLOG',
          `dead letters: ${this.pendingBytes} bytes already wait for the disk (bound ${this.maxPendingBytes})`,
        ),
      );
    }
    this.pendingBytes += bytes;
    const at = this.now();
    return new Promise<DeadLetter>((resolve, reject) => {
      this.pending.push({ record, body, bytes, hourStart: hourStartOf(at), at, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Wait for every offered record to be written (or refused). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** The component's stop: what was offered is written (nothing is refused: a late add still lands). */
  stop(): Promise<void> {
    return this.flush();
  }

  /** The dead letters a replay takes: those with the `ids` given ({@link find}), else those matching the filter. */
  async select(selection: DeadLetterSelection): Promise<DeadLetter[]> {
    const { ids, ...filter } = selection;
    return ids ? this.find(ids) : this.list(filter);
  }

  /** Stored dead letters matching `filter`, newest first. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    await this.flush();
    return listDeadLetters(this.options.dir, filter);
  }

  /** The stored dead letters of `ids`, in the order asked (src/deadletters/read.ts, `findDeadLetters`). */
  async find(ids: readonly string[]): Promise<DeadLetter[]> {
    await this.flush();
    return findDeadLetters(this.options.dir, ids);
  }

  /** The raw payload of a stored dead letter. */
  static payloadOf(dl: DeadLetter): Buffer {
    return Buffer.from(dl.payload, dl.encoding);
  }

  private ensureReady(): Promise<void> {
    // A failed start (folder not creatable yet) is tried again by the next write, not kept.
    return (this.ready ??= this.init(false).catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    }));
  }

  private async init(repair: boolean): Promise<void> {
    const { dir } = this.options;
    await mkdir(dir, { recursive: true });
    this.files = await listFiles(dir, (name, e) => this.pruneFailed(name, e));
    for (const f of this.files) {
      if (repair) {
        // Each run appends to a new file, but a torn line is cut anyway: listed and replayed
        // files hold whole records only, and the torn bytes are kept aside, not lost.
        try {
          const done = await repairTail(join(dir, f.name), this.options.fsync !== false);
          if (done) {
            this.errors.tornTails++;
            f.bytes += done.kept ? 1 : -done.bytes;
            this.options.logger?.warn(
              { file: f.name, bytes: done.bytes, kept: done.kept, torn: done.kept ? undefined : `${f.name}.torn` },
              done.kept ? 'dead letters: last record had no newline; added' : 'dead letters: torn last line set aside',
            );
          }
        } catch (e) {
          this.pruneFailed(f.name, e);
        }
      }
      this.newest = Math.max(this.newest, f.hourStart);
    }
    this.nextSeq = Math.max(0, ...this.files.map((f) => f.seq)) + 1;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.takeGroup();
        const bytes = group.reduce((a, p) => a + p.bytes, 0);
        try {
          await this.ensureReady();
          const written = await this.write(group);
          this.recordsWritten += written.length;
          group.forEach((p, i) => {
            for (const r of p.record.rejects) this.counts.set(r.reason, (this.counts.get(r.reason) ?? 0) + 1);
            p.resolve(written[i]!);
          });
        } catch (e) {
          this.errors.writeErrors++;
          const error = new HubError(
            'HUB_ERR_DEAD_LETTER_IO',
            `dead letters: cannot write to ${this.options.dir}: ${(e as Error).message}`,
            { cause: e },
          );
          this.options.logger?.error(
            { err: error, records: group.length },
            'dead letters not stored: not acknowledged',
          );
          group.forEach((p) => p.reject(error));
        } finally {
          this.pendingBytes -= bytes;
        }
        await this.prune();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** The next group: records of one clock hour that fit the file they go to (at least one). */
  private takeGroup(): Pending[] {
    const first = this.pending[0]!;
    const c = this.current;
    const continues = c !== undefined && c.hourStart === first.hourStart && c.bytes < this.fileBytes;
    let room = this.fileBytes - (continues ? c.bytes : 0);
    let take = 0;
    while (take < this.pending.length) {
      const p = this.pending[take]!;
      if (take > 0 && (p.hourStart !== first.hourStart || p.bytes > room)) break;
      room -= p.bytes;
      take++;
    }
    if (!continues) this.current = undefined;
    return this.pending.splice(0, take);
  }

  /** Append one group to the current file (or a new one); on failure cut it back off. */
  private async write(group: Pending[]): Promise<DeadLetter[]> {
    const fsync = this.options.fsync !== false;
    let file = this.current ?? (await this.create(group[0]!.hourStart));
    let handle = await open(join(this.options.dir, file.name), 'r+').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    if (!handle) {
      // Removed behind the store's back (an operator freeing room): start a new file.
      this.files = this.files.filter((f) => f !== file);
      file = await this.create(group[0]!.hourStart);
      handle = await open(join(this.options.dir, file.name), 'r+');
    }
    const seq = file.seq.toString(36);
    const pid = process.pid.toString(36);
    const records = group.map((p) => ({
      ...p.record,
      id: `${seq}.${p.record.receivedAt.toString(36)}-${(this.counter++).toString(36)}-${pid}`,
    }));
    const text = records.map((r, i) => `{"id":${JSON.stringify(r.id)},${group[i]!.body.slice(1)}\n`).join('');
    const data = Buffer.from(text, 'utf8');
    try {
      try {
        await writeAll(handle, data, file.bytes);
        if (fsync) await handle.datasync();
      } catch (e) {
        // Nothing of a refused group may stay: the next group would be glued to its torn end.
        await handle
          .truncate(file.bytes)
          .then(() => (fsync ? handle.datasync() : undefined))
          .catch(() => {
            this.current = undefined; // could not cut: append elsewhere; the next start repairs it
          });
        throw e;
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
    file.bytes += data.length;
    for (const p of group) this.newest = Math.max(this.newest, p.at);
    return records;
  }

  private async create(hourStart: number): Promise<DlFile> {
    const seq = this.nextSeq++;
    const file: DlFile = { seq, name: fileName(seq, hourStart), hourStart, bytes: 0 };
    const path = join(this.options.dir, file.name);
    const handle = await open(path, 'wx');
    await handle.close();
    if (this.options.fsync !== false) {
      try {
        await syncDir(this.options.dir);
      } catch (e) {
        await unlink(path).catch(() => undefined);
        throw e;
      }
    }
    this.files.push(file);
    this.current = file;
    return file;
  }

  /**
   * Remove the oldest files (in write order) while over the size bound or older than the age
   * bound counted back from the newest record; never the file being written, never by comparing
   * with a wall clock. Never throws: a failure is logged and counted, and tried again next time.
   */
  async prune(): Promise<void> {
    try {
      await this.ensureReady();
      let total = this.files.reduce((a, f) => a + f.bytes, 0);
      const cutoff = this.newest - this.options.maxAgeMs;
      while (this.files.length > 1 && this.files[0] !== this.current) {
        const oldest = this.files[0]!;
        const bound: PruneBound | undefined =
          total > this.options.maxBytes ? 'size' : oldest.hourStart + HOUR_MS < cutoff ? 'age' : undefined;
        if (!bound) break;
        await unlink(join(this.options.dir, oldest.name)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        await unlink(join(this.options.dir, `${oldest.name}.torn`)).catch(() => undefined);
        this.files.shift();
        total -= oldest.bytes;
        this.pruned.files[bound]++;
        this.pruned.bytes[bound] += oldest.bytes;
      }
    } catch (e) {
      this.pruneFailed(this.files[0]?.name ?? '', e);
    }
  }

  private pruneFailed(file: string, e: unknown): void {
    this.errors.pruneErrors++;
    this.options.logger?.error({ err: e, file }, 'dead letters: a file could not be checked or removed');
  }
}
