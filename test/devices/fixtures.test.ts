/**
 * Device tests are data (architecture.md example 2, after Telegraf's parsers/json_v2/testdata):
 * every `devices/<type>/<model>/fixtures/<case>/` runs through the full pipeline and is compared
 * with its `expected.json` or `expected.err`. Adding a case needs no code. The format is
 * described in devices/README.md ("Fixtures").
 *
 * `FIXTURES_WRITE=1 npx vitest run test/devices` writes the expected file of a case that has none
 * (never overwrites) and fails that case so the new file gets reviewed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceType } from '../../src/config/inventory.ts';
import { createNormaliser, type NormaliseResult } from '../../src/normalise/pipeline.ts';
import { isRejectReason } from '../../src/normalise/reasons.ts';
import { findModelFolders, loadRegistry } from '../../src/normalise/registry.ts';

/** Fixed identities and key of every fixture run (devices/README.md). */
const FIXTURE = Object.freeze({
  site: 'maple-court',
  gateway: 'gw-east',
  device: 'dev-01',
  building: 'b1',
  pseudonymKey: 'fixture-pseudonym-key-0123456789',
  receivedAt: '2026-11-27T00:05:00Z',
});

interface FixtureInput {
  channel: 'telemetry' | 'event';
  receivedAt?: string;
  now?: string;
  payload?: unknown;
  raw?: string;
  note?: string;
}

interface ExpectedJson {
  points: NormaliseResult['points'];
  rejects?: { reason: string; index?: number; detail?: string }[];
}

const registry = await loadRegistry();
const cases = findModelFolders().flatMap(({ type, model, dir }) => {
  const fixtures = join(dir, 'fixtures');
  if (!existsSync(fixtures)) return [];
  return readdirSync(fixtures).sort().map((name) => ({ type: type as DeviceType, model, name, dir: join(fixtures, name) }));
});

function run(type: DeviceType, model: string, input: FixtureInput): NormaliseResult {
  if ((input.payload === undefined) === (input.raw === undefined)) throw new Error('input.json needs exactly one of "payload" and "raw"');
  const receivedAt = Date.parse(input.receivedAt ?? FIXTURE.receivedAt);
  const now = Date.parse(input.now ?? input.receivedAt ?? FIXTURE.receivedAt);
  const normaliser = createNormaliser({ models: registry, pseudonymKey: FIXTURE.pseudonymKey, now: () => now });
  const text = input.raw ?? JSON.stringify(input.payload);
  return normaliser.normalise({
    site: FIXTURE.site,
    gateway: FIXTURE.gateway,
    device: { site: FIXTURE.site, gateway: FIXTURE.gateway, id: FIXTURE.device, type, model, building: FIXTURE.building },
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
    const input = JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as FixtureInput;
    const result = run(type, model, input);
    const jsonFile = join(dir, 'expected.json');
    const errFile = join(dir, 'expected.err');
    if (existsSync(jsonFile) === existsSync(errFile)) {
      if (process.env.FIXTURES_WRITE === '1' && !existsSync(jsonFile)) {
        throw new Error(`wrote ${writeExpected(dir, result)}: review it, then run again`);
      }
      throw new Error(`${dir}: needs exactly one of expected.json and expected.err`);
    }
    if (existsSync(errFile)) {
      const [reason = '', detail] = readFileSync(errFile, 'utf8').split('\n').map((l) => l.trim());
      expect(isRejectReason(reason), `expected.err names a known reason, not "${reason}"`).toBe(true);
      expect(result.points).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]?.reason).toBe(reason);
      expect(result.rejects[0]?.index).toBeUndefined();
      if (detail) expect(result.rejects[0]?.detail).toContain(detail);
      return;
    }
    const expected = JSON.parse(readFileSync(jsonFile, 'utf8')) as ExpectedJson;
    expect(result.points).toEqual(expected.points);
    const want = expected.rejects ?? [];
    expect(result.rejects.map((r) => ({ reason: r.reason, index: r.index }))).toEqual(want.map((r) => ({ reason: r.reason, index: r.index })));
    want.forEach((w, i) => {
      const got = result.rejects[i];
      if (w.detail !== undefined) expect(got?.detail).toContain(w.detail);
      // A rejected array element is kept verbatim for the dead-letter store.
      if (w.index !== undefined && Array.isArray(input.payload)) expect(got?.element).toEqual(input.payload[w.index]);
    });
  });
});
