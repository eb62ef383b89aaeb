/**
 * The funding and payback picture of a site (docs/contract.md §5, "Funding and payback"), as a
 * pure function of its monthly deposit weights and its evaluation settings: revenue, net and the
 * cumulative net since the payback clock started, the position against the social-capital
 * investment, the month it was recovered or, if not yet, the projected month.
 *
 * Money is counted in whole fen (0.01 yuan) so that the months add up exactly: each month's
 * revenue is rounded to the fen once, and every sum after that is of integers.
 */
import type { WasteCategory } from '../config/schema.ts';
import { WASTE_CATEGORIES } from '../config/schema.ts';

/** Months of the average net a projection takes (docs/contract.md §5). */
export const PROJECTION_MONTHS = 3;

/** Why the payback has no recovery month and no projection. */
export type PaybackReason = 'not_configured' | 'never_at_current_rate' | 'no_complete_months';

/** The PPP investment, yuan. */
export interface Investment {
  government: number;
  socialCapital: number;
  residents: number;
}

/** What {@link computePayback} works from. */
export interface PaybackInput {
  /** The months of the payback clock, consecutive `YYYY-MM`, from its start to the running month. */
  months: readonly string[];
  /** The running month (`YYYY-MM`): months before it are complete. */
  currentMonth: string;
  /**
   * Whole grams of deposits not sorted `incorrect`, by month then category (a month without any may
   * be absent): InfluxDB's float sums rounded to the gram, as the weight KPIs take them.
   */
  grams: ReadonlyMap<string, Readonly<Partial<Record<string, number>>>>;
  /** Yuan per kg of each category; undefined when some category has no price. */
  prices: Readonly<Record<WasteCategory, number>> | undefined;
  monthlyOperatingCost: number;
  monthlyOtherIncome: number;
  /** Undefined when the site has no `evaluation.investment`. */
  investment: Readonly<Investment> | undefined;
}

/** One month of the picture (yuan). */
export interface PaybackMonth {
  month: string;
  revenue: number;
  otherIncome: number;
  operatingCost: number;
  net: number;
  /** Σ net from the clock's start to this month's end. */
  cumulative: number;
  /** cumulative ÷ socialCapital; null without an investment. */
  recoveredShare: number | null;
  /** False for the running month. */
  complete: boolean;
}

/** The picture, without the site (the API adds it). */
export interface PaybackPicture {
  currency: 'CNY';
  investment: (Investment & { total: number }) | null;
  /** Each party's fraction of the total investment. */
  shares: Investment | null;
  months: PaybackMonth[];
  /** First month whose cumulative net reached the social-capital investment. */
  recoveredIn: string | null;
  /** Not recovered yet: the month the average net of the last complete months reaches it. */
  projectedRecovery: string | null;
  reason: PaybackReason | null;
}

const MONTH = /^(\d{4})-(\d{2})$/;

/** `month` (`YYYY-MM`) moved by `n` months. */
export function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`not a month YYYY-MM: ${month}`);
  const index = Number(m[1]) * 12 + Number(m[2]) - 1 + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months from `first` to `last`, both included (none when `first` is after `last`). */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m <= last; m = addMonths(m, 1)) out.push(m);
  return out;
}

const fen = (yuan: number): number => Math.round(yuan * 100);
const yuan = (f: number): number => f / 100;

/** Revenue of one month's weights, in fen (rounded once): g × yuan/kg ÷ 10 is fen. */
function revenueFen(
  grams: Readonly<Partial<Record<string, number>>> | undefined,
  prices: Record<WasteCategory, number>,
): number {
  let sum = 0;
  for (const c of WASTE_CATEGORIES) sum += (grams?.[c] ?? 0) * prices[c];
  return Math.round(sum / 10);
}

/**
 * The payback picture of {@link PaybackInput}. Without prices for every category it is
 * `not_configured` with no months (a category without a price would silently count as 0); without
 * an investment it lists the months and is `not_configured`.
 */
export function computePayback(input: PaybackInput): PaybackPicture {
  const inv = input.investment;
  const investment = inv ? { ...inv, total: inv.government + inv.socialCapital + inv.residents } : null;
  const shares =
    inv && investment
      ? {
          government: inv.government / investment.total,
          socialCapital: inv.socialCapital / investment.total,
          residents: inv.residents / investment.total,
        }
      : null;
  const base = { currency: 'CNY' as const, investment, shares, recoveredIn: null, projectedRecovery: null };
  const prices = input.prices;
  if (!prices) return { ...base, months: [], reason: 'not_configured' };

  const other = fen(input.monthlyOtherIncome);
  const cost = fen(input.monthlyOperatingCost);
  const target = inv ? fen(inv.socialCapital) : null;
  let cumulative = 0;
  let recoveredIn: string | null = null;
  const nets: Array<{ month: string; net: number; cumulative: number }> = [];
  const months = input.months.map((month): PaybackMonth => {
    const revenue = revenueFen(input.grams.get(month), prices);
    const net = revenue + other - cost;
    cumulative += net;
    const complete = month < input.currentMonth;
    if (complete) nets.push({ month, net, cumulative });
    if (target !== null && recoveredIn === null && cumulative >= target) recoveredIn = month;
    return {
      month,
      revenue: yuan(revenue),
      otherIncome: yuan(other),
      operatingCost: yuan(cost),
      net: yuan(net),
      cumulative: yuan(cumulative),
      recoveredShare: target === null ? null : cumulative / target,
      complete,
    };
  });
  if (target === null) return { ...base, months, reason: 'not_configured' };
  if (recoveredIn !== null) return { ...base, months, recoveredIn, reason: null };
  return { ...base, months, ...project(nets, target) };
}

/** The projected month at the average net of the last complete months, or why there is none. */
function project(
  complete: ReadonlyArray<{ month: string; net: number; cumulative: number }>,
  target: number,
): Pick<PaybackPicture, 'projectedRecovery' | 'reason'> {
  const last = complete.at(-1);
  if (!last) return { projectedRecovery: null, reason: 'no_complete_months' };
  const window = complete.slice(-PROJECTION_MONTHS);
  const average = window.reduce((a, m) => a + m.net, 0) / window.length;
  if (average <= 0) return { projectedRecovery: null, reason: 'never_at_current_rate' };
  // Not recovered by the last complete month, so what is left is > 0 and this is ≥ 1 month on.
  return { projectedRecovery: addMonths(last.month, Math.ceil((target - last.cumulative) / average)), reason: null };
}
