/** Summaries of bench repetitions (bench/stats.ts) and the figures block of docs/benchmarks.md (bench/doc.ts). */
import { describe, expect, it } from 'vitest';
import { replaceBlock } from '../../bench/doc.ts';
import { formatCount, formatSpread, percentile, spread } from '../../bench/stats.ts';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('spread', () => {
  it('gives median, min and max, ignoring non-finite values', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 2, 3, NaN])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spread([]).n).toBe(0);
  });

  it('formats with the range only when there are repetitions', () => {
    expect(formatSpread(spread([12_000, 11_500, 12_500]))).toBe('12,000 (11,500–12,500)');
    expect(formatSpread(spread([0.456]), 2)).toBe('0.46');
    expect(formatSpread(spread([]))).toBe('n/a');
  });
});

describe('formatCount', () => {
  it('rounds and groups thousands', () => {
    expect(formatCount(25_220.6)).toBe('25,221');
    expect(formatCount(999.4)).toBe('999');
  });
});

describe('replaceBlock (bench/doc.ts)', () => {
  it('replaces only the named block and keeps its markers', () => {
    const text =
      'a\n<!-- bench:x:begin -->\nold\n<!-- bench:x:end -->\nb\n<!-- bench:y:begin -->\nkeep\n<!-- bench:y:end -->\n';
    const out = replaceBlock(text, 'x', '\nnew\n');
    expect(out).toBe(
      'a\n<!-- bench:x:begin -->\nnew\n<!-- bench:x:end -->\nb\n<!-- bench:y:begin -->\nkeep\n<!-- bench:y:end -->\n',
    );
    expect(replaceBlock(out, 'x', 'new')).toBe(out);
  });

  it('refuses a document without the block', () => {
    expect(() => replaceBlock('nothing here', 'x', 'new')).toThrow('no <!-- bench:x:begin -->');
  });
});
