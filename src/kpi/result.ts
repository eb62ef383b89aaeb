/**
 * A KPI result: one KPI of one site for one period, as stored in the `kpi` measurement
 * (docs/contract.md §4), published on `{root}/{site}/kpi/{kpi}` (section 2) and read back for
 * reports and the API. Built from a definition's {@link Measure} by {@link evaluate}.
 *
 * docs/contract.md §5: a zero denominator gives `value: null` with a `reason`, never 0 or 1; a
 * numerator above its denominator is reported as computed, with a warning, never clamped.
 */
import { nsFromMs, type Point } from '../point.ts';
import type { KpiDefinition, KpiId, Measure, NullReason, QualityWarning } from './definitions/index.ts';
import { formatLocal, type Period, type PeriodKind } from './period.ts';

/** `ok`: a value; `warning`: a value with data-quality warnings; `null`: no value, see `reason`. */
export type KpiStatus = 'ok' | 'warning' | 'null';

/** One KPI of one site for one period: a row a report can be built from. */
export interface KpiResult {
  readonly site: string;
  readonly kpi: KpiId;
  readonly period: PeriodKind;
  /** First local day of the period, `YYYY-MM-DD`. */
  readonly date: string;
  readonly timezone: string;
  /** Period start and end (exclusive), local time with offset: `2026-11-27T00:00:00+08:00`. */
  readonly start: string;
  readonly end: string;
  readonly unit: 'ratio' | 'count' | 'kg';
  /** numerator ÷ denominator for ratios, the count for counts; null with a reason. */
  readonly value: number | null;
  /** null for informative KPIs. */
  readonly target: number | null;
  readonly direction: '>=' | '<=' | null;
  /** null when there is no value or no target. */
  readonly met: boolean | null;
  readonly numerator: number;
  /** null for counts. */
  readonly denominator: number | null;
  readonly status: KpiStatus;
  readonly reason: NullReason | null;
  readonly warnings: readonly QualityWarning[];
  /** True when computed after the period ended: the value is final unless late data arrives. */
  readonly complete: boolean;
  /** When it was computed, RFC 3339 UTC. */
  readonly computedAt: string;
  /** The definition's version. */
  readonly version: number;
  /** Set on a per-building result (household KPIs of a site with a roster); site-wide results have none. */
  readonly building?: string;
  /** Household KPIs of a site with a roster: distinct household ids outside it (not counted). */
  readonly unregistered?: number;
  /** The roster version the result was computed with (roster.ts); `''` or undefined without a roster. */
  readonly rosterVersion?: string;
}

/**
 * `target` as the exact fraction p/q of the decimal it is written as (0.95 → 95/100), not of its
 * binary double (0.9499999999999999555…).
 */
export function decimalFraction(target: number): [bigint, bigint] {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(target));
  if (!m) throw new RangeError(`a target must be a finite number ≥ 0, got ${target}`);
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? 0) - frac.length;
  const p = BigInt(`${m[1]}${frac}`);
  return exp >= 0 ? [p * 10n ** BigInt(exp), 1n] : [p, 10n ** BigInt(-exp)];
}

/** `kg` as whole grams when it is kg rounded to the gram (the weight KPIs' amounts), else undefined. */
function wholeGrams(kg: number): number | undefined {
  const g = Math.round(kg * 1000);
  return Number.isSafeInteger(g) && g / 1000 === kg ? g : undefined;
}

/**
 * Is numerator ÷ denominator (or the count, with denominator null) on the right side of `target`?
 * Numerators and denominators are counts, or kg rounded to the gram (the weight KPIs, compared as
 * whole grams), so the comparison is exact in integers: n/d ≥ p/q ⇔ n·q ≥ p·d. 19/20 against 0.95
 * is met, 18/20 is not; 0.567 kg of 1.62 kg against 0.35 is met (the doubles' quotient is
 * 0.34999…); no floating-point tolerance is involved. (Any other input falls back to a 1e-9 tolerance.)
 */
export function meetsTarget(
  direction: '>=' | '<=',
  numerator: number,
  denominator: number | null,
  target: number,
): boolean {
  const d = denominator ?? 1;
  const exact = (n: number, den: number): boolean => {
    const [p, q] = decimalFraction(target);
    const lhs = BigInt(n) * q;
    const rhs = p * BigInt(den);
    return direction === '>=' ? lhs >= rhs : lhs <= rhs;
  };
  if (Number.isSafeInteger(numerator) && Number.isSafeInteger(d) && d > 0) return exact(numerator, d);
  const [ng, dg] = [wholeGrams(numerator), wholeGrams(d)];
  // A ratio of two gram amounts: the scale cancels. (A count has d = 1: 1000 g.)
  if (ng !== undefined && dg !== undefined && dg > 0) return exact(ng, dg);
  const value = numerator / d;
  return direction === '>=' ? value >= target - 1e-9 : value <= target + 1e-9;
}

/** What {@link evaluate} needs besides the definition and its measure. */
export interface EvaluateContext {
  site: string;
  period: Period;
  target: number | null;
  /** The computation's clock, epoch ms. */
  now: number;
  /** The site's roster version, `''` without one. */
  rosterVersion?: string;
  /** For a per-building result. */
  building?: string;
}

/** The result of `def` from its measure. */
export function evaluate(def: KpiDefinition, m: Measure, ctx: EvaluateContext): KpiResult {
  const value = m.reason !== undefined ? null : m.denominator === null ? m.numerator : m.numerator / m.denominator;
  const warnings = [...(m.warnings ?? [])];
  const met =
    value === null || def.direction === null || ctx.target === null
      ? null
      : meetsTarget(def.direction, m.numerator, m.denominator, ctx.target);
  const { period: p } = ctx;
  return Object.freeze({
    site: ctx.site,
    kpi: def.id,
    period: p.kind,
    date: p.date,
    timezone: p.timezone,
    start: formatLocal(p.startMs, p.timezone),
    end: formatLocal(p.endMs, p.timezone),
    unit: def.unit,
    value,
    target: def.direction === null ? null : ctx.target,
    direction: def.direction,
    met,
    numerator: m.numerator,
    denominator: m.denominator,
    status: value === null ? 'null' : warnings.length > 0 ? 'warning' : 'ok',
    reason: m.reason ?? null,
    warnings: Object.freeze(warnings),
    complete: ctx.now >= p.endMs,
    computedAt: new Date(ctx.now).toISOString(),
    version: def.version,
    ...(ctx.building === undefined ? {} : { building: ctx.building }),
    ...(m.unregistered === undefined ? {} : { unregistered: m.unregistered }),
    rosterVersion: ctx.rosterVersion ?? '',
  });
}

/**
 * The `kpi` point of a result (docs/contract.md §4), stamped at the period's start so a recompute
 * lands on the same point. Tags: site, kpi, period, and `building` on a per-building result
 * (site-wide points have none). Fields:
 * - `value`, `met`: only when there is a value (a null is never written as 0);
 * - `target`: only for KPIs with a target; `denominator`: only for ratios;
 * - `numerator`, `status` (ok | warning | null), `reason` ('' unless null), `warnings`
 *   (comma-separated codes, '' for none), `complete` (bool), `computed_at` (RFC 3339), `version`:
 *   always, so a rewrite replaces every one of them (InfluxDB merges the field sets of a rewritten point);
 * - `roster_version` (always; '' without a roster) and `unregistered` (household KPIs with a roster).
 */
export function toPoint(r: KpiResult): Point {
  const fields: Point['fields'] = {
    numerator: r.numerator,
    status: r.status,
    reason: r.reason ?? '',
    warnings: r.warnings.join(','),
    complete: r.complete,
    computed_at: r.computedAt,
    version: r.version,
    roster_version: r.rosterVersion ?? '',
  };
  if (r.unregistered !== undefined) fields['unregistered'] = r.unregistered;
  if (r.value !== null) fields['value'] = r.value;
  if (r.met !== null) fields['met'] = r.met;
  if (r.target !== null) fields['target'] = r.target;
  if (r.denominator !== null) fields['denominator'] = r.denominator;
  return {
    measurement: 'kpi',
    tags: { site: r.site, kpi: r.kpi, period: r.period, ...(r.building === undefined ? {} : { building: r.building }) },
    fields,
    time: nsFromMs(Date.parse(r.start)),
  };
}

/** The retained topic of a KPI: `{root}/{site}/kpi/{kpi}` (docs/contract.md §2). */
export function kpiTopic(rootTopic: string, site: string, kpi: KpiId): string {
  return `${rootTopic}/${site}/kpi/${kpi}`;
}

/**
 * The retained topic of the last ended period of `kpi.publishPeriod`:
 * `{root}/{site}/kpi/{kpi}/previous` (docs/contract.md §2). No clash with gateway topics: a
 * gateway may not be called `kpi` (src/config/inventory.ts), and `…/kpi/+` still matches the
 * current values only.
 */
export function previousTopic(rootTopic: string, site: string, kpi: KpiId): string {
  return `${kpiTopic(rootTopic, site, kpi)}/previous`;
}

/**
 * The retained message of a result (docs/contract.md §2): `{"kpi","period","start","end",
 * "complete","value","target","met","computedAt"}`, plus `status`, `reason` and `warnings` so a
 * null is explained. `start` and `end` (exclusive) are local times with offset, so the message
 * says which period it is; `met` is null until the period is complete: a running period's value
 * is still moving, and "not met" at 08:00 says nothing about the day.
 */
export function toMessage(r: KpiResult, rootTopic: string): { topic: string; payload: string } {
  const body = {
    kpi: r.kpi,
    period: r.period,
    start: r.start,
    end: r.end,
    complete: r.complete,
    value: r.value,
    target: r.target,
    met: r.complete ? r.met : null,
    computedAt: r.computedAt,
    status: r.status,
    reason: r.reason,
    warnings: r.warnings,
  };
  return { topic: kpiTopic(rootTopic, r.site, r.kpi), payload: JSON.stringify(body) };
}
