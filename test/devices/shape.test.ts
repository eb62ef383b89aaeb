/**
 * A convention worth enforcing is enforced by a test (architecture.md example 12, after Telegraf's
 * plugins/all_test.go): every model folder has index.ts, README.md and fixtures, and the registry
 * finds exactly the folders present.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES_DIR, loadRegistry } from '../../src/normalise/registry.ts';

const folders = readdirSync(DEFAULT_DEVICES_DIR)
  .filter((t) => statSync(join(DEFAULT_DEVICES_DIR, t)).isDirectory())
  .flatMap((type) =>
    readdirSync(join(DEFAULT_DEVICES_DIR, type))
      .filter((m) => statSync(join(DEFAULT_DEVICES_DIR, type, m)).isDirectory())
      .map((model) => ({ type, model, dir: join(DEFAULT_DEVICES_DIR, type, model) })),
  );

describe('device model folders', () => {
  it('has a devices/README.md', () => {
    expect(existsSync(join(DEFAULT_DEVICES_DIR, 'README.md'))).toBe(true);
  });

  it('the registry finds exactly the folders present', async () => {
    const r = await loadRegistry();
    expect(
      r
        .list()
        .map((m) => `${m.type}/${m.model}`)
        .sort(),
    ).toEqual(folders.map((f) => `${f.type}/${f.model}`).sort());
  });

  it.each(folders)('$type/$model has index.ts, README.md and fixtures', ({ dir }) => {
    expect(existsSync(join(dir, 'index.ts'))).toBe(true);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    const fixtures = join(dir, 'fixtures');
    expect(existsSync(fixtures)).toBe(true);
    const cases = readdirSync(fixtures);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      expect(existsSync(join(fixtures, c, 'input.json')), `${c}/input.json`).toBe(true);
    }
  });

  it.each(folders)('$type/$model has fixtures for telemetry, events and every rejection kind', ({ dir }) => {
    const fixtures = join(dir, 'fixtures');
    const cases = readdirSync(fixtures);
    const channels = new Set(
      cases.map(
        (c) => (JSON.parse(readFileSync(join(fixtures, c, 'input.json'), 'utf8')) as { channel: string }).channel,
      ),
    );
    expect([...channels].sort()).toEqual(['event', 'telemetry']);
    const reasons = new Set(
      cases
        .filter((c) => existsSync(join(fixtures, c, 'expected.err')))
        .map((c) => readFileSync(join(fixtures, c, 'expected.err'), 'utf8').split('\n')[0]),
    );
    for (const reason of ['schema', 'unknown_event_code', 'bad_json', 'clock_skew', 'too_old'])
      expect(reasons, reason).toContain(reason);
    const arrays = cases.filter((c) =>
      Array.isArray(
        (JSON.parse(readFileSync(join(fixtures, c, 'input.json'), 'utf8')) as { payload?: unknown }).payload,
      ),
    );
    expect(arrays.length, 'an array case').toBeGreaterThan(0);
  });
});
