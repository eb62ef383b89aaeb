/**
 * The dead-letter store under faults (src/deadletters/store.ts): a disk that fills up part-way
 * through a write (a real tmpfs of a few pages), a torn last line, a clock that jumps, a flood of
 * bad messages within one hour, more records waiting than memory may hold, and replay by id on a
 * store too large to read at once. Acknowledged means on disk whole; what is refused is retryable.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeadLetterStore, type DeadLetter, type DeadLetterInput } from '../src/deadletters/store.ts';
import { isHubError } from '../src/errors.ts';
import { createLogger } from '../src/log.ts';
import { Ingest } from '../src/store/ingest.ts';
import { MemoryPointWriter } from '../src/store/index.ts';

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);
const DAY = 86_400_000;
const dirs: string[] = [];
const mounts: string[] = [];

afterAll(() => {
  for (const m of mounts) execFileSync('umount', [m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-dl-faults-'));
  dirs.push(dir);
  return dir;
}

function input(i: number, payloadBytes = 100): DeadLetterInput {
  return {
    topic: `community/v1/a/gw/d${i}/telemetry`,
    site: 'a',
    gateway: 'gw',
    device: `d${i}`,
    channel: 'telemetry',
    receivedAt: T0 + i,
    payload: Buffer.from(`${i}:`.padEnd(payloadBytes, 'x')),
    rejects: [{ reason: 'schema', detail: `bad ${i}` }],
  };
}

/** Every line of every dead-letter file in `dir` (none may be torn). */
function lines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text === '' || text.endsWith('\n'), `${f} ends at a line end`).toBe(true);
      return text.split('\n').filter((l) => l !== '');
    });
}

function bytesIn(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

describe('dead-letter store under faults', () => {
  it('a disk that fills part-way: nothing refused stays on disk, everything acknowledged does, then it recovers', async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    mounts.push(dir);
    const s = new DeadLetterStore({ dir, maxBytes: 1 << 30, maxAgeMs: DAY, now: () => T0 });
    await s.start();
    const stored: DeadLetter[] = [];
    const refused: unknown[] = [];
    // Groups of ten 6 KiB records: the write that meets the end of the disk is cut short.
    for (let round = 0; refused.length === 0 && round < 20; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, k) => s.add(input(round * 10 + k, 6000))),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') stored.push(r.value);
        else refused.push(r.reason);
      }
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => isHubError(e, 'HUB_ERR_DEAD_LETTER_IO') && e.retryable)).toBe(true);
    expect(s.stats().writeErrors).toBeGreaterThan(0);
    // On disk: exactly the acknowledged records, each whole.
    const onDisk = lines(dir).map((l) => (JSON.parse(l) as DeadLetter).id);
    expect(onDisk.sort()).toEqual(stored.map((d) => d.id).sort());
    // Room again (the size bound or an operator frees it): the next record is stored and listed.
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    const after = await s.add(input(999));
    const reopened = new DeadLetterStore({ dir, maxBytes: 1 << 30, maxAgeMs: DAY });
    expect((await reopened.list()).map((d) => d.id)).toEqual([after.id]);
  });

  it('a torn last line is set aside at start (kept in .torn), a whole last record without newline is kept', async () => {
    const dir = tempDir();
    const s = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: DAY, now: () => T0 });
    await s.start();
    const [a, b] = await Promise.all([s.add(input(1)), s.add(input(2))]);
    const file = readdirSync(dir)[0]!;
    await appendFile(join(dir, file), '{"id":"torn","pay');
    // A second file whose last record lost only its newline.
    const other = join(dir, 'dl-2026112707.jsonl');
    writeFileSync(other, `${JSON.stringify({ ...input(3), id: 'legacy-1-1', payload: 'p', encoding: 'utf8' })}`);
    const again = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: DAY, now: () => T0 });
    await again.start();
    expect(again.stats().tornTails).toBe(2);
    expect(readFileSync(join(dir, `${file}.torn`), 'utf8')).toBe('{"id":"torn","pay\n');
    const c = await again.add(input(4));
    expect(lines(dir).length).toBe(4); // a, b, the kept legacy record, c: none glued to a fragment
    expect((await again.list()).map((d) => d.id).sort()).toEqual([a!.id, b!.id, c.id, 'legacy-1-1'].sort());
    expect((await again.find([c.id, 'legacy-1-1', a!.id])).map((d) => d.id)).toEqual([c.id, 'legacy-1-1', a!.id]);
  });

  it('a clock that jumps back to 1970 and forward again deletes nothing; the age bound counts from the newest record', async () => {
    const dir = tempDir();
    let now = T0;
    const s = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: DAY, now: () => now });
    await s.start();
    const ids: string[] = [];
    for (const t of [T0, T0 + 3_600_000, 5_000 /* booted without a clock */, T0 + 2 * 3_600_000]) {
      now = t;
      ids.push((await s.add(input(ids.length))).id);
      await s.prune();
    }
    expect((await s.list()).map((d) => d.id).sort()).toEqual([...ids].sort());
    // Three days on, the files before it are older than newest − maxAge: removed, in write order.
    now = T0 + 3 * DAY;
    const last = await s.add(input(9));
    await s.prune();
    expect((await s.list()).map((d) => d.id)).toEqual([last.id]);
  });

  it('a flood within one hour rotates the newest file and stays within maxBytes', async () => {
    const dir = tempDir();
    const maxBytes = 64 << 10;
    const s = new DeadLetterStore({
      dir,
      maxBytes,
      maxAgeMs: DAY,
      fsync: false,
      maxPendingBytes: 1 << 20,
      now: () => T0,
    });
    await s.start();
    let last: DeadLetter | undefined;
    for (let batch = 0; batch < 40; batch++) {
      const added = await Promise.all(Array.from({ length: 50 }, (_, k) => s.add(input(batch * 50 + k, 200))));
      last = added.at(-1);
      await s.flush(); // the bounds are applied after each group is acknowledged
      expect(bytesIn(dir)).toBeLessThanOrEqual(maxBytes);
    }
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(4);
    expect(new Set(files.map((f) => f.slice(12)))).toEqual(new Set(['2026112708.jsonl'])); // one hour
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(maxBytes / 8 + 400);
    expect((await s.list({ limit: 1 }))[0]!.id).toBe(last!.id);
  });

  it('beyond maxPendingBytes waiting in memory, add refuses at once (retryable); what it took is stored', async () => {
    const dir = tempDir();
    const s = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: DAY, maxPendingBytes: 8192, now: () => T0 });
    await s.start();
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => s.add(input(i, 500))));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const stored = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : []));
    expect(refused.length).toBeGreaterThan(0);
    expect(stored.length).toBeGreaterThan(0);
    expect(refused.every((e) => isHubError(e, 'HUB_ERR_DEAD_LETTER_BACKLOG') && e.retryable)).toBe(true);
    expect((await s.list({ limit: 1000 })).map((d) => d.id).sort()).toEqual(stored.sort());
    expect(s.stats().pendingBytes).toBe(0);
  });

  it('replay by id on a large store reads only the files the ids name', async () => {
    const dir = tempDir();
    const s = new DeadLetterStore({
      dir,
      maxBytes: 2 ** 40,
      maxAgeMs: DAY,
      fileBytes: 1 << 20,
      fsync: false,
      now: () => T0,
    });
    await s.start();
    const added: DeadLetter[] = [];
    for (let batch = 0; batch < 40; batch++)
      added.push(...(await Promise.all(Array.from({ length: 100 }, (_, k) => s.add(input(batch * 100 + k, 4000))))));
    expect(readdirSync(dir).length).toBeGreaterThan(10);
    // A 3 GiB file (sparse) newer than all of them: reading the whole store would fail on it.
    const huge = join(dir, 'dl-99999999-2026112708.jsonl');
    writeFileSync(huge, '');
    truncateSync(huge, 3 * 2 ** 30);
    await expect(readFile(huge)).rejects.toThrow();
    const want = [added[3999]!, added[0]!, added[2024]!];
    const found = await s.find([...want.map((d) => d.id), `${want[0]!.id.split('.')[0]}.nope`]);
    expect(found.map((d) => d.id)).toEqual(want.map((d) => d.id));
    expect(found.map((d) => DeadLetterStore.payloadOf(d).toString().split(':')[0])).toEqual(['3999', '0', '2024']);
    rmSync(huge);
  });

  it('ingest does not acknowledge a message whose dead letter did not reach the disk', async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    mounts.push(dir);
    const deadLetters = new DeadLetterStore({ dir, maxBytes: 1 << 30, maxAgeMs: DAY, now: () => T0 });
    await deadLetters.start();
    writeFileSync(join(dir, 'filler'), Buffer.alloc(16 << 10)); // the disk is now full
    const ingest = new Ingest({
      // A status message needs neither the inventory nor a device model.
      inventory: {} as never,
      normaliser: {} as never,
      writer: new MemoryPointWriter(),
      deadLetters,
      logger: createLogger('silent'),
    });
    const message = {
      topic: 'community/v1/a/gw/status',
      site: 'a',
      gateway: 'gw',
      channel: 'status' as const,
      payload: Buffer.from('maybe'),
      receivedAt: T0,
    };
    const refused = await ingest.handle(message).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHubError(refused, 'HUB_ERR_DEAD_LETTER_IO') && refused.retryable).toBe(true);
    expect(ingest.stats().failed).toBe(1);
    expect(lines(dir)).toEqual([]);
    rmSync(join(dir, 'filler'));
    expect((await ingest.handle(message)).rejects.map((r) => r.reason)).toEqual(['bad_status']);
    expect(lines(dir).length).toBe(1);
  });
});
