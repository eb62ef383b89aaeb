/**
 * Fuzzing the spool reader (src/store/spool/reader.ts; README "Nothing lost: the spool"): a segment
 * file of arbitrary bytes — random data, real segments with bytes flipped, cut, inserted or
 * overwritten, frames whose CRC matches but whose body is any JSON — is read to its end without a
 * throw and without looping: every byte after the header is either a record or reported damage,
 * in order, and every record handed on holds well-formed points (the drainer writes them as is).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Point } from '../../src/point.ts';
import { encodeFrame, SEGMENT_MAGIC } from '../../src/store/spool/frame.ts';
import { SegmentReader } from '../../src/store/spool/reader.ts';
import { parseLines } from '../../src/store/line-parse.ts';
import {
  encodeRecord,
  RECORD_VERSION,
  spoolRecord,
  type NewSpoolRecord,
  type SpoolRecord,
} from '../../src/store/spool/record.ts';
import { anyJson } from './arbitraries.ts';
import { fuzz } from './settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-fuzz-spool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'segment');

const TOPIC = 'community/v1/maple-court/gw-east/dev-01/telemetry';

function record(i: number): NewSpoolRecord {
  return spoolRecord(
    1_795_737_900_000 + i,
    [
      {
        measurement: 'device_health',
        tags: { site: 'maple-court', gateway: 'gw-east', device: `dev-${i}`, building: 'b1' },
        fields: { heartbeat: true, battery_pct: i },
        time: `${1_795_737_900_000 + i}000001`,
      },
    ],
    {
      topic: TOPIC,
      receivedAt: 1_795_737_900_000 + i,
      payload: Buffer.from(`{"battery":${i}}`),
    },
  );
}

const segment = fc
  .nat({ max: 6 })
  .map((n) =>
    Buffer.concat([SEGMENT_MAGIC, ...Array.from({ length: n }, (_, i) => encodeFrame(encodeRecord(record(i))))]),
  );

/** A frame whose CRC matches but whose body is not what a spool writes. */
const strangeFrame = fc
  .oneof(
    anyJson.map((v) => JSON.stringify(v) ?? 'null'),
    fc.record({ at: anyJson, points: anyJson, source: anyJson }).map((v) => JSON.stringify(v)),
    fc
      .record({
        at: fc.integer(),
        points: fc.array(anyJson, { maxLength: 3 }),
        source: fc.record({ payload: fc.string() }),
      })
      .map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 30 }),
  )
  .filter((s) => s.length > 0)
  .map((s) => Buffer.from(s))
  .chain((body) =>
    fc.oneof(
      fc.constant(body),
      // Bodies of the binary layout (record.ts): its version byte, then anything; or a sound
      // header whose lengths are then damaged.
      fc.constant(Buffer.concat([Buffer.from([RECORD_VERSION]), body])),
      fc.tuple(fc.nat({ max: 60 }), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, b]) => {
        const sound = Buffer.from(encodeRecord(record(body.length)));
        sound.set(b, Math.min(at, sound.length - b.length));
        return sound;
      }),
    ),
  )
  .map((body) => encodeFrame(body));

const damaged = fc
  .tuple(
    segment,
    fc.array(strangeFrame, { maxLength: 2 }),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('flip', 'cut', 'insert', 'zero'),
        fc.uint8Array({ minLength: 1, maxLength: 12 }),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([seg, extra, edits]) => {
    let buf = Buffer.concat([seg, ...extra]);
    for (const [at, how, bytes] of edits) {
      const i = at % Math.max(1, buf.length);
      if (how === 'flip') buf[i] = (buf[i] ?? 0) ^ (bytes[0]! || 1);
      else if (how === 'cut') buf = buf.subarray(0, i);
      else if (how === 'insert') buf = Buffer.concat([buf.subarray(0, i), Buffer.from(bytes), buf.subarray(i)]);
      else buf.fill(0, i, Math.min(buf.length, i + bytes.length));
    }
    return buf;
  });

const bytes = fc.oneof(
  { arbitrary: damaged, weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.concat([SEGMENT_MAGIC, b])), weight: 1 },
);

function checkPoint(p: Point): void {
  expect(typeof p.measurement === 'string' && p.measurement !== '').toBe(true);
  expect(typeof p.time === 'string' && /^-?\d+$/.test(p.time)).toBe(true);
  for (const v of Object.values(p.tags)) expect(typeof v).toBe('string');
  expect(Object.keys(p.fields).length).toBeGreaterThan(0);
  for (const v of Object.values(p.fields))
    expect(typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))).toBe(true);
}

/**
 * A record read holds what the drainer may post: whole lines, at least as many as it says (a
 * string value may hold a newline). (A frame whose CRC matches by chance and whose layout is sound
 * could still hold lines InfluxDB refuses: those become dead letters, chunk-writer.ts.) Lines of
 * the records this test wrote parse as points.
 */
function checkRecord(r: SpoolRecord): void {
  expect(typeof r.source.topic).toBe('string');
  expect(r.lines.toString('latin1').split('\n').length - 1).toBeGreaterThanOrEqual(r.pointCount);
  if (r.lines.length > 0) expect(r.lines.at(-1)).toBe(0x0a);
  if (r.source.topic === TOPIC && r.pointCount === 1 && /^device_health,/.test(r.lines.toString()))
    parseLines(r.lines).forEach(checkPoint);
}

/** Read the whole file as the drainer does; returns the byte ranges accounted for. */
async function readAll(data: Buffer, limits: { points: number; bytes: number }) {
  writeFileSync(file, data);
  const end = data.length;
  const reader = new SegmentReader(file);
  const spans: [number, number, 'header' | 'record' | 'damage'][] = [];
  try {
    const opened = await reader.open(end);
    if (opened.damage) spans.push([opened.damage.offset, opened.damage.offset + opened.damage.bytes, 'damage']);
    if (!('start' in opened)) return { spans, end };
    if (!opened.damage) spans.push([0, opened.start, 'header']);
    let from = opened.start;
    for (let guard = 0; from < end; guard++) {
      expect(guard, 'the reader makes progress').toBeLessThan(end + 10);
      const chunk = await reader.read(from, end, limits);
      expect(chunk.next).toBeGreaterThan(from);
      const items = [
        ...chunk.records.map((r) => ({ at: -1, end: r.end, kind: 'record' as const, r })),
        ...chunk.damage.map((d) => ({ at: d.offset, end: d.offset + d.bytes, kind: 'damage' as const, r: undefined })),
      ].sort((a, b) => a.end - b.end);
      let at = from;
      for (const it of items) {
        if (it.kind === 'damage') expect(it.at).toBe(at);
        spans.push([at, it.end, it.kind]);
        if (it.r) checkRecord(it.r.record);
        at = it.end;
      }
      expect(at).toBe(chunk.next);
      from = chunk.next;
    }
  } finally {
    await reader.close();
  }
  return { spans, end };
}

/** Found by this test: a frame with a matching CRC and `points: [0]` was handed on as a record. */
const GARBAGE_POINTS = Buffer.concat([
  SEGMENT_MAGIC,
  encodeFrame(Buffer.from('{"at":0,"points":[0],"source":{"topic":"t","receivedAt":0,"payload":""}}')),
]);

describe('spool reader fuzz', () => {
  it('reports a record whose points are not points as damage (a regression)', async () => {
    const { spans } = await readAll(GARBAGE_POINTS, { points: 10, bytes: 1 << 20 });
    expect(spans.map((s) => s[2])).toEqual(['header', 'damage']);
  });

  it('reads any bytes to the end: records and damage cover the file, records hold points', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom(1, 3, 1000), async (data, points) => {
        const { spans, end } = await readAll(data, { points, bytes: 1 << 20 });
        let at = 0;
        for (const [a, b] of spans) {
          expect(a).toBe(at);
          expect(b > a || end === 0).toBe(true);
          at = b;
        }
        expect(at).toBe(end);
      }),
      fuzz(300, { examples: [[GARBAGE_POINTS, 1]] }),
    );
  });
});
