/**
 * `community-hub dashboards build [--from DIR] [--out DIR]`: dashboards/*.yaml → Grafana JSON
 * files that Grafana's dashboard provider (dashboards/provisioning/) loads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../errors.ts';
import { buildDashboards } from '../dashboards/index.ts';
import { EXIT, parse } from './args.ts';

export const DASHBOARDS_HELP = `Usage: community-hub dashboards build [--from DIR] [--out DIR]

Builds every dashboard defined in YAML (DIR/*.yaml, shared components in DIR/_components.yaml;
format in dashboards/README.md) into Grafana dashboard JSON, one <name>.json per file, with a
stable uid (ch-<name>) and the provisioned InfluxDB datasource (uid community-influx).

Options:
      --from DIR       the YAML folder (default: dashboards)
  -o, --out DIR        where the JSON goes (default: dashboards/build)
  -h, --help           show this help

Exit codes: 0 done, 64 usage, 78 a dashboard file is invalid.
`;

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub dashboards: ${message} (see \`community-hub dashboards --help\`)`);
}

/** Run `dashboards`; resolves with the exit code. */
export function dashboardsCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const { values, positionals } = parse('community-hub dashboards', argv, {
    from: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  if (values.help) {
    out.write(DASHBOARDS_HELP);
    return EXIT.ok;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'build') usage(sub === undefined ? 'a subcommand is required: build' : `unknown subcommand "${sub}"`);
  if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
  const outDir = values.out ?? join('dashboards', 'build');
  const built = buildDashboards(values.from ?? 'dashboards');
  mkdirSync(outDir, { recursive: true });
  for (const b of built) {
    const file = join(outDir, `${b.name}.json`);
    writeFileSync(file, `${JSON.stringify(b.json, null, 2)}\n`);
    out.write(`${file}  ${b.json.uid}  ${b.json.title}\n`);
  }
  return EXIT.ok;
}
