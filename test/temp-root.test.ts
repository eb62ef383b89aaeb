/** The run's temporary root (test/helpers/temp-root.ts), nested here inside the run's own. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempRoot } from './helpers/temp-root.ts';

describe("the run's temporary root", () => {
  it('points TMPDIR at a new folder in the temp directory, then restores it and removes the folder', () => {
    const outer = tmpdir();
    const root = createTempRoot();
    expect(root.dir.startsWith(join(outer, `community-hub-test-${process.pid}-`))).toBe(true);
    expect(tmpdir()).toBe(root.dir);
    const left = root.finish();
    expect(left).toEqual({ inRoot: [], outside: [] });
    expect(tmpdir()).toBe(outer);
    expect(existsSync(root.dir)).toBe(false);
  });

  it("names what was left in it, tsx's compile cache aside", () => {
    const root = createTempRoot();
    mkdirSync(join(root.dir, 'tsx-0'));
    mkdtempSync(join(tmpdir(), 'hub-e2e-'));
    writeFileSync(join(root.dir, 'latin1.bin'), 'x');
    const { inRoot } = root.finish();
    expect(inRoot.map((p) => p.slice(root.dir.length + 1).replace(/-\w{6}$/, '')).sort()).toEqual([
      'hub-e2e',
      'latin1.bin',
    ]);
    expect(existsSync(root.dir)).toBe(false);
  });

  it("names new entries with the suite's names beside it, and no others", () => {
    const outer = tmpdir();
    const root = createTempRoot();
    const leak = mkdtempSync(join(outer, 'sim-leak-'));
    const other = mkdtempSync(join(outer, 'unrelated-'));
    try {
      const { outside } = root.finish();
      expect(outside).toContain(leak);
      expect(outside).not.toContain(other);
    } finally {
      rmSync(leak, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
