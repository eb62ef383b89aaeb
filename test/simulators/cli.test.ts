/**
 * The `community-sim` command as a person runs it (bin shim, as `npx` would; docs/contract.md §7):
 * help on every subcommand, usage and scenario errors with their exit codes, the inventory, the
 * dry-run ledger, the message dump, and a real `run` against a hub built in-process.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/config/load.ts';
import { verifySecret } from '../../src/secret.ts';
import { loadScenario, resolveWindow, type LedgerFile } from '../../simulators/index.ts';
import type { CliResult } from '../helpers/cli.ts';
import { startSimHub } from './helpers.ts';
import { testDir } from '../helpers/tmp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/community-sim.js');
const E2E = join(ROOT, 'simulators/scenarios/e2e.yaml');
const DEMO = join(ROOT, 'simulators/scenarios/demo.yaml');

function sim(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each test spawns the command (tsx compiles on a cold cache) several times in a row: allow for a
// busy two-core machine. No timing is asserted.
describe('community-sim command line', { timeout: 120_000 }, () => {
  it('prints help for the command and every subcommand', async () => {
    const top = await sim(['--help']);
    expect(top.code).toBe(0);
    for (const sub of ['run', 'inventory', 'ledger', 'check', 'messages']) {
      expect(top.stdout).toContain(`  ${sub} `);
      const r = await sim([sub, '--help']);
      expect(r.code, sub).toBe(0);
      expect(r.stdout, sub).toContain(`Usage: community-sim ${sub}`);
      if (sub !== 'check' && sub !== 'inventory') expect(r.stdout, sub).toContain('--start DATE');
    }
  });

  it('refuses unknown commands and flags (64) and invalid scenarios (78) with the reason', async () => {
    expect((await sim(['frobnicate'])).code).toBe(64);
    const flag = await sim(['run', '--bogus']);
    expect(flag.code).toBe(64);
    expect(flag.stderr).toContain("Unknown option '--bogus'");
    const missing = await sim(['ledger']);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('--scenario FILE is required');
    const dir = testDir('sim-cli-');
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nsites:\n  - id: x\n    households: -1\n    gateways: []\n');
    const bad = await sim(['check', '--scenario', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('bad.yaml is invalid:');
    expect(bad.stderr).toContain('sites.0.households:');
    expect(bad.stderr).toContain('sites.0.gateways: a site needs at least one gateway');
  });

  it('`inventory` prints an inventory the hub loads, with secrets that verify', async () => {
    const r = await sim(['inventory', '--scenario', DEMO]);
    expect(r.code).toBe(0);
    const dir = testDir('sim-cli-');
    writeFileSync(join(dir, 'inventory.yaml'), r.stdout);
    const inv = loadInventory(join(dir, 'inventory.yaml'));
    await expect(verifySecret('demo-gw-west-secret', inv.gateway('gw-west')!.secret)).resolves.toBe(true);
  });

  it('`ledger` and `messages` need no hub and are deterministic', async () => {
    const dir = testDir('sim-cli-');
    const a = await sim(['ledger', '--scenario', E2E, '--until', '6h', '--out', join(dir, 'a.json')]);
    const b = await sim(['ledger', '--scenario', E2E, '--until', '6h', '--out', join(dir, 'b.json')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stderr).toContain('community-sim: scenario e2e (seed 20261123)');
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
    const dump = await sim(['messages', '--scenario', E2E, '--limit', '3']);
    const lines = dump.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { at: '2026-11-22T16:00:00.000Z', control: 'connect', gateway: 'gw-east' },
      {
        at: '2026-11-22T16:00:00.000Z',
        topic: 'community/v1/maple-court/gw-east/status',
        payload: 'online',
        qos: 1,
        retain: true,
      },
      { at: '2026-11-22T16:00:00.000Z', control: 'connect', gateway: 'gw-west' },
    ]);
  });

  it('`run` warns of a window a wall-clock hub refuses, and fails when nothing is acknowledged', async () => {
    const r = await sim([
      'run',
      '--scenario',
      E2E,
      '--start',
      '2020-01-06',
      '--until',
      '1h',
      '--hub',
      'mqtt://127.0.0.1:1',
      '-q',
    ]);
    expect(r.stderr).toContain('warning: the window ends 2020-01-05T17:00:00.000Z');
    expect(r.stderr).toContain('not acknowledged');
    expect(r.code).toBe(1);
  }, 30_000);

  it('`run` drives a hub, prints a summary and writes the ledger', async () => {
    const scenario = loadScenario(E2E);
    const window = resolveWindow(scenario);
    const t0 = Date.now();
    const hub = await startSimHub(scenario, { now: () => window.endMs + (Date.now() - t0) });
    try {
      const dir = testDir('sim-cli-');
      const r = await sim([
        'run',
        '--scenario',
        E2E,
        '--hub',
        hub.url,
        '--until',
        '4h',
        '--ledger',
        join(dir, 'ledger.json'),
      ]);
      expect(r.stderr).toMatch(/community-sim: sim .* \| sent \d+ \| acked \d+ \| refused 0/); // not a TTY: plain lines
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/messages {3}\d+ settled: \d+ acknowledged, 0 unconfirmed/);
      const ledger = JSON.parse(readFileSync(join(dir, 'ledger.json'), 'utf8')) as LedgerFile;
      expect(ledger.totals.acked).toBe(ledger.totals.messages);
      expect(ledger.run).toMatchObject({ hub: hub.url, speed: 'max', follow: false });
      await hub.drained();
      expect(await hub.count('SELECT count("fill_pct") FROM bin_level')).toBe(ledger.expected.points.bin_level);
    } finally {
      await hub.stop();
    }
  }, 60_000);
});
