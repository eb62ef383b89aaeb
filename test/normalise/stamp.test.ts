import { describe, expect, it } from 'vitest';
import { ArrivalStamps, slotAt, slotNs } from '../../src/normalise/stamp.ts';

const MS = Date.parse('2026-11-27T00:05:00Z');

describe('arrival slots (src/normalise/stamp.ts)', () => {
  it('starts each new millisecond at the first offset and continues within one', () => {
    const s = new ArrivalStamps(1);
    expect(s.reserve('a', MS, 3)).toEqual({ ms: MS, offset: 1 });
    expect(s.reserve('a', MS, 1)).toEqual({ ms: MS, offset: 4 });
    expect(s.reserve('b', MS, 1)).toEqual({ ms: MS, offset: 1 }); // another series
    expect(s.reserve('a', MS + 1, 1)).toEqual({ ms: MS + 1, offset: 1 });
    expect(new ArrivalStamps(0).reserve('a', MS + 0.7, 1)).toEqual({ ms: MS, offset: 0 });
  });

  it('spills into the next milliseconds when one is full, skipping their offset 0', () => {
    expect(slotAt({ ms: MS, offset: 999_999 }, 1)).toEqual({ ms: MS + 1, offset: 1 });
    expect(slotAt({ ms: MS, offset: 999_999 }, 1 + 999_999)).toEqual({ ms: MS + 2, offset: 1 });
    expect(slotAt({ ms: MS, offset: 0 }, 5)).toEqual({ ms: MS, offset: 5 });
    expect(slotNs({ ms: MS, offset: 999_998 }, 3)).toBe(`${MS + 1}000002`);
    const s = new ArrivalStamps(1);
    s.reserve('a', MS, 999_999); // offsets 1 … 999,999: the millisecond is full
    expect(s.reserve('a', MS, 2)).toEqual({ ms: MS + 1, offset: 1 });
    // The clock reaching that millisecond continues after what was spilled into it.
    expect(s.reserve('a', MS + 1, 1)).toEqual({ ms: MS + 1, offset: 3 });
  });

  it('never repeats a slot when the clock steps back', () => {
    const s = new ArrivalStamps(1);
    const seen = new Set<string>();
    for (const at of [MS, MS, MS + 5, MS - 100, MS + 5, MS + 2, MS + 6]) {
      const stamp = s.reserve('a', at, 2);
      for (const i of [0, 1]) {
        const ns = slotNs(stamp, i);
        expect(seen.has(ns)).toBe(false);
        seen.add(ns);
      }
    }
    expect(seen.size).toBe(14);
  });

  it('refuses a first offset outside a millisecond', () => {
    expect(() => new ArrivalStamps(1_000_000)).toThrow(RangeError);
  });
});
