/**
 * `community-hub kpi compute` (docs/contract.md §7), run as a person would: the real command (bin
 * shim) against the test InfluxDB, with a temporary config and inventory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_IDS, type KpiResult } from '../../src/kpi/index.ts';
import { hashSecret } from '../../src/secret.ts';
import type { InfluxConnection, InfluxPointWriter } from '../../src/store/index.ts';
import { runCli } from '../helpers/cli.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedInflux } from '../helpers/influx-shared.ts';
import { EXPECTED, points, SITE } from './dataset.ts';
import { freshDatabase, storedKpis } from './helpers.ts';

// Variables a developer's shell might set; the environment wins over the file.
const ENV = {
  HUB_CONFIG: undefined,
  HUB_INVENTORY: undefined,
  HUB_PSEUDONYM_KEY: undefined,
  HUB_INFLUX_DATABASE: undefined,
  HUB_INFLUX_URL: undefined,
};
let conn: InfluxConnection;
let writer: InfluxPointWriter;
let config: string;
let dir: string;

function writeConfig(name: string, url: string, database: string): string {
  const { token, username, password } = sharedInflux();
  const influx = { url, database, ...(token ? { token } : {}), ...(username ? { username, password } : {}) };
  const file = join(dir, name);
  // CO₂e factors in the config: the command must hand them to the computation.
  const evaluation = { co2eFactors: { recyclable: 1.2, kitchen: 0.3, hazardous: 0, residual: 0 } };
  writeFileSync(
    file,
    JSON.stringify({ pseudonymKey: 'kpi-cli-pseudonym-key', inventory: 'inventory.yaml', influx, evaluation }),
  ); // JSON is YAML
  return file;
}

beforeAll(async () => {
  const db = await freshDatabase('kpi_cli');
  ({ conn, writer } = db);
  await writer.write(points());
  dir = mkdtempSync(join(tmpdir(), 'hub-kpi-cli-'));
  const devices = SITE.devices.map(([id, type]) => ({ id, type, model: 'generic-v1' }));
  const inventory = {
    sites: [
      {
        id: SITE.id,
        timezone: SITE.timezone,
        households: SITE.households,
        gateways: [{ id: 'gw-1', secret: hashSecret('cli-test-secret'), devices }],
      },
    ],
  };
  writeFileSync(join(dir, 'inventory.yaml'), JSON.stringify(inventory));
  config = writeConfig('hub.yaml', sharedInflux().url, db.database);
});
afterAll(async () => {
  await writer.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each test spawns the command (tsx compiles on a cold cache) several times in a row: allow for a
// busy two-core machine. No timing is asserted.
describe('community-hub kpi compute', { timeout: 120_000 }, () => {
  it('--dry-run prints the table and stores nothing; without it the results are stored', async () => {
    const args = ['kpi', 'compute', '--site', SITE.id, '--period', 'day', '--date', '2026-11-27', '--config', config];
    const dry = await runCli([...args, '--dry-run'], { env: ENV });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'maple-court · day 2026-11-27 · 2026-11-27T00:00:00+08:00 → 2026-11-28T00:00:00+08:00 (Asia/Shanghai) · complete · not stored (dry run)',
    );
    expect(dry.stdout).toMatch(/^kpi +value +target +met +numerator +denominator +status$/m);
    expect(dry.stdout).toMatch(
      /^sorting_coverage +0\.9500 +≥ 0\.95 +yes +19 +20 +warning \(household_ids_unverified\)$/m,
    );
    expect(dry.stdout).toMatch(
      /^device_availability +0\.5833 +≥ 0\.98 +no +42 +72 +warning \(unregistered_devices_heard\)$/m,
    );
    expect(dry.stdout).toMatch(/^gate_security_alarms +3 +informative +— +3 +— +ok$/m);
    expect(await storedKpis(conn, SITE.id, 'day')).toEqual([]);

    const real = await runCli(args, { env: ENV });
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('· complete · stored');
    expect(await storedKpis(conn, SITE.id, 'day')).toHaveLength(KPI_IDS.length);
  });

  it('--json prints the results', async () => {
    // The command's clock is the real one: use a period that has ended (the week of the data set may still run).
    const r = await runCli(['kpi', 'compute', '-s', SITE.id, '-p', 'day', '-d', '2026-11-26', '-c', config, '--json'], {
      env: ENV,
    });
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as KpiResult[];
    expect(results.map((x) => [x.kpi, x.numerator, x.denominator, x.met])).toEqual([
      ...Object.entries(EXPECTED.dayB.kpis).map(([k, [n, d, met]]) => [k, n, d, met]),
      // 11 deposits of 1.2 kg kitchen waste not sorted incorrect, 0.3 kg CO₂e a kg.
      ['co2e_avoided_kg', 3.96, null, null],
    ]);
    expect(results[0]).toMatchObject({
      period: 'day',
      date: '2026-11-26',
      start: '2026-11-26T00:00:00+08:00',
      complete: true,
      value: 0.55,
    });
  });

  it('--help, and usage errors', async () => {
    const help = await runCli(['kpi', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: community-hub kpi compute --site SITE');
    expect((await runCli(['--help'])).stdout).toContain('kpi compute --site S');
    for (const [args, text] of [
      [['kpi', 'compute', '--config', config], '--site is required'],
      [['kpi', 'compute', '--site', 'nowhere', '--config', config], 'no site "nowhere"'],
      [
        ['kpi', 'compute', '--site', SITE.id, '--date', '2026-02-30', '--config', config],
        '"2026-02-30" is not a calendar date',
      ],
      [
        ['kpi', 'compute', '--site', SITE.id, '--period', 'decade', '--config', config],
        '--period must be one of day, week, month, quarter, year',
      ],
      [['kpi', 'recompute', '--site', SITE.id], 'expected the subcommand "compute"'],
    ] as const) {
      const r = await runCli([...args], { env: ENV });
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain('HUB_ERR_USAGE');
      expect(r.stderr).toContain(text);
    }
  });

  it('InfluxDB unreachable: exit 1 with the retryable error, nothing stored', async () => {
    const dead = writeConfig('dead.yaml', await deadUrl(), 'anything');
    const r = await runCli(['kpi', 'compute', '--site', SITE.id, '--date', '2026-11-26', '--config', dead], {
      env: ENV,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HUB_ERR_INFLUX_UNREACHABLE');
    expect(r.stdout).toBe('');
  });
});
