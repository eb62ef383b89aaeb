/**
 * The one way tests start a hub: {@link writeHubFiles} writes hub.yaml and inventory.yaml to a
 * folder (by default a new one under the run's temporary root, see tmp.ts), and either
 * {@link startTestHub} loads them and builds the hub in this process (`buildHub`, src/hub.ts), or
 * `HubProcess.start(files.configPath)` (hub-process.ts) runs them as `community-hub start` in a
 * child process, for tests that SIGKILL it. The e2e, durability and simulator helpers only say what
 * goes into the two files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadConfig, type Loaded } from '../../src/config/load.ts';
import { buildHub, type Hub, type HubDeps } from '../../src/hub.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { sharedInflux } from './influx-shared.ts';

/** What {@link writeHubFiles} writes. */
export interface HubFilesSpec {
  /**
   * hub.yaml, as an object. `inventory` defaults to `inventory.yaml` and `dataDir` to `data` (both
   * relative to the folder); `mqtt` and `http` listen on 127.0.0.1, port 0, unless overridden.
   */
  config: Record<string, unknown>;
  /** inventory.yaml: an object written as YAML, or YAML text as is. */
  inventory: unknown;
  /** An existing folder to (re)write the files in (a later hub on the same data); default a new one. */
  dir?: string;
  /** Name prefix of the new folder (default `hub-`). */
  prefix?: string;
}

/** A hub's files: `<dir>/hub.yaml`, `<dir>/inventory.yaml`, and where its data goes. */
export interface HubFiles {
  dir: string;
  configPath: string;
  /** The data directory (spool, dead letters, hub.lock), absolute. */
  dataDir: string;
  spoolDir: string;
  /** Removes the folder (not a `dataDir` outside it: its owner removes that). */
  remove(): Promise<void>;
}

/** Writes hub.yaml and inventory.yaml; see {@link HubFilesSpec}. */
export async function writeHubFiles(spec: HubFilesSpec): Promise<HubFiles> {
  const dir = spec.dir ?? (await mkdtemp(join(tmpdir(), spec.prefix ?? 'hub-')));
  const { mqtt, http, ...rest } = spec.config;
  const config = {
    inventory: 'inventory.yaml',
    dataDir: 'data',
    ...rest,
    mqtt: { host: '127.0.0.1', port: 0, ...(mqtt as object | undefined) },
    // Tests never take 8080.
    http: { host: '127.0.0.1', port: 0, ...(http as object | undefined) },
  };
  const inventory = typeof spec.inventory === 'string' ? spec.inventory : stringify(spec.inventory);
  await writeFile(join(dir, 'inventory.yaml'), inventory);
  await writeFile(join(dir, 'hub.yaml'), stringify(config));
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : join(dir, config.dataDir);
  return {
    dir,
    configPath: join(dir, 'hub.yaml'),
    dataDir,
    spoolDir: join(dataDir, 'spool'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The `influx` section for the run's shared InfluxDB (global-setup.ts) and `database`. */
export function sharedInfluxSection(database: string): Record<string, unknown> {
  const { url, token, username, password } = sharedInflux();
  return {
    url,
    database,
    ...(token ? { token } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** A logger whose JSON lines are kept, parsed, in `lines`. */
export function captureLogs(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

/** Options of {@link startTestHub}. */
export interface StartOptions {
  /** The hub's clock (default the wall clock). */
  now?: () => number;
  /** Wrap the hub's model registry (a test double of a model). */
  models?: HubDeps['models'];
  /** Level of the captured log (default `info`). */
  logLevel?: string;
}

/** A hub built and started in this process. */
export interface TestHub {
  hub: Hub;
  loaded: Loaded;
  files: HubFiles;
  /** The MQTT port and URL (mqtt://127.0.0.1:port). */
  port: number;
  url: string;
  /** The HTTP API's port and base URL (http://127.0.0.1:port). */
  httpPort: number;
  httpUrl: string;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Stops the hub; the files stay (see {@link HubFiles.remove}). */
  stop(): Promise<void>;
}

/**
 * Loads `files` with an empty environment (none of the developer's HUB_* variables leaks in),
 * builds the hub and starts it. Should the start fail, what did start is stopped.
 */
export async function startTestHub(files: HubFiles, options: StartOptions = {}): Promise<TestHub> {
  const loaded = loadConfig({ configPath: files.configPath, env: {}, cwd: files.dir });
  const { logger, lines } = captureLogs(options.logLevel ?? 'info');
  const hub = buildHub(loaded, {
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.models ? { models: options.models } : {}),
  });
  let ports;
  try {
    ports = await hub.start();
  } catch (e) {
    await hub.stop();
    throw e;
  }
  return {
    hub,
    loaded,
    files,
    port: ports.port,
    url: `mqtt://127.0.0.1:${ports.port}`,
    httpPort: ports.http,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    logs: lines,
    stop: () => hub.stop(),
  };
}

/**
 * `hub.drained()`, bounded: a PUBACK means "durable in the spool" (docs/contract.md §2,
 * "Delivery") and the drainer writes InfluxDB moments later, so whoever reads InfluxDB after
 * publishing waits for this first. It never resolves while the drainer cannot get there, so after
 * `ms` it fails with the spool's and the drainer's state.
 */
export async function drainedWithin(hub: Hub, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `the hub's spool was not drained into InfluxDB within ${ms} ms; spool: ${JSON.stringify(hub.stats().spool)}`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([hub.drained(), late]);
  } finally {
    clearTimeout(timer);
  }
}
