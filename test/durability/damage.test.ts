/**
 * Damage in the middle of a segment (bit rot, a bad sector, a partial overwrite): the reader
 * resynchronises on the next whole frame, reports the skipped bytes with their offsets, and every
 * record after the damage is still read and, through the real hub, lands in the real InfluxDB.
 * Only the records the damage touches are lost, and their bytes are kept in the quarantine, byte
 * for byte, each with a `spool_damaged` dead letter that a replay refuses (quarantine.test.ts has
 * the drainer-level cases). Segments are written by the real Spool, damaged in place, and read
 * back by the real SegmentReader, a chunk at a time as the drainer does.
 */
import { mkdtemp, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../../src/point.ts';
import { parseLines } from '../../src/store/index.ts';
import { Spool, spoolRecord, type NewSpoolRecord } from '../../src/store/spool/index.ts';
import { READ_BLOCK_BYTES, SegmentReader, type Damage, type ReadRecord } from '../../src/store/spool/reader.ts';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';
import {
  captureLogs,
  drainedWithin,
  influxAt,
  metric,
  quarantined,
  spooledFrames,
  startLocalHub,
  storedEvents,
  writeHubFiles,
  type LocalHub,
} from './helpers.ts';
import { spoolWhileInfluxDown } from './publisher.ts';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function record(i: number, payloadBytes = 0): NewSpoolRecord {
  const point: Point = {
    measurement: 'bin_level',
    tags: { site: 's', device: `d${i % 3}` },
    fields: { fill_pct: i },
    time: String(1_795_737_600_000_000_000n + BigInt(i)),
  };
  const payload = Buffer.concat([Buffer.from(JSON.stringify({ i })), Buffer.alloc(payloadBytes, 0xab)]);
  return spoolRecord(1000 + i, [point], {
    topic: `t/${i}`,
    site: 's',
    gateway: 'g',
    device: 'd',
    channel: 'telemetry',
    receivedAt: 1000 + i,
    payload,
  });
}

/** Where each record of a segment starts and ends (read before it is damaged). */
interface Layout {
  path: string;
  starts: number[];
  ends: number[];
}

/** A one-segment spool holding `count` records written by the real Spool; its layout. */
async function writeSegment(count: number, payloadBytes: (i: number) => number = () => 0): Promise<Layout> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-damage-'));
  dirs.push(dir);
  const spoolDir = join(dir, 'spool');
  const spool = new Spool({
    dir: spoolDir,
    maxBytes: 256 << 20,
    segmentBytes: 64 << 20,
    fsync: false,
    maxBufferedBytes: 256 << 20,
    backpressureTimeoutMs: 30_000,
    logger: captureLogs().logger,
  });
  await spool.open();
  for (let i = 0; i < count; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) => spool.append(record(i + j, payloadBytes(i + j)))),
    );
  await spool.close();
  const names = await readdir(spoolDir);
  expect(names).toHaveLength(1);
  const frames = await spooledFrames(spoolDir);
  expect(frames.map((f) => f.record.at)).toEqual(Array.from({ length: count }, (_, i) => 1000 + i));
  const ends = frames.map((f) => f.end);
  return { path: join(spoolDir, names[0]!), starts: [8, ...ends.slice(0, -1)], ends };
}

/** Overwrites `bytes` at `offset` of the file, in place. */
async function overwrite(path: string, offset: number, bytes: Buffer): Promise<void> {
  const h = await open(path, 'r+');
  try {
    await h.write(bytes, 0, bytes.length, offset);
  } finally {
    await h.close();
  }
}

/** Everything the real reader returns for the whole file, read as the drainer does (in chunks). */
async function readAll(path: string, points = 7): Promise<{ records: ReadRecord[]; damage: Damage[]; calls: number }> {
  const reader = new SegmentReader(path);
  const records: ReadRecord[] = [];
  const damage: Damage[] = [];
  let calls = 0;
  try {
    const { size } = await stat(path);
    const opened = await reader.open(size);
    if (!('start' in opened)) throw new Error('not a segment');
    if (opened.damage) damage.push(opened.damage);
    for (let at = opened.start; at < size; calls++) {
      const chunk = await reader.read(at, size, { points, bytes: 8 << 20 });
      expect(chunk.next).toBeGreaterThan(at); // always moves on
      records.push(...chunk.records);
      damage.push(...chunk.damage);
      at = chunk.next;
    }
  } finally {
    await reader.close();
  }
  return { records, damage, calls };
}

const ats = (records: ReadRecord[]): number[] => records.map((r) => r.record.at - 1000);
const except = (count: number, lost: number[]): number[] =>
  Array.from({ length: count }, (_, i) => i).filter((i) => !lost.includes(i));
/** The records a damaged byte range [from, to) touches. */
const touched = (l: Layout, from: number, to: number): number[] =>
  l.starts.map((s, i) => i).filter((i) => l.starts[i]! < to && l.ends[i]! > from);

describe('SegmentReader resynchronises after damage in the middle of a segment', () => {
  it('a damaged segment header (its 8-byte magic): every record is still read, the header is the damage', async () => {
    const l = await writeSegment(10);
    await overwrite(l.path, 0, Buffer.from('XXXXXXXX'));
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(10, []));
    expect(damage).toEqual([
      expect.objectContaining({
        offset: 0,
        bytes: l.starts[0],
        torn: false,
        detail: expect.stringMatching(/bad segment header/),
      }),
    ]);
  });

  it('a file with a segment name but no magic and no whole record is still refused as a whole', async () => {
    const l = await writeSegment(3);
    const { size } = await stat(l.path);
    await overwrite(l.path, 0, Buffer.alloc(size, 0x41));
    const reader = new SegmentReader(l.path);
    try {
      expect(await reader.open(size)).toEqual({
        damage: expect.objectContaining({
          offset: 0,
          bytes: size,
          detail: expect.stringMatching(/not a spool segment/),
        }),
      });
    } finally {
      await reader.close();
    }
  });

  it('bytes overwritten in the body of record k: only record k is lost, the damage is its frame', async () => {
    const l = await writeSegment(30);
    const k = 12;
    await overwrite(l.path, l.starts[k]! + 40, Buffer.from('XYZ'));
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(30, [k]));
    expect(records.map((r) => r.end)).toEqual(l.ends.filter((_, i) => i !== k));
    expect(damage).toEqual([
      {
        offset: l.starts[k],
        bytes: l.ends[k]! - l.starts[k]!,
        torn: false,
        detail: expect.stringMatching(/^CRC mismatch .*bytes skipped, reading again from the whole record at \d+$/),
      },
    ]);
    expect(damage[0]!.detail).toContain(`at ${l.ends[k]}`);
  });

  it('a whole 4 KiB block zeroed across several records: only the records it touches are lost', async () => {
    const l = await writeSegment(80);
    const from = l.starts[20]! + 100; // mid-record, not on a frame boundary
    await overwrite(l.path, from, Buffer.alloc(4096));
    const lost = touched(l, from, from + 4096);
    expect(lost.length).toBeGreaterThanOrEqual(4);
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(80, lost));
    const first = lost[0]!;
    const next = l.starts[lost.at(-1)! + 1]!;
    expect(damage).toEqual([
      {
        offset: l.starts[first],
        bytes: next - l.starts[first]!,
        torn: false,
        detail: expect.stringMatching(/^CRC mismatch/),
      },
    ]);
  });

  it('a zeroed block that starts on a frame boundary: the zero length is the damage', async () => {
    const l = await writeSegment(80);
    const from = l.starts[30]!;
    await overwrite(l.path, from, Buffer.alloc(4096));
    const lost = touched(l, from, from + 4096);
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(80, lost));
    expect(damage).toEqual([
      {
        offset: from,
        bytes: l.starts[lost.at(-1)! + 1]! - from,
        torn: false,
        detail: expect.stringMatching(/^impossible record length 0;/),
      },
    ]);
  });

  it.each([
    ['an impossible length', () => Buffer.from([0xff, 0xff, 0xff, 0xff]), /^impossible record length 4294967295;/],
    ['a plausible wrong length', (len: number) => u32(len + 3), /^CRC mismatch/],
    ['a length past the end of the file', () => u32(1 << 20), /^record length 1048576 runs past the data/],
    ['a wrong CRC', (_len: number, crc: number) => Buffer.concat([u32(_len), u32(crc ^ 1)]), /^CRC mismatch/],
  ])('the header of the very first record damaged (%s): every other record is read', async (_name, damaged, detail) => {
    const l = await writeSegment(20);
    const head = Buffer.alloc(8);
    const h = await open(l.path, 'r');
    await h.read(head, 0, 8, 8);
    await h.close();
    await overwrite(l.path, 8, damaged(head.readUInt32BE(0), head.readUInt32BE(4)));
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(20, [0]));
    expect(damage).toEqual([{ offset: 8, bytes: l.ends[0]! - 8, torn: false, detail: expect.stringMatching(detail) }]);
  });

  it('two damaged stretches and a torn tail: each is reported, the tail as torn as before', async () => {
    const l = await writeSegment(40);
    await overwrite(l.path, l.starts[5]! + 30, Buffer.from('!'));
    await overwrite(l.path, l.starts[22]! + 2, Buffer.from([0x7f]));
    const { size } = await stat(l.path);
    await truncate(l.path, size - 10); // a crash in the middle of the last append
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(40, [5, 22, 39]));
    expect(damage).toEqual([
      {
        offset: l.starts[5],
        bytes: l.ends[5]! - l.starts[5]!,
        torn: false,
        detail: expect.stringMatching(/^CRC mismatch/),
      },
      {
        offset: l.starts[22],
        bytes: l.ends[22]! - l.starts[22]!,
        torn: false,
        detail: expect.stringMatching(/^record length \d+ runs past the data \(\d+ bytes left\); \d+ bytes skipped/),
      },
      {
        offset: l.starts[39],
        bytes: size - 10 - l.starts[39]!,
        torn: true,
        detail: expect.stringMatching(/^record cut short: \d+ of \d+ bytes present$/),
      },
    ]);
  });

  it('a torn last record alone is as before: torn, to the end of the file, every record before it read', async () => {
    const l = await writeSegment(10);
    const { size } = await stat(l.path);
    await truncate(l.path, size - 7);
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual(except(10, [9]));
    expect(damage).toEqual([
      { offset: l.starts[9], bytes: size - 7 - l.starts[9]!, torn: true, detail: expect.stringMatching(/cut short/) },
    ]);
  });

  it('damage with no whole frame after it runs to the end of the file, not torn (as before)', async () => {
    const l = await writeSegment(10);
    const { size } = await stat(l.path);
    await overwrite(l.path, l.starts[6]!, Buffer.alloc(size - l.starts[6]!));
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(damage).toEqual([
      { offset: l.starts[6], bytes: size - l.starts[6]!, torn: false, detail: 'impossible record length 0' },
    ]);
  });

  it('the scan is bounded: damage longer than a read block, across block boundaries, is skipped in one stretch', async () => {
    const l = await writeSegment(22_000); // about 3 MiB
    const from = READ_BLOCK_BYTES - 777;
    const to = from + READ_BLOCK_BYTES + 12_345; // past the next block boundary too
    expect(l.ends.at(-1)!).toBeGreaterThan(to + READ_BLOCK_BYTES);
    const garbage = Buffer.alloc(to - from);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24; // lengths of every size
    await overwrite(l.path, from, garbage);
    const lost = touched(l, from, to);
    const { records, damage } = await readAll(l.path, 4000);
    expect(ats(records)).toEqual(except(22_000, lost));
    expect(damage).toEqual([
      {
        offset: l.starts[lost[0]!],
        bytes: l.starts[lost.at(-1)! + 1]! - l.starts[lost[0]!]!,
        torn: false,
        detail: expect.any(String),
      },
    ]);
  });

  it('the next whole record is larger than a read block: it is found and read', async () => {
    const l = await writeSegment(6, (i) => (i === 3 ? READ_BLOCK_BYTES + 4096 : 0));
    await overwrite(l.path, l.starts[2]! + 20, Buffer.from('#'));
    const { records, damage } = await readAll(l.path);
    expect(ats(records)).toEqual([0, 1, 3, 4, 5]);
    expect(records[2]!.record.source.payload.length).toBeGreaterThan(READ_BLOCK_BYTES);
    expect(damage).toMatchObject([{ offset: l.starts[2], bytes: l.ends[2]! - l.starts[2]!, torn: false }]);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

const KEYS = { operatorKey: 'damage-operator-key-0123456789', adminKey: 'damage-admin-key-0123456789abc' };

describe('through the hub into the real InfluxDB', () => {
  const database = uniqueName('damage');
  let hub: LocalHub | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await hub?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records after a damaged record and after a zeroed 4 KiB block are written; only the damaged ones are missing', async () => {
    const files = await spoolWhileInfluxDown(database, 80);
    dir = files.dir;

    const frames = await spooledFrames(files.spoolDir);
    expect(frames).toHaveLength(80);
    const idOf = (f: (typeof frames)[number]) =>
      String(parseLines(f.record.lines).find((p) => p.measurement === 'deposit')!.fields.event_id);
    const startOf = (i: number) => (i > 0 && frames[i - 1]!.file === frames[i]!.file ? frames[i - 1]!.end : 8);
    // A byte flipped inside record 15, and a 4 KiB block zeroed from the middle of record 40.
    const k = 15;
    await overwrite(frames[k]!.file, startOf(k) + 50, Buffer.from('~'));
    const blockFile = frames[40]!.file;
    const from = startOf(40) + 60;
    await overwrite(blockFile, from, Buffer.alloc(4096));
    const inBlock = frames
      .map((f, i) => i)
      .filter((i) => frames[i]!.file === blockFile && startOf(i) < from + 4096 && frames[i]!.end > from);
    expect(inBlock.length).toBeGreaterThanOrEqual(3);
    expect(inBlock.at(-1)).toBeLessThan(79); // records after the block remain
    const lost = new Set([k, ...inBlock]);
    // The evidence as the drainer will find it, to compare the quarantine with byte for byte.
    const evidence = new Map<string, Buffer>();
    for (const f of new Set(frames.map((x) => x.file))) evidence.set(f, await readFile(f));

    const { url } = sharedInflux();
    await writeHubFiles({ influxUrl: url, database, dir: files.dir, extra: KEYS }); // InfluxDB is back
    hub = await startLocalHub(files);
    await drainedWithin(hub.hub, 30_000);
    const stored = await storedEvents(influxAt(url, database));
    expect(stored.ids).toEqual(new Set(frames.filter((_, i) => !lost.has(i)).map(idOf)));
    expect(stored.rows).toBe(80 - lost.size);
    const logged = hub.logs.filter((l) => String(l.msg).startsWith('spool: damaged stretch'));
    expect(logged).toEqual([
      expect.objectContaining({
        level: 50,
        file: frames[k]!.file,
        offset: startOf(k),
        bytes: frames[k]!.end - startOf(k),
      }),
      expect.objectContaining({
        level: 50,
        file: blockFile,
        offset: startOf(inBlock[0]!),
        bytes: startOf(inBlock.at(-1)! + 1) - startOf(inBlock[0]!),
      }),
    ]);
    expect(hub.hub.stats().spool?.drainer.damaged).toBe(2);

    // Both stretches are in the quarantine, byte for byte, each with its spool_damaged dead letter.
    await expect.poll(() => hub!.hub.stats().spool?.segments, { timeout: 10_000 }).toBe(0); // removed after
    const kept = await quarantined(files.dataDir);
    expect(kept.map((q) => [q.sidecar.offset, q.sidecar.bytes])).toEqual(logged.map((l) => [l.offset, l.bytes]));
    kept.forEach((q, i) => {
      const { file, offset, bytes } = logged[i] as { file: string; offset: number; bytes: number };
      expect(q.sidecar.segment).toBe(basename(file));
      expect(q.bytes.equals(evidence.get(file)!.subarray(offset, offset + bytes)), q.name).toBe(true);
      expect(logged[i]!.quarantine).toBe(q.name);
    });
    const dls = await hub.hub.deadLetters({ reason: 'spool_damaged' });
    expect(dls.map((d) => d.id).sort()).toEqual(kept.map((q) => q.sidecar.deadLetter).sort());
    const bytes = kept.reduce((n, q) => n + q.bytes.length, 0);
    expect(await metric(hub.httpUrl, KEYS.operatorKey, 'hub_spool_quarantined_total')).toBe(2);
    expect(await metric(hub.httpUrl, KEYS.operatorKey, 'hub_spool_quarantined_bytes_total')).toBe(bytes);
    expect(await metric(hub.httpUrl, KEYS.operatorKey, 'hub_dead_letters_total{reason="spool_damaged"}')).toBe(2);

    // Damaged bytes are no message: a replay refuses them and writes nothing.
    const r = await fetch(`${hub.httpUrl}/api/v1/dead-letters/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: dls.map((d) => d.id) }),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { replayed: unknown[] }).replayed).toEqual(
      dls.map((d) => ({ id: d.id, points: 0, stillRejected: [{ reason: 'spool_damaged' }] })),
    );
    await drainedWithin(hub.hub, 30_000);
    expect((await storedEvents(influxAt(url, database))).rows).toBe(80 - lost.size);

    // The counters count one run; the next start says what the folder still holds.
    await hub.stop();
    hub = await startLocalHub(files);
    expect(hub.logs.find((l) => String(l.msg).startsWith('spool: the quarantine holds'))).toMatchObject({
      level: 40,
      stretches: 2,
      bytes,
    });
  }, 60_000);
});
