/** Run the real `community-hub` command (bin shim, as `npx` would) and capture what a person sees. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/community-hub.js', import.meta.url));

/** The bin's shebang line, `#!/usr/bin/env -S [NAME=value …] node [--flag …]`, taken apart. */
const SHEBANG = (() => {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S((?: [A-Z_]+=\S+)*) node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`unexpected shebang line in ${BIN}: ${first}`);
  const words = (s: string): string[] => s.trim().split(' ').filter(Boolean);
  const env = Object.fromEntries(words(m[1]!).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { env: env as Readonly<Record<string, string>>, flags: words(m[2]!) as readonly string[] };
})();

/**
 * The node flags and the environment of the bin's shebang line: what an operator's
 * `bin/community-hub.js start` runs with, for tests that start `node` themselves
 * (docs/operations.md, "Node's memory settings").
 */
export const NODE_FLAGS: readonly string[] = SHEBANG.flags;
/** See {@link NODE_FLAGS}; applied over the caller's environment, as `env` does. */
export const NODE_ENV: Readonly<Record<string, string>> = SHEBANG.env;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion with `args`, optional stdin text and extra environment. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, BIN, ...args], {
      cwd: options.cwd ?? fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, ...NODE_ENV, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
