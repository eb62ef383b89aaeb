/**
 * `community-hub start`: load config, build the hub, run until SIGTERM/SIGINT; SIGHUP reloads the
 * inventory (docs/contract.md §7).
 */
import { envSettings } from '../config/env.ts';
import { loadConfig } from '../config/load.ts';
import { configSchema } from '../config/schema.ts';
import { buildHub } from '../hub.ts';
import { createLogger } from '../log.ts';
import { EXIT, parse } from './args.ts';

function help(): string {
  const vars = envSettings(configSchema)
    .map((s) => `  ${s.env.padEnd(34)} ${s.path.join('.')}`)
    .join('\n');
  return `Usage: community-hub start [--config FILE]

Runs the hub: MQTT broker, ingest, spool, InfluxDB writer. Stops cleanly on SIGTERM or SIGINT:
stops taking messages, leaves what InfluxDB has not taken yet in the spool (written after the
next start), and exits 0 within shutdown.timeout even when InfluxDB is down. SIGHUP reloads the
inventory file, and the MQTT TLS certificate, key and CA, without a restart (an invalid file is
logged and what runs is kept).

Options:
  -c, --config FILE   hub config (YAML). Default: $HUB_CONFIG, else config/hub.yaml if it
                      exists, else defaults plus the environment.
  -h, --help          show this help

Every setting can be given in the environment, which wins over the file:
  ${'HUB_CONFIG'.padEnd(34)} the config file
${vars}
Durations are ms or "10s", "5m", "30d"; sizes are bytes or "256KiB", "1GiB"; lists are
comma-separated (or a JSON array).
`;
}

/** Run the hub until a signal; resolves with the exit code. */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parse('community-hub start', argv, { config: { type: 'string', short: 'c' } });
  if (values.help) {
    process.stdout.write(help());
    return EXIT.ok;
  }
  // Config errors throw here, before anything binds a port (docs/contract.md §1).
  const loaded = loadConfig({ configPath: values.config });
  const logger = createLogger(loaded.config.log.level);
  logger.info(
    { config: loaded.configPath ?? '(defaults and environment)', sites: loaded.inventory.sites.length },
    'configuration loaded',
  );
  const hub = buildHub(loaded, { logger });
  try {
    await hub.start();
  } catch (e) {
    // Undo what started (listeners, the spool, the data-dir lock) before the error is reported.
    await hub.stop().catch((err: unknown) => logger.error({ err }, 'stopping after a failed start failed'));
    throw e;
  }

  return new Promise<number>((resolve) => {
    // Once stopped, exit even if a socket or timer outlives the stop (an InfluxDB request left in
    // flight by a shutdown that did not wait for it: its records are in the spool). The timer is
    // unref'd: a process with nothing left running exits on its own before it fires.
    const resolveExit = (code: number): void => {
      resolve(code);
      setTimeout(() => process.exit(code), 1000).unref();
    };
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for shutdown');
        process.exit(EXIT.failure);
      }
      stopping = true;
      logger.info({ signal, timeoutMs: loaded.config.shutdown.timeout }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: loaded.config.shutdown.timeout }, 'shutdown did not finish in time; exiting');
        resolveExit(EXIT.failure);
      }, loaded.config.shutdown.timeout);
      timer.unref();
      hub.stop().then(
        () => {
          clearTimeout(timer);
          logger.info('stopped');
          resolveExit(EXIT.ok);
        },
        (e: unknown) => {
          clearTimeout(timer);
          logger.error({ err: e }, 'shutdown failed');
          resolveExit(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP reloads the inventory and the TLS files (docs/operations.md); the hub logs the
    // outcome, an invalid file at error level, and keeps running on what it had.
    process.on('SIGHUP', () => {
      if (stopping) return;
      logger.info({ signal: 'SIGHUP' }, 'reloading the inventory and TLS files');
      hub.reload().catch(() => undefined);
    });
  });
}
