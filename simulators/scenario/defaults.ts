/**
 * Default behaviour of a simulated community, in one frozen constant (architecture.md, "defaults in
 * one constant"). A scenario's top-level `behaviour` overrides keys of it, and a site's `behaviour`
 * overrides keys of that.
 */
import type { Behaviour } from './schema.ts';

/**
 * Relative activity per local hour (0-23): quiet nights, a morning peak (07-09, people leaving
 * for work drop their waste on the way) and a larger evening peak (18-21, back home, after dinner).
 */
export const DEFAULT_RHYTHM: readonly number[] = Object.freeze([
  0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 1.0, 2.5, 2.0, 1.0, 0.7, 0.8, 0.9, 0.7, 0.6, 0.6, 0.8, 1.5, 2.5, 2.8, 2.0, 1.0, 0.5,
  0.2,
]);

/** Behaviour used where a scenario says nothing. */
export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze({
  habits: { always: 0.6, sometimes: 0.25, never: 0.15 },
  alwaysCorrect: 1,
  sometimesCorrect: 0.5,
  depositsPerDay: 1.2,
  unchecked: 0.05,
  categories: { kitchen: 0.45, recyclable: 0.25, hazardous: 0.05, residual: 0.25 },
  gatePassesPerDay: 2,
  visitorsPerGatePerDay: 6,
  strangersPerGatePerDay: 0.5,
  deniedRate: 0.02,
  rhythm: [...DEFAULT_RHYTHM],
  telemetryEvery: 30 * 60_000,
  collections: ['07:00', '19:00'],
  // Per deposit, a household's bag or a few bottles: kitchen 0.3-2.5 kg, recyclable 0.2-3 kg,
  // hazardous 0.05-0.5 kg (batteries, bulbs, medicine), residual 0.3-2 kg.
  depositWeightKg: {
    kitchen: [0.3, 2.5] as [number, number],
    recyclable: [0.2, 3] as [number, number],
    hazardous: [0.05, 0.5] as [number, number],
    residual: [0.3, 2] as [number, number],
  },
  binCapacityKg: { kitchen: 40, recyclable: 30, hazardous: 5, residual: 40 },
  overflowAt: 90,
  alarms: { binPerDay: 0.05, gatePerDay: 0.2 },
});
