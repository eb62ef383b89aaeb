import { describe, expect, it } from 'vitest';
import { eventOffsetNs, eventTimeNs } from '../../src/normalise/key.ts';

const MS = Date.parse('2026-11-27T00:01:12Z');

describe('event point keys (docs/contract.md §4)', () => {
  it('gives the same time to the same device and id (a replay lands on the same point)', () => {
    expect(eventTimeNs(MS, 'maple-court', 'bin-01', 'e-000123')).toBe(
      eventTimeNs(MS, 'maple-court', 'bin-01', 'e-000123'),
    );
  });

  it('stays within the millisecond of the event', () => {
    const ns = BigInt(eventTimeNs(MS, 'maple-court', 'bin-01', 'e-000123'));
    expect(ns / 1_000_000n).toBe(BigInt(MS));
  });

  it('gives different times to different ids in the same millisecond', () => {
    const times = new Set(Array.from({ length: 200 }, (_, i) => eventTimeNs(MS, 'maple-court', 'bin-01', `e-${i}`)));
    // 200 ids in one millisecond: a coincidence has probability ≈ 200²/2e6 = 2 %; these ids have none.
    expect(times.size).toBe(200);
  });

  it('depends on the device and the site, not only the id', () => {
    const a = eventOffsetNs('maple-court', 'bin-01', '1');
    expect(eventOffsetNs('maple-court', 'bin-02', '1')).not.toBe(a);
    expect(eventOffsetNs('oak-park', 'bin-01', '1')).not.toBe(a);
  });

  it('keeps offsets in [0, 1e6)', () => {
    for (let i = 0; i < 1000; i++) {
      const o = eventOffsetNs('s', 'd', String(i));
      expect(Number.isInteger(o) && o >= 0 && o < 1_000_000).toBe(true);
    }
  });

  it('is pinned: changing the derivation would move every stored event', () => {
    expect(eventTimeNs(MS, 'maple-court', 'dev-01', 'e-000123')).toBe('1795737672000733845');
  });
});
