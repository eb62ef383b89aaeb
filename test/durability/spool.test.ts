/**
 * The spool on its own (src/store/spool/), against the in-memory writer and a real folder: what
 * is appended is replayed in order after a restart, a torn last record is skipped with a log line,
 * the byte bound holds acknowledgements back instead of dropping, memory is bounded, and a record
 * InfluxDB refuses becomes a `write_rejected` dead letter without blocking the rest.
 */
import { mkdtemp, open, readdir, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadLetterStore } from '../../src/deadletters/store.ts';
import { HubError } from '../../src/errors.ts';
import type { Point } from '../../src/point.ts';
import { MemoryPointWriter } from '../../src/store/index.ts';
import {
  crc32,
  Drainer,
  Quarantine,
  SEGMENT_MAGIC,
  Spool,
  spoolRecord,
  type SpoolOptions,
  type NewSpoolRecord,
} from '../../src/store/spool/index.ts';
import { crc32ByTable } from '../../src/store/spool/frame.ts';
import { SegmentReader } from '../../src/store/spool/reader.ts';
import { captureLogs, spooledFrames, spooledRecords } from './helpers.ts';

const dirs: string[] = [];
const running: { stop(): Promise<unknown> }[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const r of running.splice(0).reverse()) await r.stop();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hub-spool-'));
  dirs.push(d);
  return d;
}

function point(i: number, fields: Point['fields'] = { fill_pct: i }): Point {
  return {
    measurement: 'bin_level',
    tags: { site: 's', device: `d${i % 3}` },
    fields,
    time: String(1_795_737_600_000_000_000n + BigInt(i)),
  };
}

function record(i: number, fields?: Point['fields']): NewSpoolRecord {
  const payload = Buffer.from(JSON.stringify({ i }));
  return spoolRecord(1000 + i, [point(i, fields)], {
    topic: `t/${i}`,
    site: 's',
    gateway: 'g',
    device: 'd',
    channel: 'telemetry',
    receivedAt: 1000 + i,
    payload,
  });
}

async function openSpool(dir: string, options: Partial<SpoolOptions> = {}) {
  const logs = captureLogs();
  const spool = new Spool({
    dir: join(dir, 'spool'),
    maxBytes: 1 << 20,
    fsync: true,
    maxBufferedBytes: 1 << 20,
    backpressureTimeoutMs: 30_000,
    logger: logs.logger,
    ...options,
  });
  await spool.open();
  running.push({ stop: () => spool.close() });
  return { spool, logs };
}

function drain(
  dir: string,
  spool: Spool,
  writer: MemoryPointWriter,
  logs = captureLogs(),
  prepare?: () => Promise<unknown>,
) {
  const deadLetters = new DeadLetterStore({ dir: join(dir, 'dead-letters'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
  const retry = { minRetryDelayMs: 5, maxRetryDelayMs: 20 };
  const drainer = new Drainer({
    spool,
    writer,
    deadLetters,
    quarantine: new Quarantine({ dir: join(dir, 'quarantine'), fsync: true, deadLetters }),
    logger: logs.logger,
    chunkPoints: 100,
    batchPoints: 10,
    retry,
    ...(prepare ? { prepare } : {}),
  });
  drainer.start();
  running.push(drainer);
  return { drainer, deadLetters, logs };
}

/** A promise the test resolves when it chooses. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const seqs = (w: MemoryPointWriter): number[] =>
  w.points.map((p) => Number(BigInt(p.time) - 1_795_737_600_000_000_000n));

describe('frames', () => {
  it('CRC-32 is the IEEE one (check value of "123456789"), natively and by table', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32ByTable(data)).toBe(0xcbf43926);
    expect(crc32ByTable(Buffer.from('spool'))).toBe(crc32(Buffer.from('spool')));
  });
});

describe('Spool and Drainer', () => {
  it('appends with group commit; a new run replays every record in order, then removes the segments', async () => {
    const dir = await tempDir();
    const first = await openSpool(dir, { segmentBytes: 2048 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.spool.append(record(i))));
    const s = first.spool.stats();
    expect(s.records).toBe(50);
    expect(s.commits).toBeLessThan(50); // many records per write and fsync
    expect(s.segments).toBeGreaterThan(1);
    await first.spool.close();
    expect((await spooledRecords(join(dir, 'spool'))).map((r) => r.at)).toEqual(
      Array.from({ length: 50 }, (_, i) => 1000 + i),
    );

    const second = await openSpool(dir, { segmentBytes: 2048 });
    const writer = new MemoryPointWriter();
    const { drainer } = drain(dir, second.spool, writer);
    await drainer.drained();
    expect(seqs(writer)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expect
      .poll(() => second.spool.stats().segments === 0, {
        timeout: 5_000,
        message: 'the drained segments to be removed',
      })
      .toBeTruthy();
    expect(await readdir(join(dir, 'spool'))).toEqual([]);
    expect(drainer.stats()).toMatchObject({
      recordsWritten: 50,
      pointsWritten: 50,
      lagBytes: 0,
      oldestRecordAgeMs: null,
    });
  });

  it('a written segment is sealed and removed seconds after the drainer entered it: no raw payload stays on disk', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const writer = new MemoryPointWriter();
    drain(dir, spool, writer);
    await Promise.all(Array.from({ length: 5 }, (_, i) => spool.append(record(i))));
    await vi.waitFor(() => expect(seqs(writer)).toEqual([0, 1, 2, 3, 4]), { timeout: 10_000, interval: 20 });
    // Written, but still on disk with its payloads, in the segment being appended to ...
    expect(spool.stats().segments).toBe(1);
    // ... until the drainer has been in it a while (2 s): then sealed and removed.
    await vi.waitFor(() => expect(spool.stats().segments).toBe(0), { timeout: 15_000, interval: 50 });
    expect(await spooledRecords(join(dir, 'spool'))).toEqual([]);
    expect(await readdir(join(dir, 'spool'))).toEqual([]);
    // The spool takes the next record in a new segment, and the drainer writes it.
    await spool.append(record(5));
    await vi.waitFor(() => expect(seqs(writer)).toEqual([0, 1, 2, 3, 4, 5]), { timeout: 10_000, interval: 20 });
  });

  it('a torn last record is skipped with a log line; every whole record before it is replayed', async () => {
    const dir = await tempDir();
    const first = await openSpool(dir);
    for (let i = 0; i < 10; i++) await first.spool.append(record(i));
    await first.spool.close();
    const [file] = await readdir(join(dir, 'spool'));
    const path = join(dir, 'spool', file!);
    await truncate(path, (await stat(path)).size - 7); // a crash in the middle of the last append

    const second = await openSpool(dir);
    const writer = new MemoryPointWriter();
    const { drainer, logs } = drain(dir, second.spool, writer);
    await drainer.drained();
    expect(seqs(writer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const torn = logs.lines.find((l) => String(l.msg).startsWith('spool: torn record'));
    expect(torn).toMatchObject({ level: 40, file: path });
    expect(drainer.stats().damaged).toBe(1);
  });

  it('a damaged record in the middle: the records before and after it are replayed, the damage logged', async () => {
    const dir = await tempDir();
    const first = await openSpool(dir);
    for (let i = 0; i < 6; i++) await first.spool.append(record(i));
    await first.spool.close();
    const records = await spooledFrames(join(dir, 'spool'));
    const [file] = await readdir(join(dir, 'spool'));
    const path = join(dir, 'spool', file!);
    const h = await open(path, 'r+');
    await h.write(Buffer.from('X'), 0, 1, records[3]!.end - 3); // flip a byte inside record 3
    await h.close();
    const second = await openSpool(dir);
    const writer = new MemoryPointWriter();
    const { drainer, logs } = drain(dir, second.spool, writer);
    await drainer.drained();
    expect(seqs(writer)).toEqual([0, 1, 2, 4, 5]);
    const start = records[2]!.end;
    expect(logs.lines.find((l) => String(l.msg).startsWith('spool: damaged stretch'))).toMatchObject({
      level: 50,
      file: path,
      offset: start,
      bytes: records[3]!.end - start,
    });
    expect(drainer.stats().damaged).toBe(1);
  });

  it('when full, holds acknowledgements (FIFO) instead of dropping, and takes them once the drainer frees room', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir, { maxBytes: 8 * 1024, segmentBytes: 1024 });
    const writer = new MemoryPointWriter();
    writer.pause(); // a stalled InfluxDB
    const { drainer } = drain(dir, spool, writer);
    const acked: number[] = [];
    const appends = Array.from({ length: 60 }, (_, i) => spool.append(record(i)).then(() => acked.push(i)));
    // Full: every admitted record is acknowledged, the rest wait.
    await expect
      .poll(() => spool.stats().backpressure && acked.length === 60 - spool.stats().waiting, {
        timeout: 5_000,
        message: 'backpressure',
      })
      .toBeTruthy();
    const held = acked.length;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(60);
    expect(acked).toEqual(Array.from({ length: held }, (_, i) => i));
    expect(spool.stats().bytes).toBeLessThanOrEqual(8 * 1024);
    // Every acknowledged record is on disk.
    expect((await spooledRecords(join(dir, 'spool'))).length).toBeGreaterThanOrEqual(held);
    writer.resume();
    await Promise.all(appends);
    await drainer.drained();
    expect(acked).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(seqs(writer)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('refuses after backpressureTimeout (HUB_ERR_SPOOL_FULL), and at once beyond maxBufferedBytes', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir, {
      maxBytes: 2048,
      segmentBytes: 1024,
      backpressureTimeoutMs: 50,
      maxBufferedBytes: 3000,
    });
    // Records of about 150 bytes: some fill the disk bound, more the memory one, the rest are refused.
    const outcomes = await Promise.allSettled(Array.from({ length: 45 }, (_, i) => spool.append(record(i))));
    const refused = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => (o as PromiseRejectedResult).reason as HubError);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.code === 'HUB_ERR_SPOOL_FULL' && e.retryable)).toBe(true);
    expect(refused.some((e) => /maxBufferedBytes/.test(e.message))).toBe(true);
    expect(refused.some((e) => /for 50 ms/.test(e.message))).toBe(true);
    expect(spool.stats()).toMatchObject({ waiting: 0, bufferedBytes: 0 });
    expect(spool.stats().bytes).toBeLessThanOrEqual(2048);
  });

  it('a record InfluxDB refuses becomes a write_rejected dead letter; the records around it are written', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const writer = new MemoryPointWriter();
    const { drainer, deadLetters } = drain(dir, spool, writer);
    await deadLetters.start();
    // Record 3's fill_pct is a string: a field type conflict once the floats are stored.
    for (let i = 0; i < 3; i++) await spool.append(record(i));
    await drainer.drained();
    await Promise.all([3, 4, 5].map((i) => spool.append(record(i, i === 3 ? { fill_pct: 'full' } : undefined))));
    await drainer.drained();
    expect(seqs(writer)).toEqual([0, 1, 2, 4, 5]);
    const [dl, ...more] = await deadLetters.list();
    expect(more).toEqual([]);
    expect(dl).toMatchObject({
      topic: 't/3',
      rejects: [
        {
          reason: 'write_rejected',
          detail: expect.stringMatching(/^HUB_ERR_INFLUX_WRITE_REJECTED: .*field type conflict/),
        },
      ],
    });
    expect(DeadLetterStore.payloadOf(dl!).toString()).toBe('{"i":3}');
    expect(drainer.stats().deadLettered).toBe(1);
  });

  it('retries a retryable failure until it succeeds; drained() waits meanwhile', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const writer = new MemoryPointWriter();
    writer.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down'));
    const { drainer } = drain(dir, spool, writer);
    await spool.append(record(1));
    let done = false;
    const drained = drainer.drained().then(() => (done = true));
    await expect.poll(() => drainer.stats().retries >= 3, { timeout: 5_000, message: 'retries' }).toBeTruthy();
    expect(done).toBe(false);
    expect(drainer.stats()).toMatchObject({ state: 'retrying', lastError: 'down' });
    expect(drainer.stats().oldestRecordAgeMs).not.toBeNull();
    writer.failWith(undefined);
    await drained;
    expect(seqs(writer)).toEqual([1]);
  });

  it('position() and written(): a record is known written once the drainer passes it, whatever comes after', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const writer = new MemoryPointWriter();
    writer.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down'));
    const { drainer } = drain(dir, spool, writer);
    await spool.append(record(1));
    const first = drainer.position();
    expect(first).not.toBeNull();
    expect(drainer.written(first)).toBe(false); // InfluxDB is down: not written
    writer.failWith(undefined);
    await expect.poll(() => drainer.written(first), { timeout: 5_000, message: 'the first record written' }).toBe(true);
    expect(seqs(writer)).toEqual([1]);
    // Later records, while InfluxDB is away again: the first stays written, the new one is not.
    writer.failWith(new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down'));
    await spool.append(record(2));
    const second = drainer.position();
    expect(drainer.written(first)).toBe(true);
    expect(drainer.written(second)).toBe(false);
    writer.failWith(undefined);
    await expect
      .poll(() => drainer.written(second), { timeout: 5_000, message: 'the second record written' })
      .toBe(true);
    expect(seqs(writer)).toEqual([1, 2]);
  });

  it('written() stays true for a drained segment while it is sealed and removed', async () => {
    // The KPI scheduler closes a period only once written(position at its end) holds: a moment
    // of "unwritten" while a drained segment is removed would hold a close back a whole tick.
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const removing = latch();
    const release = latch();
    const remove = spool.remove.bind(spool);
    vi.spyOn(spool, 'remove').mockImplementation(async (seq: number) => {
      removing.open();
      await release.promise;
      return remove(seq);
    });
    const writer = new MemoryPointWriter();
    const { drainer } = drain(dir, spool, writer);
    await spool.append(record(1));
    const p = drainer.position();
    await expect.poll(() => drainer.written(p), { timeout: 5_000 }).toBe(true);
    await removing.promise; // sealed a while after the drainer entered it, now being removed
    const whileRemoving = drainer.written(p);
    release.open(); // before asserting: a held removal would hold up the drainer's stop
    expect(whileRemoving).toBe(true);
    await vi.waitFor(() => expect(spool.stats().segments).toBe(0), { timeout: 5_000, interval: 20 });
    expect(drainer.written(p)).toBe(true);
  });

  it('a commit made while the drainer opens its segment is not missed: the record is written without a further message', async () => {
    // The race behind a flaky spool-full test: the drainer looked at a new segment (header only,
    // its first group being synced), opened it, and meanwhile that group committed and woke no
    // one; the drainer then idled on what it had seen, leaving the record unwritten until some
    // later message came (never, at the end of a stream). Both awaits are held here to force it.
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    const probe = await open(join(dir, 'probe'), 'w');
    const handles = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const datasync = handles.datasync;
    const syncing = latch();
    const synced = latch();
    vi.spyOn(handles, 'datasync').mockImplementationOnce(async function (this: FileHandle) {
      syncing.open();
      await synced.promise;
      return datasync.call(this);
    });
    const appended = spool.append(record(0));
    await syncing.promise;
    expect(spool.segments()).toMatchObject([{ end: SEGMENT_MAGIC.length, sealed: false }]);

    const openSegment = SegmentReader.prototype.open;
    const opening = latch();
    const opened = latch();
    vi.spyOn(SegmentReader.prototype, 'open').mockImplementationOnce(async function (this: SegmentReader, end: number) {
      opening.open();
      await opened.promise;
      return openSegment.call(this, end);
    });
    const writer = new MemoryPointWriter();
    const { drainer } = drain(dir, spool, writer); // sees the header-only segment and opens it
    await opening.promise;
    synced.open();
    await appended; // committed while the drainer is still opening the segment
    opened.open();
    await expect
      .poll(() => writer.points.length === 1, {
        timeout: 5_000,
        message: `record 0 to be written (drainer ${JSON.stringify(drainer.stats())}, spool ${JSON.stringify(spool.segments())})`,
      })
      .toBeTruthy();
    await drainer.drained();
    expect(seqs(writer)).toEqual([0]);
  });

  it('stop() returns at once while InfluxDB hangs, in a write or in preparing; drained() then rejects', async () => {
    const dir = await tempDir();
    const { spool } = await openSpool(dir);
    await spool.append(record(1));
    const hung = new MemoryPointWriter();
    hung.pause(); // a write that never answers
    const writing = drain(dir, spool, hung).drainer;
    await expect
      .poll(() => writing.stats().state === 'draining', { timeout: 5_000, message: 'a write in flight' })
      .toBeTruthy();
    const waiting = expect(writing.drained()).rejects.toMatchObject({ code: 'HUB_ERR_WRITER_CLOSED' });
    await writing.stop();
    await waiting;
    expect(writing.stats().state).toBe('stopped');

    const preparing = drain(dir, spool, new MemoryPointWriter(), captureLogs(), () => new Promise(() => {})).drainer;
    await expect
      .poll(() => preparing.stats().oldestRecordAgeMs !== null, { timeout: 5_000, message: 'the record to be read' })
      .toBeTruthy();
    await preparing.stop();
    expect(preparing.stats()).toMatchObject({ state: 'stopped', recordsWritten: 0 });
  });
});
