/**
 * One KPI scheduler among several hubs (docs/operations.md, "Several hubs: one KPI scheduler"):
 * Debian's redis-server and two hub processes (`community-hub start`, embedded mode, each on its
 * own ports and data directory, one InfluxDB database) with `kpi.enabled` and the same
 * `cluster.redisUrl`. Exactly one holds the lease and runs KPI ticks, the other runs none; late data
 * published to the other reaches the stored KPIs through the holder (the marks' hand-off); the
 * holder is killed with SIGKILL (nothing released) and the other takes the lease and runs the
 * scheduler; stopped with SIGTERM, it releases the key. Every wait is a bounded poll.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { kpiLeaseKey } from '../../src/kpi/lease.ts';
import { openRedisLeaseStore, type LeaseStore } from '../../src/kpi/lease-store.ts';
import { createLogger } from '../../src/log.ts';
import { connectInflux } from '../../src/store/index.ts';
import { dropDatabase } from './helpers.ts';
import { sharedSettings } from '../helpers/influx-shared.ts';
import { hashSecret } from '../../src/secret.ts';
import { sharedInfluxSection, writeHubFiles, type HubFiles } from '../helpers/hub.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { mosquittoPublish } from './helpers.ts';
import { storedKpis } from '../kpi/helpers.ts';

const OPERATOR = 'kpi-lease-operator-key-0123456789';
const GATEWAY: [string, string] = ['gw-01', 'gateway-secret-0123456789'];
const ROOT = 'lease-test/v1';
const WAIT = { timeout: 60_000, interval: 200 };
let redis: RedisServer;
let store: LeaseStore;
const files: HubFiles[] = [];
const database = uniqueName('e2e_lease');

beforeAll(async () => {
  redis = await startRedis();
  store = await openRedisLeaseStore({ url: redis.url, timeoutMs: 2000, logger: createLogger('silent') });
}, 60_000);

afterAll(async () => {
  await killAllHubs();
  await store?.close();
  await redis?.stop();
  for (const f of files) await f.remove();
  await dropDatabase(connectInflux(sharedSettings({ database })));
});

/** A hub's files: same database, same Redis, same topic root (so the same lease key). */
async function hubFiles(database: string): Promise<HubFiles> {
  const f = await writeHubFiles({
    prefix: 'hub-lease-',
    config: {
      pseudonymKey: 'kpi-lease-pseudonym-key-0123456789',
      operatorKey: OPERATOR,
      log: { level: 'info' },
      influx: sharedInfluxSection(database),
      mqtt: { rootTopic: ROOT },
      // Every two seconds (node-cron's six-field form): the test need not wait five minutes.
      // closeDelay 1s: yesterday closes at the first runs, so only a late-data mark recomputes it.
      kpi: { enabled: true, schedule: '*/2 * * * * *', periods: ['day'], publishPeriod: 'day', closeDelay: '1s' },
      // No period closes within the test (closeDelay after the start), so no report would be built.
      report: { auto: false },
      selfStats: { enabled: false },
      // Short, for the test; long enough that a loaded machine's slow answer (a third of it) loses nothing.
      cluster: { redisUrl: redis.url, leaseTtl: '6s' },
    },
    inventory: {
      sites: [
        {
          id: 'maple-court',
          households: 10,
          gateways: [
            {
              id: 'gw-01',
              secret: hashSecret(GATEWAY[1], 'fast'),
              devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
            },
          ],
        },
      ],
    },
  });
  files.push(f);
  return f;
}

/** The HTTP port from the hub's "listening" line. */
function httpOf(h: HubProcess): number {
  return (h.lines.find((l) => l.msg === 'hub started: listening') as { http: number }).http;
}

/** `name` from the hub's /metrics. */
async function metric(h: HubProcess, name: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${httpOf(h)}/metrics`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(await r.text());
  if (!m) throw new Error(`${name} not in /metrics`);
  return Number(m[1]);
}

/** `kpiLease` of the hub's /ready. */
async function readyLease(h: HubProcess): Promise<{ held: boolean; owner: string; key: string }> {
  const r = await fetch(`http://127.0.0.1:${httpOf(h)}/ready`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  return ((await r.json()) as { kpiLease: { held: boolean; owner: string; key: string } }).kpiLease;
}

it('two hubs, one lease: only the holder runs KPI ticks; SIGKILL it and the other takes over', async () => {
  const [fa, fb] = [await hubFiles(database), await hubFiles(database)];
  const a = await HubProcess.start(fa.configPath);
  const b = await HubProcess.start(fb.configPath);
  const logs = (): string => [a, b].map((h) => h.lines.map((l) => JSON.stringify(l)).join('\n')).join('\n---\n');

  // Exactly one holds it, the one Redis names, and only that one has run KPI ticks.
  let holder: HubProcess | undefined;
  await vi.waitFor(async () => {
    const held = [await metric(a, 'hub_kpi_lease_held'), await metric(b, 'hub_kpi_lease_held')];
    expect(held.sort()).toEqual([0, 1]);
    holder = (await metric(a, 'hub_kpi_lease_held')) === 1 ? a : b;
    expect(await metric(holder, 'hub_kpi_runs_total')).toBeGreaterThanOrEqual(2);
  }, WAIT);
  const other = holder === a ? b : a;
  const [held, waiting] = [await readyLease(holder!), await readyLease(other)];
  expect(held).toMatchObject({ held: true, key: kpiLeaseKey(ROOT) });
  expect(waiting).toMatchObject({ held: false, key: kpiLeaseKey(ROOT) });
  expect(await store.holder(kpiLeaseKey(ROOT))).toBe(held.owner);
  expect(await metric(other, 'hub_kpi_runs_total'), logs()).toBe(0);
  expect(await metric(other, 'hub_kpi_lease_held')).toBe(0);
  expect(holder!.lines.some((l) => l.msg === 'KPI lease taken: this hub runs the KPI scheduler')).toBe(true);
  expect(other.lines.some((l) => l.msg === 'KPI lease taken: this hub runs the KPI scheduler')).toBe(false);
  const started = (h: HubProcess): unknown => h.lines.find((l) => l.msg === 'hub started: listening')?.['kpiLease'];
  expect([started(a), started(b)].sort()).toEqual([false, true]);

  // Late data at the hub without the lease: it hands the mark over once the data is in InfluxDB, and
  // the holder recomputes yesterday (closed already) with it: one household sorted correctly.
  const conn = connectInflux(sharedSettings({ database }));
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  const m = JSON.stringify({
    id: 'late-1',
    ts: yesterday,
    type: 'deposit',
    household: 'H-1-101',
    category: 'kitchen',
    weight: 1.2,
    sorting: 'correct',
    auth: 'card',
  });
  const topic = `${ROOT}/maple-court/gw-01/bin-01/event`;
  expect((await mosquittoPublish(other.port, GATEWAY, topic, { m })).code).toBe(0);
  await vi.waitFor(async () => {
    expect(other.lines.some((l) => l.msg === 'late-data marks handed to the KPI lease holder')).toBe(true);
    expect(holder!.lines.some((l) => l.msg === 'late-data marks taken over from other hubs')).toBe(true);
    const rows = (await storedKpis(conn, 'maple-court', 'day')).filter((r) => r['kpi'] === 'sorting_coverage');
    expect(rows.map((r) => r['numerator'])).toContain(1);
  }, WAIT);
  expect(await metric(other, 'hub_kpi_runs_total')).toBe(0);

  // The holder dies without releasing anything; the other takes the key once it expires.
  holder!.kill('SIGKILL');
  expect(await holder!.exited).toMatchObject({ signal: 'SIGKILL' });
  await vi.waitFor(async () => {
    expect(await metric(other, 'hub_kpi_lease_held')).toBe(1);
    expect(await metric(other, 'hub_kpi_runs_total')).toBeGreaterThanOrEqual(2);
  }, WAIT);
  expect(await store.holder(kpiLeaseKey(ROOT))).toBe(waiting.owner);
  expect(await metric(other, 'hub_kpi_lease_acquired_total')).toBe(1);
  expect(other.lines.some((l) => l.msg === 'KPI lease taken: this hub runs the KPI scheduler')).toBe(true);

  // A stop releases the key at once (compare-and-delete): the next hub need not wait for its TTL.
  other.kill('SIGTERM');
  expect(await other.exited).toMatchObject({ code: 0 });
  expect(other.lines.some((l) => l.msg === 'KPI lease released')).toBe(true);
  expect(await store.holder(kpiLeaseKey(ROOT))).toBeNull();
}, 180_000);
