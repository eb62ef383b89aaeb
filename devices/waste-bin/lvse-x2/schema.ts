/**
 * zod schemas and code tables of waste-bin / lvse-x2, the compact JSON of a Chinese station vendor
 * (docs/contract.md §3). Raw units: `t` epoch seconds UTC, `tmp` 0.1 °C, `wt` grams, `lv` percent.
 */
import { z } from 'zod';
import { percent, personalId } from '../../../src/normalise/blocks.ts';
import type { BinAlarm, BinAuth, Category, Severity, Sorting } from '../../../src/normalise/vocabulary.ts';

/** Category codes `c`. */
export const CATEGORY_BY_CODE: Readonly<Record<1 | 2 | 3 | 4, Category>> = {
  1: 'recyclable',
  2: 'hazardous',
  3: 'kitchen',
  4: 'residual',
};
/** Sorting judgement `ok`. */
export const SORTING_BY_CODE: Readonly<Record<'1' | '0' | '-1', Sorting>> = {
  '1': 'correct',
  '0': 'incorrect',
  '-1': 'unchecked',
};
/** Identification `au`. */
export const AUTH_BY_CODE: Readonly<Record<1 | 2 | 3 | 4, BinAuth>> = { 1: 'card', 2: 'qr', 3: 'face', 4: 'app' };
/**
 * Alarm codes `bj`, with the severity the hub gives them (the vendor sends none):
 * a fire is critical, the rest need attention but are not emergencies.
 */
export const ALARM_BY_CODE: Readonly<Record<number, { alarm: BinAlarm; severity: Severity }>> = {
  1: { alarm: 'overflow', severity: 'warning' },
  2: { alarm: 'fire', severity: 'critical' },
  3: { alarm: 'tamper', severity: 'warning' },
  4: { alarm: 'jam', severity: 'warning' },
};
/** Event codes `evt`: TF 投放 deposit, BJ 报警 alarm. */
export const EVENT_CODES = ['TF', 'BJ'] as const;

/** Epoch seconds UTC (fractions allowed), up to the year 9999. */
const epochSeconds = z.number().min(0).max(253_402_300_799);
const categoryCode = z.literal([1, 2, 3, 4]);
/** Grams, up to 10 t. */
const grams = z.number().min(0).max(10_000_000);

/** One reading. Every part is optional: `{}` is a heartbeat. */
export const telemetrySchema = z.object({
  t: epochSeconds.optional(),
  bat: percent.optional(),
  /** 0.1 °C: -600 … 1200 is -60 … 120 °C. */
  tmp: z.number().int().min(-600).max(1200).optional(),
  bins: z
    .array(z.object({ c: categoryCode, lv: percent, wt: grams.optional() }))
    .max(16)
    .refine((bs) => new Set(bs.map((b) => b.c)).size === bs.length, 'each category code at most once per reading')
    .optional(),
});

/** What every event has, read first to pick the event schema. */
export const eventHeadSchema = z.object({ evt: z.string() });

const eventBase = { t: epochSeconds, no: z.number().int().min(0) };

/** 投放 deposit. `uid` is personal data: pseudonymised by the normaliser. */
export const depositSchema = z.object({
  ...eventBase,
  evt: z.literal('TF'),
  uid: personalId,
  c: categoryCode,
  wt: grams,
  ok: z.literal([1, 0, -1]),
  au: z.literal([1, 2, 3, 4]),
});

/** 报警 alarm; `bj` is checked against ALARM_BY_CODE after parsing (unknown → `unknown_event_code`). */
export const alarmSchema = z.object({
  ...eventBase,
  evt: z.literal('BJ'),
  bj: z.number().int(),
  c: categoryCode.optional(),
});
