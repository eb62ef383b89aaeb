import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { type HubError, isHubError } from '../../src/errors.ts';
import { checkInventoryModels, DEFAULT_DEVICES_DIR, loadRegistry } from '../../src/normalise/registry.ts';

const FAKE_SECRET = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

function inventory(devices: { id: string; type: string; model: string }[]): Inventory {
  return new Inventory(
    inventorySchema.parse({
      sites: [{ id: 'maple-court', households: 10, gateways: [{ id: 'gw-east', secret: FAKE_SECRET, devices }] }],
    }),
  );
}

async function thrown(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A devices/ tree in a temp dir; `files` maps relative paths to contents. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hub-devices-'));
  temps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const modelSource = (type: string, model: string) =>
  `export default { type: '${type}', model: '${model}', description: 't', normalise: () => ({ ok: true, value: { points: [] } }) };\n`;

describe('model registry', () => {
  it('resolves devices/ from the package, not the working directory', () => {
    expect(DEFAULT_DEVICES_DIR).toBe(fileURLToPath(new URL('../../devices/', import.meta.url)));
  });

  it('finds the shipped models and looks them up by (type, model)', async () => {
    const r = await loadRegistry();
    expect(r.list().map((m) => `${m.type}/${m.model}`)).toEqual([
      'access-gate/generic-v1',
      'access-gate/hikvision-acs',
      'waste-bin/generic-v1',
      'waste-bin/lvse-x2',
    ]);
    expect(r.get('waste-bin', 'lvse-x2')?.model).toBe('lvse-x2');
    expect(r.get('waste-bin', 'hikvision-acs')).toBeUndefined();
    expect(r.modelsOf('access-gate')).toEqual(['generic-v1', 'hikvision-acs']);
  });

  it('loads a folder added to a devices tree, with no other change', async () => {
    const dir = tree({ 'waste-bin/new-one/index.ts': modelSource('waste-bin', 'new-one'), 'README.md': '# x' });
    expect((await loadRegistry(dir)).get('waste-bin', 'new-one')?.description).toBe('t');
  });

  it.each([
    [
      'an export that differs from its folder',
      { 'waste-bin/abc/index.ts': modelSource('waste-bin', 'xyz') },
      'must equal its folder',
    ],
    [
      'a type folder that is not a device type',
      { 'toaster/abc/index.ts': modelSource('toaster', 'abc') },
      'not a device type',
    ],
    ['a folder without index.ts', { 'waste-bin/abc/README.md': '# x' }, 'index.ts is missing'],
    [
      'an index.ts without a model',
      { 'waste-bin/abc/index.ts': 'export default 42;\n' },
      'must default-export a DeviceModel',
    ],
    ['an index.ts that fails to load', { 'waste-bin/abc/index.ts': 'throw new Error("broken");\n' }, 'failed to load'],
  ])('refuses %s with HUB_ERR_MODEL_INVALID', async (_what, files, message) => {
    const e = await thrown(loadRegistry(tree(files)));
    expect(isHubError(e, 'HUB_ERR_MODEL_INVALID')).toBe(true);
    expect((e as HubError).message).toContain(message);
    expect((e as HubError).message).toContain('devices/');
  });
});

describe('checkInventoryModels', () => {
  it('accepts an inventory whose devices all have models', async () => {
    const r = await loadRegistry();
    expect(() =>
      checkInventoryModels(
        inventory([
          { id: 'bin-01', type: 'waste-bin', model: 'lvse-x2' },
          { id: 'gate-north', type: 'access-gate', model: 'hikvision-acs' },
        ]),
        r,
      ),
    ).not.toThrow();
  });

  it('names the site, gateway, device and the known models of an unknown model', async () => {
    const r = await loadRegistry();
    const e = await thrown(() =>
      checkInventoryModels(
        inventory([
          { id: 'bin-01', type: 'waste-bin', model: 'acme-9000' },
          { id: 'bin-02', type: 'waste-bin', model: 'hikvision-acs' },
          { id: 'gate-north', type: 'access-gate', model: 'generic-v1' },
        ]),
        r,
      ),
    );
    expect(isHubError(e, 'HUB_ERR_UNKNOWN_MODEL')).toBe(true);
    const msg = (e as HubError).message;
    expect(msg).toContain('site maple-court, gateway gw-east, device bin-01: unknown waste-bin model "acme-9000"');
    expect(msg).toContain('device bin-02'); // a model of another type does not count
    expect(msg).toContain('known waste-bin models: generic-v1, lvse-x2');
    expect(msg).not.toContain('gate-north');
  });
});
