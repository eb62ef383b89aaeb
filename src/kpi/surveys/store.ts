/**
 * Survey answers in and out of the `survey` measurement (docs/contract.md §4, §5): an upload is
 * checked whole (upload.ts), its wave's date checked against what is stored, then written through
 * a {@link PointWriter}, which resolves only once InfluxDB has acknowledged every point: a failed
 * write is an error the caller retries, never an upload reported stored. Reading returns the
 * summary of summary.ts.
 */
import type { Inventory } from '../../config/inventory.ts';
import { HubError } from '../../errors.ts';
import type { Pseudonymiser } from '../../pseudonym.ts';
import { query, type InfluxConnection, type PointWriter } from '../../store/index.ts';
import { siteOf } from '../compute.ts';
import { quoteIdent, tagEquals } from '../influxql.ts';
import { localDate, parseDate } from '../period.ts';
import { summariseSurveys, type StoredAnswer, type SurveySummary } from './summary.ts';
import { checkSurveyUpload, SURVEY_MEASUREMENT, type RowIssue, type SurveyUpload } from './upload.ts';

/** What {@link storeSurveyUpload} needs. */
export interface SurveyWriteDeps {
  conn: InfluxConnection;
  writer: PointWriter;
  inventory: Inventory;
  /** The hub's keyed pseudonymiser (`pseudonymKey`). */
  pseudonymise: Pseudonymiser;
  /** Clock, epoch ms. */
  now: () => number;
}

/** The outcome of an upload: stored, or refused with every reason (nothing stored). */
export type SurveyUploadResult =
  | { stored: true; site: string; wave: string; date: string; answers: number; buildings: Record<string, number> }
  | { stored: false; message: string; rows: RowIssue[] };

/**
 * Checks and stores one upload (all or nothing).
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`, `HUB_ERR_VALIDATION` (a date the calendar lacks), or the
 * store's errors (retryable ones, as `HUB_ERR_INFLUX_UNREACHABLE`: nothing is known stored; send again).
 */
export async function storeSurveyUpload(deps: SurveyWriteDeps, upload: SurveyUpload): Promise<SurveyUploadResult> {
  const site = siteOf(deps.inventory, upload.site);
  try {
    parseDate(upload.date);
  } catch (e) {
    throw new HubError('HUB_ERR_VALIDATION', `date: ${(e as Error).message}`, { cause: e });
  }
  const checked = checkSurveyUpload(
    upload,
    { timezone: site.timezone, roster: deps.inventory.roster(site.id) },
    deps.pseudonymise,
    deps.now(),
  );
  if (checked.issues.length > 0) {
    const n = checked.issues.length;
    return { stored: false, message: `${n} bad row${n === 1 ? '' : 's'}; nothing stored`, rows: checked.issues };
  }
  // A wave has one date: answers of a later upload must land on the same time to replace earlier ones.
  const dated = await storedWaveDate(deps.conn, site.id, upload.wave, site.timezone);
  if (dated !== undefined && dated !== upload.date) {
    return {
      stored: false,
      message: `wave "${upload.wave}" of site ${site.id} is dated ${dated}, not ${upload.date}; nothing stored`,
      rows: [],
    };
  }
  const points = checked.points!;
  await deps.writer.write(points);
  const buildings: Record<string, number> = {};
  for (const p of points) buildings[p.tags['building']!] = (buildings[p.tags['building']!] ?? 0) + 1;
  return { stored: true, site: site.id, wave: upload.wave, date: upload.date, answers: points.length, buildings };
}

/** The local date of a stored wave, or undefined when the wave has no answers yet. */
async function storedWaveDate(
  conn: InfluxConnection,
  site: string,
  wave: string,
  tz: string,
): Promise<string | undefined> {
  const rows = await query(
    conn,
    `SELECT "score" FROM ${quoteIdent(SURVEY_MEASUREMENT)} WHERE ${tagEquals('site', site)} AND ${tagEquals('wave', wave)} LIMIT 1`,
    { epoch: 'ms' },
  );
  const t = rows[0]?.values['time'];
  return typeof t === 'number' ? localDate(t, tz) : undefined;
}

/**
 * The survey summary of site `siteId`: every stored answer of the site, one row each (a site's
 * answers are households × waves; a server's `max-row-limit` below that fails the read with the
 * retryable `HUB_ERR_INFLUX_PARTIAL`, never a smaller count).
 * @throws HubError `HUB_ERR_UNKNOWN_SITE`, or the store's query errors.
 */
export async function readSurveySummary(
  conn: InfluxConnection,
  inventory: Inventory,
  siteId: string,
  target: number,
): Promise<SurveySummary> {
  const site = siteOf(inventory, siteId);
  const rows = await query(
    conn,
    `SELECT "score", "uploaded_at" FROM ${quoteIdent(SURVEY_MEASUREMENT)} WHERE ${tagEquals('site', site.id)} GROUP BY "wave", "household"`,
    { epoch: 'ms' },
  );
  const answers: StoredAnswer[] = [];
  for (const row of rows) {
    const { score, time, uploaded_at: uploadedAt } = row.values;
    const wave = row.tags['wave'];
    const household = row.tags['household'];
    if (typeof score !== 'number' || typeof time !== 'number' || !wave || !household) continue;
    answers.push({
      wave,
      household,
      score,
      timeMs: time,
      uploadedAt: typeof uploadedAt === 'string' ? uploadedAt : '',
    });
  }
  const roster = inventory.roster(site.id);
  return summariseSurveys(
    {
      site: site.id,
      timezone: site.timezone,
      roster: roster ? new Set(roster.households.keys()) : undefined,
      baselineWave: site.evaluation?.baselineWave,
      target,
    },
    answers,
  );
}
