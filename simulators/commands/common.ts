/** What the `community-sim` subcommands share: the scenario, window and seed options. */
import { resolve } from 'node:path';
import { HubError } from '../../src/errors.ts';
import { duration } from '../../src/config/units.ts';
import { resolveWindow, type Window } from '../index.ts';
import { loadScenario, type Scenario } from '../scenario/load.ts';

/** parseArgs options every scenario command takes. */
export const SCENARIO_OPTIONS = {
  scenario: { type: 'string', short: 's' },
  seed: { type: 'string' },
} as const;

/** parseArgs options that place the window. */
export const WINDOW_OPTIONS = {
  start: { type: 'string' },
  days: { type: 'string' },
  until: { type: 'string' },
} as const;

/** Help text of the scenario options. */
export const SCENARIO_HELP = `  -s, --scenario FILE   the scenario (YAML), e.g. simulators/scenarios/demo.yaml (required)
      --seed SEED       override the scenario's seed`;
/** Help text of the window options. */
export const WINDOW_HELP = `      --start DATE      first simulated day, YYYY-MM-DD in the scenario's zone, or auto (the
                        last --days whole days before today); default the scenario's time.start
      --days N          days to simulate; default the scenario's time.days
      --until DURATION  simulate only the first DURATION of the window (e.g. 1h: one round)`;

/** Load `--scenario`, applying `--seed`. */
export function scenarioFrom(command: string, values: { scenario?: string; seed?: string }): Scenario {
  if (!values.scenario)
    throw new HubError('HUB_ERR_USAGE', `${command}: --scenario FILE is required (see \`${command} --help\`)`);
  const sc = loadScenario(resolve(values.scenario));
  if (values.seed !== undefined) sc.seed = values.seed;
  return sc;
}

/** The window from `--start`, `--days`, `--until` (and `--follow`). */
export function windowFrom(
  command: string,
  sc: Scenario,
  values: { start?: string; days?: string; until?: string },
  follow = false,
): Window {
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 28))
    throw usage(command, '--days must be a whole number from 1 to 28');
  if (values.start !== undefined && values.start !== 'auto' && !/^\d{4}-\d{2}-\d{2}$/.test(values.start))
    throw usage(command, '--start must be YYYY-MM-DD or auto');
  return resolveWindow(sc, {
    ...(values.start === undefined ? {} : { start: values.start }),
    ...(days === undefined ? {} : { days }),
    ...(values.until === undefined ? {} : { until: durationMs(command, '--until', values.until) }),
    follow,
  });
}

/** A duration option ("1h", "90s", or ms). */
export function durationMs(command: string, flag: string, text: string): number {
  const parsed = duration.safeParse(/^\d+$/.test(text) ? Number(text) : text);
  if (!parsed.success || parsed.data <= 0) throw usage(command, `${flag} must be a duration such as 30s, 1h or 2d`);
  return parsed.data;
}

/** A positive whole number option. */
export function count(command: string, flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usage(command, `${flag} must be a positive whole number`);
  return n;
}

/** A usage error naming the command. */
export function usage(command: string, message: string): HubError {
  return new HubError('HUB_ERR_USAGE', `${command}: ${message} (see \`${command} --help\`)`);
}
