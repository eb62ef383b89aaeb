/**
 * `community-hub broker mosquitto --out DIR [--config FILE] [--hub-user NAME]`: the hub's access
 * rules for an external Mosquitto (docs/operations.md, "Behind an external broker"; the rules are
 * docs/contract.md §2). Writes DIR/acl and DIR/mosquitto-auth.conf, and prints how to make the
 * password file: the hub keeps only hashes of the secrets, so they must come from the operator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mosquittoAcl, mosquittoConf } from '../broker/mosquitto.ts';
import { loadConfig } from '../config/load.ts';
import { HubError } from '../errors.ts';
import { EXIT, parse } from './args.ts';

/** The hub's own account on the external broker unless `--hub-user` names another. */
export const DEFAULT_HUB_USER = 'community-hub';

export const BROKER_HELP = `Usage: community-hub broker mosquitto --out DIR [--config FILE] [--hub-user NAME]

Writes the hub's MQTT access rules (docs/contract.md §2) for an external Mosquitto broker, from
the inventory and the config's observer accounts:

  DIR/acl                  the acl_file: each gateway publishes only its own
                           {root}/{site}/{gateway}/{device}/telemetry|event and .../status, and
                           reads its own subtree and {root}/{site}/kpi/#; observers and the hub's
                           own account read everything; the hub's account also publishes the KPIs
  DIR/mosquitto-auth.conf  the mosquitto.conf lines that use it (no anonymous clients,
                           password_file DIR/passwd, acl_file DIR/acl)

The hub stores only hashes of the gateways' secrets, which Mosquitto cannot use: the password
file DIR/passwd is made with mosquitto_passwd from the secrets you hold (the command prints how).
Run it again after every inventory change, then reload Mosquitto (SIGHUP).

Options:
  -o, --out DIR          where the files go (created if missing)
  -c, --config FILE      the hub config whose inventory and observers to use (default: HUB_CONFIG,
                         else config/hub.yaml), with its HUB_* environment
      --hub-user NAME    the hub's own account on the broker (default: ${DEFAULT_HUB_USER})
  -h, --help             show this help

Exit codes: 0 done, 64 usage, 78 the config or inventory is invalid or cannot be expressed.
`;

function usage(message: string): never {
  throw new HubError('HUB_ERR_USAGE', `community-hub broker: ${message} (see \`community-hub broker --help\`)`);
}

/** The password-file instructions printed after the files. */
function passwordSteps(dir: string, users: readonly string[]): string {
  const passwd = join(dir, 'passwd');
  return [
    '',
    `Now make ${passwd} (Mosquitto's own hash format) from the secrets you hold. Either one account at`,
    'a time (mosquitto_passwd prompts for the secret; -c creates the file, only for the first one):',
    '',
    `  mosquitto_passwd -c ${passwd} ${users[0] ?? 'USER'}`,
    `  mosquitto_passwd ${passwd} ${users[1] ?? 'USER'}`,
    '  …',
    '',
    'or all at once from a file of "user:secret" lines, which mosquitto_passwd -U hashes in place',
    '(make it readable by you only; -b USER SECRET also works but leaves the secret in the shell history):',
    '',
    `  (umask 077; cat > ${passwd}) <<'EOF'`,
    ...users.map((u) => `  ${u}:<secret of ${u}>`),
    '  EOF',
    `  mosquitto_passwd -U ${passwd}`,
    '',
    `Accounts (${users.length}): ${users.join(' ')}`,
    `Then add to mosquitto.conf: include_dir ${dir}  (or copy mosquitto-auth.conf), and restart Mosquitto;`,
    'after a later inventory change, run this again and send Mosquitto SIGHUP.',
    '',
  ].join('\n');
}

/** Run `broker`; resolves with the exit code. */
export function brokerCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const { values, positionals } = parse('community-hub broker', argv, {
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    'hub-user': { type: 'string' },
  });
  if (values.help) {
    out.write(BROKER_HELP);
    return EXIT.ok;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'mosquitto')
    usage(sub === undefined ? 'a subcommand is required: mosquitto' : `unknown subcommand "${sub}"`);
  if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
  if (values.out === undefined || values.out === '') usage('--out DIR is required');
  const loaded = loadConfig(values.config !== undefined ? { configPath: values.config } : {});
  const { acl, users } = mosquittoAcl({
    inventory: loaded.inventory,
    config: loaded.config.mqtt,
    hubUser: values['hub-user'] ?? DEFAULT_HUB_USER,
  });
  const dir = resolve(values.out);
  mkdirSync(dir, { recursive: true });
  const aclFile = join(dir, 'acl');
  const confFile = join(dir, 'mosquitto-auth.conf');
  writeFileSync(aclFile, acl);
  writeFileSync(confFile, mosquittoConf(aclFile, join(dir, 'passwd')));
  out.write(`${aclFile}  ${users.length} accounts\n${confFile}\n${passwordSteps(dir, users)}`);
  return EXIT.ok;
}
