/**
 * Small helpers for tests (and benches) that run servers nobody here wrote as child processes:
 * a free loopback port for a server that cannot report the one it chose, and a stop by PID.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A loopback port free right now (a server started next binds it). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** SIGTERM to `child` (by its PID) if it still runs, and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
