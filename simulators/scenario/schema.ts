/**
 * The scenario file (simulators/scenarios/*.yaml), checked with zod. A scenario describes a
 * community the way the inventory does (docs/contract.md §1: sites, buildings, gateways, devices of
 * the models of docs/contract.md §3 that have a devices/<type>/<model>/sim.ts, models.ts), plus how
 * people behave and which faults to inject.
 * Lists can be generated: an entry with `count: N` stands for N copies whose ids take their number
 * from `{s}` (site), `{g}` (gateway) or `{n}` (device), zero-padded.
 * simulators/README.md documents every key.
 */
import { z } from 'zod';
import { isTimeZone } from '../../src/config/inventory.ts';
import { duration } from '../../src/config/units.ts';
import { SIM_DEVICE_TYPES, SIM_MODELS } from '../models.ts';

const probability = z.number().min(0).max(1);
const rate = z.number().min(0).max(10_000);
const count = z.number().int().min(1).max(100_000).default(1);
/** An id, possibly with `{s}`, `{g}`, `{n}` placeholders; the expanded id is checked against docs/contract.md §1. */
const templated = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9{][a-z0-9_{}sgn-]*$/, 'must be an id (a-z, 0-9, _ and -) with optional {s}, {g} or {n} placeholders');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM');
const CATEGORIES = ['kitchen', 'recyclable', 'hazardous', 'residual'] as const;
const categoryWeights = z.strictObject(
  Object.fromEntries(CATEGORIES.map((c) => [c, z.number().min(0)])) as Record<(typeof CATEGORIES)[number], z.ZodNumber>,
);
/** One deposit's weight range in kg, [min, max]. */
const weightRange = z
  .tuple([z.number().min(0.01).max(100), z.number().min(0.01).max(100)])
  .refine(([lo, hi]) => lo <= hi, 'must be [min, max] with min ≤ max');

/** How households and devices behave; every key optional here, defaults in DEFAULT_BEHAVIOUR. */
export const behaviourSchema = z
  .strictObject({
    /** Shares of households that always sort correctly, sometimes do, or never take part (sum 1). */
    habits: z
      .strictObject({ always: probability, sometimes: probability, never: probability })
      .refine((h) => Math.abs(h.always + h.sometimes + h.never - 1) < 1e-6, 'always + sometimes + never must be 1'),
    /** Chance that a deposit of an "always" household is correct. */
    alwaysCorrect: probability,
    /** Chance that a deposit of a "sometimes" household is correct. */
    sometimesCorrect: probability,
    /** Mean deposits a day of a household that takes part. */
    depositsPerDay: rate,
    /** Share of deposits the station cannot judge (`unchecked`). */
    unchecked: probability,
    /** Relative frequency of each waste category. */
    categories: categoryWeights,
    /** Mean gate passes a day of a household (any habit). */
    gatePassesPerDay: rate,
    /** Mean visitors a day at each gate. */
    visitorsPerGatePerDay: rate,
    /** Mean attempts a day by strangers at each gate (denied). */
    strangersPerGatePerDay: rate,
    /** Chance that a resident's attempt is denied. */
    deniedRate: probability,
    /** 24 relative weights, one per local hour: when deposits and passes happen. */
    rhythm: z
      .array(z.number().min(0))
      .length(24, 'must list 24 weights, one per local hour')
      .refine((w) => w.some((x) => x > 0), 'at least one weight must be above 0'),
    /** Interval of each device's readings (heartbeats for hikvision-acs). */
    telemetryEvery: duration.refine((ms) => ms >= 60_000 && ms <= 86_400_000, 'must be between 1m and 1d'),
    /** Local times when the bins are emptied. */
    collections: z.array(clock),
    /** Range [min, max] of one deposit's weight in kg, per category (drawn uniformly, to 10 g). */
    depositWeightKg: z.strictObject(
      Object.fromEntries(CATEGORIES.map((c) => [c, weightRange])) as Record<
        (typeof CATEGORIES)[number],
        typeof weightRange
      >,
    ),
    /** Capacity of each compartment of a waste station, in kg. */
    binCapacityKg: z.strictObject(
      Object.fromEntries(CATEGORIES.map((c) => [c, z.number().positive()])) as Record<
        (typeof CATEGORIES)[number],
        z.ZodNumber
      >,
    ),
    /** Fill level (percent) at which a compartment raises its `overflow` alarm. */
    overflowAt: z.number().min(1).max(100),
    /** Mean alarms a day, other than overflow, of each waste station and each gate. */
    alarms: z.strictObject({ binPerDay: rate, gatePerDay: rate }),
  })
  .partial();

/** Faults to inject (issue: "faults to inject at given rates"). */
export const faultsSchema = z.strictObject({
  /** Per message: a payload the hub must refuse (bad JSON, schema, unknown code, empty). */
  malformed: probability.default(0),
  /** Per message: sent twice in a row (a QoS 1 resend); stored once. */
  duplicate: probability.default(0),
  /** Per event message: sent again hours later with the same id; stored once. */
  replay: probability.default(0),
  /** Per message: held back 1-10 minutes, so later messages overtake it. */
  outOfOrder: probability.default(0),
  /** Per message: its time set more than 30 days ahead (a device clock gone wrong): `clock_skew`. */
  clockSkew: probability.default(0),
  /** Per message: its time set more than 30 days back (a clock reset): `too_old`. */
  tooOld: probability.default(0),
  /** Per message: an extra message from a device the inventory does not know: `unknown_device`. */
  unknownDevice: probability.default(0),
  /** Largest constant clock error of a gateway (each gets one in ±this); must stay under the hub's limit. */
  clockDrift: duration.default(0),
  /** Per gateway per day: a status message that is neither online nor offline: `bad_status`. */
  badStatus: rate.default(0),
  /** Per gateway per day: a connection lost without DISCONNECT (5 s - 2 min; buffered messages follow). */
  disconnects: rate.default(0),
  /** Per gateway per day: an offline spell; its backlog is sent late, as JSON arrays, on reconnect. */
  offline: z
    .strictObject({ perDay: rate.default(0), duration: z.tuple([duration, duration]).default([600_000, 10_800_000]) })
    .prefault({}),
  /** Per device per day: a device falls silent for a while (it lowers device_availability). */
  outages: z
    .strictObject({ perDay: rate.default(0), duration: z.tuple([duration, duration]).default([1_800_000, 14_400_000]) })
    .prefault({}),
});

const device = z
  .strictObject({
    id: templated,
    type: z.enum(SIM_DEVICE_TYPES),
    model: z.string(),
    building: z.string().optional(),
    count,
  })
  .superRefine((d, ctx) => {
    // The models are the folders found at load time, so the message lists what this checkout has.
    if (!SIM_MODELS.get(d.type, d.model))
      ctx.addIssue({ code: 'custom', message: SIM_MODELS.unknown(d.type, d.model), path: ['model'] });
  });

const gateway = z.strictObject({
  id: templated,
  /** Plaintext MQTT password; default derived from the seed. `{s}`/`{g}` are expanded. */
  secret: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
  count,
  devices: z.array(device).min(1, 'a gateway needs at least one device'),
});

const site = z.strictObject({
  id: templated,
  name: z.string().min(1).optional(),
  timezone: z.string().default('Asia/Shanghai').refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai'),
  households: z.number().int().min(0).max(10_000_000),
  buildings: z.array(z.strictObject({ id: templated, households: z.number().int().min(0) })).optional(),
  /**
   * Give the site a household roster (`community-sim inventory` writes it beside the inventory):
   * `unregistered`: extra households, as a share of the registered ones, that deposit with ids the
   * roster does not hold (the first one is the placeholder "0"); `respelled`: share of registered
   * households whose cards send their id in another spelling (lower case, padded, full-width), which
   * the hub's household id rule must bring back to the roster's.
   */
  roster: z.strictObject({ unregistered: probability.default(0), respelled: probability.default(0) }).optional(),
  behaviour: behaviourSchema.optional(),
  count,
  gateways: z.array(gateway).min(1, 'a site needs at least one gateway'),
});

/** Weights of the scores 1 to 5 of a habit's answers. */
const scoreWeights = z
  .array(z.number().min(0))
  .length(5, 'must list 5 weights, for the scores 1 to 5')
  .refine((w) => w.some((x) => x > 0), 'at least one weight must be above 0');

/**
 * Resident satisfaction survey waves (docs/contract.md §5): each registered household answers a
 * wave with chance `respond`, its score drawn from the weights of its habit. The ledger summarises
 * them as the hub must (surveys.ts).
 */
export const surveysSchema = z.strictObject({
  /** The wave gains are measured against (the inventory's `evaluation.baselineWave`); default the earliest. */
  baselineWave: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a wave name such as 2026-Q3')
    .optional(),
  /** The hub's `evaluation.targets.satisfactionGain` the ledger judges gains against. */
  target: z.number().min(0).default(0.3),
  waves: z
    .array(
      z.strictObject({
        wave: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a wave name such as 2026-Q3'),
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
        respond: probability,
        scores: z.strictObject({ always: scoreWeights, sometimes: scoreWeights, never: scoreWeights }),
      }),
    )
    .min(1),
});

/** zod schema of a scenario file. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(64),
  description: z.string().optional(),
  /** Seed of every random draw: same seed, same messages. */
  seed: z.union([z.number().int(), z.string().min(1)]).default(1),
  time: z
    .strictObject({
      /** Local date (`YYYY-MM-DD`) of the first simulated day, or `auto`: the last `days` whole days before today. */
      start: z
        .union([z.literal('auto'), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD or auto')])
        .default('auto'),
      days: z
        .number()
        .int()
        .min(1)
        .max(28, "at most 28: every message must stay younger than the hub's 30-day limit")
        .default(1),
      /** Zone of `start`; default the first site's. */
      timezone: z.string().refine(isTimeZone, 'must be an IANA time zone').optional(),
    })
    .prefault({}),
  /** The hub's settings the simulator must agree with (hub.yaml `mqtt.rootTopic`, `ingest.*`). */
  hub: z
    .strictObject({
      rootTopic: z
        .string()
        .regex(/^[^#+]+[^/#+]$/, 'must be a topic prefix without wildcards or a trailing /')
        .default('community/v1'),
      maxFutureSkew: duration.prefault('5m'),
      maxAge: duration.prefault('30d'),
      /**
       * The hub's `evaluation.co2eFactors` (kg CO₂e per kg, per category) for the ledger's
       * `co2e_avoided_kg`; absent: null `not_configured`, as the hub without factors.
       */
      co2eFactors: z
        .strictObject(
          Object.fromEntries(CATEGORIES.map((c) => [c, z.number().min(0).max(100)])) as Record<
            (typeof CATEGORIES)[number],
            z.ZodNumber
          >,
        )
        .optional(),
    })
    .prefault({}),
  publish: z
    .strictObject({
      /** QoS of readings (events and status always use QoS 1, docs/contract.md §2). */
      telemetryQos: z.union([z.literal(0), z.literal(1)]).default(1),
      maxInFlight: z.number().int().min(1).max(100_000).default(2000),
      maxInFlightPerGateway: z.number().int().min(1).max(10_000).default(200),
      /** Most elements in one array of a late batch. */
      batchSize: z.number().int().min(1).max(1000).default(50),
      /** Gateways connecting at once (each CONNECT costs the hub one scrypt). */
      connectConcurrency: z.number().int().min(1).max(1000).default(16),
    })
    .prefault({}),
  behaviour: behaviourSchema.optional(),
  faults: faultsSchema.prefault({}),
  surveys: surveysSchema.optional(),
  sites: z.array(site).min(1, 'at least one site is needed'),
});

/** A scenario file as parsed (before expansion). */
export type ScenarioFile = z.output<typeof scenarioSchema>;
/** Behaviour with every key present. */
export type Behaviour = Required<z.output<typeof behaviourSchema>>;
/** Survey waves as parsed. */
export type Surveys = z.output<typeof surveysSchema>;
/** Fault rates with every key present. */
export type Faults = z.output<typeof faultsSchema>;
