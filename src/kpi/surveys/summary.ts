/**
 * The summary of a site's survey waves (docs/contract.md §5, "Resident satisfaction surveys"):
 * per wave the answers, the respondents, the response rate, the satisfaction rate (满意率: share of
 * answers with a score ≥ 4) and its gain over the baseline wave, judged against
 * `evaluation.targets.satisfactionGain` exactly in integers (as the KPIs are: src/kpi/result.ts).
 * Pure: the answers come from store.ts.
 */
import { decimalFraction } from '../result.ts';
import { localDate } from '../period.ts';
import { SATISFIED_FROM } from './upload.ts';

/** One stored answer (household as its pseudonym). */
export interface StoredAnswer {
  wave: string;
  household: string;
  score: number;
  /** The wave's time (epoch ms): its date's local midnight at the site. */
  timeMs: number;
  /** When it was uploaded (RFC 3339): of two answers of a household in one wave, the later counts. */
  uploadedAt: string;
}

/** One wave of the summary. */
export interface WaveSummary {
  wave: string;
  /** The wave's local date at the site (`YYYY-MM-DD`). */
  date: string;
  /** Answers counted: one per household (the latest uploaded). */
  responses: number;
  /** Households among them in the site's current roster (all of them without a roster). */
  respondents: number;
  /** Answers with a score ≥ 4. */
  satisfied: number;
  /** respondents ÷ roster households; null without a roster (or an empty one). */
  responseRate: number | null;
  /** satisfied ÷ responses. */
  satisfactionRate: number | null;
  /** satisfactionRate ÷ the baseline's − 1; null for the baseline itself, a zero or missing baseline. */
  gain: number | null;
  /** gain ≥ target, decided exactly; null when gain is. */
  met: boolean | null;
}

/** The summary of a site. */
export interface SurveySummary {
  site: string;
  /** The baseline wave: the site's `evaluation.baselineWave`, else the earliest wave; null when there is none. */
  baseline: string | null;
  /** Where the baseline comes from. */
  baselineFrom: 'inventory' | 'earliest' | null;
  /** The gain target (`evaluation.targets.satisfactionGain`). */
  target: number;
  /** Roster households (the response rate's denominator); null without a roster. */
  households: number | null;
  /** Waves by date (then name). */
  waves: WaveSummary[];
}

/** What {@link summariseSurveys} needs besides the answers. */
export interface SummaryInput {
  site: string;
  timezone: string;
  /** Pseudonyms of the roster's households; undefined without a roster. */
  roster: ReadonlySet<string> | undefined;
  /** The inventory's `evaluation.baselineWave` of the site. */
  baselineWave: string | undefined;
  target: number;
}

/** Summarise `answers` (any order, possibly several per household and wave). */
export function summariseSurveys(input: SummaryInput, answers: readonly StoredAnswer[]): SurveySummary {
  // One answer per (wave, household): the latest uploaded (a household moved to another building
  // between two uploads of a wave leaves its older answer under the old building tag).
  const latest = new Map<string, Map<string, StoredAnswer>>();
  for (const a of answers) {
    const wave = latest.get(a.wave) ?? new Map<string, StoredAnswer>();
    latest.set(a.wave, wave);
    const had = wave.get(a.household);
    if (!had || a.uploadedAt > had.uploadedAt) wave.set(a.household, a);
  }
  const households = input.roster && input.roster.size > 0 ? input.roster.size : null;
  const counted = [...latest].map(([wave, byHousehold]) => {
    const list = [...byHousehold.values()];
    const timeMs = Math.min(...list.map((a) => a.timeMs));
    const respondents = input.roster ? list.filter((a) => input.roster!.has(a.household)).length : list.length;
    const satisfied = list.filter((a) => a.score >= SATISFIED_FROM).length;
    return { wave, date: localDate(timeMs, input.timezone), responses: list.length, respondents, satisfied };
  });
  counted.sort((a, b) => (a.date === b.date ? (a.wave < b.wave ? -1 : 1) : a.date < b.date ? -1 : 1));

  const configured = input.baselineWave;
  const baseline = configured ?? counted[0]?.wave ?? null;
  const base = counted.find((w) => w.wave === baseline);
  const [p, q] = decimalFraction(input.target);
  const waves = counted.map((w): WaveSummary => {
    const rate = w.responses > 0 ? w.satisfied / w.responses : null;
    const comparable = base !== undefined && w.wave !== base.wave && base.satisfied > 0 && w.responses > 0;
    const gain = comparable ? (w.satisfied * base.responses) / (w.responses * base.satisfied) - 1 : null;
    // gain ≥ p/q ⇔ s·bn / (n·bs) ≥ (q+p)/q ⇔ q·s·bn ≥ (q+p)·n·bs, all integers.
    const met = comparable
      ? q * BigInt(w.satisfied) * BigInt(base.responses) >= (q + p) * BigInt(w.responses) * BigInt(base.satisfied)
      : null;
    return {
      ...w,
      responseRate: households === null ? null : w.respondents / households,
      satisfactionRate: rate,
      gain,
      met,
    };
  });
  return {
    site: input.site,
    baseline,
    baselineFrom: configured !== undefined ? 'inventory' : baseline === null ? null : 'earliest',
    target: input.target,
    households,
    waves,
  };
}
