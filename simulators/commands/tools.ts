/**
 * `community-sim inventory | ledger | check | messages`: the commands that need no hub.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT, parse } from '../../src/cli/args.ts';
import { dryRun, generate } from '../index.ts';
import { inventoryYaml, scenarioRosters } from '../inventory.ts';
import { summary } from '../progress.ts';
import { iso } from '../time.ts';
import {
  SCENARIO_HELP,
  SCENARIO_OPTIONS,
  WINDOW_HELP,
  WINDOW_OPTIONS,
  count,
  scenarioFrom,
  usage,
  windowFrom,
} from './common.ts';

/** Write `text` to `--out FILE`, or to stdout. */
function output(text: string, file: string | undefined): void {
  if (!file) {
    process.stdout.write(text);
    return;
  }
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(resolve(file), text);
}

/** `community-sim inventory`. */
export function inventoryCommand(argv: string[]): number {
  const command = 'community-sim inventory';
  const { values } = parse(command, argv, { ...SCENARIO_OPTIONS, out: { type: 'string', short: 'o' } });
  if (values.help) {
    process.stdout.write(`Usage: ${command} --scenario FILE [--out FILE]

Prints the inventory.yaml (docs/contract.md §1) of the scenario's community, so the hub accepts
the simulated gateways: sites, buildings, gateways with their secrets hashed by the hub's
\`hashSecret\` (scrypt), and devices. Plaintext secrets are the scenario's, or derived from its
seed; a secret shared by many gateways is hashed once. Point the hub at it with HUB_INVENTORY.
A site with \`roster:\` in the scenario gets its household roster, roster-<site>.csv, written
beside the inventory (so --out is needed) and named by it.

Options:
${SCENARIO_HELP}
  -o, --out FILE        write there instead of stdout
  -h, --help            show this help
`);
    return EXIT.ok;
  }
  const scenario = scenarioFrom(command, values);
  const rosters = scenarioRosters(scenario);
  if (rosters.length > 0 && !values.out)
    throw usage(command, 'the scenario has household rosters, written beside the inventory: give --out FILE');
  output(inventoryYaml(scenario), values.out);
  for (const r of rosters) {
    const file = join(dirname(resolve(values.out!)), r.file);
    writeFileSync(file, r.text);
    process.stderr.write(`roster: ${file}\n`);
  }
  return EXIT.ok;
}

/** `community-sim ledger`. */
export function ledgerCommand(argv: string[]): number {
  const command = 'community-sim ledger';
  const { values } = parse(command, argv, {
    ...SCENARIO_OPTIONS,
    ...WINDOW_OPTIONS,
    out: { type: 'string', short: 'o' },
    detail: { type: 'string' },
    limit: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`Usage: ${command} --scenario FILE [options]

Generates the scenario's message stream without a hub and writes its ledger (JSON): what would be
sent, what the hub must store and dead-letter, the expected point counts and the KPIs of contract
section 5. Same scenario, seed and start: the same ledger, byte for byte.

Options:
${SCENARIO_HELP}
${WINDOW_HELP}
      --limit N         stop after N messages
      --detail LEVEL    messages listed: all (default), invalid or none
  -o, --out FILE        write there instead of stdout (a summary then goes to stderr)
  -h, --help            show this help
`);
    return EXIT.ok;
  }
  const sc = scenarioFrom(command, values);
  const detail = values.detail ?? 'all';
  if (detail !== 'all' && detail !== 'invalid' && detail !== 'none')
    throw usage(command, '--detail must be all, invalid or none');
  const ledger = dryRun(
    sc,
    windowFrom(command, sc, values),
    detail,
    count(command, '--limit', values.limit) ?? Infinity,
  );
  output(`${JSON.stringify(ledger, null, 1)}\n`, values.out);
  if (values.out) process.stderr.write(summary(ledger, { ledgerFile: resolve(values.out) }));
  return EXIT.ok;
}

/** `community-sim check`. */
export function checkCommand(argv: string[]): number {
  const command = 'community-sim check';
  const { values } = parse(command, argv, { ...SCENARIO_OPTIONS });
  if (values.help) {
    process.stdout.write(`Usage: ${command} --scenario FILE

Validates a scenario (errors name the file, the path inside it and the problem) and prints its
sites, gateways, devices by model, households and fault rates.

Options:
${SCENARIO_HELP}
  -h, --help            show this help
`);
    return EXIT.ok;
  }
  const sc = scenarioFrom(command, values);
  const models = new Map<string, number>();
  let gateways = 0;
  for (const s of sc.sites) {
    for (const g of s.gateways) {
      gateways++;
      for (const d of g.devices) models.set(`${d.type}/${d.model}`, (models.get(`${d.type}/${d.model}`) ?? 0) + 1);
    }
  }
  const f = sc.faults;
  process.stdout.write(`${sc.file}: scenario "${sc.name}" is valid (seed ${sc.seed})
  time       start ${sc.time.start}, ${sc.time.days} day(s), zone ${sc.time.timezone}
  sites      ${sc.sites.length}, households ${sc.sites.reduce((a, s) => a + s.households, 0)}
  gateways   ${gateways}
  devices    ${[...models].map(([m, n]) => `${m} ${n}`).join(', ')}
  faults     malformed ${f.malformed}, duplicate ${f.duplicate}, replay ${f.replay}, outOfOrder ${f.outOfOrder}, clockSkew ${f.clockSkew}, tooOld ${f.tooOld}, unknownDevice ${f.unknownDevice} (per message); disconnects ${f.disconnects}, offline ${f.offline.perDay}, badStatus ${f.badStatus} (per gateway-day); outages ${f.outages.perDay} (per device-day); clockDrift ±${f.clockDrift / 1000}s
`);
  return EXIT.ok;
}

/** `community-sim messages`. */
export function messagesCommand(argv: string[]): number {
  const command = 'community-sim messages';
  const { values } = parse(command, argv, { ...SCENARIO_OPTIONS, ...WINDOW_OPTIONS, limit: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`Usage: ${command} --scenario FILE [options]

Prints the stream as JSON lines, in publishing order: each message with its simulated time,
topic, payload, QoS, fault and the dead-letter reasons the hub must give; connection changes
(connect, drop: lost without DISCONNECT, close) as their own lines.

Options:
${SCENARIO_HELP}
${WINDOW_HELP}
      --limit N         stop after N lines (default 100)
  -h, --help            show this help
`);
    return EXIT.ok;
  }
  const sc = scenarioFrom(command, values);
  const limit = count(command, '--limit', values.limit) ?? 100;
  let n = 0;
  for (const item of generate(sc, windowFrom(command, sc, values))) {
    if (n++ >= limit) break;
    const line =
      item.type === 'message'
        ? {
            at: iso(item.at),
            topic: item.topic,
            payload: item.payload,
            qos: item.qos,
            retain: item.retain,
            fault: item.fault,
            rejects: item.rejects.length ? item.rejects : undefined,
          }
        : { at: iso(item.at), control: item.type, gateway: item.gateway };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  return EXIT.ok;
}
