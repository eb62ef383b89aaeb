/**
 * Inventory reload without a restart (docs/operations.md, "Reloading the inventory"), over real
 * TCP with mqtt.js against a real hub and InfluxDB: a reload through `POST /api/v1/admin/reload`
 * adds a device and households and removes a gateway. The gateway still in the inventory stays
 * connected and publishes for the new device, which lands in InfluxDB; the removed gateway is
 * disconnected and refused at its next CONNECT; a KPI recomputed after the reload uses the new
 * households; an invalid file changes nothing and is reported (answer, error log, metric).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectError, waitFor } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  startHub,
  storedPoints,
  WEST,
  type E2eHub,
} from './helpers.ts';

const ADMIN = 'reload-test-admin-key-0123456789';
const OPERATOR = 'reload-test-operator-key-0123456789';
const DEPOSIT = {
  id: 'e-reload-1',
  ts: '2026-11-27T08:01:12+08:00',
  type: 'deposit',
  household: 'H-3-1203',
  category: 'kitchen',
  weight: 1.2,
  sorting: 'correct',
  auth: 'card',
};

interface InventoryFile {
  sites: {
    households: number;
    buildings: { id: string; households: number }[];
    gateways: { id: string; devices: { id: string; type: string; model: string; building?: string }[] }[];
  }[];
}

let h: E2eHub;
let east: MqttClient;
let west: MqttClient;
const closed = { east: false, west: false };
let original: string;

async function admin(path: string, key = ADMIN): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${h.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<string> {
  const r = await fetch(`${h.httpUrl}${path}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  return r.text();
}

/** Rewrite the hub's inventory file with `change` applied to what it holds now. */
async function editInventory(change: (inv: InventoryFile) => void): Promise<void> {
  const inv = parse(await readFile(h.loaded.config.inventory, 'utf8')) as InventoryFile;
  change(inv);
  await writeFile(h.loaded.config.inventory, stringify(inv));
}

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('e2e_reload'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    west: [{ id: 'bin-w1', type: 'waste-bin', model: 'generic-v1' }],
    extra: { adminKey: ADMIN, operatorKey: OPERATOR },
  });
  original = await readFile(h.loaded.config.inventory, 'utf8');
  east = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'east-reload' });
  west = await connect(h.url, { username: WEST[0], password: WEST[1], clientId: 'west-reload' });
  east.on('close', () => (closed.east = true));
  west.on('close', () => (closed.west = true));
});
afterAll(async () => {
  await east?.endAsync(true);
  await west?.endAsync(true);
  if (h) {
    await dropDatabase(h.conn);
    await h.stop();
  }
});

describe('inventory reload', () => {
  it('needs an admin key', async () => {
    expect((await admin('/api/v1/admin/reload', OPERATOR)).status).toBe(403);
  });

  it('adds a device and households, removes a gateway: the live gateway publishes for the new device without reconnecting', async () => {
    const topic = deviceTopic('gw-east', 'bin-02', 'event');
    await editInventory((inv) => {
      const site = inv.sites[0]!;
      site.households = 1300;
      site.buildings = [
        { id: 'b1', households: 400 },
        { id: 'b2', households: 900 },
      ];
      site.gateways = site.gateways.filter((g) => g.id !== 'gw-west');
      site.gateways[0]!.devices.push({ id: 'bin-02', type: 'waste-bin', model: 'generic-v1', building: 'b2' });
    });
    const r = await admin('/api/v1/admin/reload');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      reloaded: true,
      inventory: { sites: 1, gateways: 1, devices: 2 },
      disconnected: ['gw-west'],
    });
    expect((r.json.inventory as { hash: string }).hash).toMatch(/^[0-9a-f]{16}$/);

    // The removed gateway is disconnected, and its secret no longer lets it in.
    await waitFor(() => closed.west, 10_000, 'gw-west disconnected');
    expect(await connectError(h.url, { username: WEST[0], password: WEST[1], clientId: 'west-again' })).toMatchObject({
      code: 4,
    });

    // The gateway still in the inventory kept its connection and is heard for the new device.
    await east.publishAsync(topic, JSON.stringify(DEPOSIT), { qos: 1 });
    await drained(h);
    expect(closed.east).toBe(false);
    const stored = (await storedPoints(h.conn)).filter((p) => p.tags.device === 'bin-02');
    expect(stored.map((p) => [p.measurement, p.tags.building, p.fields.event_id])).toContainEqual([
      'deposit',
      'b2',
      'e-reload-1',
    ]);

    // The API and the KPIs (a past period recomputed now) see the new households.
    expect(JSON.parse(await get('/api/v1/sites'))).toMatchObject({ sites: [{ households: 1300, gateways: 1 }] });
    const kpis = await fetch(`${h.httpUrl}/api/v1/sites/${FIXTURE.site}/kpis/compute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ period: 'day', date: '2026-11-27' }),
    });
    expect(kpis.status).toBe(200);
    const results = ((await kpis.json()) as { results: { kpi: string; denominator: number | null }[] }).results;
    expect(results.find((k) => k.kpi === 'sorting_coverage')?.denominator).toBe(1300);
  });

  it('an invalid file changes nothing and says why (answer, error log, metric)', async () => {
    const before = await readFile(h.loaded.config.inventory, 'utf8');
    await editInventory((inv) => {
      inv.sites[0]!.gateways[0]!.devices.push({ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' });
    });
    const r = await admin('/api/v1/admin/reload');
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ error: { code: 'HUB_ERR_INVENTORY_INVALID' } });
    expect((r.json.error as { message: string }).message).toContain('duplicate device maple-court/bin-02');

    // An unknown model is refused as at start, with the device named.
    await writeFile(h.loaded.config.inventory, before);
    await editInventory((inv) => {
      inv.sites[0]!.gateways[0]!.devices[1]!.model = 'no-such-model';
    });
    const unknown = await admin('/api/v1/admin/reload');
    expect(unknown.status).toBe(422);
    expect((unknown.json.error as { message: string }).message).toMatch(
      /HUB_ERR_UNKNOWN_MODEL.*bin-02.*no-such-model/s,
    );

    expect(
      h.logs.filter(
        (l) => l.msg === 'inventory reload refused; the running inventory stays in force' && l.level === 50,
      ),
    ).toHaveLength(2);
    const metrics = await get('/metrics');
    expect(metrics).toContain('hub_inventory_reloads_total{result="ok"} 1');
    expect(metrics).toContain('hub_inventory_reloads_total{result="invalid"} 2');

    // Still the inventory of the last good reload: the new device is still known, the live gateway still in.
    expect(JSON.parse(await get('/api/v1/sites'))).toMatchObject({ sites: [{ households: 1300, gateways: 1 }] });
    await east.publishAsync(
      deviceTopic('gw-east', 'bin-02', 'event'),
      JSON.stringify({ ...DEPOSIT, id: 'e-reload-2' }),
      { qos: 1 },
    );
    await drained(h);
    expect(closed.east).toBe(false);
    const stored = (await storedPoints(h.conn)).filter((p) => p.fields.event_id === 'e-reload-2');
    expect(stored).toHaveLength(1);
    expect(original).toContain('gw-west');
  });
});
