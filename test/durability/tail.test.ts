/**
 * The spool's in-memory tail (src/store/spool/tail.ts): what the drainer takes from memory is what
 * it would have read from the segment file, record for record and byte for byte; anything the
 * tail does not hold exactly (another offset, evicted) is left to the file reader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../../src/point.ts';
import { decodeRecord, frameRecord } from '../../src/store/spool/record.ts';
import { SegmentReader, type ReadChunk } from '../../src/store/spool/reader.ts';
import { Spool, spoolRecord, type NewSpoolRecord } from '../../src/store/spool/index.ts';
import { TailCache } from '../../src/store/spool/tail.ts';
import { captureLogs } from './helpers.ts';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function record(i: number, points = 1): NewSpoolRecord {
  const ps: Point[] = Array.from({ length: points }, (_, k) => ({
    measurement: 'bin_level',
    tags: { site: 's', device: `d${i}`, category: `c${k}` },
    fields: { fill_pct: i + k / 10, note: `é "${i}"` },
    time: String(1_795_737_600_000_000_000n + BigInt(i)),
  }));
  return spoolRecord(1000 + i, ps, {
    topic: `t/${i}`,
    site: 's',
    gateway: 'g',
    device: `d${i}`,
    channel: 'telemetry',
    receivedAt: 1000 + i,
    stamp: { ms: 1000 + i, offset: i },
    payload: Buffer.from(JSON.stringify({ i, text: '中文' })),
  });
}

/** What a chunk holds, comparably: each record's end and its fields, bytes as text. */
function shape(chunk: ReadChunk | undefined) {
  if (!chunk) return undefined;
  return {
    next: chunk.next,
    damage: chunk.damage,
    records: chunk.records.map(({ record: r, end }) => ({
      end,
      at: r.at,
      pointCount: r.pointCount,
      lines: r.lines.toString('utf8'),
      source: { ...r.source, payload: r.source.payload.toString('utf8') },
    })),
  };
}

async function spoolWith(n: number): Promise<Spool> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-tail-'));
  dirs.push(dir);
  const spool = new Spool({
    dir,
    maxBytes: 1 << 24,
    fsync: false,
    maxBufferedBytes: 1 << 24,
    backpressureTimeoutMs: 30_000,
    logger: captureLogs().logger,
  });
  await spool.open();
  closers.push(() => spool.close());
  // Several groups: appends offered while a group commits share the next one.
  for (let i = 0; i < n; i += 7)
    await Promise.all(
      Array.from({ length: Math.min(7, n - i) }, (_, k) => spool.append(record(i + k, 1 + ((i + k) % 3)))),
    );
  return spool;
}

async function fromFile(spool: Spool, offset: number, limits: { points: number; bytes: number }) {
  const segment = spool.segments()[0]!;
  const reader = new SegmentReader(segment.path);
  closers.push(() => reader.close());
  await reader.open(segment.end);
  return reader.read(offset, segment.end, limits);
}

describe('the spool tail', () => {
  it('gives what the file reader gives, from any record boundary, within the same limits', async () => {
    const spool = await spoolWith(60);
    const segment = spool.segments()[0]!;
    const whole = await fromFile(spool, 8, { points: 1e9, bytes: 1 << 30 });
    expect(whole.records).toHaveLength(60);
    // Every record boundary (the tail drops what lies before the offset asked, so go forward).
    const starts = [8, ...whole.records.map((r) => r.end).slice(0, -1)];
    for (const [i, offset] of starts.entries()) {
      const limits = { points: 1 + (i % 5), bytes: i % 4 === 0 ? 1 : 1 << 30 };
      const file = await fromFile(spool, offset, limits);
      expect(shape(spool.tail(segment.seq, offset, segment.end, limits))).toEqual(shape(file));
    }
  });

  it('holds nothing for an offset that is not a record it kept: the drainer reads the file', async () => {
    const spool = await spoolWith(10);
    const segment = spool.segments()[0]!;
    const all = { points: 1e9, bytes: 1 << 30 };
    expect(shape(spool.tail(segment.seq, 8, segment.end, all))).toEqual(shape(await fromFile(spool, 8, all)));
    expect(spool.tail(segment.seq, 8, 8, all)).toBeUndefined(); // nothing committed before `end`
    expect(spool.tail(segment.seq, 9, segment.end, all)).toBeUndefined(); // inside the first record
    // The drainer only moves forward: what lies before an offset asked for is gone from memory.
    expect(spool.tail(segment.seq, 8, segment.end, all)).toBeUndefined();
    expect(spool.tail(segment.seq + 1, 8, segment.end, all)).toBeUndefined(); // another segment
  });

  it('keeps only the newest records within its bound of frame bytes', () => {
    const framed = Array.from({ length: 10 }, (_, i) => frameRecord(record(i)));
    const size = framed[0]!.length;
    const tail = new TailCache(size * 4 + 1);
    let at = 8;
    const offsets = framed.map((frame) => {
      tail.add(1, at, frame);
      return (at += frame.length) - frame.length;
    });
    expect(tail.bytes).toBeLessThanOrEqual(size * 4 + 1);
    const all = { points: 1e9, bytes: 1 << 30 };
    expect(tail.take(1, offsets[5]!, at, all)).toBeUndefined(); // evicted
    const kept = tail.take(1, offsets[6]!, at, all);
    expect(kept?.records.map((r) => r.end)).toEqual(offsets.slice(7).concat(at));
    // The record read from the kept frame is what decoding the frame gives.
    expect(shape(kept)!.records[0]).toEqual(
      shape({
        next: 0,
        damage: [],
        records: [{ record: decodeRecord(framed[6]!.subarray(8)), end: offsets[7]! }],
      })!.records[0],
    );
  });
});
