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

/**
 * True when a case expects a reading stamped on arrival: a point in its arrival millisecond, below
 * the millisecond, that is not an event's (src/normalise/stamp.ts).
 */
export function stampedOnArrival(dir: string): boolean {
  const ms = BigInt(Date.parse(fixtureInput(dir).receivedAt ?? FIXTURE.receivedAt));
  return expectation(dir).points.some((p) => {
    const t = BigInt(p.time);
    return t / 1_000_000n === ms && t % 1_000_000n !== 0n && !('event_id' in p.fields);
  });
}

/**
 * A model's cases for a hub that gets them one after another under a stopped clock (the end-to-end
 * tests): every case then arrives in the same millisecond, and the hub gives each message of a
 * device its own arrival slots in it (src/normalise/stamp.ts). A fixture shows a reading stamped on
 * arrival at the first slot, which only a hub that has seen nothing else of the device in that
 * millisecond gives, so the case stamped on arrival comes first. Throws for a model with two.
 */
export function stampedFirst<C extends { name: string; dir: string }>(model: string, cases: readonly C[]): C[] {
  const stamped = cases.filter((c) => stampedOnArrival(c.dir));
  if (stamped.length > 1)
    throw new Error(`${model}: ${stamped.length} fixtures stamped on arrival; the end-to-end tests expect one at most`);
  return [...stamped, ...cases.filter((c) => !stamped.includes(c))];
}
