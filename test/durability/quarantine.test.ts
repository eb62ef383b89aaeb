/**
 * Spool damage is quarantined, never silently deleted (src/store/spool/quarantine.ts): segments
 * written by the real Spool, damaged in place (bytes flipped mid-segment, a torn tail, a block
 * zeroed), drained by the real Drainer into the in-memory writer with the real dead-letter store.
 * The quarantine must hold the damaged bytes byte for byte (compared with a copy of the damaged
 * file taken before the drainer ran), with a sidecar and a `spool_damaged` dead letter, before the
 * segment is removed; a quarantine that cannot be written keeps the segment. The hub-level runs
 * (real InfluxDB, `/metrics`, replay refused) are in damage.test.ts and torn.test.ts.
 */
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterStore } from '../../src/deadletters/store.ts';
import { isHubError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import type { Point } from '../../src/point.ts';
import { Ingest } from '../../src/store/ingest.ts';
import { MemoryPointWriter } from '../../src/store/index.ts';
import { MAX_FRAME_BODY_BYTES } from '../../src/store/spool/frame.ts';
import { Drainer, Quarantine, Spool, spoolRecord, type NewSpoolRecord } from '../../src/store/spool/index.ts';
import { DEAD_LETTER_PREFIX_BYTES, SPOOL_DAMAGE_TOPIC } from '../../src/store/spool/quarantine.ts';
import { captureLogs, quarantined, spooledFrames } from './helpers.ts';

const dirs: string[] = [];
const running: { stop(): Promise<unknown> }[] = [];

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function record(i: number): NewSpoolRecord {
  const point: Point = {
    measurement: 'bin_level',
    tags: { site: 's', device: `d${i % 3}` },
    fields: { fill_pct: i },
    time: String(1_795_737_600_000_000_000n + BigInt(i)),
  };
  const source = { topic: `t/${i}`, site: 's', gateway: 'g', receivedAt: 1000 + i, payload: Buffer.from(`{"i":${i}}`) };
  return spoolRecord(1000 + i, [point], { ...source, device: 'd', channel: 'telemetry' });
}

/** A folder with one sealed segment of `count` records written by the real Spool; its layout. */
async function segment(count: number): Promise<{ dir: string; path: string; starts: number[]; ends: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-quarantine-'));
  dirs.push(dir);
  const spool = spoolAt(dir);
  await spool.open();
  await Promise.all(Array.from({ length: count }, (_, i) => spool.append(record(i))));
  await spool.close();
  const frames = await spooledFrames(join(dir, 'spool'));
  expect(frames).toHaveLength(count);
  const ends = frames.map((f) => f.end);
  return { dir, path: frames[0]!.file, starts: [8, ...ends.slice(0, -1)], ends };
}

function spoolAt(dir: string): Spool {
  return new Spool({
    dir: join(dir, 'spool'),
    maxBytes: 64 << 20,
    segmentBytes: 32 << 20,
    fsync: true,
    maxBufferedBytes: 256 << 20,
    backpressureTimeoutMs: 30_000,
    logger: captureLogs().logger,
  });
}

async function overwrite(path: string, offset: number, bytes: Buffer): Promise<void> {
  const h = await open(path, 'r+');
  try {
    await h.write(bytes, 0, bytes.length, offset);
  } finally {
    await h.close();
  }
}

/** Opens the spool in `dir` and drains it with a fresh drainer, quarantine and dead-letter store. */
async function drainAt(dir: string, writer = new MemoryPointWriter()) {
  const spool = spoolAt(dir);
  await spool.open();
  running.push({ stop: () => spool.close() });
  const deadLetters = new DeadLetterStore({ dir: join(dir, 'dead-letters'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
  await deadLetters.start();
  const quarantine = new Quarantine({ dir: join(dir, 'quarantine'), fsync: true, deadLetters });
  const logs = captureLogs();
  const drainer = new Drainer({
    spool,
    writer,
    deadLetters,
    quarantine,
    logger: logs.logger,
    chunkPoints: 4,
    batchPoints: 4,
    retry: { minRetryDelayMs: 5, maxRetryDelayMs: 20 },
  });
  drainer.start();
  running.push(drainer);
  return { spool, drainer, deadLetters, writer, logs };
}

const seqs = (w: MemoryPointWriter): number[] => w.points.map((p) => Number(p.fields.fill_pct)).sort((a, b) => a - b);

describe('damaged spool bytes are quarantined before their segment is removed', () => {
  it('bytes flipped mid-segment and a torn tail: both stretches kept byte for byte, with sidecar and dead letter', async () => {
    const l = await segment(30);
    await overwrite(l.path, l.starts[7]! + 20, Buffer.from('~~~~')); // bit rot inside record 7
    const { size } = await stat(l.path);
    await truncate(l.path, size - 5); // a crash in the middle of the last append (record 29)
    const damaged = await readFile(l.path); // the evidence, as the drainer will find it

    const { drainer, deadLetters, writer, logs, spool } = await drainAt(l.dir);
    await drainer.drained();
    expect(seqs(writer)).toEqual(Array.from({ length: 29 }, (_, i) => i).filter((i) => i !== 7));
    await expect.poll(() => spool.segments(), { timeout: 10_000 }).toEqual([]); // removed, after the quarantine

    const stretches = [
      { offset: l.starts[7]!, end: l.ends[7]!, torn: false },
      { offset: l.starts[29]!, end: size - 5, torn: true },
    ];
    const kept = await quarantined(l.dir);
    const dls = await deadLetters.list({ reason: 'spool_damaged' });
    expect(kept).toHaveLength(2);
    expect(dls).toHaveLength(2);
    kept.forEach((k, i) => {
      const s = stretches[i]!;
      expect(k.bytes.equals(damaged.subarray(s.offset, s.end)), `stretch ${i} byte for byte`).toBe(true);
      expect(k.name).toMatch(new RegExp(`^seg-0{15}1-${String(s.offset).padStart(12, '0')}-[0-9a-f]{16}\\.bin$`));
      expect(k.sidecar).toEqual({
        segment: 'seg-0000000000000001.wal',
        offset: s.offset,
        bytes: s.end - s.offset,
        torn: s.torn,
        detail: expect.stringMatching(s.torn ? /^record cut short/ : /^CRC mismatch/),
        quarantinedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        deadLetter: expect.any(String),
      });
      const dl = dls.find((d) => d.id === k.sidecar.deadLetter)!;
      expect(dl).toMatchObject({ topic: SPOOL_DAMAGE_TOPIC, rejects: [{ reason: 'spool_damaged' }] });
      expect(dl.rejects[0]!.detail).toContain(`quarantine/${k.name}`);
      expect(DeadLetterStore.payloadOf(dl).equals(k.bytes)).toBe(true); // small: all of it
    });
    expect(drainer.stats()).toMatchObject({
      damaged: 2,
      quarantined: 2,
      quarantinedBytes: stretches.reduce((n, s) => n + s.end - s.offset, 0),
    });
    const lines = logs.lines.filter((x) => /^spool: (damaged stretch|torn record)/.test(String(x.msg)));
    expect(lines.map((x) => x.quarantine)).toEqual(kept.map((k) => k.name));
  });

  it('a zeroed stretch larger than a dead letter holds: the file has all of it, the dead letter its first 64 KiB', async () => {
    const l = await segment(1200);
    const from = l.starts[100]! + 10;
    await overwrite(l.path, from, Buffer.alloc(DEAD_LETTER_PREFIX_BYTES + 5000));
    const damaged = await readFile(l.path);
    const { drainer, deadLetters } = await drainAt(l.dir);
    await drainer.drained();
    const [k, more] = await quarantined(l.dir);
    expect(more).toBeUndefined();
    expect(k!.sidecar.offset).toBe(l.starts[100]);
    expect(k!.bytes.length).toBeGreaterThan(DEAD_LETTER_PREFIX_BYTES + 5000);
    expect(k!.bytes.equals(damaged.subarray(k!.sidecar.offset, k!.sidecar.offset + k!.sidecar.bytes))).toBe(true);
    const [dl] = await deadLetters.list({ reason: 'spool_damaged' });
    expect(DeadLetterStore.payloadOf(dl!).equals(k!.bytes.subarray(0, DEAD_LETTER_PREFIX_BYTES))).toBe(true);
    expect(dl!.rejects[0]!.detail).toMatch(new RegExp(`their first ${DEAD_LETTER_PREFIX_BYTES}$`));
  });

  it('a file with a segment name but no magic and no whole record: all of it is kept, then it is removed', async () => {
    const l = await segment(5);
    const { size } = await stat(l.path);
    await overwrite(l.path, 0, Buffer.alloc(size, 0x41));
    const { drainer, spool, writer, deadLetters } = await drainAt(l.dir);
    await expect.poll(() => spool.segments(), { timeout: 10_000 }).toEqual([]);
    expect(writer.points).toEqual([]);
    const [k, more] = await quarantined(l.dir);
    expect(more).toBeUndefined();
    expect(k!.sidecar).toMatchObject({
      offset: 0,
      bytes: size,
      torn: false,
      detail: expect.stringMatching(/not a spool segment/),
    });
    expect(k!.bytes.equals(Buffer.alloc(size, 0x41))).toBe(true);
    expect(await deadLetters.list({ reason: 'spool_damaged' })).toHaveLength(1);
    expect(drainer.stats()).toMatchObject({ damaged: 1, quarantined: 1, quarantinedBytes: size });
  });

  it('a quarantine that cannot be written keeps the segment; once it can, the stretch is kept and the segment goes', async () => {
    const l = await segment(12);
    await overwrite(l.path, l.starts[4]! + 15, Buffer.from('#'));
    const damaged = await readFile(l.path);
    await writeFile(join(l.dir, 'quarantine'), 'not a folder'); // mkdir fails: EEXIST / ENOTDIR
    const { drainer, deadLetters, writer, logs, spool } = await drainAt(l.dir);
    await expect
      .poll(() => logs.lines.filter((x) => String(x.msg).startsWith('spool drainer: cannot read')).length, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(2); // retried, with backoff
    expect(spool.segments().map((s) => s.seq)).toEqual([1]); // the segment stays
    expect(await readFile(l.path)).toEqual(damaged);
    expect(drainer.stats().quarantined).toBe(0);
    await rm(join(l.dir, 'quarantine'));
    await drainer.drained();
    expect(seqs(writer)).toEqual(Array.from({ length: 12 }, (_, i) => i).filter((i) => i !== 4));
    const kept = await quarantined(l.dir);
    expect(kept.map((k) => k.bytes.equals(damaged.subarray(l.starts[4], l.ends[4])))).toEqual([true]);
    expect(await deadLetters.list({ reason: 'spool_damaged' })).toHaveLength(1);
  });

  it('a stretch kept by an earlier run whose segment was not removed yet is not kept again', async () => {
    const l = await segment(10);
    await overwrite(l.path, l.starts[2]! + 12, Buffer.from('%%'));
    const stalled = new MemoryPointWriter();
    stalled.pause(); // InfluxDB hangs: the segment cannot be drained in this run
    const first = await drainAt(l.dir, stalled);
    await expect.poll(() => first.drainer.stats().quarantined, { timeout: 10_000 }).toBe(1);
    for (const r of running.splice(0).reverse()) await r.stop();
    expect(await readdir(join(l.dir, 'spool'))).toHaveLength(1);

    const second = await drainAt(l.dir);
    await second.drainer.drained();
    expect(second.drainer.stats()).toMatchObject({ damaged: 1, quarantined: 0 });
    expect(await quarantined(l.dir)).toHaveLength(1);
    expect(await second.deadLetters.list({ reason: 'spool_damaged' })).toHaveLength(1);
    expect(seqs(second.writer)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the spool refuses a record its reader would refuse', () => {
  it('a record whose frame body exceeds the limit: HUB_ERR_SPOOL_RECORD_TOO_LARGE, nothing written; ingest keeps it as an oversized dead letter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-quarantine-'));
    dirs.push(dir);
    const spool = spoolAt(dir);
    await spool.open();
    running.push({ stop: () => spool.close() });
    // A status message: "online" and spaces, more than a frame's body may hold (the record keeps
    // the payload's bytes as they came, record.ts).
    const payload = Buffer.alloc(MAX_FRAME_BODY_BYTES + 1, 0x20);
    payload.write('online');
    const big = { ...record(1), source: { ...record(1).source, payload } };
    const refused = await spool.append(big).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHubError(refused, 'HUB_ERR_SPOOL_RECORD_TOO_LARGE')).toBe(true);
    expect((refused as Error & { retryable: boolean }).retryable).toBe(false);
    expect(spool.stats()).toMatchObject({ records: 0, refused: 1, bufferedBytes: 0 });
    expect(await readdir(join(dir, 'spool'))).toEqual([]); // not even a segment

    const deadLetters = new DeadLetterStore({ dir: join(dir, 'dead-letters'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
    await deadLetters.start();
    const ingest = new Ingest({
      // A status message needs neither the inventory nor a device model.
      inventory: {} as never,
      normaliser: {} as never,
      spool,
      deadLetters,
      logger: createLogger('silent'),
    });
    const topic = 'community/v1/s/gw/status';
    const outcome = await ingest.handle({ topic, site: 's', gateway: 'gw', channel: 'status', payload, receivedAt: 5 });
    expect(outcome.points).toBe(0);
    expect(outcome.rejects).toEqual([
      { reason: 'oversized', detail: expect.stringMatching(/^HUB_ERR_SPOOL_RECORD_TOO_LARGE: /) },
    ]);
    expect(deadLetters.countsByReason()).toEqual({ oversized: 1 });
    expect(spool.stats().records).toBe(0);
    // A record within the limit still goes in, and is read back whole.
    await spool.append(record(2));
    await spool.close();
    expect((await spooledFrames(join(dir, 'spool'))).map((f) => f.record.at)).toEqual([1002]);
  }, 60_000);
});
