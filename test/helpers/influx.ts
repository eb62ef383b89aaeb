/**
 * Private InfluxDB servers for tests, started and stopped through scripts/influxdb.sh (real
 * parts, no mocks). Use one when a test must stop or restart the server; otherwise use the
 * run's shared server (influx-shared.ts).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/influxdb.sh', import.meta.url));

/** Options of {@link startInflux}. */
export interface StartOptions {
  /** Directory of the server (kept data); default a new temporary one. */
  dir?: string;
  /** HTTP port; default a free one. */
  port?: number;
  /** Enable HTTP authentication. */
  auth?: boolean;
  /** `[http] max-row-limit`: answer at most this many rows to a (non-chunked) query. */
  maxRowLimit?: number;
}

/** A private influxd on 127.0.0.1. */
export interface InfluxServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** PID of the running process (changes on restart). */
  readonly pid: number;
  /** Stops the process; the directory and port stay for {@link start}. */
  stop(): Promise<void>;
  /** Starts it again on the same directory (same data) and port. */
  start(): Promise<void>;
  /** Stops and starts. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

async function script(args: string[]): Promise<Record<string, string>> {
  const env = { ...process.env };
  // A private server is wanted even when the run uses an external one (HUB_INFLUX_URL).
  delete env['HUB_INFLUX_URL'];
  try {
    const { stdout } = await run('bash', [SCRIPT, ...args], { env, timeout: 90_000 });
    const out: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return out;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`scripts/influxdb.sh ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`, { cause: e });
  }
}

/**
 * Starts a private server. It is also stopped by the script's watchdog if this process exits
 * without calling {@link InfluxServer.destroy}.
 */
export async function startInflux(options: StartOptions = {}): Promise<InfluxServer> {
  const extra = [
    ...(options.auth ? ['--auth'] : []),
    ...(options.maxRowLimit !== undefined ? ['--max-row-limit', String(options.maxRowLimit)] : []),
  ];
  const launch = async (dir?: string, port?: number): Promise<{ url: string; pid: number; dir: string }> => {
    const args = ['start', '--owner-pid', String(process.pid), ...extra];
    if (dir !== undefined) args.push('--dir', dir);
    if (port !== undefined) args.push('--port', String(port));
    const out = await script(args);
    const { HUB_INFLUX_URL: url, INFLUX_PID: pid, INFLUX_DIR: d } = out;
    if (!url || !pid || !d) throw new Error(`scripts/influxdb.sh start printed no server: ${JSON.stringify(out)}`);
    return { url, pid: Number(pid), dir: d };
  };
  const first = await launch(options.dir, options.port);
  let pid = first.pid;
  const { url, dir } = first;
  const port = Number(new URL(url).port);
  const server: InfluxServer = {
    url,
    port,
    dir,
    get pid() {
      return pid;
    },
    async stop() {
      await script(['stop', '--dir', dir]);
    },
    async start() {
      pid = (await launch(dir, port)).pid;
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    async destroy() {
      await script(['stop', '--dir', dir, '--clean']);
    },
  };
  return server;
}

/** A loopback URL where nothing listens (connection refused), for an unreachable InfluxDB. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
