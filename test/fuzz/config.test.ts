/**
 * Fuzzing the config and inventory loaders (src/config/load.ts; docs/contract.md §1 and §7):
 * whatever hub.yaml, inventory.yaml or the HUB_* environment hold, loading either succeeds or throws
 * a HubError with a stable code (exit 78 at start-up), never another exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { envSettings } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { hashSecret } from '../../src/secret.ts';
import { edgeValue } from './arbitraries.ts';
import { fuzz, hubErrorOr } from './settings.ts';
import { yamlish } from './yamlish.ts';

const CODES = ['HUB_ERR_CONFIG_INVALID', 'HUB_ERR_CONFIG_NOT_FOUND', 'HUB_ERR_INVENTORY_INVALID'];
const HUB = `inventory: inventory.yaml
dataDir: data
pseudonymKey: 0123456789abcdef0123
mqtt:
  port: 0
  maxPacketBytes: 256KiB
  observers:
    - username: watcher
      secret: ${hashSecret('watcher-secret')}
http:
  port: 0
influx:
  url: http://127.0.0.1:8086
  database: community
ingest:
  maxFutureSkew: 5m
kpi:
  schedule: "*/5 * * * *"
  periods: [day, week]
  targets:
    participation_rate: 0.95
`;
const INVENTORY = `sites:
  - id: maple-court
    name: Maple Court
    timezone: Asia/Shanghai
    households: 10
    buildings: [{ id: b1, households: 10 }]
    gateways:
      - id: gw-1
        secret: ${hashSecret('gw-secret')}
        devices:
          - { id: bin-01, type: waste-bin, model: generic-v1, building: b1 }
          - { id: gate-01, type: access-gate, model: generic-v1, building: b1 }
`;
const SETTINGS = envSettings(configSchema);
const CONFIG_KEYS = [...new Set(SETTINGS.flatMap((s) => s.path))];
const INVENTORY_KEYS = ['sites', 'id', 'name', 'timezone', 'households', 'buildings', 'gateways', 'secret', 'devices'];

/** Found by this test: aliases expanding without bound made the yaml package throw a ReferenceError. */
const ALIAS_BOMB =
  'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n' +
  'a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n' +
  'a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]';

const dir = mkdtempSync(join(tmpdir(), 'hub-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(hub: string, inventory: string, env: NodeJS.ProcessEnv = {}) {
  writeFileSync(join(dir, 'hub.yaml'), hub);
  writeFileSync(join(dir, 'inventory.yaml'), inventory);
  return hubErrorOr(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env, cwd: dir }));
}

function check(out: ReturnType<typeof load>): void {
  if ('hubError' in out) expect(CODES).toContain(out.hubError);
  else expect(Object.isFrozen(out.config)).toBe(true);
}

describe('config loader fuzz', () => {
  it('loads the valid base files (so mutations start from something that works)', () => {
    expect(load(HUB, INVENTORY)).not.toHaveProperty('hubError');
  });

  it('refuses an alias bomb with a HubError naming the file (a regression)', () => {
    expect(load(ALIAS_BOMB, INVENTORY)).toEqual({ hubError: 'HUB_ERR_CONFIG_INVALID' });
    expect(load(HUB, ALIAS_BOMB)).toEqual({ hubError: 'HUB_ERR_INVENTORY_INVALID' });
  });

  it('hub.yaml: any text loads or is a HubError', () => {
    fc.assert(
      fc.property(yamlish(HUB, CONFIG_KEYS), (text) => check(load(text, INVENTORY))),
      fuzz(300, { examples: [[ALIAS_BOMB]] }),
    );
  });

  it('inventory.yaml: any text loads or is a HubError', () => {
    fc.assert(
      fc.property(yamlish(INVENTORY, INVENTORY_KEYS), (text) => check(load(HUB, text))),
      fuzz(300, { examples: [[ALIAS_BOMB]] }),
    );
  });

  it('the environment: any HUB_* values load or are a HubError', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      edgeValue.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      fc.constantFrom('0', '-1', '1e400', '10s', '256KiB', '[]', '["a","b"]', '{}', 'true', ' ', ',', '\u0000'),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...SETTINGS.map((s) => s.env), 'HUB_CONFIG', 'HUB_INVENTORY'), value, {
          maxKeys: 4,
        }),
        (env) => check(load(HUB, INVENTORY, env)),
      ),
      fuzz(300),
    );
  });
});
