/**
 * Small shared helpers for the command line: argument parsing with node:util (no dependency)
 * and the usage errors every command reports the same way.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HubError } from '../errors.ts';

/** Exit codes (sysexits.h): a person can tell usage, config and runtime failures apart. */
export const EXIT = { ok: 0, failure: 1, usage: 64, data: 65, config: 78 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parse `argv` strictly; unknown flags become a HUB_ERR_USAGE error naming the command. */
export function parse<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new HubError('HUB_ERR_USAGE', `${command}: ${(e as Error).message} (see \`${command} --help\`)`);
  }
}
