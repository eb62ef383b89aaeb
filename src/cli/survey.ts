/**
 * `community-hub survey import --site S --wave W --date D FILE.csv` (docs/contract.md §7): store
 * one wave's survey answers from a CSV file. It writes to InfluxDB directly, as `kpi compute`
 * does, with the same checks and the same points as `POST /api/v1/sites/{site}/surveys`
 * (src/kpi/surveys/): the hub's config gives InfluxDB, the inventory (rosters) and the
 * pseudonym key, so no running hub and no API key are needed.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.ts';
import { WAVE_PATTERN } from '../config/inventory.ts';
import { HubError, isHubError } from '../errors.ts';
import {
  describeIssues,
  readSurveySummary,
  storeSurveyUpload,
  type RawAnswer,
  type SurveySummary,
} from '../kpi/index.ts';
import { createPseudonymiser } from '../pseudonym.ts';
import { connectInflux, ensureDatabase, InfluxPointWriter } from '../store/index.ts';
import { EXIT, parse } from './args.ts';

export const SURVEY_HELP = `Usage: community-hub survey import --site SITE --wave WAVE --date YYYY-MM-DD FILE.csv
                             [--config FILE]

Stores one wave of a resident satisfaction survey (docs/contract.md §5) from a CSV file with the
header "household,score" and one answer per line (score an integer from 1 to 5, 5 = very
satisfied; no quoting; blank lines skipped; a UTF-8 BOM and CRLF accepted). Writes to InfluxDB
directly with the hub's config, as POST /api/v1/sites/{site}/surveys does: all or nothing. A
household not in the site's roster, a score outside 1-5 or a household listed twice refuses the
whole file, naming every bad line. A household answering again in a later import of the same wave
replaces its answer. Prints the site's survey summary afterwards.

Options:
  -s, --site SITE      a site id of the inventory (required)
  -w, --wave WAVE      the wave's name, e.g. 2026-Q3 (required)
  -d, --date DATE      the wave's local date at the site, YYYY-MM-DD (required; one date a wave)
  -c, --config FILE    hub config (YAML). Default: $HUB_CONFIG, else config/hub.yaml if it exists
  -h, --help           show this help

Exit codes: 0 stored, 1 InfluxDB unreachable or refusing (nothing known stored; run it again),
64 usage, 65 bad lines in the file or a wave dated otherwise (nothing stored), 78 configuration.
`;

/** The CSV header. */
const HEADER = 'household,score';

/** Run `survey <sub>`; resolves with the exit code. */
export async function surveyCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const { values, positionals } = parse('community-hub survey', argv, {
    site: { type: 'string', short: 's' },
    wave: { type: 'string', short: 'w' },
    date: { type: 'string', short: 'd' },
    config: { type: 'string', short: 'c' },
  });
  if (values.help) {
    out.write(SURVEY_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== 'import') usage('expected the subcommand "import"');
  if (positionals.length !== 2) usage('expected one CSV file after "import"');
  if (!values.site) usage('--site is required');
  if (!values.wave || !WAVE_PATTERN.test(values.wave)) usage('--wave is required: a name such as 2026-Q3');
  if (!values.date || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) usage('--date is required: YYYY-MM-DD');
  const file = positionals[1]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${file}: ${(e as Error).message}`);
  }
  const csv = parseAnswers(text);
  if ('problem' in csv) {
    err.write(`community-hub survey: ${file}: ${csv.problem}; nothing stored\n`);
    return EXIT.data;
  }

  const loaded = loadConfig({ configPath: values.config });
  const conn = connectInflux({ ...loaded.config.influx });
  // As the hub's start does: the first answers may come before any hub ran against this InfluxDB.
  await ensureDatabase(conn);
  const writer = new InfluxPointWriter(conn);
  const deps = {
    conn,
    writer,
    inventory: loaded.inventory,
    pseudonymise: createPseudonymiser(loaded.config.pseudonymKey),
    now: Date.now,
  };
  let summary: SurveySummary;
  try {
    const upload = { site: values.site, wave: values.wave, date: values.date, responses: csv.answers };
    const result = await storeSurveyUpload(deps, upload).catch((e: unknown) => {
      if (isHubError(e, 'HUB_ERR_UNKNOWN_SITE') || isHubError(e, 'HUB_ERR_VALIDATION')) usage(e.message);
      throw e;
    });
    if (!result.stored) {
      const lines = describeIssues(result.rows, (i) => `line ${csv.lines[i]}`);
      err.write(`community-hub survey: ${file}: ${result.message}${lines === '' ? '' : `: ${lines}`}\n`);
      return EXIT.data;
    }
    const byBuilding = Object.entries(result.buildings)
      .map(([b, n]) => `${b} ${n}`)
      .join(', ');
    out.write(
      `stored ${result.answers} answers of wave ${result.wave} (${result.date}) at ${result.site} (${byBuilding})\n`,
    );
    summary = await readSurveySummary(
      conn,
      loaded.inventory,
      result.site,
      loaded.config.evaluation.targets.satisfactionGain,
    );
  } finally {
    await writer.close();
  }
  out.write(table(summary));
  return EXIT.ok;
}

/** The answers of a CSV text, with the line of each; or what is wrong with the file as a whole. */
export function parseAnswers(text: string): { answers: RawAnswer[]; lines: number[] } | { problem: string } {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = all[0]
    ?.trim()
    .toLowerCase()
    .replace(/\s*,\s*/g, ',');
  if (header !== HEADER) return { problem: `the first line must be the header "${HEADER}"` };
  const answers: RawAnswer[] = [];
  const lines: number[] = [];
  const malformed: string[] = [];
  for (let i = 1; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (fields.length !== 2 || line.includes('"')) {
      malformed.push(`line ${i + 1}: expected 2 unquoted fields "household,score"`);
      continue;
    }
    const score = fields[1]!.trim();
    answers.push({ household: fields[0], score: /^\d+$/.test(score) ? Number(score) : score });
    lines.push(i + 1);
  }
  if (malformed.length > 0) return { problem: malformed.join('; ') };
  if (answers.length === 0) return { problem: 'no answers after the header' };
  return { answers, lines };
}

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub survey: ${message} (see \`community-hub survey --help\`)`);
}

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

/** The summary as an aligned text table. */
export function table(s: SurveySummary): string {
  const head = `${s.site} · baseline ${s.baseline ?? '—'} (${s.baselineFrom ?? 'no waves'}) · gain target ≥ ${pct(s.target)}\n`;
  const rows = [['wave', 'date', 'responses', 'respondents', 'response rate', 'satisfied', 'gain', 'met']];
  for (const w of s.waves) {
    rows.push([
      w.wave,
      w.date,
      String(w.responses),
      String(w.respondents),
      pct(w.responseRate),
      pct(w.satisfactionRate),
      w.gain === null ? '—' : `${w.gain >= 0 ? '+' : ''}${pct(w.gain)}`,
      w.met === null ? '—' : w.met ? 'yes' : 'no',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return (
    head +
    rows
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') +
    '\n'
  );
}
