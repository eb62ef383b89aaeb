/**
 * `community-hub survey import` (docs/contract.md §7), run as a person would: the real command
 * (bin shim) against the run's shared InfluxDB, with a temporary config, inventory, roster and CSV
 * files. What it stores is read back from InfluxDB and judged by this test's own count of the CSV.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPseudonymiser } from '../../src/pseudonym.ts';
import { connectInflux, query, type InfluxConnection } from '../../src/store/index.ts';
import { runCli } from '../helpers/cli.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedInfluxSection } from '../helpers/hub.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { dropDatabase } from '../e2e/helpers.ts';

// Variables a developer's shell might set; the environment wins over the file.
const ENV = {
  HUB_CONFIG: undefined,
  HUB_INVENTORY: undefined,
  HUB_PSEUDONYM_KEY: undefined,
  HUB_INFLUX_DATABASE: undefined,
  HUB_INFLUX_URL: undefined,
  HUB_EVALUATION_TARGETS_SATISFACTION_GAIN: undefined,
};
const KEY = 'survey-cli-pseudonym-key-0123';
const SITE = 'maple-court';
const database = uniqueName('survey_cli');
let conn: InfluxConnection;
let config: string;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-survey-cli-'));
  const influx = sharedInfluxSection(database);
  conn = connectInflux({ ...sharedSettings(), database });
  const inventory = { sites: [{ id: SITE, timezone: 'Asia/Shanghai', roster: 'roster.csv' }] };
  writeFileSync(join(dir, 'inventory.yaml'), JSON.stringify(inventory)); // JSON is YAML
  writeFileSync(join(dir, 'roster.csv'), 'household,building\nW-1-01,b1\nW-1-02,b1\nW-2-01,b2\nW-2-02,b2\n');
  config = join(dir, 'hub.yaml');
  writeFileSync(config, JSON.stringify({ pseudonymKey: KEY, inventory: 'inventory.yaml', influx }));
});
afterAll(async () => {
  await dropDatabase(conn);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const importArgs = (wave: string, date: string, file: string, cfg = config): string[] => [
  'survey',
  'import',
  '--config',
  cfg,
  '--site',
  SITE,
  '--wave',
  wave,
  '--date',
  date,
  file,
];

async function stored(): Promise<Map<string, number>> {
  const rows = await query(conn, `SELECT "score" FROM "survey" GROUP BY "household"`).catch(() => []);
  return new Map(rows.map((r) => [r.tags['household']!, r.values['score'] as number]));
}

// Each test spawns the command (tsx compiles on a cold cache): allow for a busy two-core machine.
describe('community-hub survey import', { timeout: 120_000 }, () => {
  it('prints its help', async () => {
    const r = await runCli(['survey', '--help'], { env: ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: community-hub survey import --site SITE --wave WAVE --date YYYY-MM-DD FILE.csv');
    const top = await runCli(['--help'], { env: ENV });
    expect(top.stdout).toContain('survey import');
  });

  it('refuses a file with bad lines, naming each line, and stores nothing (exit 65)', async () => {
    const file = csv('bad.csv', '\uFEFFhousehold,score\r\nW-1-01,4\r\nX-9-99,5\r\nW-1-02,7\r\n\r\nw-1-01,3\r\n');
    const r = await runCli(importArgs('2026-Q3', '2026-09-30', file), { env: ENV });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('3 bad rows; nothing stored');
    for (const line of ['line 3', 'line 4', 'line 6']) expect(r.stderr).toContain(line);
    expect(r.stderr).not.toContain('line 2:');
    expect(r.stderr).not.toContain('X-9-99');
    expect((await stored()).size).toBe(0);

    const shape = await runCli(importArgs('2026-Q3', '2026-09-30', csv('shape.csv', 'household,score\nW-1-01,4,x\n')), {
      env: ENV,
    });
    expect(shape.code).toBe(65);
    expect(shape.stderr).toContain('line 2: expected 2 unquoted fields');
    const header = await runCli(importArgs('2026-Q3', '2026-09-30', csv('header.csv', 'id,score\nW-1-01,4\n')), {
      env: ENV,
    });
    expect(header.code).toBe(65);
    const usage = await runCli(['survey', 'import', '--config', config, '--site', SITE, file], { env: ENV });
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('--wave is required');
    expect((await stored()).size).toBe(0);
  });

  it('stores a CSV, then a later import of the wave replaces answers; the summary follows', async () => {
    const first = csv('q3.csv', 'household,score\nW-1-01,4\nW-1-02,2\nW-2-01,5\n');
    const r = await runCli(importArgs('2026-Q3', '2026-09-30', first), { env: ENV });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stored 3 answers of wave 2026-Q3 (2026-09-30) at maple-court (b1 2, b2 1)');
    const p = createPseudonymiser(KEY);
    expect(await stored()).toEqual(
      new Map([
        [p('W-1-01'), 4],
        [p('W-1-02'), 2],
        [p('W-2-01'), 5],
      ]),
    );
    const again = await runCli(importArgs('2026-Q3', '2026-09-30', csv('q3b.csv', 'household,score\nW-1-02,5\n')), {
      env: ENV,
    });
    expect(again.code).toBe(0);
    expect((await stored()).get(p('W-1-02'))).toBe(5);
    expect((await stored()).size).toBe(3);
    // 3 of 4 roster households answered, all 3 satisfied.
    expect(again.stdout).toMatch(/2026-Q3\s+2026-09-30\s+3\s+3\s+75\.0%\s+100\.0%/);
  });

  it('exits 1 with the retryable code when InfluxDB is unreachable, printing nothing stored', async () => {
    const dead = join(dir, 'dead.yaml');
    const influx = { ...sharedInfluxSection(database), url: await deadUrl() };
    writeFileSync(dead, JSON.stringify({ pseudonymKey: KEY, inventory: 'inventory.yaml', influx }));
    const file = csv('dead.csv', 'household,score\nW-1-01,4\n');
    const r = await runCli(importArgs('2026-Q4', '2026-12-31', file, dead), { env: ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HUB_ERR_INFLUX_UNREACHABLE');
    expect(r.stdout).toBe('');
  });
});
