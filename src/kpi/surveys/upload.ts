/**
 * A resident satisfaction survey upload (docs/contract.md §5, "Resident satisfaction surveys"):
 * checked whole, then turned into `survey` points (§4). All or nothing: one bad row refuses the
 * upload, and the refusal names every bad row by its position, never by its household id (ids are
 * personal data: docs/contract.md §3 keeps them out of InfluxDB, logs and reports).
 *
 * The point key is (site, wave, building, household pseudonym) at the wave's time, the local
 * midnight of the wave's date at the site: an answer uploaded again for the same wave lands on the
 * same point and replaces the earlier one. `household` is a tag here, unlike in `deposit` (a
 * field there): a deposit's key is its own time, so its household need not be part of the key,
 * while all answers of a wave share one time and only a tag keeps them apart. The series this
 * makes (households × waves) stay few next to the deposits'.
 */
import type { Roster } from '../../config/roster.ts';
export { WAVE_PATTERN } from '../../config/inventory.ts';
import { normaliseHouseholdId, type Pseudonymiser } from '../../pseudonym.ts';
import { nsFromMs, type Point } from '../../point.ts';
import { startOfDay } from '../period.ts';

/** The measurement of survey answers (docs/contract.md §4). */
export const SURVEY_MEASUREMENT = 'survey';
/** Lowest and highest score (5 = very satisfied). */
export const SCORE_MIN = 1;
export const SCORE_MAX = 5;
/** A score of at least this counts as satisfied (满意率). */
export const SATISFIED_FROM = 4;
/** The building tag of answers at a site without a roster (as devices without one, §4). */
export const NO_BUILDING = 'none';

/** One answer as uploaded: the raw household id and its score (not yet checked). */
export interface RawAnswer {
  household?: unknown;
  score?: unknown;
}

/** A survey upload of one site. */
export interface SurveyUpload {
  site: string;
  wave: string;
  /** The wave's local date at the site, `YYYY-MM-DD`. */
  date: string;
  responses: readonly RawAnswer[];
}

/** A bad row: its 0-based position in `responses` and what is wrong (never the household id). */
export interface RowIssue {
  index: number;
  problem: string;
}

/** What the site offers a check: its timezone and roster (none: any household counts). */
export interface SurveySite {
  timezone: string;
  roster: Roster | undefined;
}

/**
 * Checks every row of `upload` and returns its points, or every issue found (in row order).
 * `pseudonymise` is the hub's keyed pseudonymiser; household ids are normalised first
 * (src/pseudonym.ts), as rosters and ingest do. `uploadedAt` (epoch ms) is stored with each answer
 * so that a reader can tell the newer of two answers of one household (see summary.ts). An empty
 * `responses` gives no points and no issues: callers refuse it first.
 */
export function checkSurveyUpload(
  upload: SurveyUpload,
  site: SurveySite,
  pseudonymise: Pseudonymiser,
  uploadedAt: number,
): { points: Point[]; issues: [] } | { points?: undefined; issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const firstAt = new Map<string, number>();
  const points: Point[] = [];
  const time = nsFromMs(startOfDay(upload.date, site.timezone));
  upload.responses.forEach((row, index) => {
    const problems: string[] = [];
    const raw = typeof row.household === 'string' ? normaliseHouseholdId(row.household) : '';
    if (raw === '') problems.push('the household id is missing or empty');
    const score = row.score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < SCORE_MIN || score > SCORE_MAX)
      problems.push(`score must be an integer from ${SCORE_MIN} to ${SCORE_MAX}`);
    let pseudonym: string | undefined;
    let building = NO_BUILDING;
    if (raw !== '') {
      pseudonym = pseudonymise(raw);
      const first = firstAt.get(pseudonym);
      if (first !== undefined) problems.push(`the same household as row ${first}`);
      else firstAt.set(pseudonym, index);
      if (site.roster) {
        const inRoster = site.roster.households.get(pseudonym);
        if (inRoster === undefined) problems.push("the household is not in the site's roster");
        else building = inRoster;
      }
    }
    if (problems.length > 0) {
      issues.push({ index, problem: problems.join('; ') });
      return;
    }
    points.push({
      measurement: SURVEY_MEASUREMENT,
      tags: { site: upload.site, wave: upload.wave, building, household: pseudonym! },
      fields: { score: score as number, uploaded_at: new Date(uploadedAt).toISOString() },
      time,
    });
  });
  return issues.length > 0 ? { issues } : { points, issues: [] };
}

/** The issues as one message: `row 3: …; row 7: …` (rows counted from 0, as in the body). */
export function describeIssues(issues: readonly RowIssue[], label = (i: number) => `row ${i}`): string {
  return issues.map((i) => `${label(i.index)}: ${i.problem}`).join('; ');
}
