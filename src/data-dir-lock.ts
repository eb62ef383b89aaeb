/**
 * One hub per data directory: `<dataDir>/hub.lock`, created with O_EXCL before the spool and the
 * dead-letter store are opened and removed last at stop. Two hubs on one data directory would both
 * replay and drain the same spool segments (duplicate writes, one deleting segments the other still
 * reads) and append to the same dead-letter files, so a second hub refuses to start
 * (`HUB_ERR_DATA_DIR_LOCKED`).
 *
 * A lock left by a hub that died (SIGKILL, crash, power cut) is taken over with a warning, but only
 * when that is certain: the lock names this host and its pid is not alive, or it was written by an
 * earlier boot of this host. A lock naming another host is never assumed stale (a shared volume: we
 * cannot see that host's processes), nor is a lock file we cannot read (we do not know who holds it).
 */
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HubError } from './errors.ts';
import type { Component } from './lifecycle.ts';

/** What `hub.lock` holds. `bootId` (Linux) tells a lock of an earlier boot from a live one. */
export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  bootId?: string;
}

/** A held data-dir lock. */
export interface DataDirLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Remove the lock file if it is still ours (never someone else's); safe to call twice. */
  release(): Promise<void>;
}

/**
 * The lock as the hub's first component (src/lifecycle.ts): taken before anything opens the spool
 * or the dead letters, so (stopped in reverse) released last, once nothing uses them any more.
 */
export class DataDirLocker implements Component {
  readonly name = 'data-dir lock';
  readonly #dataDir: string;
  readonly #warn: (fields: Record<string, unknown>, msg: string) => void;
  #lock: DataDirLock | undefined;

  constructor(dataDir: string, warn: (fields: Record<string, unknown>, msg: string) => void) {
    this.#dataDir = dataDir;
    this.#warn = warn;
  }

  async start(): Promise<void> {
    this.#lock = await lockDataDir(this.#dataDir, this.#warn);
  }

  async stop(): Promise<void> {
    await this.#lock?.release();
  }
}

/** Lock files held by this process: a hub in the same process is as alive as we are. */
const heldHere = new Set<string>();

/**
 * Take `<dataDir>/hub.lock` (creating `dataDir` if needed), or throw `HUB_ERR_DATA_DIR_LOCKED`.
 * `warn` is told when a stale lock is taken over.
 */
export async function lockDataDir(
  dataDir: string,
  warn: (fields: Record<string, unknown>, msg: string) => void,
): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'hub.lock');
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    ...bootIdField(),
  };
  const text = `${JSON.stringify(owner)}\n`;
  // A few rounds: each lost race (another process created or took over the lock between our
  // steps) re-reads the lock, which then names a live hub and refuses.
  for (let round = 0; round < 3; round++) {
    if (await create(path, text)) return held(path, owner, text);
    const found = await readLock(path);
    if (found === 'gone') continue;
    if (typeof found === 'string')
      throw refusal(
        dataDir,
        `its lock file ${path} cannot be read or is not a hub lock (${found}), so the hub cannot tell whether another hub holds it`,
        `If no other hub uses ${dataDir}, delete ${path} and start again.`,
      );
    const why = staleBecause(found.owner, path);
    if (!why)
      throw refusal(
        dataDir,
        `another hub holds it: pid ${found.owner.pid} on host ${found.owner.hostname}, started ${found.owner.startedAt} (lock file ${path})`,
        advice(found.owner, path),
      );
    if (await removeIfUnchanged(path, found.text))
      warn(
        { lock: path, pid: found.owner.pid, hostname: found.owner.hostname, startedAt: found.owner.startedAt, why },
        `data dir: taking over the stale lock of hub pid ${found.owner.pid} (${why})`,
      );
  }
  throw refusal(
    dataDir,
    `its lock file ${path} kept changing while this hub tried to take it (other hubs are starting on it)`,
    'Start one hub at a time on a data directory.',
  );
}

function held(path: string, owner: LockOwner, text: string): DataDirLock {
  heldHere.add(path);
  let released = false;
  return {
    path,
    owner,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      // Only our own lock: compare the whole text (pid, host and start time), never delete blindly.
      const now = await readFile(path, 'utf8').catch(() => undefined);
      if (now === text) await unlink(path).catch(() => undefined);
    },
  };
}

/** O_EXCL create; false when the file exists. The content is fsynced: a lock left by a power cut must be readable, not
 * empty. */
async function create(path: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  let failed: unknown;
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (e) {
    failed = e;
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (failed !== undefined) {
    // Never leave an empty lock behind: it would refuse every later start.
    await unlink(path).catch(() => undefined);
    throw failed;
  }
  return true;
}

/** The lock's owner and raw text; 'gone' if it vanished meanwhile; a string saying why it is not a lock. */
async function readLock(path: string): Promise<{ owner: LockOwner; text: string } | 'gone' | string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return (e as Error).message;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text.trim() === '' ? 'the file is empty' : 'not JSON';
  }
  const o = v as Partial<LockOwner> | null;
  // A pid of 0 or below would make process.kill() signal a process group: never accept one.
  if (
    typeof o !== 'object' ||
    o === null ||
    !Number.isSafeInteger(o.pid) ||
    o.pid! <= 0 ||
    typeof o.hostname !== 'string' ||
    typeof o.startedAt !== 'string'
  ) {
    return 'expected {pid, hostname, startedAt}';
  }
  return { owner: o as LockOwner, text };
}

/** Why the lock's owner is certainly gone, or undefined when it may be alive. */
function staleBecause(o: LockOwner, path: string): string | undefined {
  if (o.hostname !== hostname()) return undefined;
  const boot = bootIdField().bootId;
  if (boot && o.bootId && o.bootId !== boot) return 'written before this host last booted';
  // Our own pid: a previous process that had it (a container restarted, the hub as PID 1), unless
  // a hub of this very process holds the lock.
  if (o.pid === process.pid) return heldHere.has(path) ? undefined : 'its pid is this process, which does not hold it';
  try {
    process.kill(o.pid, 0);
    return undefined;
  } catch (e) {
    // EPERM: the process exists but belongs to another user, so it is alive.
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'its process is not running' : undefined;
  }
}

/**
 * Remove the stale lock we judged, not one that another hub created after we read it: move it
 * aside atomically, and if it is not the text we judged, put it back (link never overwrites).
 */
async function removeIfUnchanged(path: string, judged: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${Date.now()}.stale`;
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== judged) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return moved === judged;
}

function refusal(dataDir: string, why: string, todo: string): HubError {
  return new HubError(
    'HUB_ERR_DATA_DIR_LOCKED',
    `the data directory ${dataDir} is in use: ${why}. Two hubs on one data directory would replay and delete each other's spool. ${todo}`,
  );
}

function advice(o: LockOwner, path: string): string {
  if (o.hostname !== hostname()) {
    return `Stop the hub on ${o.hostname}, or give this hub another dataDir (HUB_DATA_DIR). A lock of another host is never taken over: if you are sure that hub is gone, delete ${path} and start again.`;
  }
  return `Stop that hub (pid ${o.pid}), or give this hub another dataDir (HUB_DATA_DIR). If pid ${o.pid} is no hub (another program got the pid), delete ${path} and start again.`;
}

let bootId: string | null | undefined;
/** This boot's id on Linux (`/proc/sys/kernel/random/boot_id`); nothing elsewhere. */
function bootIdField(): { bootId?: string } {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId ? { bootId } : {};
}
