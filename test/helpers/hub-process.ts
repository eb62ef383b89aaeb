/**
 * The hub as a child process, as an operator runs it: `bin/community-hub.js start --config
 * <hub.yaml>` (node with the bin's flags and environment: NODE_FLAGS, NODE_ENV; the files from
 * hub.ts's writeHubFiles), its JSON log lines parsed, its bound MQTT port read from "hub started:
 * listening". For tests that SIGKILL the hub; the others start it in their own process (hub.ts).
 * Every process started here is killed by PID in {@link killAllHubs} (call it in afterAll).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, NODE_ENV, NODE_FLAGS } from './cli.ts';

const started = new Set<HubProcess>();

/** A running `community-hub start`. */
export class HubProcess {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exited = false;
  #child: ChildProcess;
  /** Called on every new log line and at exit (see waitForLine). */
  #listeners = new Set<() => void>();
  port = 0;

  private constructor(configPath: string, env: Record<string, string>) {
    // The developer's HUB_* variables must not leak in: only what the test gives.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HUB_')));
    this.#child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'start', '--config', configPath], {
      env: { ...base, ...NODE_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.#child.stdout!.on('data', (d: Buffer) => {
      const text = partial + d.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
      for (const listener of this.#listeners) listener();
    });
    this.#child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#exited = true;
        started.delete(this);
        resolve({ code, signal });
        for (const listener of this.#listeners) listener();
      });
    });
    started.add(this);
  }

  /** Starts the hub and waits (bounded) for its "listening" line. */
  static async start(configPath: string, env: Record<string, string> = {}, ms = 30_000): Promise<HubProcess> {
    const hub = new HubProcess(configPath, env);
    const line = await hub.waitForLine((l) => l.msg === 'hub started: listening', ms, 'the hub to listen');
    hub.port = (line.mqtt as { port: number }).port;
    return hub;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return !this.#exited;
  }

  /** The first log line matching `match`, waiting for it (as the lines arrive) at most `ms`. */
  waitForLine(
    match: (l: Record<string, unknown>) => boolean,
    ms: number,
    what: string,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      const check = (): void => {
        const line = this.lines.find(match);
        if (line) {
          done();
          resolve(line);
        } else if (this.#exited) {
          done();
          const log = this.lines.map((l) => JSON.stringify(l)).join('\n');
          reject(new Error(`the hub exited before ${what}:\n${this.stderr}\n${log}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.#listeners.add(check);
      check();
    });
  }

  /** Sends `signal` to this process (by its PID). */
  kill(signal: NodeJS.Signals): void {
    if (!this.#exited) process.kill(this.pid, signal);
  }
}

/** Kills every hub process still running, by PID, and waits for each to exit. */
export async function killAllHubs(): Promise<void> {
  const all = [...started];
  for (const hub of all) hub.kill('SIGKILL');
  await Promise.all(all.map((h) => h.exited));
}
