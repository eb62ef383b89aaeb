/**
 * The model registry: every folder `devices/<type>/<model>/` with an `index.ts` that default-exports
 * a DeviceModel (docs/contract.md §3: "each model is one folder under devices/"). Folders are found
 * at start-up (devices/folders.ts), so adding a model needs no other file change.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEVICES_DIR, findModelFolders, MODEL_NAME } from '../../devices/folders.ts';
import { DEVICE_TYPES, type DeviceType, type Inventory } from '../config/inventory.ts';
import { HubError } from '../errors.ts';
import type { DeviceModel } from './model.ts';

/** `devices/` of this package, resolved from its location, not from the working directory. */
export const DEFAULT_DEVICES_DIR = DEVICES_DIR;
/** The folder walk is shared with the simulator (devices/folders.ts). */
export { findModelFolders };

/** What the pipeline needs from a registry. */
export interface ModelLookup {
  /** The model `model` of device type `type`, or undefined. */
  get(type: DeviceType, model: string): DeviceModel | undefined;
}

/** The models found under `devices/`. */
export class ModelRegistry implements ModelLookup {
  readonly #byKey: ReadonlyMap<string, DeviceModel>;

  constructor(models: readonly DeviceModel[]) {
    const map = new Map<string, DeviceModel>();
    for (const m of models) {
      const key = `${m.type}/${m.model}`;
      if (map.has(key)) throw new HubError('HUB_ERR_MODEL_INVALID', `two models are named ${key}`);
      map.set(key, m);
    }
    this.#byKey = map;
  }

  /** The model `model` of device type `type`, or undefined. */
  get(type: DeviceType, model: string): DeviceModel | undefined {
    return this.#byKey.get(`${type}/${model}`);
  }

  /** Every model, sorted by `type/model`. */
  list(): DeviceModel[] {
    return [...this.#byKey.values()].sort((a, b) => `${a.type}/${a.model}`.localeCompare(`${b.type}/${b.model}`));
  }

  /** Model names of one device type, sorted. */
  modelsOf(type: DeviceType): string[] {
    return this.list()
      .filter((m) => m.type === type)
      .map((m) => m.model);
  }
}

/**
 * Import every model folder and check it: the type folder is a known device type, the model folder
 * has a valid name and an `index.ts`, and the default export is a DeviceModel whose `type` and
 * `model` equal its folders. Any failure throws `HUB_ERR_MODEL_INVALID` naming the folder.
 */
export async function loadRegistry(devicesDir: string = DEFAULT_DEVICES_DIR): Promise<ModelRegistry> {
  const models: DeviceModel[] = [];
  for (const { type, model, dir } of findModelFolders(devicesDir)) {
    const where = `devices/${type}/${model}`;
    if (!(DEVICE_TYPES as readonly string[]).includes(type)) {
      throw new HubError(
        'HUB_ERR_MODEL_INVALID',
        `${where}: "${type}" is not a device type (known: ${DEVICE_TYPES.join(', ')})`,
      );
    }
    if (!MODEL_NAME.test(model))
      throw new HubError('HUB_ERR_MODEL_INVALID', `${where}: "${model}" is not a valid model name`);
    const file = join(dir, 'index.ts');
    if (!existsSync(file)) throw new HubError('HUB_ERR_MODEL_INVALID', `${where}: index.ts is missing`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (cause) {
      throw new HubError('HUB_ERR_MODEL_INVALID', `${where}/index.ts failed to load: ${(cause as Error).message}`, {
        cause,
      });
    }
    const m = mod.default;
    if (!isDeviceModel(m)) {
      throw new HubError(
        'HUB_ERR_MODEL_INVALID',
        `${where}/index.ts must default-export a DeviceModel {type, model, description, normalise}`,
      );
    }
    if (m.type !== type || m.model !== model) {
      throw new HubError(
        'HUB_ERR_MODEL_INVALID',
        `${where}/index.ts exports ${m.type}/${m.model}; it must equal its folder`,
      );
    }
    models.push(m);
  }
  return new ModelRegistry(models);
}

function isDeviceModel(m: unknown): m is DeviceModel {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    typeof o.type === 'string' &&
    typeof o.model === 'string' &&
    typeof o.description === 'string' &&
    typeof o.normalise === 'function'
  );
}

/**
 * Check that every device of the inventory names a model the registry has (for its type).
 * Throws `HUB_ERR_UNKNOWN_MODEL` listing each offending site/gateway/device and the known models,
 * so nothing starts half-configured (docs/contract.md §1).
 */
export function checkInventoryModels(
  inventory: Inventory,
  registry: ModelLookup & Pick<ModelRegistry, 'modelsOf'>,
): void {
  const problems: string[] = [];
  for (const d of inventory.allDevices()) {
    if (registry.get(d.type, d.model)) continue;
    const known = registry.modelsOf(d.type);
    problems.push(
      `site ${d.site}, gateway ${d.gateway}, device ${d.id}: unknown ${d.type} model "${d.model}" ` +
        `(known ${d.type} models: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
  if (problems.length) {
    throw new HubError(
      'HUB_ERR_UNKNOWN_MODEL',
      `the inventory names device models that no folder under devices/ provides:\n  ${problems.join('\n  ')}`,
    );
  }
}
