/**
 * A convention worth enforcing is enforced by a test (architecture.md example 12, after Telegraf's
 * plugins/all_test.go): every model folder has index.ts, README.md, fixtures and its simulator part
 * sim.ts, and both the hub's registry and the simulator find exactly the folders present.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES_DIR, loadRegistry } from '../../src/normalise/registry.ts';
import { SIM_MODELS } from '../../simulators/models.ts';

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

  it('the simulator finds exactly the folders present', () => {
    expect(SIM_MODELS.keys()).toEqual(folders.map((f) => `${f.type}/${f.model}`).sort());
  });

  it.each(folders)('$type/$model has its simulator part, sim.ts, independent of the hub', ({ type, model, dir }) => {
    const file = join(dir, 'sim.ts');
    expect(existsSync(file)).toBe(true);
    // The simulator's ledger is a ground truth apart from the hub (simulators/model.ts): a sim.ts
    // imports packages and the simulator's helpers, never the hub's src/ nor the files beside it
    // (index.ts, schema.ts), so a mistake in the model's tables is not copied into the truth.
    const imports = [...readFileSync(file, 'utf8').matchAll(/^\s*import[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
      (m) => m[1],
    );
    expect(imports.length).toBeGreaterThan(0);
    for (const from of imports)
      expect(from, `sim.ts imports ${from}`).toMatch(/^(?![./])|^\.\.\/\.\.\/\.\.\/simulators\//);
    const sim = SIM_MODELS.get(type, model)!;
    expect(sim.type).toBe(type);
    expect(sim.model).toBe(model);
    // Every list the day's plan draws from has something in it (plan.ts would throw on an empty one).
    const lists =
      sim.type === 'waste-bin'
        ? [Object.keys(sim.vocabulary.auth), Object.keys(sim.vocabulary.alarms)]
        : [
            sim.vocabulary.residentMethods,
            sim.vocabulary.visitorMethods,
            sim.vocabulary.strangerReasons,
            sim.vocabulary.alarms,
          ];
    for (const list of lists) expect(list.length).toBeGreaterThan(0);
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
