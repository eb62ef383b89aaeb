/**
 * Personal data never leaks (docs/contract.md §3, "Personal data"): a simulated week of a community
 * whose household ids, gateway secrets and API keys are distinctive strings runs through a real
 * hub (MQTT over loopback, the spool, the run's InfluxDB), and then everything the hub shows or
 * keeps outside the dead-letter store is scanned for them: every measurement, series, tag and
 * field of InfluxDB, the hub's log (at debug), the reports of `community-hub report` in every
 * format, `/metrics`, the KPI and report answers of the API, and the spool's files after the
 * drain. Gateway ids are not personal and may appear. The dead-letter store keeps raw payloads by
 * design (§2), which makes it the positive control: the same scan must find household ids there.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectInflux, parseLines, query, quoteIdent, type InfluxConnection } from '../../src/store/index.ts';
import {
  generate,
  inventoryYaml,
  loadScenario,
  resolveWindow,
  scenarioRosters,
  simulate,
  type LedgerFile,
  type Scenario,
  type Window,
} from '../../simulators/index.ts';
import { buildWorld } from '../../simulators/world.ts';
import { spooledRecords } from '../durability/helpers.ts';
import { runCli } from '../helpers/cli.ts';
import {
  drainedWithin,
  sharedInfluxSection,
  startTestHub,
  writeHubFiles,
  type HubFiles,
  type TestHub,
} from '../helpers/hub.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { filesUnder, scanFiles, scanText, type Finding, type Needle } from './pii-scan.ts';

const SITE = 'pii-court';
const SECRETS = { 'gw-pii-a': 'GwSecret-Aardvark-7Q2xLm', 'gw-pii-b': 'GwSecret-Bison-9K4mWp' };
const OPERATOR_KEY = 'OpKey-Pangolin-5e8d1c0b7a';
const ADMIN_KEY = 'AdminKey-Quetzal-2f6a9b3c4d';
const PSEUDONYM_KEY = 'PseudoKey-Narwhal-8c1e4f7a2b';
/** Building ids no other string of the hub contains: the households are `H-<building>-0001`… */
const SCENARIO_YAML = `
name: pii-week
description: one week, one site, distinctive household ids and secrets
seed: 20270301
time: { start: 2026-11-02, days: 7, timezone: Asia/Shanghai }
behaviour:
  telemetryEvery: 120m
  depositsPerDay: 0.8
  gatePassesPerDay: 0.4
  visitorsPerGatePerDay: 0.5
  habits: { always: 0.5, sometimes: 0.4, never: 0.1 }
faults: { malformed: 0.05, tooOld: 0.05, duplicate: 0.02, unknownDevice: 0.02 }
sites:
  - id: ${SITE}
    timezone: Asia/Shanghai
    households: 14
    buildings:
      - { id: qzvblk, households: 8 }
      - { id: wxkblk, households: 6 }
    roster: { unregistered: 0.2, respelled: 0.5 }
    gateways:
      - id: gw-pii-a
        secret: ${SECRETS['gw-pii-a']}
        devices:
          - { id: bin-01, type: waste-bin, model: generic-v1, building: qzvblk }
          - { id: bin-02, type: waste-bin, model: lvse-x2, building: wxkblk }
      - id: gw-pii-b
        secret: ${SECRETS['gw-pii-b']}
        devices:
          - { id: gate-main, type: access-gate, model: hikvision-acs }
          - { id: gate-side, type: access-gate, model: generic-v1, building: qzvblk }
`;

let dir: string;
let files: HubFiles;
let started: TestHub;
let scenario: Scenario;
let window: Window;
let ledger: LedgerFile;
let influx: InfluxConnection;
let needles: Needle[];
/** Monday of the simulated week, a local date. */
const WEEK = '2026-11-02';
const NEXT_WEEK = '2026-11-09';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-pii-'));
  await writeFile(join(dir, 'pii.yaml'), SCENARIO_YAML);
  scenario = loadScenario(join(dir, 'pii.yaml'));
  window = resolveWindow(scenario);
  const inventory = inventoryYaml(scenario);
  files = await writeHubFiles({
    prefix: 'hub-pii-',
    inventory,
    config: {
      pseudonymKey: PSEUDONYM_KEY,
      operatorKey: OPERATOR_KEY,
      adminKey: ADMIN_KEY,
      mqtt: { rootTopic: scenario.hub.rootTopic },
      influx: sharedInfluxSection(uniqueName('pii')),
      ingest: { maxFutureSkew: scenario.hub.maxFutureSkewMs, maxAge: scenario.hub.maxAgeMs },
      selfStats: { interval: '250ms' },
    },
  });
  for (const r of scenarioRosters(scenario)) await writeFile(join(files.dir, r.file), r.text);
  // The hub's clock starts at the end of the simulated week and runs (simulators/README.md).
  const t0 = Date.now();
  started = await startTestHub(files, { now: () => window.endMs + (Date.now() - t0), logLevel: 'debug' });
  influx = connectInflux({ ...started.loaded.config.influx });
  ({ ledger } = await simulate({ scenario, window, url: started.url }));
  await drainedWithin(started.hub, 60_000);

  const households = buildWorld(scenario).sites.flatMap((s) => s.households);
  needles = [
    // "0" is the simulator's placeholder id of one unregistered household: too short to look for.
    ...households.filter((h) => h.id.length > 3).map((h) => ({ kind: 'household id', value: h.id })),
    ...households
      .filter((h) => h.sent.trim() !== h.id && h.sent.trim().length > 3)
      .map((h) => ({ kind: 'household id as sent', value: h.sent.trim() })),
    // Card numbers (hikvision-acs `cardNo`) are credential ids: pseudonymised like households (§3).
    ...cards().map((value) => ({ kind: 'card number', value })),
    ...Object.values(SECRETS).map((value) => ({ kind: 'gateway secret', value })),
    // The stored hashes stand for the secrets: they belong in the inventory only.
    ...[...inventory.matchAll(/secret: (\S+)/g)].map((m) => ({ kind: 'gateway secret hash', value: m[1]! })),
    { kind: 'operator key', value: OPERATOR_KEY },
    { kind: 'admin key', value: ADMIN_KEY },
    { kind: 'pseudonym key', value: PSEUDONYM_KEY },
  ];
}, 180_000);

afterAll(async () => {
  if (influx)
    await query(influx, `DROP DATABASE ${quoteIdent(influx.settings.database)}`, { database: '' }).catch(
      () => undefined,
    );
  await started?.stop();
  await files?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every card number the simulated week's messages carry (the generator is deterministic). */
function cards(): string[] {
  const out = new Set<string>();
  for (const item of generate(scenario, window))
    if (item.type === 'message')
      for (const e of item.elements) if (e.element.kind === 'access' && e.element.card) out.add(e.element.card);
  return [...out];
}

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function get(path: string, key = OPERATOR_KEY): Promise<string> {
  const r = await fetch(`${started.httpUrl}${path}`, { headers: auth(key) });
  const text = await r.text();
  expect(r.status, `${path}: ${text}`).toBe(200);
  return text;
}

/** Every series key and every point of every measurement, as text. */
async function influxText(): Promise<{ where: string; text: string }[]> {
  const out: { where: string; text: string }[] = [];
  const measurements = (await query<{ name: string }>(influx, 'SHOW MEASUREMENTS')).map((r) => r.values.name);
  out.push({ where: 'SHOW MEASUREMENTS', text: measurements.join('\n') });
  out.push({ where: 'SHOW SERIES', text: JSON.stringify(await query(influx, 'SHOW SERIES')) });
  for (const m of measurements) {
    out.push({
      where: `SHOW FIELD KEYS FROM ${m}`,
      text: JSON.stringify(await query(influx, `SHOW FIELD KEYS FROM ${quoteIdent(m)}`)),
    });
    out.push({
      where: `SELECT * FROM ${m}`,
      text: JSON.stringify(await query(influx, `SELECT * FROM ${quoteIdent(m)} GROUP BY *`)),
    });
  }
  return out;
}

describe('a simulated week with distinctive household ids and secrets', () => {
  it('ran a week with deposits, gate passes and dead letters, all acknowledged', async () => {
    expect(ledger.totals.acked).toBe(ledger.totals.messages);
    expect(ledger.expected.points.deposit).toBeGreaterThan(20);
    expect(ledger.expected.points.access).toBeGreaterThan(0);
    const rows = await query(influx, 'SELECT count("event_id") FROM deposit');
    expect(Number(rows[0]?.values.count)).toBe(ledger.expected.points.deposit);
    expect(needles.filter((n) => n.kind === 'household id').length).toBeGreaterThan(14);
    expect(needles.filter((n) => n.kind === 'gateway secret hash').length).toBe(2);
    expect(needles.filter((n) => n.kind === 'card number').length).toBeGreaterThan(0);
  });

  it('the scanner finds what is planted: plain, lower case, full-width and inside base64', () => {
    const id = needles.find((n) => n.kind === 'household id')!.value;
    const wide = [...id].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    for (const text of [
      `{"household":"${id}"}`,
      `x ${id.toLowerCase()} y`,
      wide,
      `{"payload":"${Buffer.from(`{"household":"${id}"}`).toString('base64')}"}`,
    ])
      expect(
        scanText('planted', text, needles).map((f) => f.value),
        text,
      ).toContain(id);
    expect(scanText('clean', `{"household":"h_0123456789abcdef"}`, needles)).toEqual([]);
  });

  it('the dead-letter store holds raw household ids (positive control: the scan can fail)', async () => {
    const found = await scanFiles(join(files.dataDir, 'dead-letters'), needles);
    expect(found.filter((f) => f.kind.startsWith('household')).length).toBeGreaterThan(0);
    // Secrets and keys never travel in payloads: not even the dead letters hold them.
    expect(found.filter((f) => !f.kind.startsWith('household'))).toEqual([]);
  });

  it('InfluxDB holds no household id, secret or key, in any measurement, series, tag or field', async () => {
    const texts = await influxText();
    expect(texts.find((t) => t.where === 'SELECT * FROM deposit')?.text).toMatch(/"household":"[^"]+"/);
    const found: Finding[] = texts.flatMap((t) => scanText(t.where, t.text, needles));
    expect(found).toEqual([]);
  });

  it('the reports, in every format, and the KPI and report answers of the API hold none', async () => {
    const found: Finding[] = [];
    for (const format of ['json', 'md', 'html']) {
      const r = await runCli(
        [
          'report',
          '--config',
          files.configPath,
          '--site',
          SITE,
          '--period',
          'week',
          '--date',
          WEEK,
          '--format',
          format,
        ],
        {
          env: {
            HUB_CONFIG: undefined,
            HUB_INFLUX_URL: undefined,
            HUB_DATA_DIR: undefined,
            HUB_PSEUDONYM_KEY: undefined,
          },
        },
      );
      expect(r.code, r.stderr).toBe(0);
      found.push(...scanText(`report ${format}`, r.stdout + r.stderr, needles));
    }
    expect((await filesUnder(join(files.dataDir, 'reports'))).length).toBeGreaterThanOrEqual(3);
    found.push(...(await scanFiles(join(files.dataDir, 'reports'), needles)));

    const compute = await fetch(`${started.httpUrl}/api/v1/sites/${SITE}/kpis/compute`, {
      method: 'POST',
      headers: { ...auth(ADMIN_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ period: 'week', date: WEEK }),
    });
    const computed = await compute.text();
    expect(compute.status, computed).toBe(200);
    found.push(...scanText('POST kpis/compute', computed, needles));
    const paths = [
      `/api/v1/sites/${SITE}/kpis?period=day&from=${WEEK}&to=${NEXT_WEEK}`,
      `/api/v1/sites/${SITE}/kpis?period=week&from=${WEEK}&to=${NEXT_WEEK}&building=*`,
      `/api/v1/sites/${SITE}/reports`,
      `/api/v1/sites/${SITE}/reports/week-${WEEK}.json`,
      `/api/v1/sites/${SITE}/reports/week-${WEEK}.md`,
      `/api/v1/sites/${SITE}/reports/week-${WEEK}.html`,
      '/api/v1/sites',
      `/api/v1/sites/${SITE}/devices`,
    ];
    for (const p of paths) found.push(...scanText(p, await get(p), needles));
    expect(found).toEqual([]);
  }, 180_000); // three runs of the command line, each a Node start with its TypeScript loader

  it('/metrics and the hub log (at debug) hold none', async () => {
    const metrics = await get('/metrics');
    expect(metrics).toMatch(/^hub_points_written_total \d+/m);
    expect(started.logs.length).toBeGreaterThan(0);
    const found = [
      ...scanText('/metrics', metrics, needles),
      ...scanText('log', started.logs.map((l) => JSON.stringify(l)).join('\n'), needles),
    ];
    expect(found).toEqual([]);
  });

  it('the drained spool holds no household id: its segments, payloads and all, are removed within seconds', async () => {
    await drainedWithin(started.hub, 60_000);
    // The drainer seals the segment being appended to a few seconds after entering it, once it is
    // written, then removes it (docs/contract.md §3, personal data). Self-stats samples keep
    // coming: what counts is that no byte of the spool holds a raw id, a secret or a key.
    await vi.waitFor(async () => expect(await scanFiles(files.spoolDir, needles)).toEqual([]), {
      timeout: 30_000,
      interval: 250,
    });
    const deposits = (await spooledRecords(files.spoolDir)).flatMap((r) =>
      parseLines(r.lines).filter((p) => p.measurement === 'deposit'),
    );
    expect(deposits).toEqual([]);
  });
});
