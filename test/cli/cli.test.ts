import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifySecret } from '../../src/secret.ts';
import { runCli } from '../helpers/cli.ts';
import { testDir } from '../helpers/tmp.ts';

// Variables a developer's shell might set; the CLI tests must not depend on them.
const CLEAN_ENV = { HUB_CONFIG: undefined, HUB_INVENTORY: undefined, HUB_PSEUDONYM_KEY: undefined };

// Each test spawns the command (tsx compiles on a cold cache) several times in a row: allow for a
// busy two-core machine. No timing is asserted.
describe('community-hub command line', { timeout: 120_000 }, () => {
  it('prints help for the command and each subcommand', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: community-hub <command>');
    const start = await runCli(['start', '--help']);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('HUB_MQTT_PORT');
    expect(start.stdout).toContain('HUB_INFLUX_URL');
    const secret = await runCli(['secret', '--help']);
    expect(secret.code).toBe(0);
    expect(secret.stdout).toContain('community-hub secret hash');
  });

  it('refuses an unknown command or flag with a usage exit code', async () => {
    const cmd = await runCli(['frobnicate']);
    expect(cmd.code).toBe(64);
    expect(cmd.stderr).toContain('unknown command "frobnicate"');
    const flag = await runCli(['start', '--bogus']);
    expect(flag.code).toBe(64);
    expect(flag.stderr).toContain("Unknown option '--bogus'");
  });

  it('`secret hash` reads stdin and prints a hash that verifies', async () => {
    const r = await runCli(['secret', 'hash'], { stdin: 'gateway-secret\n' });
    expect(r.code).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^scrypt\$/);
    await expect(verifySecret('gateway-secret', hash)).resolves.toBe(true);
    const empty = await runCli(['secret', 'hash'], { stdin: '' });
    expect(empty.code).toBe(64);
    expect(empty.stderr).toContain('no secret on standard input');
  });

  it('`secret hash --generate` prints a 256-bit secret and its fast-scheme hash, which verifies', async () => {
    const r = await runCli(['secret', 'hash', '--generate']);
    expect(r.code).toBe(0);
    const [secret, hash, ...rest] = r.stdout.split('\n');
    expect(rest).toEqual(['']);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifySecret(secret!, hash!)).resolves.toBe(true);
    await expect(verifySecret(`${secret!}x`, hash!)).resolves.toBe(false);
    // --scheme overrides the default of --generate.
    const slow = await runCli(['secret', 'hash', '--generate', '--scheme', 'scrypt']);
    expect(slow.code).toBe(0);
    const [s2, h2] = slow.stdout.split('\n');
    expect(h2).toMatch(/^scrypt\$/);
    await expect(verifySecret(s2!, h2!)).resolves.toBe(true);
  });

  it('`secret hash --scheme fast` hashes a long secret from stdin and refuses a short one', async () => {
    const long = 'k3Jd9-machine-made-secret-0123456789';
    const r = await runCli(['secret', 'hash', '--scheme', 'fast'], { stdin: `${long}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^hmac-sha256\$/);
    await expect(verifySecret(long, r.stdout.trim())).resolves.toBe(true);
    const short = await runCli(['secret', 'hash', '--scheme', 'fast'], { stdin: 'hunter2' });
    expect(short.code).toBe(64);
    expect(short.stderr).toContain('--scheme fast is for generated machine secrets');
    expect(short.stdout).toBe('');
    const bogus = await runCli(['secret', 'hash', '--scheme', 'md5'], { stdin: long });
    expect(bogus.code).toBe(64);
    expect(bogus.stderr).toContain('--scheme must be fast or scrypt');
  });

  it('a malformed fast-scheme secret in the inventory stops start-up with exit code 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    try {
      writeFileSync(join(dir, 'hub.yaml'), 'pseudonymKey: 0123456789abcdef\n');
      // A 43-character digest but a 21-character salt: not the hmac-sha256$salt$digest shape.
      const bad = `hmac-sha256$${'A'.repeat(21)}$${'B'.repeat(43)}`;
      const inventory = `sites:\n  - id: maple-court\n    households: 3\n    gateways:\n      - id: gw-1\n        secret: ${bad}\n`;
      writeFileSync(join(dir, 'inventory.yaml'), inventory);
      const r = await runCli(['start', '--config', join(dir, 'hub.yaml')], { env: CLEAN_ENV });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('HUB_ERR_INVENTORY_INVALID');
      expect(r.stderr).toContain('sites.0.gateways.0.secret: must be a "scrypt$…" or "hmac-sha256$…" string');
      expect(r.stdout).not.toMatch(/listening/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a broken config stops start-up with the file, path and reason, before any port is bound', async () => {
    const dir = testDir('hub-cli-');
    writeFileSync(join(dir, 'hub.yaml'), 'pseudonymKey: 0123456789abcdef\nmqtt:\n  port: -1\n');
    const r = await runCli(['start', '--config', join(dir, 'hub.yaml')], { env: CLEAN_ENV });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('HUB_ERR_CONFIG_INVALID');
    expect(r.stderr).toContain(`${join(dir, 'hub.yaml')} is invalid`);
    expect(r.stderr).toMatch(/mqtt\.port: .*>=0/);
    expect(r.stdout).not.toMatch(/listening/i);
  });

  it('a broken inventory stops start-up with the file, path and reason', async () => {
    const dir = testDir('hub-cli-');
    writeFileSync(join(dir, 'hub.yaml'), 'pseudonymKey: 0123456789abcdef\n');
    writeFileSync(join(dir, 'inventory.yaml'), 'sites:\n  - id: Maple Court\n    households: 3\n');
    const r = await runCli(['start', '--config', join(dir, 'hub.yaml')], { env: CLEAN_ENV });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('HUB_ERR_INVENTORY_INVALID');
    expect(r.stderr).toContain('inventory.yaml is invalid');
    expect(r.stderr).toContain('sites.0.id: must match');
    expect(r.stdout).not.toMatch(/listening/i);
  });

  it('a data directory another hub holds stops start-up with HUB_ERR_DATA_DIR_LOCKED and exit code 1', async () => {
    const dir = testDir('hub-cli-');
    writeFileSync(join(dir, 'hub.yaml'), 'pseudonymKey: 0123456789abcdef\ndataDir: data\n');
    writeFileSync(join(dir, 'inventory.yaml'), 'sites:\n  - id: maple-court\n    households: 3\n');
    mkdirSync(join(dir, 'data'));
    // The "other hub": a live process of this host.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const lock = `${JSON.stringify({ pid: other.pid, hostname: hostname(), startedAt: '2026-11-27T00:00:00.000Z' })}\n`;
      writeFileSync(join(dir, 'data', 'hub.lock'), lock);
      const r = await runCli(['start', '--config', join(dir, 'hub.yaml')], { env: CLEAN_ENV });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `community-hub: HUB_ERR_DATA_DIR_LOCKED: the data directory ${join(dir, 'data')} is in use: another hub holds it: pid ${other.pid} on host ${hostname()}`,
      );
      expect(r.stderr).toContain('Stop that hub');
      expect(r.stdout).not.toMatch(/listening/i);
      expect(readFileSync(join(dir, 'data', 'hub.lock'), 'utf8')).toBe(lock);
    } finally {
      process.kill(other.pid!, 'SIGKILL');
    }
  });
});
