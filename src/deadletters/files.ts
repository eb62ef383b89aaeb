/**
 * The dead-letter store's files on disk (docs/operations.md, "Dead letters and replay"):
 * `<dir>/dl-<8-digit sequence>-<YYYYMMDDHH>.jsonl`, one JSON record a line. The sequence is the
 * order the files were written in, whatever the clock said; the hour is the store clock's UTC hour
 * when their records were taken (a file never spans two). Files of earlier versions,
 * `dl-<YYYYMMDDHH>.jsonl`, count as sequence 0, ordered by hour among themselves.
 */
import { createReadStream } from 'node:fs';
import { appendFile, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^dl-(\d{8})-(\d{10})\.jsonl$/;
const LEGACY = /^dl-(\d{10})\.jsonl$/;
const HOUR_MS = 3_600_000;
/** Longest line read back (a record holds at most one payload of `mqtt.maxPacketBytes`, escaped). */
const MAX_LINE = 16 << 20;

/** A dead-letter file found or made. */
export interface DlFile {
  seq: number;
  name: string;
  /** Start of the UTC hour its records were taken in, epoch ms. */
  hourStart: number;
  bytes: number;
}

/** `YYYYMMDDHH` of an epoch-ms time (UTC). */
export function hourName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/\D/g, '');
}

/** Start of the UTC hour of `ms`. */
export function hourStartOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The file name of sequence `seq` for records taken in the hour starting at `hourStart`. */
export function fileName(seq: number, hourStart: number): string {
  return `dl-${String(seq).padStart(8, '0')}-${hourName(hourStart)}.jsonl`;
}

/** Sequence and hour of a dead-letter file name; undefined for any other file. */
export function parseName(name: string): { seq: number; hourStart: number } | undefined {
  const m = NAME.exec(name);
  const legacy = m ? undefined : LEGACY.exec(name);
  const hour = m ? m[2]! : legacy?.[1];
  if (hour === undefined) return undefined;
  const hourStart = Date.UTC(+hour.slice(0, 4), +hour.slice(4, 6) - 1, +hour.slice(6, 8), +hour.slice(8, 10));
  return { seq: m ? Number(m[1]) : 0, hourStart };
}

/** Dead-letter file names in `dir`, oldest (in write order) first; none when `dir` is missing. */
export async function fileNames(dir: string): Promise<{ name: string; seq: number; hourStart: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: { name: string; seq: number; hourStart: number }[] = [];
  for (const name of names) {
    const parsed = parseName(name);
    if (parsed) out.push({ name, ...parsed });
  }
  return out.sort((a, b) => a.seq - b.seq || a.hourStart - b.hourStart || (a.name < b.name ? -1 : 1));
}

/** Dead-letter files in `dir` with their sizes, oldest first; `onError` hears of a file that cannot be stat'ed. */
export async function listFiles(dir: string, onError: (name: string, e: unknown) => void): Promise<DlFile[]> {
  const out: DlFile[] = [];
  for (const f of await fileNames(dir)) {
    try {
      out.push({ ...f, bytes: (await stat(join(dir, f.name))).size });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onError(f.name, e);
    }
  }
  return out;
}

/** Writes all of `data` at `position`: a write may take less than it is given (a disk filling up). */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write: ${done} of ${data.length} bytes`);
    done += bytesWritten;
  }
}

/** fsync(2) a directory: syncing a new file does not sync the entry that names it. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What {@link repairTail} did with a last line that has no newline. */
export interface TailRepair {
  /** Bytes after the last newline. */
  bytes: number;
  /** True when they were one whole record (only its newline was missing): kept, newline added. */
  kept: boolean;
}

/**
 * Ends the file at a line end, so that nothing appended later is glued to a torn record. A last
 * line without its newline that parses as a record is kept (the newline is added); anything else
 * is moved to `<file>.torn` (appended, never overwritten) and cut from the file.
 */
export async function repairTail(path: string, fsync: boolean): Promise<TailRepair | undefined> {
  const handle = await open(path, 'r+');
  try {
    const size = (await handle.stat()).size;
    if (size === 0) return undefined;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return undefined;
    // Find the last newline, reading backwards in blocks.
    const block = Buffer.alloc(1 << 16);
    let cut = 0;
    for (let end = size; end > 0 && cut === 0;) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const nl = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) cut = start + nl + 1;
      end = start;
    }
    const bytes = size - cut;
    if (bytes <= MAX_LINE) {
      const tail = Buffer.alloc(bytes);
      await handle.read(tail, 0, bytes, cut);
      if (isRecord(tail.toString('utf8'))) {
        await handle.write(Buffer.from('\n'), 0, 1, size); // at the end: this handle's position is 0
        if (fsync) await handle.datasync();
        return { bytes, kept: true };
      }
    }
    await copyRange(path, cut, `${path}.torn`, fsync);
    await handle.truncate(cut);
    if (fsync) await handle.datasync();
    return { bytes, kept: false };
  } finally {
    await handle.close();
  }
}

function isRecord(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
  } catch {
    return false;
  }
}

async function copyRange(from: string, start: number, to: string, fsync: boolean): Promise<void> {
  for await (const chunk of createReadStream(from, { start, highWaterMark: 1 << 20 }))
    await appendFile(to, chunk as Buffer);
  await appendFile(to, '\n');
  if (fsync) {
    const h = await open(to, 'r');
    await h.sync().finally(() => h.close());
  }
}

/**
 * The lines of a file, read in blocks (never the whole file at once); a line longer than any
 * record can be is skipped. Stop early by breaking out of the loop.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  try {
    const block = Buffer.alloc(1 << 20);
    let parts: Buffer[] = [];
    let held = 0;
    let skipping = false;
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      let from = 0;
      for (let nl = block.indexOf(0x0a, 0); nl >= 0 && nl < bytesRead; nl = block.indexOf(0x0a, from)) {
        if (!skipping) yield Buffer.concat([...parts, block.subarray(from, nl)]).toString('utf8');
        parts = [];
        held = 0;
        skipping = false;
        from = nl + 1;
      }
      if (from < bytesRead && !skipping) {
        held += bytesRead - from;
        if (held > MAX_LINE) [parts, held, skipping] = [[], 0, true];
        else parts.push(Buffer.from(block.subarray(from, bytesRead)));
      }
    }
    if (!skipping && held > 0) yield Buffer.concat(parts).toString('utf8');
  } finally {
    await handle.close();
  }
}
