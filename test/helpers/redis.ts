/**
 * Debian's `redis-server` as a child process on a free loopback port, without persistence
 * (`--save '' --appendonly no`), for the KPI lease's tests: a Redis nobody here wrote. Stop it with
 * {@link RedisServer.stop} (by its PID); `kill()` is a SIGKILL, for tests of an unreachable Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, vi } from 'vitest';
import { freePort, stopChild } from './net.ts';

/** A running redis-server. */
export interface RedisServer {
  port: number;
  url: string;
  readonly log: () => string;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts redis-server on 127.0.0.1 (on `port`, or a free one); resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  let log = '';
  const child: ChildProcess = spawn(
    '/usr/bin/redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
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
  return { port: p, url: `redis://127.0.0.1:${p}`, log: () => log, stop };
}
