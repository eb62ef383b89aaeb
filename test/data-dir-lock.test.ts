/**
 * The data-dir lock (src/data-dir-lock.ts) on real files, with real processes for the other
 * hubs' pids: a `sleep 30` child is a live pid, a child that has exited is a dead one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir, type DataDirLock } from '../src/data-dir-lock.ts';
import { isHubError } from '../src/errors.ts';

let dir: string;
let lockPath: string;
let live: ChildProcess;
let deadPid: number;
const taken: DataDirLock[] = [];
const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
const warn = (fields: Record<string, unknown>, msg: string): void => void warnings.push({ fields, msg });

beforeAll(async () => {
  live = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = spawn('true', [], { stdio: 'ignore' });
  // 'exit' comes once the child is reaped: its pid is then free (ESRCH), not a zombie.
  await new Promise((resolve) => gone.on('exit', resolve));
  deadPid = gone.pid!;
});
afterAll(() => {
  if (live.exitCode === null) process.kill(live.pid!, 'SIGKILL');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-lock-'));
  lockPath = join(dir, 'hub.lock');
  warnings.length = 0;
});
afterEach(async () => {
  for (const l of taken.splice(0)) await l.release();
  await rm(dir, { recursive: true, force: true });
});

async function take(d = dir): Promise<DataDirLock> {
  const l = await lockDataDir(d, warn);
  taken.push(l);
  return l;
}

async function refusal(): Promise<Error> {
  const e = await take().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isHubError(e, 'HUB_ERR_DATA_DIR_LOCKED'), String(e)).toBe(true);
  expect((e as { retryable: boolean }).retryable).toBe(false);
  return e as Error;
}

const lockText = (o: Record<string, unknown>): string =>
  `${JSON.stringify({ hostname: hostname(), startedAt: '2026-11-27T00:00:00.000Z', ...o })}\n`;

describe('data-dir lock', () => {
  it('takes <dataDir>/hub.lock (creating the dir) with pid, hostname and start time; release removes it', async () => {
    const nested = join(dir, 'not', 'yet');
    const l = await take(nested);
    expect(l.path).toBe(join(nested, 'hub.lock'));
    const held = JSON.parse(await readFile(l.path, 'utf8')) as Record<string, unknown>;
    expect(held).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Number.isNaN(Date.parse(held.startedAt as string))).toBe(false);
    await l.release();
    expect(existsSync(l.path)).toBe(false);
    await l.release(); // twice is fine
  });

  it('refuses while a live process of this host holds it, naming the dir, pid and host and what to do', async () => {
    const text = lockText({ pid: live.pid });
    await writeFile(lockPath, text);
    const e = await refusal();
    expect(e.message).toContain(`the data directory ${dir} is in use`);
    expect(e.message).toContain(`pid ${live.pid} on host ${hostname()}`);
    expect(e.message).toContain('Stop that hub');
    expect(e.message).toContain('another dataDir');
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    expect(warnings).toEqual([]);
  });

  it('refuses a second lock while a hub of this same process holds it', async () => {
    const first = await take();
    const e = await refusal();
    expect(e.message).toContain(`pid ${process.pid}`);
    expect(await readFile(first.path, 'utf8')).toContain(`"startedAt":"${first.owner.startedAt}"`);
  });

  it('takes over a stale lock of this host whose pid is not running, with a warning naming the old pid', async () => {
    await writeFile(lockPath, lockText({ pid: deadPid }));
    const l = await take();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({
      pid: process.pid,
      startedAt: l.owner.startedAt,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`stale lock of hub pid ${deadPid}`);
    expect(warnings[0]!.fields).toMatchObject({ pid: deadPid, lock: lockPath });
    expect((await readdir(dir)).sort()).toEqual(['hub.lock']); // nothing left aside
  });

  it("takes over a lock with this process's own pid that this process does not hold (a restarted container, the hub as PID 1)", async () => {
    await writeFile(lockPath, lockText({ pid: process.pid }));
    await take();
    expect(warnings[0]!.fields).toMatchObject({ pid: process.pid });
  });

  it.skipIf(!existsSync('/proc/sys/kernel/random/boot_id'))(
    'takes over a lock written before this host last booted, even if its pid is in use now',
    async () => {
      await writeFile(lockPath, lockText({ pid: live.pid, bootId: '00000000-0000-0000-0000-000000000000' }));
      await take();
      expect(warnings[0]!.fields).toMatchObject({ pid: live.pid, why: 'written before this host last booted' });
    },
  );

  it('never takes over a lock of another host, even with a pid that is not running here', async () => {
    const text = lockText({ pid: deadPid, hostname: 'hub-elsewhere' });
    await writeFile(lockPath, text);
    const e = await refusal();
    expect(e.message).toContain(`pid ${deadPid} on host hub-elsewhere`);
    expect(e.message).toContain('Stop the hub on hub-elsewhere');
    expect(e.message).toContain(`if you are sure that hub is gone, delete ${lockPath}`);
    expect(await readFile(lockPath, 'utf8')).toBe(text);
  });

  it.each([
    { what: 'not JSON', text: 'pid=12\n', says: 'not JSON' },
    { what: 'empty', text: '', says: 'the file is empty' },
    {
      what: 'JSON without a pid',
      text: '{"hostname":"x","startedAt":"y"}',
      says: 'expected {pid, hostname, startedAt}',
    },
    { what: 'a pid of 0 (a process group)', text: lockText({ pid: 0 }), says: 'expected {pid, hostname, startedAt}' },
  ])('refuses a lock file that is $what, and leaves it', async ({ text, says }) => {
    await writeFile(lockPath, text);
    const e = await refusal();
    expect(e.message).toContain(`its lock file ${lockPath} cannot be read or is not a hub lock (${says})`);
    expect(e.message).toContain(`If no other hub uses ${dir}, delete ${lockPath}`);
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    expect(warnings).toEqual([]);
  });

  it('release removes only its own lock, never one that replaced it', async () => {
    const l = await take();
    const other = lockText({ pid: live.pid });
    await writeFile(lockPath, other);
    await l.release();
    expect(await readFile(lockPath, 'utf8')).toBe(other);
  });
});
