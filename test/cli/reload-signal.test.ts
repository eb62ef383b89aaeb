/**
 * SIGHUP reloads the inventory of a running `community-hub start` (docs/operations.md, "Reloading
 * the inventory"), as an operator sends it: a valid file is put in force (logged with its counts),
 * an invalid one is logged at error level and the hub keeps running on the inventory it had, and
 * still stops cleanly on SIGTERM.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, expect, it } from 'vitest';
import { HubProcess, killAllHubs } from '../durability/hub-process.ts';
import { writeHubFiles } from '../durability/helpers.ts';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';

let dir: string | undefined;

afterAll(async () => {
  await killAllHubs();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('SIGHUP puts a valid inventory in force and keeps the running one when the file is invalid', async () => {
  const { url, token, username, password } = sharedInflux();
  const files = await writeHubFiles({
    influxUrl: url,
    database: uniqueName('cli_reload'),
    influx: { ...(token ? { token } : {}), ...(username ? { username, password } : {}) },
  });
  dir = files.dir;
  const file = join(files.dir, 'inventory.yaml');
  const hub = await HubProcess.start(files.configPath);

  type Inv = { sites: { gateways: { devices: { id: string; type: string; model: string }[] }[] }[] };
  const inv = parse(await readFile(file, 'utf8')) as Inv;
  inv.sites[0]!.gateways[0]!.devices.push({ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' });
  await writeFile(file, stringify(inv));
  hub.kill('SIGHUP');
  const ok = await hub.waitForLine((l) => l.msg === 'inventory reloaded', 30_000, 'the reload');
  expect(ok.inventory).toMatchObject({ sites: 1, gateways: 1, devices: 2 });

  await writeFile(file, 'sites: []\n');
  hub.kill('SIGHUP');
  const refused = await hub.waitForLine(
    (l) => l.msg === 'inventory reload refused; the running inventory stays in force',
    30_000,
    'the refusal',
  );
  expect(refused.level).toBe(50);
  expect(JSON.stringify(refused.err)).toContain('at least one site is needed');
  expect(hub.running).toBe(true);

  hub.kill('SIGTERM');
  expect(await hub.exited).toMatchObject({ code: 0 });
});
