/**
 * `community-hub dashboards build [--from DIR] [--out DIR] [--config FILE] [--each NAME=V1,V2]`:
 * dashboards/*.yaml → Grafana JSON files that Grafana's dashboard provider (dashboards/provisioning/)
 * loads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { HubError } from '../errors.ts';
import { buildDashboards, kpiTargetParams, type BuildOptions } from '../dashboards/index.ts';
import { EXIT, parse } from './args.ts';

export const DASHBOARDS_HELP = `Usage: community-hub dashboards build [--from DIR] [--out DIR] [--config FILE] [--each NAME=V1,V2]

Builds every dashboard defined in YAML (DIR/*.yaml, shared components in DIR/_components.yaml;
format in dashboards/README.md) into Grafana dashboard JSON, one <name>.json per dashboard, with a
stable uid (ch-<name>) and the provisioned InfluxDB datasource (uid community-influx).

Options:
      --from DIR         the YAML folder (default: dashboards)
  -o, --out DIR          where the JSON goes (default: dashboards/build)
  -c, --config FILE      take the KPI targets ({kpi_target_<id>}) from this hub config, with its
                         HUB_* environment (default: the built-in targets)
      --each NAME=V1,V2  build dashboards with \`each: {NAME: [...]}\` once per V1, V2 instead of the
                         values in their file (repeatable), e.g. --each site=maple-court,birch-lane
  -h, --help             show this help

Exit codes: 0 done, 64 usage, 78 a dashboard file or the config is invalid.
`;

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub dashboards: ${message} (see \`community-hub dashboards --help\`)`);
}

function eachOption(text: string): [string, string[]] {
  const m = /^([a-z][a-z0-9_]*)=(.+)$/.exec(text);
  const values =
    m?.[2]
      ?.split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '') ?? [];
  if (!m || values.length === 0) usage(`--each wants NAME=VALUE[,VALUE…], got "${text}"`);
  return [m[1]!, values];
}

/** Run `dashboards`; resolves with the exit code. */
export function dashboardsCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const { values, positionals } = parse('community-hub dashboards', argv, {
    from: { type: 'string' },
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    each: { type: 'string', multiple: true },
  });
  if (values.help) {
    out.write(DASHBOARDS_HELP);
    return EXIT.ok;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'build') usage(sub === undefined ? 'a subcommand is required: build' : `unknown subcommand "${sub}"`);
  if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
  const outDir = values.out ?? join('dashboards', 'build');
  const options: BuildOptions = {
    each: Object.fromEntries((values.each ?? []).map(eachOption)),
    ...(values.config !== undefined
      ? { params: kpiTargetParams(loadConfig({ configPath: values.config }).config.kpi.targets) }
      : {}),
  };
  const built = buildDashboards(values.from ?? 'dashboards', options);
  mkdirSync(outDir, { recursive: true });
  for (const b of built) {
    const file = join(outDir, `${b.name}.json`);
    writeFileSync(file, `${JSON.stringify(b.json, null, 2)}\n`);
    out.write(`${file}  ${b.json.uid}  ${b.json.title}\n`);
  }
  return EXIT.ok;
}
