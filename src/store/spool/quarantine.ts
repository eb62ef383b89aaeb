/**
 * Keeps the damaged stretches of spool segments (reader.ts `Damage`) before the drainer may remove
 * their segment, so that no acknowledged byte disappears without a trace (docs/contract.md §2,
 * "Delivery"; docs/operations.md, "Quarantined spool damage").
 *
 * Each stretch becomes, in `<dataDir>/quarantine/`:
 * - `seg-<sequence>-<offset>-<hash>.bin`: the damaged bytes, byte for byte (the hash is the first
 *   16 hex digits of their SHA-256: segment sequences start again at 1 after an empty spool, so
 *   the name must tell two different stretches at one place apart);
 * - a `spool_damaged` dead letter naming that file, holding the bytes (at most the first
 *   {@link DEAD_LETTER_PREFIX_BYTES} of them);
 * - `seg-<sequence>-<offset>-<hash>.json`, the sidecar: segment, offset, length, whether torn, the reader's detail,
 *   the time, the hash and the dead letter's id. Written last, it marks the stretch as done.
 *
 * Order and syncs: the copy is written to a temporary file and synced, renamed and the folder
 * synced, then the dead letter is stored (synced by its store), then the sidecar (synced the same
 * way). A crash in between leaves no sidecar, so the stretch is kept again when the segment is
 * read again: the same `.bin` (same bytes, same name) and possibly a second dead letter, never
 * none. A stretch whose sidecar exists is not kept again (a restart while its segment drains).
 *
 * Torn last records (a crash mid-append) are kept too: they were never acknowledged (the PUBACK
 * follows the fsync of the whole record), but a stretch the reader calls torn could also be real
 * damage at the end of a file, and keeping a few bytes costs nothing.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DeadLetterStore } from '../../deadletters/store.ts';
import type { Damage } from './reader.ts';
import { syncDir, writeAll } from './segment-files.ts';

/** Most bytes of a stretch a `spool_damaged` dead letter holds (the quarantine file holds them all). */
export const DEAD_LETTER_PREFIX_BYTES = 64 * 1024;
/** The topic of `spool_damaged` dead letters: no message's topic survives the damage. */
export const SPOOL_DAMAGE_TOPIC = '$SYS/community-hub/spool';
/** Bytes copied at once (bounds memory whatever the stretch's size). */
const COPY_BLOCK_BYTES = 1024 * 1024;

/** Options of {@link Quarantine}. */
export interface QuarantineOptions {
  /** `<dataDir>/quarantine`; created on first use. */
  dir: string;
  /** fsync each file and the folder after each rename (the spool's `fsync` setting). */
  fsync: boolean;
  deadLetters: Pick<DeadLetterStore, 'add'>;
  now?: () => number;
}

/** What {@link Quarantine.keep} left on disk for one stretch. */
export interface Quarantined {
  /** File name (in the quarantine folder) of the bytes, `….bin`; its sidecar is `….json`. */
  file: string;
  /** Bytes copied (fewer than the damage said only when the file was shorter than its length). */
  bytes: number;
  /** The `spool_damaged` dead letter's id; undefined when an earlier pass kept this stretch. */
  deadLetter?: string;
}

/** The sidecar (`.json` beside the `.bin`): what an operator needs to judge a quarantined stretch. */
export interface QuarantineSidecar {
  segment: string;
  offset: number;
  bytes: number;
  torn: boolean;
  detail: string;
  quarantinedAt: string;
  sha256: string;
  deadLetter: string;
}

/** See the file comment. */
export class Quarantine {
  /** Stretches kept since start, and their bytes (an earlier pass's stretch is not counted again). */
  readonly counts = { quarantined: 0, quarantinedBytes: 0 };

  readonly #o: QuarantineOptions;

  constructor(options: QuarantineOptions) {
    this.#o = options;
  }

  /**
   * What the folder holds now (earlier runs included): stretches (`.bin` files) and their bytes.
   * The counters only count this run's; the stage logs this at start so none goes unnoticed.
   */
  async survey(): Promise<{ stretches: number; bytes: number }> {
    const names = await readdir(this.#o.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    let bytes = 0;
    const bins = names.filter((n) => n.endsWith('.bin'));
    for (const n of bins) bytes += (await stat(join(this.#o.dir, n))).size;
    return { stretches: bins.length, bytes };
  }

  /**
   * Keeps the stretch `d` of the segment file `segmentPath` (see the file comment); resolves once
   * it is on disk with its dead letter and sidecar. Undefined for an empty stretch.
   * @throws when a file cannot be written or the dead letter stored: the segment must then stay.
   */
  async keep(segmentPath: string, d: Damage): Promise<Quarantined | undefined> {
    if (d.bytes <= 0) return undefined;
    const { dir, fsync } = this.#o;
    await mkdir(dir, { recursive: true });
    const segment = basename(segmentPath);
    const base = `${basename(segment, '.wal')}-${String(d.offset).padStart(12, '0')}`;
    // One name per place (one hub per data directory): a crash's leftover is overwritten next time.
    const tmp = join(dir, `.${base}.tmp`);
    const copy = await copyStretch(segmentPath, d, tmp, fsync).catch(async (e: unknown) => {
      await unlink(tmp).catch(() => undefined);
      throw e;
    });
    const name = `${base}-${copy.sha256.slice(0, 16)}`;
    const file = `${name}.bin`;
    if (await exists(join(dir, `${name}.json`))) {
      await unlink(tmp);
      return { file, bytes: copy.bytes };
    }
    await rename(tmp, join(dir, file));
    if (fsync) await syncDir(dir);
    const shown = Math.min(copy.bytes, DEAD_LETTER_PREFIX_BYTES);
    const dl = await this.#o.deadLetters.add({
      topic: SPOOL_DAMAGE_TOPIC,
      receivedAt: (this.#o.now ?? Date.now)(),
      payload: copy.prefix,
      rejects: [
        {
          reason: 'spool_damaged',
          detail:
            `quarantine/${file}: ${copy.bytes} bytes at offset ${d.offset} of ${segment}` +
            `${d.torn ? ' (torn last record)' : ''}: ${d.detail}; the payload is ` +
            (shown === copy.bytes ? 'all of them' : `their first ${shown}`),
        },
      ],
    });
    const sidecar: QuarantineSidecar = {
      segment,
      offset: d.offset,
      bytes: copy.bytes,
      torn: d.torn,
      detail: d.detail,
      quarantinedAt: new Date((this.#o.now ?? Date.now)()).toISOString(),
      sha256: copy.sha256,
      deadLetter: dl.id,
    };
    await writeSynced(dir, `${name}.json`, Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`), fsync);
    this.counts.quarantined++;
    this.counts.quarantinedBytes += copy.bytes;
    return { file, bytes: copy.bytes, deadLetter: dl.id };
  }
}

/** Copies `[d.offset, d.offset + d.bytes)` of `from` to `to`, a block at a time; hash and prefix. */
async function copyStretch(
  from: string,
  d: Damage,
  to: string,
  fsync: boolean,
): Promise<{ bytes: number; sha256: string; prefix: Buffer }> {
  const src = await open(from, 'r');
  try {
    const dst = await open(to, 'w');
    try {
      const hash = createHash('sha256');
      const block = Buffer.allocUnsafe(Math.min(COPY_BLOCK_BYTES, d.bytes));
      const prefix: Buffer[] = [];
      let copied = 0;
      while (copied < d.bytes) {
        const want = Math.min(block.length, d.bytes - copied);
        const { bytesRead } = await src.read(block, 0, want, d.offset + copied);
        if (bytesRead === 0) break; // the file is shorter than its committed length said
        const part = block.subarray(0, bytesRead);
        hash.update(part);
        await writeAll(dst, part);
        if (copied < DEAD_LETTER_PREFIX_BYTES)
          prefix.push(Buffer.from(part.subarray(0, DEAD_LETTER_PREFIX_BYTES - copied)));
        copied += bytesRead;
      }
      if (fsync) await dst.sync();
      return { bytes: copied, sha256: hash.digest('hex'), prefix: Buffer.concat(prefix) };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/** Writes `name` in `dir` whole or not at all: a synced temporary file renamed over it. */
async function writeSynced(dir: string, name: string, data: Buffer, fsync: boolean): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const h = await open(tmp, 'w');
  try {
    await writeAll(h, data);
    if (fsync) await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, join(dir, name));
  if (fsync) await syncDir(dir);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
}
