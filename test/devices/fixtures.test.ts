/**
 * Device tests are data (architecture.md example 2, after Telegraf's parsers/json_v2/testdata):
 * every `devices/<type>/<model>/fixtures/<case>/` runs through the full pipeline and is compared
 * with its `expected.json` or `expected.err`. Adding a case needs no code. The format is
 * described in devices/README.md ("Fixtures").
 *
 * `FIXTURES_WRITE=1 npx vitest run test/devices` writes the expected file of a case that has none
 * (never overwrites) and fails that case so the new file gets reviewed.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceType } from '../../src/config/inventory.ts';
import { createNormaliser, type NormaliseResult } from '../../src/normalise/pipeline.ts';
import { isRejectReason } from '../../src/normalise/reasons.ts';
import { loadRegistry } from '../../src/normalise/registry.ts';
import { expectation, FIXTURE, fixtureInput, modelFixtures, type FixtureInput } from '../helpers/fixtures.ts';

const registry = await loadRegistry();
const cases = modelFixtures().flatMap(({ type, model, cases }) =>
  cases.map(({ name, dir }) => ({ type, model, name, dir })),
);

function run(type: DeviceType, model: string, input: FixtureInput): NormaliseResult {
  if ((input.payload === undefined) === (input.raw === undefined))
    throw new Error('input.json needs exactly one of "payload" and "raw"');
  const receivedAt = Date.parse(input.receivedAt ?? FIXTURE.receivedAt);
  const now = Date.parse(input.now ?? input.receivedAt ?? FIXTURE.receivedAt);
  const normaliser = createNormaliser({ models: registry, pseudonymKey: FIXTURE.pseudonymKey, now: () => now });
  const text = input.raw ?? JSON.stringify(input.payload);
  return normaliser.normalise({
    site: FIXTURE.site,
    gateway: FIXTURE.gateway,
    device: {
      site: FIXTURE.site,
      gateway: FIXTURE.gateway,
      id: FIXTURE.device,
      type,
      model,
      building: FIXTURE.building,
    },
    channel: input.channel,
    payload: Buffer.from(text, 'utf8'),
    receivedAt,
  });
}

/** Write the expected file of a new case from what the pipeline produced. */
function writeExpected(dir: string, result: NormaliseResult): string {
  const [only] = result.rejects;
  if (result.points.length === 0 && result.rejects.length === 1 && only && only.index === undefined) {
    writeFileSync(join(dir, 'expected.err'), `${only.reason}\n`);
    return 'expected.err';
  }
  const rejects = result.rejects.map((r) => ({ reason: r.reason, index: r.index }));
  writeFileSync(join(dir, 'expected.json'), `${JSON.stringify({ points: result.points, rejects }, null, 2)}\n`);
  return 'expected.json';
}

describe('device fixtures', () => {
  it('finds fixtures', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('$type/$model/$name', ({ type, model, dir }) => {
    const input = fixtureInput(dir);
    const result = run(type, model, input);
    if (existsSync(join(dir, 'expected.json')) === existsSync(join(dir, 'expected.err'))) {
      if (process.env.FIXTURES_WRITE === '1' && !existsSync(join(dir, 'expected.json'))) {
        throw new Error(`wrote ${writeExpected(dir, result)}: review it, then run again`);
      }
      throw new Error(`${dir}: needs exactly one of expected.json and expected.err`);
    }
    // expected.err is one whole-message reject (no index); expected.json lists points and rejects.
    const want = expectation(dir);
    expect(result.points).toEqual(want.points);
    expect(result.rejects.map((r) => ({ reason: r.reason, index: r.index }))).toEqual(
      want.rejects.map((r) => ({ reason: r.reason, index: r.index })),
    );
    want.rejects.forEach((w, i) => {
      expect(isRejectReason(w.reason), `the expected reject names a known reason, not "${w.reason}"`).toBe(true);
      const got = result.rejects[i];
      if (w.detail !== undefined) expect(got?.detail).toContain(w.detail);
      // A rejected array element is kept verbatim for the dead-letter store.
      if (w.index !== undefined && Array.isArray(input.payload)) expect(got?.element).toEqual(input.payload[w.index]);
    });
  });
});
