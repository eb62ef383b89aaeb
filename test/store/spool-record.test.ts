/**
 * The binary spool record (src/store/spool/record.ts): whatever the message (optional source
 * fields absent or present, any UTF-8, a stamp or none, any payload bytes), a record reads back as
 * written; a record of the first (JSON) format reads back with its points encoded as the ingest
 * path encodes them now.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/point.ts';
import { encodeLines } from '../../src/store/line.ts';
import { encodeJsonRecord } from '../../src/store/spool/record-json.ts';
import { FRAME_HEADER_BYTES } from '../../src/store/spool/frame.ts';
import {
  decodeRecord,
  encodeRecord,
  frameRecord,
  spoolRecord,
  viewRecord,
  type RecordSource,
} from '../../src/store/spool/record.ts';
import { fuzz } from '../fuzz/settings.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const source: fc.Arbitrary<RecordSource> = fc.record(
  {
    topic: text,
    site: text,
    gateway: text,
    device: text,
    channel: fc.constantFrom('telemetry', 'event', 'status'),
    receivedAt: fc.double({ noNaN: true, noDefaultInfinity: true }),
    stamp: fc.record({ ms: fc.integer({ min: 0, max: 2 ** 45 }), offset: fc.nat({ max: 999_999 }) }),
    payload: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  },
  { requiredKeys: ['topic', 'receivedAt', 'payload'] },
);
const point: fc.Arbitrary<Point> = fc.record({
  measurement: fc.string({ minLength: 1, maxLength: 10 }),
  tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fields: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 5 }),
    fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 12 })),
    { minKeys: 1, maxKeys: 3 },
  ),
  time: fc.bigInt({ min: 0n, max: 2n ** 62n }).map(String),
});

describe('spool record layout', () => {
  it('reads back as written, for any message', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.array(point, { maxLength: 4 }),
        source,
        (at, points, src) => {
          const record = spoolRecord(at, points, src);
          const back = decodeRecord(encodeRecord(record));
          expect(back.at).toBe(at);
          expect(back.pointCount).toBe(points.length);
          expect(back.lines.equals(encodeLines(points))).toBe(true);
          expect(back.source).toEqual(src);
          // The record the drainer reads from a frame kept in memory (tail.ts) is what decoding gives.
          const frame = frameRecord(record);
          const view = viewRecord(frame);
          const { at: vAt, pointCount, lines, source: vSource } = view;
          expect({ at: vAt, pointCount, lines, source: vSource }).toEqual(
            decodeRecord(frame.subarray(FRAME_HEADER_BYTES)),
          );
          expect(view.lines.equals(back.lines) && view.source.payload.equals(back.source.payload)).toBe(true);
        },
      ),
      fuzz(300),
    );
  });

  it('writes a string that turns non-ASCII after an ASCII start as UTF-8, whole', () => {
    const src = {
      topic: 'community/v1/枫林苑/gw-1/bin-1/event',
      site: '枫林苑',
      gateway: 'gw-é',
      receivedAt: 1,
      payload: Buffer.from('{}'),
    };
    const frame = frameRecord(spoolRecord(5, [], src));
    expect(decodeRecord(frame.subarray(FRAME_HEADER_BYTES)).source).toEqual(src);
    expect(viewRecord(frame).source).toEqual(src);
  });

  it('frames a big record in a buffer of its own, no larger than the frame, and reads it back', () => {
    const points: Point[] = Array.from({ length: 200 }, (_, i) => ({
      measurement: 'bin_level',
      tags: { site: '枫林苑', device: `bin-${i}` },
      fields: { fill_pct: i, note: 'a "quoted", spaced\nnote' },
      time: String(1_700_000_000_000_000_000 + i),
    }));
    const src = { topic: 't', receivedAt: 1, payload: Buffer.alloc(40_000, 0x61) };
    const frame = frameRecord(spoolRecord(5, points, src));
    expect(frame.buffer.byteLength).toBe(frame.length);
    const back = decodeRecord(frame.subarray(FRAME_HEADER_BYTES));
    expect(back.lines.equals(encodeLines(points))).toBe(true);
    expect(back.source).toEqual(src);
    const view = viewRecord(frame);
    expect(view.lines.equals(back.lines) && view.pointCount === 200 && view.at === 5).toBe(true);
  });

  it('frames records across slabs: each reads back, none overwritten by a later one that did not fit', () => {
    // ~1 KiB frames, 1,000 of them: four 256 KiB slabs, each left when the next record may not fit.
    const records = Array.from({ length: 1_000 }, (_, i) =>
      spoolRecord(
        i,
        [{ measurement: 'bin_level', tags: { device: `bin-${i}` }, fields: { fill_pct: i }, time: String(i) }],
        { topic: `t/${i}`, receivedAt: i, payload: Buffer.alloc(900 + (i % 50), i % 256) },
      ),
    );
    const frames = records.map((r) => frameRecord(r));
    const slabs = new Set(frames.map((f) => f.buffer)).size;
    expect(slabs).toBeGreaterThan(3);
    expect(slabs).toBeLessThan(10); // shared slabs, not a buffer per frame
    frames.forEach((frame, i) => {
      const back = decodeRecord(frame.subarray(FRAME_HEADER_BYTES));
      expect(back.at).toBe(i);
      expect(back.lines.equals(encodeLines(records[i]!.points))).toBe(true);
      expect(back.source).toEqual(records[i]!.source);
    });
  });

  it('frames a record whose lines overflow a whole slab in a buffer of its own, exactly its size', () => {
    const points: Point[] = Array.from({ length: 3_000 }, (_, i) => ({
      measurement: 'bin_level',
      tags: { site: 'maple-court', device: `bin-${i}` },
      fields: { fill_pct: i, weight_kg: i / 4 },
      time: String(1_700_000_000_000_000_000 + i),
    }));
    const src = { topic: 't', receivedAt: 1, payload: Buffer.from('[]') };
    const frame = frameRecord(spoolRecord(7, points, src));
    expect(frame.length).toBeGreaterThan(256 * 1024);
    expect(frame.buffer.byteLength).toBe(frame.length);
    const back = decodeRecord(frame.subarray(FRAME_HEADER_BYTES));
    expect(back.lines.equals(encodeLines(points))).toBe(true);
    expect(back.source).toEqual(src);
    // The slab it did not fit is used again by the next record.
    const next = frameRecord(spoolRecord(8, [], src));
    expect(decodeRecord(next.subarray(FRAME_HEADER_BYTES)).at).toBe(8);
  });

  it('a record of the first (JSON, base64 payload) format reads back with its points as line protocol', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(point, { minLength: 1, maxLength: 3 }), source, (at, points, src) => {
        const back = decodeRecord(encodeJsonRecord({ at, points, source: src }));
        expect(back).toEqual({ at, lines: encodeLines(points), pointCount: points.length, source: src });
      }),
      fuzz(200),
    );
  });

  it('refuses a body of an unknown version, and one whose lengths do not add up', () => {
    const body = Buffer.from(
      encodeRecord(spoolRecord(1, [], { topic: 't', receivedAt: 2, payload: Buffer.from('x') })),
    );
    expect(decodeRecord(body).source.topic).toBe('t');
    expect(() => decodeRecord(Buffer.concat([body, Buffer.from('y')]))).toThrow(/lengths do not add up/);
    body[0] = 3;
    expect(() => decodeRecord(body)).toThrow(/unknown version byte 3/);
  });
});
