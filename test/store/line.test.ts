/**
 * line.ts writes line protocol by hand on the hot path: it must write byte for byte what the
 * official client's `Point.toLineProtocol()` writes (an implementation nobody here wrote), for any
 * point, including the characters the protocol escapes. line-parse.ts reads it back for the
 * in-memory writer: the round trip gives the point again. The spool's writer of the same lines
 * straight into bytes must give what the text gives, and never write past the room it is given.
 */
import { Point as ClientPoint } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/point.ts';
import { encodeLines, parseLines, toLineProtocol } from '../../src/store/index.ts';
import { linesRoom, NoRoom, encodeLinesInto } from '../../src/store/line.ts';
import { fuzz } from '../fuzz/settings.ts';

/** Text with the characters line protocol escapes in any part, and some beyond ASCII. */
const text = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ',', ' ', '=', '"', '\\', '\n', '\r', '\t', 'é', '😀', '_'),
  minLength: 1,
  maxLength: 8,
});
/** Text line protocol carries both ways (a backslash or a control character it does not). */
const plain = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ',', ' ', '=', '"', 'é', '😀', '_'),
  minLength: 1,
  maxLength: 8,
});
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 10 }),
  text,
);
const pointOf = (t: fc.Arbitrary<string>) =>
  fc.record({
    measurement: t,
    tags: fc.dictionary(t, fc.oneof(t, fc.constant('')), { maxKeys: 4 }),
    fields: fc.dictionary(t, value, { minKeys: 1, maxKeys: 4 }),
    time: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  });
const point = pointOf(text);

function client(p: Point): string | undefined {
  const c = new ClientPoint(p.measurement).timestamp(p.time);
  for (const [k, v] of Object.entries(p.tags)) c.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === 'number') c.floatField(k, v);
    else if (typeof v === 'boolean') c.booleanField(k, v);
    else c.stringField(k, v);
  }
  return c.toLineProtocol();
}

describe('line protocol', () => {
  it('is what the official client writes, for any point', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(toLineProtocol(p)).toBe(client(p));
      }),
      fuzz(500),
    );
  });

  it('reads back as the point written (tags without empty values, numbers as floats)', () => {
    fc.assert(
      fc.property(fc.array(pointOf(plain), { minLength: 1, maxLength: 3 }), (points) => {
        const want = points.map((p) => ({
          ...p,
          tags: Object.fromEntries(Object.entries(p.tags).filter(([, v]) => v !== '')),
          fields: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])),
        }));
        expect(parseLines(encodeLines(points))).toEqual(want);
      }),
      fuzz(300),
    );
  });

  it('written straight into bytes, is what encodeLines gives, within the room linesRoom counts', () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 4 }), fc.nat({ max: 16 }), (points, at) => {
        const want = encodeLines(points);
        const room = linesRoom(points);
        expect(room).toBeGreaterThanOrEqual(want.length);
        const buf = Buffer.alloc(at + room);
        expect(encodeLinesInto(points, buf, at, at + room)).toBe(at + want.length);
        expect(buf.subarray(at, at + want.length).equals(want)).toBe(true);
      }),
      fuzz(500),
    );
  });

  it('written into bytes, refuses with NoRoom rather than write past the end it is given', () => {
    fc.assert(
      fc.property(
        fc.array(point, { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (points, f) => {
          const size = encodeLines(points).length;
          const end = Math.min(size - 1, Math.floor(f * size));
          const buf = Buffer.alloc(linesRoom(points) + 8, 0xaa);
          expect(() => encodeLinesInto(points, buf, 0, end)).toThrow(NoRoom);
          expect(buf.subarray(end).every((b) => b === 0xaa)).toBe(true);
        },
      ),
      fuzz(300),
    );
  });

  it('encodes a batch as lines ending in a newline each', () => {
    const p: Point = { measurement: 'm', tags: { b: '2', a: '1' }, fields: { y: true, x: 1.5 }, time: '7' };
    expect(encodeLines([p, p]).toString()).toBe('m,a=1,b=2 x=1.5,y=T 7\nm,a=1,b=2 x=1.5,y=T 7\n');
  });
});
