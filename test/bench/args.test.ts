/** `npm run bench` argument parsing (bench/args.ts): names are the arguments without `--`. */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args.ts';

const KNOWN = ['auth', 'throughput', 'scale'];

describe('parseBenchArgs', () => {
  it('takes options without any bench name (all benches run)', () => {
    const { names, options } = parseBenchArgs(['--gateways', '10000'], KNOWN);
    expect(names).toEqual([]);
    expect(options.number('gateways', 2000)).toBe(10000);
  });

  it('separates names from options in any order', () => {
    const { names, options } = parseBenchArgs(['auth', '--cold-only', 'throughput', '--reps=5'], KNOWN);
    expect(names).toEqual(['auth', 'throughput']);
    expect(options.flag('cold-only')).toBe(true);
    expect(options.string('cold-only')).toBeUndefined();
    expect(options.number('reps', 3)).toBe(5);
  });

  it('does not take another option as a value', () => {
    const { options } = parseBenchArgs(['--write-doc', '--seconds', '8'], KNOWN);
    expect(options.flag('write-doc')).toBe(true);
    expect(options.number('seconds', 20)).toBe(8);
  });

  it('uses the fallback when absent and refuses a bad number', () => {
    const { options } = parseBenchArgs(['--reps', 'many', '--seconds'], KNOWN);
    expect(options.number('gateways', 7)).toBe(7);
    expect(() => options.number('reps', 3)).toThrow('--reps needs a number ≥ 1');
    expect(() => options.number('seconds', 3)).toThrow('--seconds');
  });
});
