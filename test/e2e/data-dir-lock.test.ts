/**
 * End to end, one hub per data directory: a second hub on the data directory of a running one
 * refuses to start (HUB_ERR_DATA_DIR_LOCKED) and leaves the first untouched — its lock, its
 * broker, its API; once the first has stopped, a hub starts on that directory.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../src/errors.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  mosquittoPublish,
  startHub,
  type DeviceSpec,
  type E2eHub,
} from './helpers.ts';

const DATABASE = uniqueName('e2e_data_dir_lock');
const EAST_DEVICES: DeviceSpec[] = [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }];
let dataDir: string;
const hubs: E2eHub[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-e2e-lock-'));
});
afterAll(async () => {
  for (const h of hubs) await h.stop();
  if (hubs[0]) await dropDatabase(hubs[0].conn);
  await rm(dataDir, { recursive: true, force: true });
});

describe('two hubs on one data directory', () => {
  it('the second is refused while the first runs; the first keeps its lock and takes messages; after it stops, a hub starts', async () => {
    const first = await startHub({ database: DATABASE, east: EAST_DEVICES, dataDir });
    hubs.push(first);
    const lockPath = join(dataDir, 'hub.lock');
    const lockText = await readFile(lockPath, 'utf8');

    const refused = await startHub({ database: DATABASE, east: EAST_DEVICES, dataDir }).then(
      (h) => {
        hubs.push(h);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isHubError(refused, 'HUB_ERR_DATA_DIR_LOCKED'), String(refused)).toBe(true);
    expect((refused as Error).message).toContain(`the data directory ${dataDir} is in use`);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    // The refused hub's stop() (startHub calls it) left the first hub's lock alone.
    expect(await readFile(lockPath, 'utf8')).toBe(lockText);

    const r = await mosquittoPublish(first.port, EAST, deviceTopic('gw-east', 'bin-01', 'telemetry'), {
      m: '{"ts":"2026-11-27T00:04:00Z","battery":13}',
    });
    expect(r.code, r.stderr).toBe(0);
    await drained(first);
    const health = await fetch(`${first.httpUrl}/health`);
    expect(health.status).toBe(200);

    await first.stop();
    hubs.shift();
    expect(existsSync(lockPath)).toBe(false);
    const next = await startHub({ database: DATABASE, east: EAST_DEVICES, dataDir });
    hubs.push(next);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(next.logs.some((l) => String(l.msg).includes('stale lock'))).toBe(false);
    await next.stop();
    hubs.pop();
    expect(existsSync(lockPath)).toBe(false);
    await dropDatabase(next.conn);
  });
});
