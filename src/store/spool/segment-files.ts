/**
 * The spool's files on disk: `<dir>/seg-<16-digit sequence>.wal`, listed in order, created with
 * their magic and, when asked, with their directory entry synced (fsync(2): syncing a file does
 * not sync the entry that names it, so a new file could vanish in a power cut without it).
 */
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SEGMENT_MAGIC } from './frame.ts';

const SEGMENT = /^seg-(\d{16})\.wal$/;

/** A segment file found on disk. */
export interface SegmentFile {
  seq: number;
  path: string;
  bytes: number;
}

/** Creates `dir` if needed and lists its segment files, oldest (lowest sequence) first. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  await mkdir(dir, { recursive: true });
  const names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
  const out: SegmentFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    out.push({ seq: Number(SEGMENT.exec(name)![1]), path, bytes: (await stat(path)).size });
  }
  return out;
}

/** Creates segment `seq` (never over an existing file) holding its magic; returns it open. */
export async function createSegment(
  dir: string,
  seq: number,
  fsync: boolean,
): Promise<{ path: string; handle: FileHandle }> {
  const path = join(dir, `seg-${String(seq).padStart(16, '0')}.wal`);
  const handle = await open(path, 'wx');
  try {
    await writeAll(handle, SEGMENT_MAGIC);
    if (fsync) await syncDir(dir);
  } catch (e) {
    // No half-made segment left behind (disk full): it holds no record.
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
  return { path, handle };
}

/** Writes all of `data` at the file's position (a write may take less than it is given). */
export async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

/** At most this many buffers per writev(2) call (Linux IOV_MAX). */
const IOV_MAX = 1024;

/**
 * Writes all of `parts`, in order, at the file's position with writev(2): a group commit's frames
 * go out as they are, not first copied into one buffer (docs/benchmarks-profile.md). A call may
 * write less than it is given; the rest follows.
 */
export async function writevAll(handle: FileHandle, parts: readonly Buffer[]): Promise<void> {
  let i = 0;
  let skip = 0; // bytes of parts[i] already written
  while (i < parts.length) {
    const batch = parts.slice(i, i + IOV_MAX);
    if (skip > 0) batch[0] = batch[0]!.subarray(skip);
    let { bytesWritten } = await handle.writev(batch);
    if (bytesWritten === 0 && batch.some((b) => b.length > 0)) throw new Error('writev wrote nothing');
    // Step over what was written: whole parts, then part of one.
    while (i < parts.length && bytesWritten > 0) {
      const left = parts[i]!.length - skip;
      if (bytesWritten >= left) {
        bytesWritten -= left;
        i++;
        skip = 0;
      } else {
        skip += bytesWritten;
        bytesWritten = 0;
      }
    }
    // Empty parts write nothing: step over them too.
    while (i < parts.length && parts[i]!.length === 0) i++;
  }
}

/** fsync(2) a directory, so the entries of files created or renamed in it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
