/**
 * `community-hub kpi compute --site S --period day --date 2026-11-27` (docs/contract.md §7): compute
 * one period's KPIs now (a past one too, after late data), store them and print them.
 */
import { loadConfig, type Loaded } from '../config/load.ts';
import { KPI_PERIODS } from '../config/schema.ts';
import { HubError, isHubError } from '../errors.ts';
import { computeKpiSet, localDate, siteOf, writeKpiResults, type KpiResult, type PeriodKind } from '../kpi/index.ts';
import { connectInflux, InfluxPointWriter } from '../store/index.ts';
import { EXIT, parse } from './args.ts';

export const KPI_HELP = `Usage: community-hub kpi compute --site SITE [--period day|week|month|quarter|year] [--date YYYY-MM-DD]
                             [--config FILE] [--json] [--dry-run]

Computes every KPI (docs/contract.md §5) of one site for one period in the site's timezone, with
InfluxQL against InfluxDB, stores the results in the "kpi" measurement (recomputing a period
overwrites its points) and prints them. Use it for any period, past ones too after late data.
A site with a household roster also gets sorting_coverage and participation_rate per building
(listed after the site's, as "kpi [building]"; in --json they carry "building").

Options:
  -s, --site SITE      a site id of the inventory (required)
  -p, --period KIND    day (default), week (Monday to Sunday), month, quarter or year
  -d, --date DATE      a local day inside the period (YYYY-MM-DD); default: today at the site
  -c, --config FILE    hub config (YAML). Default: $HUB_CONFIG, else config/hub.yaml if it exists
      --json           print the results as a JSON array instead of a table
      --dry-run        compute and print, store nothing
  -h, --help           show this help

A value is null (with its reason) when its denominator is zero; warnings flag data-quality
problems such as more distinct households than registered. Exit codes: 0 done, 1 InfluxDB
unreachable or refusing (nothing stored; try again), 64 usage, 78 configuration.
`;

/** Run `kpi <sub>`; resolves with the exit code. */
export async function kpiCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parse('community-hub kpi', argv, {
    site: { type: 'string', short: 's' },
    period: { type: 'string', short: 'p' },
    date: { type: 'string', short: 'd' },
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  if (values.help) {
    out.write(KPI_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== 'compute' || positionals.length > 1) usage('expected the subcommand "compute"');
  if (!values.site) usage('--site is required');
  const kind = (values.period ?? 'day') as PeriodKind;
  if (!KPI_PERIODS.includes(kind)) usage(`--period must be one of ${KPI_PERIODS.join(', ')}`);

  const loaded: Loaded = loadConfig({ configPath: values.config });
  const conn = connectInflux({ ...loaded.config.influx });
  const deps = { conn, inventory: loaded.inventory, config: loaded.config.kpi, evaluation: loaded.config.evaluation };
  let results: KpiResult[];
  try {
    const date = values.date ?? localDate(Date.now(), siteOf(loaded.inventory, values.site).timezone);
    // Site-wide results first, then the per-building ones of a site with a roster (`building` set).
    const set = await computeKpiSet(deps, values.site, kind, date);
    results = [...set.site, ...set.buildings];
  } catch (e) {
    // A wrong site or date is the caller's mistake: a usage error (exit 64), with the same message.
    if (isHubError(e, 'HUB_ERR_UNKNOWN_SITE') || isHubError(e, 'HUB_ERR_KPI_PERIOD')) usage(e.message);
    throw e;
  }
  const dryRun = values['dry-run'] === true;
  if (!dryRun) {
    const writer = new InfluxPointWriter(conn);
    try {
      await writeKpiResults(conn, writer, results);
    } finally {
      await writer.close();
    }
  }
  out.write(values.json ? `${JSON.stringify(results, null, 2)}\n` : table(results, dryRun));
  return EXIT.ok;
}

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub kpi: ${message} (see \`community-hub kpi --help\`)`);
}

/** `0.9500` for ratios, `3` for counts, `—` for null. */
function show(r: KpiResult, v: number | null): string {
  if (v === null) return '—';
  return r.unit === 'ratio' ? v.toFixed(4) : String(v);
}

/** The results as an aligned text table. */
export function table(results: readonly KpiResult[], dryRun = false): string {
  const first = results[0];
  if (!first) return 'no results\n';
  const state = first.complete ? 'complete' : 'running';
  const head = `${first.site} · ${first.period} ${first.date} · ${first.start} → ${first.end} (${first.timezone}) · ${state} · ${dryRun ? 'not stored (dry run)' : 'stored'}\n`;
  const rows = [['kpi', 'value', 'target', 'met', 'numerator', 'denominator', 'status']];
  for (const r of results) {
    const status = r.status === 'null' ? `null: ${r.reason ?? ''}` : r.status;
    const unregistered = r.unregistered ? [`${r.unregistered} unregistered`] : [];
    const noted = [...r.warnings, ...unregistered];
    const notes = noted.length > 0 ? ` (${noted.join(', ')})` : '';
    rows.push([
      r.building === undefined ? r.kpi : `${r.kpi} [${r.building}]`,
      show(r, r.value),
      r.target === null ? 'informative' : `${r.direction === '<=' ? '≤' : '≥'} ${r.target}`,
      r.met === null ? '—' : r.met ? 'yes' : 'no',
      String(r.numerator),
      r.denominator === null ? '—' : String(r.denominator),
      status + notes,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return (
    head +
    rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') +
    '\n'
  );
}
