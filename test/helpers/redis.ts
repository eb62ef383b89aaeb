/**
 * Debian's redis-server as a child process on a free loopback port, for the tests of the embedded
 * cluster mode (docs/operations.md, "Several hubs sharing Redis (embedded cluster)"): a server
 * nobody here wrote, nothing written to disk. Stop it with {@link RedisServer.stop} (by its PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';

/** A running redis-server; `log` collects its output. */
export interface RedisServer {
  port: number;
  url: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts redis-server on 127.0.0.1 without persistence; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
  const port = await freePort();
  let log = '';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child: ChildProcess = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await vi.waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
        expect(log).toContain('Ready to accept connections');
      },
      { timeout: 15_000, interval: 50 },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, url: `redis://127.0.0.1:${port}`, log: () => log, stop };
}
