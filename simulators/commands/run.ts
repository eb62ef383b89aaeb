/** `community-sim run`: drive a simulated community against a hub (docs/contract.md §7). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, parse } from '../../src/cli/args.ts';
import { hubClockRange } from '../ledger.ts';
import { newStats } from '../publisher.ts';
import { simulate } from '../index.ts';
import { startProgress, summary } from '../progress.ts';
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

const COMMAND = 'community-sim run';

function help(): string {
  return `Usage: ${COMMAND} --scenario FILE [--hub mqtt://HOST:PORT] [options]

Connects every gateway of the scenario to the hub (username = gateway id, password = its secret;
write the hub's inventory with \`community-sim inventory\`), publishes the community's readings,
events and injected faults in simulated time, and waits for each QoS 1 acknowledgement.

Options:
${SCENARIO_HELP}
      --hub URL         the hub's MQTT listener (default mqtt://localhost:$HUB_MQTT_PORT, else 1883)
${WINDOW_HELP}
      --speed N|max     simulated seconds per real second (10080: a week a minute); default max,
                        as fast as the hub acknowledges
      --follow          after the window, keep going in real time until Ctrl-C (a live community)
      --limit N         stop after N messages
      --ledger FILE     write the ground truth (JSON) there at the end (also on Ctrl-C)
      --detail LEVEL    messages listed in the ledger: all (default), invalid or none
  -q, --quiet           no status line
  -h, --help            show this help

Simulated time: with --start auto the window is the last --days whole days before today, so every
message is valid for a hub on the wall clock; with a fixed date the hub's clock must lie in the
ledger's hubClock range (simulators/README.md, "Simulated time").
Progress goes to stderr (one refreshed line on a terminal, a line every 10 s otherwise); the
summary to stdout. Exit status 0 when every message was acknowledged, 1 otherwise.
`;
}

/** Run the command; resolves with the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(COMMAND, argv, {
    ...SCENARIO_OPTIONS,
    ...WINDOW_OPTIONS,
    hub: { type: 'string' },
    speed: { type: 'string' },
    follow: { type: 'boolean' },
    limit: { type: 'string' },
    ledger: { type: 'string' },
    detail: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    process.stdout.write(help());
    return EXIT.ok;
  }
  const scenario = scenarioFrom(COMMAND, values);
  const window = windowFrom(COMMAND, scenario, values, values.follow === true);
  const speed = values.speed === undefined || values.speed === 'max' ? Infinity : Number(values.speed);
  if (!(speed > 0)) throw usage(COMMAND, '--speed must be a positive number or max');
  const detail = values.detail ?? 'all';
  if (detail !== 'all' && detail !== 'invalid' && detail !== 'none')
    throw usage(COMMAND, '--detail must be all, invalid or none');
  const url = values.hub ?? `mqtt://localhost:${process.env.HUB_MQTT_PORT || 1883}`;
  if (!/^mqtts?:\/\/[^/]+/.test(url)) throw usage(COMMAND, '--hub must be an mqtt:// or mqtts:// URL');
  const limit = count(COMMAND, '--limit', values.limit);

  // A fixed window far from today is refused by a hub on the wall clock (docs/contract.md §3).
  const range = hubClockRange(scenario, window.startMs, Number.isFinite(window.endMs) ? window.endMs : window.startMs);
  const now = Date.now();
  if (Number.isFinite(window.endMs) && (now < Date.parse(range.from) || now > Date.parse(range.to))) {
    process.stderr.write(
      `community-sim: warning: the window ends ${iso(window.endMs)}; a hub on the wall clock (${iso(now)}) will refuse its messages as clock_skew or too_old. Use --start auto, or give the hub a clock in [${range.from}, ${range.to}].\n`,
    );
  }

  const abort = new AbortController();
  let stoppedAt = 0;
  const stop = (): void => {
    // A second signal quits at once, unless it is the same Ctrl-C reaching us twice (terminal and script).
    if (abort.signal.aborted && Date.now() - stoppedAt > 1000) process.exit(EXIT.failure);
    if (abort.signal.aborted) return;
    stoppedAt = Date.now();
    process.stderr.write('\ncommunity-sim: stopping (again to quit at once)…\n');
    abort.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const stats = newStats();
  const gateways = scenario.sites.reduce((a, s) => a + s.gateways.length, 0);
  const progress = values.quiet
    ? undefined
    : startProgress(stats, { out: process.stderr, timezone: scenario.time.timezone, gateways });
  const result = await simulate({
    scenario,
    window,
    url,
    speed,
    detail,
    stats,
    signal: abort.signal,
    run: { startedAt: iso(now), speed: values.speed ?? 'max', follow: values.follow === true },
    ...(limit === undefined ? {} : { limit }),
  }).finally(() => progress?.stop());
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);

  let ledgerFile: string | undefined;
  if (values.ledger) {
    ledgerFile = resolve(values.ledger);
    mkdirSync(dirname(ledgerFile), { recursive: true });
    writeFileSync(ledgerFile, `${JSON.stringify(result.ledger, null, 1)}\n`);
  }
  process.stdout.write(summary(result.ledger, { wallMs: result.wallMs, ...(ledgerFile ? { ledgerFile } : {}) }));
  if (result.stats.unconfirmed > 0 || result.stats.connectFailures > 0) {
    process.stderr.write(
      `community-sim: ${result.stats.unconfirmed} message(s) not acknowledged, ${result.stats.connectFailures} failed CONNECT(s): is the hub running at ${url} with the scenario's inventory?\n`,
    );
    return EXIT.failure;
  }
  return EXIT.ok;
}
