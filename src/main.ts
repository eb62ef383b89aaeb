/**
 * The `community-hub` command: parse the subcommand, run it, map errors to a message a person
 * reads and an exit code (docs/contract.md §7).
 */
import { isHubError } from './errors.ts';
import { EXIT } from './cli/args.ts';
import { brokerCommand } from './cli/broker.ts';
import { kpiCommand } from './cli/kpi.ts';
import { reportCommand } from './cli/report.ts';
import { secretCommand } from './cli/secret.ts';
import { startCommand } from './cli/start.ts';
import { surveyCommand } from './cli/survey.ts';

const HELP = `Usage: community-hub <command> [options]

Commands:
  start [--config FILE]   run the hub: broker, ingest, store (default config: config/hub.yaml)
  secret hash             print the stored form of a secret (--generate: a new fast-scheme one)
  kpi compute --site S [--period day|week|month] [--date YYYY-MM-DD]
                          compute, store and print one period's KPIs (past ones too)
  report --site S [--period day|week|month] [--date YYYY-MM-DD] [--format json|md|html]
                          build, print and keep a monitoring report (JSON, Markdown, HTML)
  survey import --site S --wave W --date YYYY-MM-DD FILE.csv
                          store one wave of a resident satisfaction survey, print the summary
  dashboards build [--out DIR] [--config FILE]
                          build dashboards/*.yaml into Grafana JSON (default: dashboards/build)
  broker mosquitto --out DIR [--config FILE]
                          write the hub's MQTT access rules as a Mosquitto ACL file
  help                    show this help

Run \`community-hub <command> --help\` for a command's options.
Every setting can also be given in the environment (\`community-hub start --help\` lists them).
`;

const CONFIG_CODES = new Set([
  'HUB_ERR_CONFIG_INVALID',
  'HUB_ERR_CONFIG_NOT_FOUND',
  'HUB_ERR_INVENTORY_INVALID',
  'HUB_ERR_TLS_INVALID',
  'HUB_ERR_UNKNOWN_MODEL',
  'HUB_ERR_MODEL_INVALID',
  'HUB_ERR_SECRET_FORMAT',
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'kpi':
      return kpiCommand(rest);
    case 'report':
      return reportCommand(rest);
    case 'survey':
      return surveyCommand(rest);
    case 'dashboards':
      // Loaded on demand: the Grafana SDK costs every other command ~150 ms at start.
      return (await import('./cli/dashboards.ts')).dashboardsCommand(rest);
    case 'broker':
      return brokerCommand(rest);
    case 'secret':
      process.stdout.write(await secretCommand(rest));
      return EXIT.ok;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      process.stderr.write(`community-hub: unknown command "${command}"\n\n${HELP}`);
      return EXIT.usage;
  }
}

// `community-hub … | head`: a reader that has seen enough is no error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (isHubError(e)) {
    process.stderr.write(`community-hub: ${e.code}: ${e.message}\n`);
    process.exitCode = e.code === 'HUB_ERR_USAGE' ? EXIT.usage : CONFIG_CODES.has(e.code) ? EXIT.config : EXIT.failure;
  } else {
    process.stderr.write(`community-hub: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.failure;
  }
}
