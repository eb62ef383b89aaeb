/**
 * Determinism (issue "Deterministic"): the same scenario, seed and start give the same messages,
 * byte for byte, in this process and in another; another seed gives others; faults only remove,
 * repeat, delay or break what the community does, never change it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dryRun, generate, loadScenario, resolveWindow, type Scenario } from '../../simulators/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const E2E = `${ROOT}simulators/scenarios/e2e.yaml`;
const BIN = `${ROOT}bin/community-sim.js`;

function streamText(sc: Scenario, start = '2026-11-23'): string {
  const out: string[] = [];
  for (const item of generate(sc, resolveWindow(sc, { start, days: 1 }))) {
    out.push(
      item.type === 'message' ? `${item.at} ${item.topic} ${item.payload}` : `${item.at} ${item.type} ${item.gateway}`,
    );
  }
  return out.join('\n');
}

describe('deterministic message stream', () => {
  it('same scenario and seed: the same stream and the same ledger', () => {
    const a = dryRun(loadScenario(E2E), resolveWindow(loadScenario(E2E)));
    const b = dryRun(loadScenario(E2E), resolveWindow(loadScenario(E2E)));
    expect(a.streamHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.streamHash).toBe(a.streamHash);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.totals.messages).toBeGreaterThan(1000);
  });

  it('another process (the CLI) computes the same stream hash', () => {
    const ledger = JSON.parse(
      execFileSync(process.execPath, [BIN, 'ledger', '--scenario', E2E, '--detail', 'none'], {
        cwd: ROOT,
        maxBuffer: 64e6,
      }).toString(),
    ) as { streamHash: string };
    expect(ledger.streamHash).toBe(dryRun(loadScenario(E2E), resolveWindow(loadScenario(E2E)), 'none').streamHash);
  });

  it('a different seed gives a different stream', () => {
    const sc = loadScenario(E2E);
    const other = { ...loadScenario(E2E), seed: 'another-seed' };
    expect(dryRun(other, resolveWindow(other)).streamHash).not.toBe(dryRun(sc, resolveWindow(sc)).streamHash);
    expect(streamText(other)).not.toBe(streamText(sc));
  });

  it('moving the window by whole days moves the times only (so `--start auto` is the same run, later)', () => {
    const sc = loadScenario(E2E);
    const strip = (text: string): string[] =>
      text.split('\n').map((l) => l.replace(/^\d+ /, '').replace(/"(ts|dateTime)":"[^"]+"|"t":\d+/g, ''));
    expect(strip(streamText(sc, '2026-12-03'))).toEqual(strip(streamText(sc, '2026-11-23')));
  });

  it('faults never change what the community does: every stored deposit also happens without faults', () => {
    const on = loadScenario(E2E);
    const off: Scenario = {
      ...loadScenario(E2E),
      faults: {
        ...on.faults,
        malformed: 0,
        duplicate: 0,
        replay: 0,
        outOfOrder: 0,
        clockSkew: 0,
        tooOld: 0,
        unknownDevice: 0,
        clockDrift: 0,
        badStatus: 0,
        disconnects: 0,
        offline: { perDay: 0, duration: [1000, 1000] },
        outages: { perDay: 0, duration: [1000, 1000] },
      },
    };
    const ids = (sc: Scenario): Set<string> => {
      const l = dryRun(sc, resolveWindow(sc));
      return new Set(
        Object.entries(l.expected.eventIds!.deposit!).flatMap(([dev, list]) => list.map((id) => `${dev}/${id}`)),
      );
    };
    const withFaults = ids(on);
    const without = ids(off);
    expect([...withFaults].filter((id) => !without.has(id))).toEqual([]);
    expect(withFaults.size).toBeLessThan(without.size); // malformed, skewed and silenced ones are gone
    expect(withFaults.size).toBeGreaterThan(without.size * 0.8);
  });

  it('generation code reads neither Math.random nor the wall clock', () => {
    // Only the CLI, the publisher (pacing) and index.ts (the `auto` anchor) may read the clock.
    const allowed = new Set(['publisher.ts', 'progress.ts', 'index.ts', 'cli.ts']);
    const files = readdirSync(`${ROOT}simulators`, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.startsWith('commands/') && !allowed.has(f));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(`${ROOT}simulators/${f}`, 'utf8').replace(/^\s*(\*|\/\/|\/\*\*).*$/gm, '');
      expect(text, f).not.toMatch(/Math\.random|Date\.now\(|new Date\(\)|performance\.now/);
    }
  });
});
