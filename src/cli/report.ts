/**
 * `community-hub report --site S --period week --date 2026-11-23 [--format md]` (docs/contract.md
 * §7): build a monitoring report (§5), print it, and keep it in every format under
 * `<dataDir>/reports/<site>/`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { KPI_PERIODS } from '../config/schema.ts';
import { DeadLetterStore } from '../deadletters/store.ts';
import { HubError, isHubError } from '../errors.ts';
import { localDate, siteOf, type PeriodKind } from '../kpi/index.ts';
import {
  gatherReport,
  isReportLanguage,
  printPdf,
  renderReport,
  REPORT_LANGUAGES,
  REPORT_FORMATS,
  saveReport,
  type ReportData,
  type ReportFormat,
} from '../report/index.ts';
import { connectInflux } from '../store/index.ts';
import { EXIT, parse } from './args.ts';

/** Period kinds a report is built for: every KPI period (quarter and year are site-local too, §5). */
const REPORT_PERIODS: readonly PeriodKind[] = KPI_PERIODS;

/** The help text of `community-hub report`. */
export const REPORT_HELP = `Usage: community-hub report --site SITE [--period day|week|month|quarter|year] [--date YYYY-MM-DD]
                         [--format json|md|html] [--lang zh-CN|en] [--out FILE] [--stored]
                         [--no-save] [--pdf] [--config FILE]

Builds the monitoring report (docs/contract.md §5) of one site for one period in the site's
timezone: every KPI with its target, met or not met and the change from the previous period;
coverage and participation per building (worst first, with the households still needed); every
KPI over the last periods (report.trendPeriods); the devices silent at least report.silentAfter; the bins most often full (readings at >= 90% fill plus overflow alarms);
the gates with most security alarms; and the data-quality counts (dead letters by reason, KPI
warnings). Prints it (Markdown by default) and keeps it as JSON, Markdown and HTML (a
self-contained page with charts) in <dataDir>/reports/<site>/<period>-<first day>.{json,md,html}.

Options:
  -s, --site SITE      a site id of the inventory (required)
  -p, --period KIND    day (default), week (Monday to Sunday), month, quarter or year
  -d, --date DATE      a local day inside the period (YYYY-MM-DD); default: today at the site
  -f, --format FMT     what to print: md (default), json or html
  -l, --lang LANG      language of the Markdown and HTML: zh-CN or en; default: report.language
  -o, --out FILE       write the report in that format to FILE instead of stdout
      --stored         use the stored KPI results (kpi measurement) when present; default: compute
      --no-save        do not keep the report under the data dir
      --pdf            also keep an A4 PDF of it, printed by headless Chromium (report.chromium);
                       exits 1 when Chromium is missing or fails (the other formats are kept)
  -c, --config FILE    hub config (YAML). Default: $HUB_CONFIG, else config/hub.yaml if it exists
  -h, --help           show this help

Exit codes: 0 done, 1 InfluxDB unreachable or refusing (try again), 64 usage, 78 configuration.
`;

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub report: ${message} (see \`community-hub report --help\`)`);
}

/** Run `report`; resolves with the exit code. */
export async function reportCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parse('community-hub report', argv, {
    site: { type: 'string', short: 's' },
    period: { type: 'string', short: 'p' },
    date: { type: 'string', short: 'd' },
    format: { type: 'string', short: 'f' },
    lang: { type: 'string', short: 'l' },
    out: { type: 'string', short: 'o' },
    stored: { type: 'boolean' },
    'no-save': { type: 'boolean' },
    pdf: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
  });
  if (values.help) {
    out.write(REPORT_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) usage(`unexpected argument "${positionals[0]}"`);
  if (values.pdf && values['no-save']) usage('--pdf keeps a PDF: it cannot go with --no-save');
  if (!values.site) usage('--site is required');
  const kind = (values.period ?? 'day') as PeriodKind;
  if (!REPORT_PERIODS.includes(kind)) usage(`--period must be one of ${REPORT_PERIODS.join(', ')}`);
  const format = (values.format ?? 'md') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) usage(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
  if (values.lang !== undefined && !isReportLanguage(values.lang))
    usage(`--lang must be one of ${REPORT_LANGUAGES.join(', ')}`);

  const { config, inventory } = loadConfig({ configPath: values.config });
  const conn = connectInflux({ ...config.influx });
  const deadLetters = new DeadLetterStore({
    dir: join(config.dataDir, 'dead-letters'),
    maxBytes: config.deadLetters.maxBytes,
    maxAgeMs: config.deadLetters.maxAge,
  });
  let report: ReportData;
  try {
    const date = values.date ?? localDate(Date.now(), siteOf(inventory, values.site).timezone);
    report = await gatherReport(
      {
        conn,
        inventory,
        config: config.kpi,
        report: config.report,
        evaluation: config.evaluation,
        deadLetters,
        kpiSource: values.stored ? 'stored' : 'compute',
      },
      values.site,
      kind,
      date,
    );
  } catch (e) {
    // A wrong site or date is the caller's mistake: a usage error (exit 64), with the same message.
    if (isHubError(e, 'HUB_ERR_UNKNOWN_SITE') || isHubError(e, 'HUB_ERR_KPI_PERIOD')) usage(e.message);
    throw e;
  }
  const lang = isReportLanguage(values.lang) ? values.lang : config.report.language;
  const saved = values['no-save'] !== true ? await saveReport(config.dataDir, report, { lang }) : undefined;
  const text = renderReport(report, format, { lang });
  if (values.out !== undefined) await writeFile(values.out, text);
  else out.write(text);
  if (saved && values.pdf) {
    const pdf = saved.html.replace(/\.html$/, '.pdf');
    const { chromium, pdfTimeout } = config.report;
    try {
      await printPdf({ chromium, html: saved.html, pdf, timeoutMs: pdfTimeout });
    } catch (e) {
      process.stderr.write(`community-hub report: no PDF: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
  }
  return EXIT.ok;
}
