/**
 * The `community-sim` command (docs/contract.md §7): drive a simulated community against a hub,
 * write the matching inventory, or compute a scenario's ledger without a hub.
 */
import { EXIT } from '../src/cli/args.ts';
import { isHubError } from '../src/errors.ts';
import { checkCommand, inventoryCommand, ledgerCommand, messagesCommand } from './commands/tools.ts';
import { runCommand } from './commands/run.ts';
import { ScenarioError } from './scenario/load.ts';

const HELP = `Usage: community-sim <command> [options]

Commands:
  run --scenario FILE [--hub mqtt://…]   drive the simulated community against a hub
  inventory --scenario FILE              print the matching inventory.yaml (hashed secrets)
  ledger --scenario FILE                 compute the ground truth without a hub (dry run)
  check --scenario FILE                  validate a scenario and print what it holds
  messages --scenario FILE               print the message stream as JSON lines
  help                                   show this help

Scenarios live in simulators/scenarios/ (format: simulators/README.md).
Run \`community-sim <command> --help\` for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'inventory':
      return inventoryCommand(rest);
    case 'ledger':
      return ledgerCommand(rest);
    case 'check':
      return checkCommand(rest);
    case 'messages':
      return messagesCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      process.stderr.write(`community-sim: unknown command "${command}"\n\n${HELP}`);
      return EXIT.usage;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof ScenarioError) {
    process.stderr.write(`community-sim: ${e.message}\n`);
    process.exitCode = EXIT.config;
  } else if (isHubError(e)) {
    process.stderr.write(`community-sim: ${e.message}\n`);
    process.exitCode = e.code === 'HUB_ERR_USAGE' ? EXIT.usage : EXIT.failure;
  } else {
    process.stderr.write(`community-sim: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.failure;
  }
}
