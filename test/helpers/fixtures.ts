/**
 * The golden fixtures of the device models (devices/README.md, "Fixtures"), read the same way by
 * every test that replays them: through the pipeline (test/devices), over MQTT (test/e2e) and over
 * HTTP (test/api).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceType } from '../../src/config/inventory.ts';
import { findModelFolders } from '../../src/normalise/index.ts';
import type { Point } from '../../src/point.ts';

/** The identities and key every device fixture is normalised with (devices/README.md, "Fixtures"). */
export const FIXTURE = Object.freeze({
  site: 'maple-court',
  gateway: 'gw-east',
  device: 'dev-01',
  building: 'b1',
  pseudonymKey: 'fixture-pseudonym-key-0123456789',
  receivedAt: '2026-11-27T00:05:00Z',
});

/** A case's `input.json`. */
export interface FixtureInput {
  channel: 'telemetry' | 'event';
  receivedAt?: string;
  now?: string;
  payload?: unknown;
  raw?: string;
  /** What the case shows, for people. */
  note?: string;
}

/** One expected reject: `detail`, when given, is a substring of the actual detail. */
export interface ExpectedReject {
  reason: string;
  index?: number;
  detail?: string;
}

/** Every model folder with its fixture cases, sorted by name. */
export function modelFixtures(): { type: DeviceType; model: string; cases: { name: string; dir: string }[] }[] {
  return findModelFolders().flatMap(({ type, model, dir }) => {
    const fixtures = join(dir, 'fixtures');
    if (!existsSync(fixtures)) return [];
    return [
      {
        type: type as DeviceType,
        model,
        cases: readdirSync(fixtures)
          .sort()
          .map((name) => ({ name, dir: join(fixtures, name) })),
      },
    ];
  });
}

/** A case's input. */
export function fixtureInput(dir: string): FixtureInput {
  return JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as FixtureInput;
}

/** What a case expects: its points, and its rejects (`expected.err` is one whole-message reject). */
export function expectation(dir: string): { points: Point[]; rejects: ExpectedReject[] } {
  const err = join(dir, 'expected.err');
  if (existsSync(err)) {
    const [reason = '', detail] = readFileSync(err, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    return { points: [], rejects: [detail ? { reason, detail } : { reason }] };
  }
  const json = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    points: Point[];
    rejects?: ExpectedReject[];
  };
  return { points: json.points, rejects: json.rejects ?? [] };
}
