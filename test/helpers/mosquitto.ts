/**
 * Debian's Mosquitto as a child process on a free loopback port, for the tests of the external
 * broker mode: a broker nobody here wrote. Stop it with {@link Mosquitto.stop} (by its PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { freePort, stopChild } from './net.ts';

/** A running Mosquitto; `log` collects its stderr. */
export interface Mosquitto {
  port: number;
  readonly log: () => string;
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto with anonymous access on 127.0.0.1 and `conf` lines added (e.g. queue limits);
 * resolves once it says it is running.
 */
export async function startMosquitto(conf: string[] = []): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-mosquitto-'));
  const port = await freePort();
  // As root Mosquitto would switch to the `mosquitto` user, who cannot read this test's folder.
  const asRoot = process.getuid?.() === 0 ? ['user root'] : [];
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(
    file,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'log_dest stderr', ...asRoot, ...conf, ''].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await vi.waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
        expect(log).toContain(' running');
      },
      { timeout: 15_000, interval: 50 },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, log: () => log, stop };
}
